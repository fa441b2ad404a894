// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The pure pieces of phiaudit search, report and timeline: the times users
 * type (a pinned clock and time zone, DST included), the filters and their
 * cheap test on raw lines, paths in the schema's byte encoding, CSV that a
 * spreadsheet cannot run, read accounts counted once, patient patterns,
 * and the gaps the log admits to.
 */
#include "unit.h"

#include <time.h>

#include "csvw.h"
#include "jsonw.h"
#include "pathenc.h"
#include "qfilter.h"
#include "qgaps.h"
#include "qrec.h"
#include "qreport.h"
#include "qtime.h"

#define S 1000000000ULL
/* Wednesday 2026-11-25T10:15:00Z: 11:15 in Berlin (CET, UTC+1) */
#define NOW (1795601700ULL * S)
#define CET "CET-1CEST,M3.5.0,M10.5.0/3" /* Europe's rules, without tzdata */

static void set_tz(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

/* The time @s means (seconds), or fail. */
static int64_t when(const char *s, uint64_t now, bool utc)
{
	char err[512];
	uint64_t ns;

	if (pa_qtime_parse(s, now, utc, &ns, err, sizeof(err))) {
		print_error("%s\n", err);
		fail();
	}
	return (int64_t)(ns / S);
}

/* ---- times ---- */

static void test_time_iso_with_a_zone_is_that_instant(void **state)
{
	set_tz(CET);
	assert_int_equal(when("2026-11-23T14:30:00Z", NOW, false), 1795444200);
	assert_int_equal(when("2026-11-23T14:30:00+01:00", NOW, false), 1795444200 - 3600);
	assert_int_equal(when("2026-11-23 14:30:00-0500", NOW, false), 1795444200 + 5 * 3600);
	assert_int_equal(when("2026-11-23T14:30Z", NOW, false), 1795444200);
}

static void test_time_fraction_keeps_nanoseconds(void **state)
{
	char err[256];
	uint64_t ns;

	assert_int_equal(pa_qtime_parse("2026-11-23T14:30:00.123456789Z", NOW, false, &ns, err,
					 sizeof(err)), 0);
	assert_int_equal(ns, 1795444200ULL * S + 123456789ULL);
	assert_int_equal(pa_qtime_parse("@1795444200.5", NOW, false, &ns, err, sizeof(err)), 0);
	assert_int_equal(ns, 1795444200ULL * S + S / 2);
}

static void test_time_without_a_zone_is_local_unless_utc(void **state)
{
	set_tz(CET);
	assert_int_equal(when("2026-11-23 14:30", NOW, false), 1795444200 - 3600);
	assert_int_equal(when("2026-11-23 14:30", NOW, true), 1795444200);
	assert_int_equal(when("2026-11-23", NOW, false), 1795392000 - 3600); /* midnight */
	assert_int_equal(when("2026-11-23", NOW, true), 1795392000);
}

static void test_time_epoch_seconds_with_or_without_at(void **state)
{
	assert_int_equal(when("@1795444208", NOW, false), 1795444208);
	assert_int_equal(when("1795444208", NOW, false), 1795444208);
}

static void test_time_clock_alone_is_today(void **state)
{
	set_tz(CET);
	/* today in Berlin is 2026-11-25; 09:00 CET = 08:00Z */
	assert_int_equal(when("09:00", NOW, false), 1795564800 + 8 * 3600);
	assert_int_equal(when("09:00:30", NOW, true), 1795564800 + 9 * 3600 + 30);
}

static void test_time_words_are_local_midnights(void **state)
{
	int64_t midnight = 1795564800 - 3600; /* 2026-11-25T00:00 CET */

	set_tz(CET);
	assert_int_equal(when("now", NOW, false), (int64_t)(NOW / S));
	assert_int_equal(when("recent", NOW, false), (int64_t)(NOW / S) - 600);
	assert_int_equal(when("today", NOW, false), midnight);
	assert_int_equal(when("yesterday", NOW, false), midnight - 86400);
	assert_int_equal(when("this-week", NOW, false), midnight - 2 * 86400); /* Monday */
	assert_int_equal(when("week-ago", NOW, false), midnight - 7 * 86400);
	assert_int_equal(when("this-month", NOW, false), 1793491200 - 3600); /* 11-01 */
	assert_int_equal(when("this-year", NOW, false), 1767225600 - 3600);  /* 01-01 */
}

static void test_time_words_in_utc(void **state)
{
	set_tz(CET);
	assert_int_equal(when("today", NOW, true), 1795564800);
	assert_int_equal(when("yesterday", NOW, true), 1795564800 - 86400);
}

/* Berlin moved from CET to CEST at 2026-03-29 02:00 local (01:00Z). */
static void test_time_across_a_dst_change(void **state)
{
	uint64_t sunday_noon = 1774785600ULL * S; /* 2026-03-29T12:00Z, CEST */
	uint64_t monday_noon = sunday_noon + 86400 * S;

	set_tz(CET);
	assert_int_equal(when("2026-03-29 01:30", NOW, false), 1774744200);	  /* CET: 00:30Z */
	assert_int_equal(when("2026-03-29 03:30", NOW, false), 1774744200 + 3600); /* CEST: 01:30Z */
	assert_int_equal(when("today", sunday_noon, false), 1774738800);	/* 00:00 CET */
	assert_int_equal(when("today", monday_noon, false), 1774738800 + 86400 - 3600);
	assert_int_equal(when("yesterday", monday_noon, false), 1774738800);	/* 23 hours before */
}

static void test_time_malformed_says_what_is_accepted(void **state)
{
	static const char *const bad[] = { "", "2026-13-01", "2026-02-30", "2026-11-23T25:00",
					   "yesterdayy", "2026-11-23T14:30:00+25:00", "14h30",
					   "2026-11-23T14:30:00Zjunk", "@", "1969-12-31" };
	char err[512];
	uint64_t ns;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		if (!pa_qtime_parse(bad[i], NOW, false, &ns, err, sizeof(err))) {
			print_error("'%s' was accepted\n", bad[i]);
			fail();
		}
		assert_non_null(strstr(err, "is not a time: use ISO 8601"));
		assert_non_null(strstr(err, "this-year"));
	}
}

static void test_time_format_is_utc_to_the_millisecond(void **state)
{
	char buf[40];

	pa_qtime_format_ms(buf, sizeof(buf), 1795444208736);
	assert_string_equal(buf, "2026-11-23T14:30:08.736Z");
}

/* ---- filters ---- */

/* A record (one JSON object) to filter; the caller frees it with rec_free. */
static struct pa_qrec rec(const char *json)
{
	struct pa_qrec r;
	struct json_object *o = json_tokener_parse(json);

	assert_non_null(o);
	pa_qrec_from(&r, o);
	return r;
}

static void rec_free(struct pa_qrec *r)
{
	json_object_put(r->root);
}

static void add(struct pa_qfilter *f, enum pa_qgroup_id g, const char *v)
{
	char err[512];

	if (pa_qfilter_add(f, g, v, err, sizeof(err))) {
		print_error("%s: %s\n", v, err);
		fail();
	}
}

static bool matches(struct pa_qfilter *f, const char *json)
{
	struct pa_qrec r = rec(json);
	bool m = pa_qfilter_quick(f, json, strlen(json)) && pa_qfilter_match(f, &r);

	rec_free(&r);
	return m;
}

#define OPEN_AT(t, path)                                                                  \
	"{\"time\":" #t ",\"class_uid\":1001,\"activity_id\":14,\"status_id\":1,"        \
	"\"actor\":{\"process\":{\"pid\":42,\"name\":\"cat\",\"created_time\":1,"         \
	"\"file\":{\"path\":\"/usr/bin/cat\"},\"parent_process\":{\"pid\":7}},"          \
	"\"user\":{\"uid\":\"0\",\"name\":\"root\"}},\"file\":{\"path\":\"" path "\"},"   \
	"\"device\":{\"hostname\":\"db1\"},\"unmapped\":{\"auid\":1000,\"auid_name\":\"drsmith\"}}"

static void test_filter_time_range_is_half_open(void **state)
{
	struct pa_qfilter f = { .has_since = true, .since_ms = 100, .has_until = true, .until_ms = 200 };

	assert_false(matches(&f, OPEN_AT(99, "/a")));
	assert_true(matches(&f, OPEN_AT(100, "/a")));
	assert_true(matches(&f, OPEN_AT(199, "/a")));
	assert_false(matches(&f, OPEN_AT(200, "/a")));
	pa_qfilter_free(&f);
}

static void test_filter_quick_reads_only_the_leading_time(void **state)
{
	struct pa_qfilter f = { .has_since = true, .since_ms = 100 };
	const char *late = "{\"time\":150,\"garbage";

	assert_int_equal(pa_qline_time_ms(late, strlen(late)), 150);
	assert_true(pa_qfilter_quick(&f, late, strlen(late)));
	assert_false(pa_qfilter_quick(&f, "{\"time\":99,", 11));
	assert_int_equal(pa_qline_time_ms("{\"other\":1}", 11), -1);
	assert_true(pa_qfilter_quick(&f, "{\"other\":1}", 11)); /* unknown layout: cannot judge */
	pa_qfilter_free(&f);
}

static void test_filter_path_prefix_is_component_wise(void **state)
{
	assert_true(pa_qpath_under("/srv/phi/patients/1234", 22, "/srv/phi/patients/1234", 22));
	assert_true(pa_qpath_under("/srv/phi/patients/1234/a", 24, "/srv/phi/patients/1234", 22));
	assert_false(pa_qpath_under("/srv/phi/patients/12345/a", 25, "/srv/phi/patients/1234", 22));
	assert_true(pa_qpath_under("/srv/phi/patients/12345/a", 25, "/srv/phi/patients/", 18));
}

static void test_filter_path_typed_as_bytes_matches_the_encoded_name(void **state)
{
	struct pa_qfilter f = { 0 };

	add(&f, PA_QF_PATH, "/srv/phi/imports/caf\xe9.csv");
	assert_string_equal(f.g[PA_QF_PATH].v[0].text, "/srv/phi/imports/caf\\xe9.csv");
	/* the raw line holds it JSON-escaped once more */
	assert_string_equal(f.g[PA_QF_PATH].v[0].needle, "/srv/phi/imports/caf\\\\xe9.csv");
	assert_true(matches(&f, OPEN_AT(1, "/srv/phi/imports/caf\\\\xe9.csv")));
	assert_false(matches(&f, OPEN_AT(1, "/srv/phi/imports/caf\\\\\\\\xe9.csv"))); /* a literal backslash */
	pa_qfilter_free(&f);
}

static void test_filter_glob_star_stays_in_a_name_and_takes_directories(void **state)
{
	struct pa_qfilter f = { 0 }, g = { 0 };

	add(&f, PA_QF_PATH, "/srv/phi/patients/*/chart.txt");
	assert_string_equal(f.g[PA_QF_PATH].v[0].needle, "/srv/phi/patients/");
	assert_true(matches(&f, OPEN_AT(1, "/srv/phi/patients/1234/chart.txt")));
	assert_false(matches(&f, OPEN_AT(1, "/srv/phi/patients/1234/old/chart.txt")));
	add(&g, PA_QF_PATH, "/srv/phi/patients/12*");
	assert_true(matches(&g, OPEN_AT(1, "/srv/phi/patients/1234/old/chart.txt")));
	assert_false(matches(&g, OPEN_AT(1, "/srv/phi/patients/2234/chart.txt")));
	pa_qfilter_free(&f);
	pa_qfilter_free(&g);
}

static void test_filter_users_by_name_or_number(void **state)
{
	struct pa_qfilter f = { 0 }, g = { 0 }, h = { 0 };

	add(&f, PA_QF_USER, "root");
	add(&g, PA_QF_USER, "0");
	add(&h, PA_QF_AUID, "1000");
	assert_string_equal(g.g[PA_QF_USER].v[0].needle, "\"uid\":\"0\"");
	assert_string_equal(h.g[PA_QF_AUID].v[0].needle, "\"auid\":1000");
	assert_true(matches(&f, OPEN_AT(1, "/a")));
	assert_true(matches(&g, OPEN_AT(1, "/a")));
	assert_true(matches(&h, OPEN_AT(1, "/a")));
	add(&h, PA_QF_USER, "drsmith"); /* the login user, but not the user */
	assert_false(matches(&h, OPEN_AT(1, "/a")));
	pa_qfilter_free(&f);
	pa_qfilter_free(&g);
	pa_qfilter_free(&h);
}

static void test_filter_values_of_one_option_are_alternatives(void **state)
{
	struct pa_qfilter f = { 0 };

	add(&f, PA_QF_PATH, "/x");
	add(&f, PA_QF_PATH, "/srv");
	assert_true(matches(&f, OPEN_AT(1, "/srv/phi/a")));
	add(&f, PA_QF_HOST, "db2");
	assert_false(matches(&f, OPEN_AT(1, "/srv/phi/a")));
	pa_qfilter_free(&f);
}

static void test_filter_process_by_name_program_or_long_name(void **state)
{
	static const char long_comm[] =
		"{\"time\":1,\"class_uid\":1001,\"actor\":{\"process\":{\"pid\":9,"
		"\"name\":\"unattended-upgr\"}}}";
	struct pa_qfilter f = { 0 }, g = { 0 }, h = { 0 };

	add(&f, PA_QF_PROCESS, "cat");
	add(&g, PA_QF_PROCESS, "/usr/bin/cat");
	add(&h, PA_QF_PROCESS, "unattended-upgrade");
	assert_true(matches(&f, OPEN_AT(1, "/a")));
	assert_true(matches(&g, OPEN_AT(1, "/a")));
	assert_true(matches(&h, long_comm));
	assert_false(matches(&h, OPEN_AT(1, "/a")));
	pa_qfilter_free(&f);
	pa_qfilter_free(&g);
	pa_qfilter_free(&h);
}

static void test_filter_activities_by_word_name_or_id(void **state)
{
	static const char recovered[] =
		"{\"time\":1,\"class_uid\":6002,\"activity_id\":99,\"activity_name\":\"Log Recovered\"}";
	static const char *const good[] = { "open", "14", "1001", "100114" };
	struct pa_qfilter f = { 0 };
	char err[512];

	for (size_t i = 0; i < ARRAY_LEN(good); i++) {
		add(&f, PA_QF_ACTIVITY, good[i]);
		assert_true(matches(&f, OPEN_AT(1, "/a")));
		pa_qfilter_free(&f);
	}
	add(&f, PA_QF_ACTIVITY, "log-recovered");
	assert_true(matches(&f, recovered));
	assert_false(matches(&f, OPEN_AT(1, "/a")));
	pa_qfilter_free(&f);
	add(&f, PA_QF_ACTIVITY, "denied");
	assert_false(matches(&f, OPEN_AT(1, "/a")));
	pa_qfilter_free(&f);
	assert_int_equal(pa_qfilter_add(&f, PA_QF_ACTIVITY, "opne", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'opne' is not an activity: use open, read"));
	assert_int_equal(pa_qfilter_add(&f, PA_QF_PID, "12x", err, sizeof(err)), -1);
	pa_qfilter_free(&f);
}

#define PROC_REC(pid, created, ppid, anc)                                                   \
	"{\"time\":1,\"class_uid\":1001,\"activity_id\":14,\"actor\":{\"process\":{\"pid\":" #pid \
	",\"created_time\":" #created ",\"parent_process\":{\"pid\":" #ppid "}}},"                 \
	"\"unmapped\":{\"ancestors\":[" anc "]}}"
#define ANC(pid, created) "{\"pid\":" #pid ",\"created_time\":" #created "}"

static void test_filter_descendants_through_ancestors_and_known_parents(void **state)
{
	struct pa_qfilter f = { .descendants = true };

	add(&f, PA_QF_PID, "100");
	assert_true(matches(&f, PROC_REC(100, 5, 1, ANC(1, 0))));
	assert_true(matches(&f, PROC_REC(300, 7, 200, ANC(200, 6) "," ANC(100, 5))));
	/* deeper than its ancestor list reaches: placed through its parent, 300 */
	assert_true(matches(&f, PROC_REC(400, 8, 300, ANC(300, 7))));
	assert_false(matches(&f, PROC_REC(500, 9, 1, ANC(1, 0))));
	/* another process that reused pid 300 is not below 100 */
	assert_false(matches(&f, PROC_REC(600, 10, 300, ANC(300, 99))));
	pa_qfilter_free(&f);
}

static void test_json_escape_is_the_agents_writer(void **state)
{
	static const char name[] = "a\"b\\c\nd\te\x1b" "f\x7f" "caf\xe9 M\xc3\xbcller";
	char enc[256], esc[1600];
	struct pa_jw w;

	pa_bytes_encode(enc, name, sizeof(name) - 1);
	pa_qjson_escape(enc, strlen(enc), esc);
	pa_jw_init(&w);
	pa_jw_bytes(&w, NULL, name, sizeof(name) - 1);
	assert_int_equal(w.len, strlen(esc) + 2);
	assert_memory_equal(w.buf + 1, esc, strlen(esc)); /* between the quotes */
	pa_jw_free(&w);
}

/* ---- CSV ---- */

static char *csv_row(const char *const *cells, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	struct pa_csv c;

	pa_csv_init(&c, out);
	for (size_t i = 0; i < n; i++)
		pa_csv_str(&c, cells[i]);
	pa_csv_end_row(&c);
	fclose(out);
	return buf;
}

static void test_csv_quotes_as_rfc4180(void **state)
{
	static const char *const cells[] = { "plain", "a,b", "say \"hi\"", "two\nlines", NULL };
	char *row = csv_row(cells, ARRAY_LEN(cells));

	assert_string_equal(row, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
	free(row);
}

static void test_csv_neutralises_formulas(void **state)
{
	static const char *const cells[] = { "=HYPERLINK(\"http://x\",\"y\")", "+1", "-bash", "@SUM(A1)",
					     "\tx", "\rx", "a=b" };
	char *row = csv_row(cells, ARRAY_LEN(cells));

	assert_string_equal(row, "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",'+1,'-bash,'@SUM(A1),"
				 "'\tx,\"'\rx\",a=b\r\n");
	free(row);
}

/* ---- report ---- */

#define READ_REC(acct, calls, bytes, path)                                                  \
	"{\"time\":5,\"class_uid\":1001,\"activity_id\":2,\"actor\":{\"process\":{\"pid\":42,"  \
	"\"created_time\":1},\"user\":{\"uid\":\"0\",\"name\":\"root\"}},\"file\":{\"path\":\"" \
	path "\",\"parent_folder\":\"/p\"},\"metadata\":{\"uid\":\"L-9\"},\"unmapped\":"       \
	"{\"open_event_seq\":3,\"account_seq\":" #acct ",\"bytes_read\":" #bytes                \
	",\"read_calls\":" #calls "}}"

static void report_add(struct pa_qreport *rep, const char *json)
{
	struct pa_qrec r = rec(json);

	pa_qreport_add(rep, &r);
	rec_free(&r);
}

static char *report_csv(struct pa_qreport *rep)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	pa_qreport_write(rep, out, PA_QFMT_CSV);
	fclose(out);
	return buf;
}

static void test_report_counts_each_read_account_once(void **state)
{
	struct pa_qreport rep = { .by = PA_QBY_USER };
	char *csv;

	report_add(&rep, OPEN_AT(4, "/p/a"));
	report_add(&rep, READ_REC(1, 10, 100, "/p/a")); /* progress, cumulative */
	report_add(&rep, READ_REC(1, 20, 250, "/p/a"));
	report_add(&rep, READ_REC(1, 21, 300, "/p/a")); /* final */
	report_add(&rep, READ_REC(2, 1, 7, "/p/b"));	/* another account */
	csv = report_csv(&rep);
	assert_string_equal(csv, "user,accesses,denied,files,bytes_read,first,last\r\n"
				 "root (0),1,0,2,307,1970-01-01T00:00:00.004Z,1970-01-01T00:00:00.005Z\r\n");
	free(csv);
	pa_qreport_free(&rep);
}

static void test_report_by_directory_uses_the_parent_folder(void **state)
{
	struct pa_qreport rep = { .by = PA_QBY_DIRECTORY };
	char *csv;

	report_add(&rep, READ_REC(1, 1, 10, "/p/a"));
	report_add(&rep, READ_REC(2, 1, 20, "/p/b"));
	csv = report_csv(&rep);
	assert_non_null(strstr(csv, "\r\n/p,0,0,2,30,"));
	free(csv);
	pa_qreport_free(&rep);
}

static bool patient(const char *pattern, const char *path, char *id)
{
	struct pa_qpattern p;
	char err[256];
	bool found;

	assert_int_equal(pa_qpattern_parse(&p, pattern, err, sizeof(err)), 0);
	found = pa_qpattern_id(&p, path, id, 64);
	pa_qpattern_free(&p);
	return found;
}

static void test_patient_pattern_maps_a_path_to_an_id(void **state)
{
	char id[64], err[256];
	struct pa_qpattern p;

	assert_true(patient("/srv/phi/patients/{id}/...", "/srv/phi/patients/1234/chart.txt", id));
	assert_string_equal(id, "1234");
	assert_true(patient("/srv/phi/patients/{id}/...", "/srv/phi/patients/1234", id));
	assert_string_equal(id, "1234");
	assert_false(patient("/srv/phi/patients/{id}/...", "/srv/phi/imports/x", id));
	assert_true(patient("/srv/phi/scans/{id}.dcm", "/srv/phi/scans/mrn-77.dcm", id));
	assert_string_equal(id, "mrn-77");
	assert_false(patient("/srv/phi/scans/{id}.dcm", "/srv/phi/scans/a/b.dcm", id));
	assert_true(patient("/srv/{id}/records/\xe2\x80\xa6", "/srv/clinic-9/records/2026/x", id));
	assert_string_equal(id, "clinic-9");
	assert_true(patient("/srv/phi/imports/{id}", "/srv/phi/imports/caf\\xe9.csv", id));
	assert_string_equal(id, "caf\\xe9.csv");
	assert_int_equal(pa_qpattern_parse(&p, "/srv/{id}/{id}", err, sizeof(err)), -1);
	pa_qpattern_free(&p);
}

/* ---- gaps ---- */

#define LIFE(t, act, name)                                                                  \
	"{\"time\":" #t ",\"class_uid\":6002,\"activity_id\":" #act ",\"activity_name\":\"" name \
	"\",\"device\":{\"hostname\":\"db1\"}"

static void feed(struct pa_qgaps *g, const char *json)
{
	struct pa_qrec r = rec(json);

	pa_qgaps_line(g, r.time_ms);
	pa_qgaps_record(g, &r);
	rec_free(&r);
}

static void test_gap_stop_then_start(void **state)
{
	struct pa_qgaps g;
	char text[512];

	pa_qgaps_init(&g);
	feed(&g, LIFE(1000, 3, "Start") "}");
	feed(&g, LIFE(2000, 4, "Stop") "}");
	feed(&g, LIFE(9000, 3, "Start") "}");
	assert_int_equal(g.n, 1);
	assert_int_equal(g.v[0].kind, PA_QGAP_STOPPED);
	assert_int_equal(g.v[0].from_ms, 2000);
	assert_int_equal(g.v[0].to_ms, 9000);
	pa_qgap_describe(&g.v[0], text, sizeof(text));
	assert_string_equal(text, "host db1: the agent was stopped from 1970-01-01T00:00:02.000Z to "
				  "1970-01-01T00:00:09.000Z: nothing was audited in between");
	pa_qgaps_free(&g);
}

static void test_gap_start_without_stop_is_a_crash(void **state)
{
	struct pa_qgaps g;

	pa_qgaps_init(&g);
	feed(&g, LIFE(1000, 3, "Start") "}");
	feed(&g, OPEN_AT(1500, "/a"));
	feed(&g, LIFE(9000, 3, "Start") "}");
	assert_int_equal(g.n, 1);
	assert_int_equal(g.v[0].kind, PA_QGAP_CRASH);
	assert_int_equal(g.v[0].from_ms, 1500);
	/* the store's Log Recovered knows better when the last run's records end */
	feed(&g, LIFE(9001, 99, "Log Recovered") ",\"unmapped\":{\"log_store\":"
		 "{\"last_sealed_time_dt\":\"1970-01-01T00:00:01.700000000Z\"}}}");
	assert_int_equal(g.n, 1);
	assert_int_equal(g.v[0].from_ms, 1700);
	assert_int_equal(g.v[0].to_ms, 9000);
	pa_qgaps_free(&g);
}

static void test_gap_first_start_of_a_stream_is_none(void **state)
{
	struct pa_qgaps g;

	pa_qgaps_init(&g);
	feed(&g, LIFE(1000, 3, "Start") "}");
	feed(&g, LIFE(2000, 4, "Stop") "}");
	pa_qgaps_break(&g); /* a file skipped by its name */
	feed(&g, LIFE(9000, 3, "Start") "}");
	assert_int_equal(g.n, 0);
	pa_qgaps_free(&g);
}

static void test_gap_loss_names_the_counters_that_grew(void **state)
{
	struct pa_qgaps g;

	pa_qgaps_init(&g);
	feed(&g, LIFE(5000, 99, "Loss") ",\"unmapped\":{\"since_last\":{\"ringbuf_full\":12,"
		 "\"fd_lookup_failed\":0,\"files_full\":3}}}");
	assert_int_equal(g.n, 1);
	assert_int_equal(g.v[0].kind, PA_QGAP_LOSS);
	assert_string_equal(g.v[0].detail, "ringbuf_full 12, files_full 3");
	pa_qgaps_free(&g);
}

static void test_gap_write_resumed_only_when_records_were_lost(void **state)
{
	struct pa_qgaps g;

	pa_qgaps_init(&g);
	feed(&g, LIFE(5000, 99, "Log Write Resumed") ",\"unmapped\":{\"write_failure\":"
		 "{\"records_lost\":0}}}");
	assert_int_equal(g.n, 0);
	feed(&g, LIFE(6000, 99, "Log Write Resumed") ",\"unmapped\":{\"write_failure\":"
		 "{\"since_dt\":\"1970-01-01T00:00:04.000000000Z\",\"until_dt\":"
		 "\"1970-01-01T00:00:05.500000000Z\",\"records_lost\":2,\"first_lost_sequence\":7,"
		 "\"last_lost_sequence\":8}}}");
	assert_int_equal(g.n, 1);
	assert_int_equal(g.v[0].kind, PA_QGAP_WRITE);
	assert_int_equal(g.v[0].from_ms, 4000);
	assert_int_equal(g.v[0].to_ms, 5500);
	assert_int_equal(g.v[0].first_seq, 7);
	pa_qgaps_free(&g);
}

static void test_gap_sequence_from_seals_but_not_a_crash_repeat(void **state)
{
	struct pa_seal a = { .records = 3, .first_seq = 1, .last_seq = 3, .time_ns = 1 * S };
	struct pa_seal b = { .records = 2, .first_seq = 6, .last_seq = 7, .time_ns = 2 * S };
	struct pa_seal c = { .records = 1, .first_seq = 7, .last_seq = 7, .time_ns = 3 * S };
	struct pa_qgaps g;

	pa_qgaps_init(&g);
	pa_qgaps_seal(&g, &a);
	pa_qgaps_seal(&g, &b);
	pa_qgaps_seal(&g, &c); /* numbers given again after a crash */
	assert_int_equal(g.n, 1);
	assert_int_equal(g.v[0].kind, PA_QGAP_SEQUENCE);
	assert_int_equal(g.v[0].first_seq, 4);
	assert_int_equal(g.v[0].last_seq, 5);
	pa_qgaps_free(&g);
}

static void test_gap_sequence_per_log_in_plain_lines(void **state)
{
	struct pa_qgaps g;

	pa_qgaps_init(&g);
	pa_qgaps_seq(&g, "aa", 2, 1, 10);
	pa_qgaps_seq(&g, "bb", 2, 50, 11); /* another host's log, interleaved */
	pa_qgaps_seq(&g, "aa", 2, 2, 12);
	pa_qgaps_seq(&g, "bb", 2, 51, 13);
	assert_int_equal(g.n, 0);
	pa_qgaps_seq(&g, "aa", 2, 4, 14);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.v[0].first_seq, 3);
	pa_qgaps_free(&g);
}

/* A collector's file after an outage: the records its relay held arrive
 * after newer ones, and fill the gap they seemed to leave. */
static void test_gap_filled_by_late_records_is_no_gap(void **state)
{
	struct pa_qgaps g;

	pa_qgaps_init(&g);
	pa_qgaps_seq(&g, "aa", 2, 1, 10);
	pa_qgaps_seq(&g, "aa", 2, 2, 11);
	pa_qgaps_seq(&g, "aa", 2, 9, 12); /* 3..8 held back */
	assert_int_equal(g.n, 1);
	pa_qgaps_seq(&g, "aa", 2, 3, 13);
	pa_qgaps_seq(&g, "aa", 2, 5, 14); /* 4 still missing, 6..8 too */
	assert_int_equal(g.n, 2);
	pa_qgaps_seq(&g, "aa", 2, 4, 15);
	for (uint64_t q = 6; q <= 8; q++)
		pa_qgaps_seq(&g, "aa", 2, q, 16);
	assert_int_equal(g.n, 0);
	pa_qgaps_seq(&g, "aa", 2, 11, 17); /* a real one, after */
	assert_int_equal(g.n, 1);
	assert_int_equal(g.v[0].first_seq, 10);
	assert_int_equal(g.v[0].last_seq, 10);
	pa_qgaps_free(&g);
}

static void test_gap_in_range_overlaps(void **state)
{
	struct pa_qgap gap = { .from_ms = 100, .to_ms = 200 };

	assert_true(pa_qgap_in(&gap, -1, -1));
	assert_true(pa_qgap_in(&gap, 150, 160));
	assert_true(pa_qgap_in(&gap, 0, 101));
	assert_false(pa_qgap_in(&gap, 0, 100));
	assert_false(pa_qgap_in(&gap, 201, -1));
}

#define T(f) cmocka_unit_test(f)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_time_iso_with_a_zone_is_that_instant),
		T(test_time_fraction_keeps_nanoseconds),
		T(test_time_without_a_zone_is_local_unless_utc),
		T(test_time_epoch_seconds_with_or_without_at),
		T(test_time_clock_alone_is_today),
		T(test_time_words_are_local_midnights),
		T(test_time_words_in_utc),
		T(test_time_across_a_dst_change),
		T(test_time_malformed_says_what_is_accepted),
		T(test_time_format_is_utc_to_the_millisecond),
		T(test_filter_time_range_is_half_open),
		T(test_filter_quick_reads_only_the_leading_time),
		T(test_filter_path_prefix_is_component_wise),
		T(test_filter_path_typed_as_bytes_matches_the_encoded_name),
		T(test_filter_glob_star_stays_in_a_name_and_takes_directories),
		T(test_filter_users_by_name_or_number),
		T(test_filter_values_of_one_option_are_alternatives),
		T(test_filter_process_by_name_program_or_long_name),
		T(test_filter_activities_by_word_name_or_id),
		T(test_filter_descendants_through_ancestors_and_known_parents),
		T(test_json_escape_is_the_agents_writer),
		T(test_csv_quotes_as_rfc4180),
		T(test_csv_neutralises_formulas),
		T(test_report_counts_each_read_account_once),
		T(test_report_by_directory_uses_the_parent_folder),
		T(test_patient_pattern_maps_a_path_to_an_id),
		T(test_gap_stop_then_start),
		T(test_gap_start_without_stop_is_a_crash),
		T(test_gap_first_start_of_a_stream_is_none),
		T(test_gap_loss_names_the_counters_that_grew),
		T(test_gap_write_resumed_only_when_records_were_lost),
		T(test_gap_sequence_from_seals_but_not_a_crash_repeat),
		T(test_gap_sequence_per_log_in_plain_lines),
		T(test_gap_filled_by_late_records_is_no_gap),
		T(test_gap_in_range_overlaps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
