// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The syslog sink (sink_syslog.h), over real sockets the tests bind: the
 * exact RFC 5424 bytes and PRI; the severity filter; datagrams on unix and
 * udp, octet-counted frames on tcp and unix-stream; a target that is not
 * there yet (records wait, counted, and go once it is); a receiver that
 * stops reading (the queue keeps its bound by dropping the oldest, the
 * newest get through); a receiver that goes away (reconnect after the
 * backoff, a cut message sent again whole); datagrams too big to carry;
 * bad targets named in the error.
 *
 * Both clocks are the test's: the realtime one pins TIMESTAMP, the
 * monotonic one steps the backoff, so nothing here sleeps for it. Waits on
 * the kernel (a connect, a FIN) poll with a 5 s ceiling and no timing
 * assertion.
 */
#include "unit.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "sink_syslog.h"

#define NS_MS	    1000000LL
/* 2024-03-05T06:07:08.123456789Z: not on a microsecond, to see it cut */
#define REAL_T0	    1709618828123456789LL
#define MONO_T0	    (1000 * NS_MS)
#define WAIT_MS	    5000
#define TCP_CLOSE_WAIT 0x08 /* /proc/net/tcp state */

struct fx {
	char dir[64];
	char path[128];	  /* dir/log: a unix socket path, not bound */
	char target[192];
	char err[512];
	int64_t real, mono; /* the sink's clocks */
	struct pa_syslog_config cfg;
	struct pa_sink *s;
	int rx;		  /* the receiving socket (datagram or accepted stream) */
	int lfd;	  /* a listening socket */
};

static int64_t test_clock(clockid_t clock, void *arg)
{
	struct fx *f = arg;

	return clock == CLOCK_REALTIME ? f->real : f->mono;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/pa-syslog-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/log", f->dir);
	snprintf(f->target, sizeof(f->target), "unix:%s", f->path);
	f->real = REAL_T0;
	f->mono = MONO_T0;
	f->cfg.target = f->target;
	f->cfg.hostname = "db01";
	f->cfg.clock_ns = test_clock;
	f->cfg.clock_arg = f;
	f->rx = f->lfd = -1;
	*state = f;
	return 0;
}

static int rm_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fx *f = *state;
	int rc;

	if (f->s)
		f->s->ops->close(f->s);
	if (f->rx >= 0)
		close(f->rx);
	if (f->lfd >= 0)
		close(f->lfd);
	rc = nftw(f->dir, rm_one, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return rc;
}

/* ---- helpers: the sink ---- */

static void open_sink(struct fx *f)
{
	f->s = pa_sink_syslog_open(&f->cfg, f->err, sizeof(f->err));
	if (!f->s) {
		print_error("open: %s\n", f->err);
		fail();
	}
}

static int put(struct fx *f, const char *rec, int severity)
{
	return f->s->ops->write(f->s, rec, strlen(rec), 0, severity);
}

static int flush(struct fx *f)
{
	return f->s->ops->flush(f->s);
}

static struct pa_syslog_stats stats(struct fx *f)
{
	struct pa_syslog_stats st;

	pa_sink_syslog_stats(f->s, &st);
	return st;
}

/* Every record taken is sent, dropped or pending; the sink's own counters agree. */
static void assert_accounted(struct fx *f)
{
	struct pa_syslog_stats st = stats(f);

	assert_int_equal(st.queued, st.sent + st.dropped_overflow + st.dropped_oversize + st.pending);
	assert_int_equal(f->s->records, st.sent);
	assert_int_equal(f->s->write_errors, st.dropped_overflow + st.dropped_oversize);
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		print_error("'%s' not found in: %s\n", needle, hay);
		fail();
	}
}

/* A record numbered @n, padded to @size bytes, newline-terminated. */
static char *make_rec(int n, size_t size)
{
	char *r = malloc(size + 1);
	int head;

	assert_non_null(r);
	head = snprintf(r, size + 1, "{\"n\":%d,\"pad\":\"", n);
	assert_true(size > (size_t)head + 3);
	memset(r + head, 'x', size - (size_t)head - 3);
	memcpy(r + size - 3, "\"}\n", 4);
	return r;
}

static int put_n(struct fx *f, int n, size_t size)
{
	char *r = make_rec(n, size);
	int rc = f->s->ops->write(f->s, r, size, 0, LOG_ALERT);

	free(r);
	return rc;
}

static int rec_n(const char *msg, size_t len)
{
	const char *p = memmem(msg, len, "{\"n\":", 5);

	assert_non_null(p);
	return atoi(p + 5);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / NS_MS;
}

/* Fails the test once @deadline (now_ms() + WAIT_MS at the start) is past. */
static void within(int64_t deadline)
{
	assert_true(now_ms() < deadline);
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * NS_MS };

	nanosleep(&ts, NULL);
}

/* Flush until the sink has made @n connections (the kernel finishes a
 * non-blocking connect on its own time). */
static void flush_until_connected(struct fx *f, uint64_t n)
{
	int64_t deadline = now_ms() + WAIT_MS;

	while (stats(f).connects < n) {
		within(deadline);
		flush(f);
		if (stats(f).connects < n)
			sleep_ms(1);
	}
}

/* ---- helpers: receivers ---- */

static int bind_unix(const char *path, int type)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	if (type == SOCK_STREAM)
		assert_int_equal(listen(fd, 8), 0);
	return fd;
}

/* A socket on the loopback address of @family, port chosen by the kernel. */
static int bind_loopback(int family, int type, int *port)
{
	struct sockaddr_storage ss = { .ss_family = (sa_family_t)family };
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (family == AF_INET)
		((struct sockaddr_in *)&ss)->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
					: ((struct sockaddr_in6 *)&ss)->sin6_port);
	return fd;
}

/* A TCP listener on 127.0.0.1, and the target naming it. */
static int tcp_listen(struct fx *f)
{
	int port, fd = bind_loopback(AF_INET, SOCK_STREAM, &port);

	assert_true(fd >= 0);
	assert_int_equal(listen(fd, 8), 0);
	snprintf(f->target, sizeof(f->target), "tcp:127.0.0.1:%d", port);
	return fd;
}

static int accept_one(int lfd)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
}

/* The next datagram, as a string (the test frees it). */
static char *recv_dgram(int fd, size_t *len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t cap = 1 << 17;
	char *buf = malloc(cap + 1);
	ssize_t n;

	assert_non_null(buf);
	assert_int_equal(poll(&p, 1, WAIT_MS), 1);
	n = recv(fd, buf, cap, 0);
	assert_true(n >= 0);
	buf[n] = '\0';
	if (len)
		*len = (size_t)n;
	return buf;
}

static void expect_dgram(int fd, const char *want)
{
	char *got = recv_dgram(fd, NULL);

	assert_string_equal(got, want);
	free(got);
}

static void expect_dgram_with(int fd, const char *needle)
{
	char *got = recv_dgram(fd, NULL);

	assert_contains(got, needle);
	free(got);
}

static void assert_no_dgram(int fd)
{
	char c;

	assert_int_equal(recv(fd, &c, 1, MSG_DONTWAIT), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
}

/* Everything readable on a stream now (non-blocking), appended to *buf. */
static size_t read_available(int fd, char **buf, size_t *len, size_t *cap)
{
	size_t got = 0;

	for (;;) {
		ssize_t n;

		if (*cap - *len < 65536) {
			*cap = *cap ? *cap * 2 : 1 << 20;
			*buf = realloc(*buf, *cap);
			assert_non_null(*buf);
		}
		n = recv(fd, *buf + *len, *cap - *len, MSG_DONTWAIT);
		if (n <= 0)
			return got;
		*len += (size_t)n;
		got += (size_t)n;
	}
}

/* The receiver reads while the sink flushes, until the queue is empty and
 * every byte the socket took since @wire_from has arrived in *buf. */
static void drain(struct fx *f, uint64_t wire_from, char **buf, size_t *len, size_t *cap)
{
	int64_t deadline = now_ms() + WAIT_MS;

	while (stats(f).pending > 0 || *len < stats(f).wire_bytes - wire_from) {
		within(deadline);
		flush(f);
		if (!read_available(f->rx, buf, len, cap))
			sleep_ms(1);
	}
}

/* Exactly @want bytes from a stream, appended to *buf. */
static void read_exactly(int fd, size_t want, char **buf, size_t *len, size_t *cap)
{
	size_t end = *len + want;

	while (*len < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		assert_int_equal(poll(&p, 1, WAIT_MS), 1);
		if (*cap < end) {
			*cap = end;
			*buf = realloc(*buf, *cap);
			assert_non_null(*buf);
		}
		n = recv(fd, *buf + *len, end - *len, 0);
		assert_true(n > 0);
		*len += (size_t)n;
	}
}

struct msgs {
	size_t n, cap;
	struct {
		const char *p;
		size_t len;
	} *v;
};

/*
 * Split RFC 6587 octet-counted frames ("LEN SP MSG"). Returns the bytes
 * the complete frames take; what follows is a frame cut short. A count
 * that is not a count fails the test.
 */
static size_t split_frames(const char *buf, size_t len, struct msgs *out)
{
	size_t off = 0;

	while (off < len) {
		size_t d = off, count = 0;

		while (d < len && buf[d] >= '0' && buf[d] <= '9' && d - off < 10)
			count = count * 10 + (size_t)(buf[d++] - '0');
		if (d == len)
			break;
		if (d == off || buf[off] == '0' || buf[d] != ' ') {
			print_error("bad octet count at byte %zu: %.20s\n", off, buf + off);
			fail();
		}
		if (len - d - 1 < count)
			break;
		if (out->n == out->cap) {
			out->cap = out->cap ? out->cap * 2 : 64;
			out->v = realloc(out->v, out->cap * sizeof(*out->v));
			assert_non_null(out->v);
		}
		out->v[out->n].p = buf + d + 1;
		out->v[out->n++].len = count;
		off = d + 1 + count;
	}
	return off;
}

/* The state of the 127.0.0.1 TCP socket @lport -> @rport in
 * /proc/net/tcp, -1 when it is not listed. */
static int tcp_state(int lport, int rport)
{
	FILE *p = fopen("/proc/net/tcp", "r");
	char line[512];
	unsigned int l, r, st;
	int found = -1;

	assert_non_null(p);
	while (found < 0 && fgets(line, sizeof(line), p))
		if (sscanf(line, " %*u: %*x:%x %*x:%x %x", &l, &r, &st) == 3 && (int)l == lport &&
		    (int)r == rport)
			found = (int)st;
	fclose(p);
	return found;
}

static int port_of(int fd, int peer)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	assert_int_equal((peer ? getpeername : getsockname)(fd, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

/* ---- the message ---- */

static void test_message_is_the_rfc5424_header_then_the_record_as_given(void **state)
{
	struct fx *f = *state;
	char want[256];

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	open_sink(f);
	assert_int_equal(put(f, "{\"class_uid\":2004,\"x\":\"é\"}\n", LOG_ALERT), 0);
	assert_int_equal(flush(f), 0);
	snprintf(want, sizeof(want),
		 "<81>1 2024-03-05T06:07:08.123456Z db01 phiauditd %d alert - "
		 "{\"class_uid\":2004,\"x\":\"é\"}", (int)getpid());
	expect_dgram(f->rx, want);
}

static void test_timestamp_is_utc_microseconds_cut_not_rounded(void **state)
{
	struct fx *f = *state;
	char *got;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	open_sink(f);
	f->real = 1735689599999999999LL; /* 2024-12-31T23:59:59.999999999Z */
	put(f, "{}", LOG_ALERT);
	f->real = 1735689600000000000LL; /* 2025-01-01T00:00:00Z */
	put(f, "{}", LOG_ALERT);
	assert_int_equal(flush(f), 0);
	got = recv_dgram(f->rx, NULL);
	assert_contains(got, " 2024-12-31T23:59:59.999999Z ");
	free(got);
	got = recv_dgram(f->rx, NULL);
	assert_contains(got, " 2025-01-01T00:00:00.000000Z ");
	free(got);
}

static void test_pri_is_the_facility_constant_plus_the_severity(void **state)
{
	static const struct {
		int facility, severity;
		const char *pri;
	} cases[] = {
		{ LOG_AUTHPRIV, LOG_ALERT, "<81>1 " }, /* (10 << 3) + 1 */
		{ LOG_AUTHPRIV, LOG_INFO, "<86>1 " },
		{ LOG_USER, LOG_EMERG, "<8>1 " },
		{ LOG_DAEMON, LOG_WARNING, "<28>1 " },
		{ LOG_LOCAL7, LOG_DEBUG, "<191>1 " },
	};
	struct fx *f = *state;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	f->cfg.max_severity = LOG_DEBUG;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *got;

		f->cfg.facility = cases[i].facility;
		open_sink(f);
		put(f, "{}", cases[i].severity);
		assert_int_equal(flush(f), 0);
		got = recv_dgram(f->rx, NULL);
		if (strncmp(got, cases[i].pri, strlen(cases[i].pri))) {
			print_error("facility %d severity %d: want %s, got %s\n", cases[i].facility,
				    cases[i].severity, cases[i].pri, got);
			fail();
		}
		free(got);
		f->s->ops->close(f->s);
		f->s = NULL;
	}
}

static void test_msgid_is_alert_up_to_LOG_ALERT_and_audit_below_it(void **state)
{
	struct fx *f = *state;
	char *got;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	f->cfg.max_severity = LOG_DEBUG;
	open_sink(f);
	put(f, "{}", LOG_EMERG);
	put(f, "{}", LOG_ALERT);
	put(f, "{}", LOG_CRIT);
	put(f, "{}", LOG_INFO);
	assert_int_equal(flush(f), 0);
	for (int i = 0; i < 4; i++) {
		got = recv_dgram(f->rx, NULL);
		assert_contains(got, i < 2 ? " alert - {}" : " audit - {}");
		free(got);
	}
}

static void test_one_trailing_newline_is_stripped_and_nothing_else(void **state)
{
	struct fx *f = *state;
	char *got;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	open_sink(f);
	put(f, "{\"a\":1}\n", LOG_ALERT);
	put(f, "{\"b\":2}", LOG_ALERT);
	assert_int_equal(flush(f), 0);
	got = recv_dgram(f->rx, NULL);
	assert_string_equal(strstr(got, " - {"), " - {\"a\":1}");
	free(got);
	got = recv_dgram(f->rx, NULL);
	assert_string_equal(strstr(got, " - {"), " - {\"b\":2}");
	free(got);
}

static void test_local_format_is_what_syslog3_sends(void **state)
{
	struct fx *f = *state;
	char *tz = getenv("TZ") ? strdup(getenv("TZ")) : NULL;
	char want[128];

	setenv("TZ", "UTC", 1);
	tzset();
	f->rx = bind_unix(f->path, SOCK_DGRAM);
	f->cfg.format = PA_SYSLOG_LOCAL;
	open_sink(f);
	put(f, "{\"a\":1}\n", LOG_ALERT);
	assert_int_equal(flush(f), 0);
	tz ? setenv("TZ", tz, 1) : unsetenv("TZ");
	tzset();
	free(tz);
	snprintf(want, sizeof(want), "<81>Mar  5 06:07:08 phiauditd[%d]: {\"a\":1}", (int)getpid());
	expect_dgram(f->rx, want);
}

/* ---- header fields ---- */

static void test_hostname_is_sanitised_to_printable_ascii_without_spaces(void **state)
{
	struct fx *f = *state;
	char *got;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	f->cfg.hostname = "db 01\tµ\x7f.x";
	f->cfg.app_name = "phi audit";
	open_sink(f);
	put(f, "{}", LOG_ALERT);
	assert_int_equal(flush(f), 0);
	got = recv_dgram(f->rx, NULL);
	assert_contains(got, "Z db_01____.x phi_audit "); /* \t, µ (2 bytes), DEL */
	free(got);
}

static void test_hostname_and_app_name_are_cut_to_rfc5424_lengths(void **state)
{
	struct fx *f = *state;
	char host[301], app[61], want[320];
	char *got;

	memset(host, 'h', 300);
	host[300] = '\0';
	memset(app, 'a', 60);
	app[60] = '\0';
	f->rx = bind_unix(f->path, SOCK_DGRAM);
	f->cfg.hostname = host;
	f->cfg.app_name = app;
	open_sink(f);
	put(f, "{}", LOG_ALERT);
	assert_int_equal(flush(f), 0);
	got = recv_dgram(f->rx, NULL);
	snprintf(want, sizeof(want), "Z %.255s %.48s %d ", host, app, (int)getpid());
	assert_contains(got, want);
	free(got);
}

static void test_empty_hostname_and_app_name_are_the_nil_value(void **state)
{
	struct fx *f = *state;
	char want[64], *got;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	f->cfg.hostname = "";
	f->cfg.app_name = "";
	open_sink(f);
	put(f, "{}", LOG_ALERT);
	assert_int_equal(flush(f), 0);
	got = recv_dgram(f->rx, NULL);
	snprintf(want, sizeof(want), "Z - - %d alert - {}", (int)getpid());
	assert_contains(got, want);
	free(got);
}

static void test_hostname_defaults_to_gethostname(void **state)
{
	struct fx *f = *state;
	char host[256] = "", want[300], *got;

	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	for (char *c = host; *c; c++)
		if (*c <= ' ' || *c >= 0x7f)
			*c = '_';
	f->rx = bind_unix(f->path, SOCK_DGRAM);
	f->cfg.hostname = NULL;
	open_sink(f);
	put(f, "{}", LOG_ALERT);
	assert_int_equal(flush(f), 0);
	got = recv_dgram(f->rx, NULL);
	snprintf(want, sizeof(want), "Z %s phiauditd ", host[0] ? host : "-");
	assert_contains(got, want);
	free(got);
}

/* ---- message size ---- */

static void test_record_longer_than_max_message_bytes_is_cut_at_a_character(void **state)
{
	struct fx *f = *state;
	char hdr[128], rec[1001], *got;
	size_t len, hlen;

	hlen = (size_t)snprintf(hdr, sizeof(hdr), "<81>1 2024-03-05T06:07:08.123456Z db01 "
				"phiauditd %d alert - ", (int)getpid());
	memset(rec, 'x', 1000);
	rec[1000] = '\0';
	memcpy(rec + 600 - hlen - 1, "é", 2); /* bytes 599 and 600 of the message */
	f->rx = bind_unix(f->path, SOCK_DGRAM);
	f->cfg.max_message_bytes = 600;
	open_sink(f);
	put(f, rec, LOG_ALERT);
	assert_int_equal(flush(f), 0);
	got = recv_dgram(f->rx, &len);
	assert_int_equal(len, 599); /* the "é" left out whole */
	assert_memory_equal(got, hdr, hlen);
	assert_true(unit_valid_utf8((unsigned char *)got, len));
	assert_int_equal(stats(f).truncated, 1);
	assert_int_equal(f->s->records, 1);
	assert_int_equal(f->s->write_errors, 0);
	free(got);
}

static void test_default_max_message_is_rsyslogs_8096_bytes(void **state)
{
	struct fx *f = *state;
	size_t len;
	char *got;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	open_sink(f);
	put_n(f, 0, 9000);
	assert_int_equal(flush(f), 0);
	got = recv_dgram(f->rx, &len);
	assert_int_equal(len, 8096);
	assert_int_equal(rec_n(got, len), 0);
	assert_int_equal(stats(f).truncated, 1);
	free(got);
}

/*
 * A receiver that cuts an oversized frame reads its tail as a message of
 * its own (rsyslog's imtcp does), and the tail of a record is a file name
 * anyone can choose. Cut by the sink, the frame's count stays true.
 */
static void test_long_record_cannot_smuggle_a_message_into_a_tcp_stream(void **state)
{
	static const char forged[] = "<81>1 2030-01-01T00:00:00Z forged x 1 alert - {}";
	struct fx *f = *state;
	struct msgs m = { 0 };
	char rec[2000], *buf = NULL;
	size_t len = 0, cap = 0;

	memset(rec, 'a', sizeof(rec));
	memcpy(rec, "{\"path\":\"", 9);
	memcpy(rec + 1000, forged, sizeof(forged) - 1);
	memcpy(rec + sizeof(rec) - 2, "\"}", 2);
	f->lfd = tcp_listen(f);
	f->cfg.max_message_bytes = 1000;
	open_sink(f);
	f->s->ops->write(f->s, rec, sizeof(rec), 0, LOG_ALERT);
	put(f, "{\"next\":1}", LOG_ALERT);
	flush_until_connected(f, 1);
	f->rx = accept_one(f->lfd);
	drain(f, 0, &buf, &len, &cap);
	assert_int_equal(split_frames(buf, len, &m), len);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.v[0].len, 1000);
	assert_null(memmem(m.v[0].p, m.v[0].len, "forged", 6));
	assert_memory_equal(m.v[1].p + m.v[1].len - 10, "{\"next\":1}", 10);
	free(m.v);
	free(buf);
}

/* ---- which records ---- */

static void test_zeroed_config_sends_alerts_only_as_authpriv(void **state)
{
	struct fx *f = *state;
	char *got;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	memset(&f->cfg, 0, sizeof(f->cfg));
	f->cfg.target = f->target;
	open_sink(f);
	assert_int_equal(put(f, "{\"info\":1}", LOG_INFO), 0);
	assert_int_equal(put(f, "{\"alert\":1}", LOG_ALERT), 0);
	assert_int_equal(flush(f), 0);
	got = recv_dgram(f->rx, NULL);
	assert_int_equal(strncmp(got, "<81>1 ", 6), 0);
	assert_contains(got, " phiauditd ");
	assert_contains(got, "{\"alert\":1}");
	free(got);
	assert_no_dgram(f->rx);
}

static void test_records_above_max_severity_are_ignored_and_not_counted(void **state)
{
	struct fx *f = *state;
	struct pa_syslog_stats st;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	f->cfg.max_severity = LOG_WARNING;
	open_sink(f);
	assert_int_equal(put(f, "{}", LOG_NOTICE), 0);
	assert_int_equal(put(f, "{}", LOG_INFO), 0);
	assert_int_equal(put(f, "{}", LOG_DEBUG), 0);
	assert_int_equal(put(f, "{\"w\":1}", LOG_WARNING), 0);
	assert_int_equal(flush(f), 0);
	st = stats(f);
	assert_int_equal(st.queued, 1);
	assert_int_equal(st.sent, 1);
	assert_int_equal(f->s->write_errors, 0);
	assert_int_equal(f->s->last_error, 0);
	free(recv_dgram(f->rx, NULL));
	assert_no_dgram(f->rx);
}

static void test_a_severity_that_is_not_one_is_refused_and_counted(void **state)
{
	struct fx *f = *state;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	open_sink(f);
	assert_int_equal(put(f, "{}", 8), -EINVAL);
	assert_int_equal(put(f, "{}", -1), -EINVAL);
	assert_int_equal(f->s->write_errors, 2);
	assert_int_equal(f->s->last_error, EINVAL);
	assert_int_equal(stats(f).queued, 0);
}

/* ---- unix datagrams ---- */

static void test_unix_datagram_carries_one_message_per_datagram_in_order(void **state)
{
	struct fx *f = *state;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	open_sink(f);
	for (int i = 0; i < 5; i++)
		assert_int_equal(put_n(f, i, 100), 0);
	assert_int_equal(flush(f), 0);
	for (int i = 0; i < 5; i++) {
		size_t len;
		char *got = recv_dgram(f->rx, &len);

		assert_int_equal(rec_n(got, len), i);
		assert_int_not_equal(got[len - 1], '\n');
		free(got);
	}
	assert_no_dgram(f->rx);
	assert_int_equal(f->s->records, 5);
	assert_int_equal(stats(f).connects, 1);
	assert_accounted(f);
}

static void test_missing_socket_path_opens_and_records_wait_counted(void **state)
{
	struct fx *f = *state;
	struct pa_syslog_stats st;

	open_sink(f);
	st = stats(f);
	assert_int_equal(st.send_errors, 1);
	assert_int_equal(st.last_error, ENOENT);
	assert_int_equal(put(f, "{\"a\":1}", LOG_ALERT), 0);
	assert_int_equal(put(f, "{\"b\":2}", LOG_ALERT), 0);
	assert_int_equal(flush(f), -EAGAIN); /* waiting for the retry time */
	st = stats(f);
	assert_int_equal(st.pending, 2);
	assert_int_equal(st.sent, 0);
	assert_int_equal(st.connects, 0);
	assert_int_equal(f->s->records, 0);
	assert_int_equal(f->s->last_error, ENOENT);
	assert_accounted(f);
}

static void test_missing_socket_records_go_once_the_path_is_bound(void **state)
{
	struct fx *f = *state;

	open_sink(f);
	put(f, "{\"a\":1}", LOG_ALERT);
	put(f, "{\"b\":2}", LOG_ALERT);
	f->rx = bind_unix(f->path, SOCK_DGRAM);
	f->mono += 100 * NS_MS;
	assert_int_equal(flush(f), 0);
	expect_dgram_with(f->rx, "{\"a\":1}");
	expect_dgram_with(f->rx, "{\"b\":2}");
	assert_int_equal(stats(f).pending, 0);
	assert_int_equal(f->s->records, 2);
	assert_accounted(f);
}

static void test_retries_back_off_from_100ms_doubling_to_30s(void **state)
{
	static const int64_t delays_ms[] = { 100, 200, 400, 800, 1600, 3200, 6400,
					     12800, 25600, 30000, 30000 };
	struct fx *f = *state;
	int64_t last = f->mono;

	open_sink(f); /* attempt 1, at MONO_T0 */
	put(f, "{}", LOG_ALERT);
	for (size_t i = 0; i < ARRAY_LEN(delays_ms); i++) {
		uint64_t errors = stats(f).send_errors;

		f->mono = last + delays_ms[i] * NS_MS - 1;
		assert_int_equal(flush(f), -EAGAIN);
		assert_int_equal(stats(f).send_errors, errors);
		f->mono = last + delays_ms[i] * NS_MS;
		assert_int_equal(flush(f), -ENOENT);
		assert_int_equal(stats(f).send_errors, errors + 1);
		last = f->mono;
	}
}

static void test_backoff_is_back_to_100ms_once_a_message_went_through(void **state)
{
	struct fx *f = *state;

	open_sink(f);			  /* fails: retry after 100 ms */
	put(f, "{}", LOG_ALERT);
	f->mono += 100 * NS_MS;
	assert_int_equal(flush(f), -ENOENT); /* fails: retry after 200 ms */
	f->rx = bind_unix(f->path, SOCK_DGRAM);
	f->mono += 200 * NS_MS;
	assert_int_equal(flush(f), 0);
	free(recv_dgram(f->rx, NULL));
	close(f->rx); /* the daemon goes away: its socket refuses */
	unlink(f->path);
	f->rx = bind_unix(f->path, SOCK_DGRAM); /* and comes back */
	put(f, "{}", LOG_ALERT);
	assert_int_equal(flush(f), -ECONNREFUSED);
	f->mono += 100 * NS_MS;
	assert_int_equal(flush(f), 0);
}

static void test_restarted_syslog_daemon_gets_the_message_its_old_socket_refused(void **state)
{
	struct fx *f = *state;
	struct pa_syslog_stats st;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	open_sink(f);
	put(f, "{\"before\":1}", LOG_ALERT);
	assert_int_equal(flush(f), 0);
	free(recv_dgram(f->rx, NULL));
	close(f->rx);
	unlink(f->path);
	f->rx = bind_unix(f->path, SOCK_DGRAM);
	put(f, "{\"after\":1}", LOG_ALERT);
	assert_int_equal(flush(f), -ECONNREFUSED);
	f->mono += 100 * NS_MS;
	assert_int_equal(flush(f), 0);
	expect_dgram_with(f->rx, "{\"after\":1}");
	st = stats(f);
	assert_int_equal(st.connects, 2);
	assert_int_equal(st.disconnects, 1);
	assert_int_equal(f->s->write_errors, 0);
	assert_accounted(f);
}

static void test_full_queue_drops_the_oldest_and_counts_them(void **state)
{
	struct fx *f = *state;
	struct pa_syslog_stats st;
	size_t one;

	open_sink(f); /* nothing bound: everything waits */
	put_n(f, 0, 200);
	one = stats(f).pending_bytes;
	f->s->ops->close(f->s);
	f->cfg.queue_max_bytes = 3 * one; /* room for three messages */
	open_sink(f);
	for (int i = 0; i < 5; i++)
		assert_int_equal(put_n(f, i, 200), 0);
	st = stats(f);
	assert_int_equal(st.pending, 3);
	assert_int_equal(st.dropped_overflow, 2);
	assert_int_equal(f->s->write_errors, 2);
	assert_int_equal(f->s->last_error, ENOBUFS);
	f->rx = bind_unix(f->path, SOCK_DGRAM);
	f->mono += 100 * NS_MS;
	assert_int_equal(flush(f), 0);
	for (int i = 2; i < 5; i++) {
		size_t len;
		char *got = recv_dgram(f->rx, &len);

		assert_int_equal(rec_n(got, len), i);
		free(got);
	}
	assert_accounted(f);
}

static void test_record_bigger_than_the_queue_bound_is_dropped_as_oversize(void **state)
{
	struct fx *f = *state;
	struct pa_syslog_stats st;

	f->cfg.queue_max_bytes = 1000;
	open_sink(f);
	assert_int_equal(put_n(f, 0, 100), 0);
	assert_int_equal(put_n(f, 1, 2000), -EMSGSIZE);
	st = stats(f);
	assert_int_equal(st.dropped_oversize, 1);
	assert_int_equal(st.dropped_overflow, 0);
	assert_int_equal(st.pending, 1); /* the queue was not emptied for it */
	assert_int_equal(f->s->last_error, EMSGSIZE);
	assert_accounted(f);
}

static void test_datagrams_the_receiver_has_no_room_for_stay_queued(void **state)
{
	struct fx *f = *state;
	char *got = NULL;
	int n = 0;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	open_sink(f);
	for (int i = 0; i < 2000; i++)
		put_n(f, i, 300);
	assert_int_equal(flush(f), -EAGAIN);
	assert_true(stats(f).pending > 0);
	for (int64_t deadline = now_ms() + WAIT_MS; n < 2000; within(deadline)) {
		size_t len;

		while (n < 2000 && recv(f->rx, NULL, 0, MSG_DONTWAIT | MSG_PEEK) >= 0) {
			got = recv_dgram(f->rx, &len);
			assert_int_equal(rec_n(got, len), n++);
			free(got);
		}
		flush(f);
	}
	assert_int_equal(stats(f).dropped_overflow, 0);
	assert_int_equal(f->s->records, 2000);
	assert_accounted(f);
}

/* ---- streams ---- */

static void test_tcp_frames_each_message_with_its_octet_count(void **state)
{
	struct fx *f = *state;
	struct msgs m = { 0 };
	char *buf = NULL, want[128], count[32];
	size_t len = 0, cap = 0;

	f->lfd = tcp_listen(f);
	open_sink(f);
	put(f, "{\"a\":1}\n", LOG_ALERT);
	put(f, "{\"bb\":22}\n", LOG_ALERT);
	flush_until_connected(f, 1);
	f->rx = accept_one(f->lfd);
	assert_int_equal(flush(f), 0);
	read_exactly(f->rx, stats(f).wire_bytes, &buf, &len, &cap);
	assert_int_equal(split_frames(buf, len, &m), len);
	assert_int_equal(m.n, 2);
	snprintf(want, sizeof(want), "<81>1 2024-03-05T06:07:08.123456Z db01 phiauditd %d alert - "
		 "{\"a\":1}", (int)getpid());
	assert_int_equal(m.v[0].len, strlen(want));
	assert_memory_equal(m.v[0].p, want, strlen(want));
	snprintf(count, sizeof(count), "%zu <81>1 ", strlen(want));
	assert_memory_equal(buf, count, strlen(count));
	assert_memory_equal(m.v[1].p + m.v[1].len - 9, "{\"bb\":22}", 9);
	assert_int_equal(f->s->bytes, len);
	free(m.v);
	free(buf);
}

static void test_unix_stream_frames_each_message_with_its_octet_count(void **state)
{
	struct fx *f = *state;
	struct msgs m = { 0 };
	char *buf = NULL;
	size_t len = 0, cap = 0;

	f->lfd = bind_unix(f->path, SOCK_STREAM);
	snprintf(f->target, sizeof(f->target), "unix-stream:%s", f->path);
	open_sink(f);
	for (int i = 0; i < 3; i++)
		put_n(f, i, 50 + 400 * i);
	assert_int_equal(flush(f), 0);
	f->rx = accept_one(f->lfd);
	read_exactly(f->rx, stats(f).wire_bytes, &buf, &len, &cap);
	assert_int_equal(split_frames(buf, len, &m), len);
	assert_int_equal(m.n, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rec_n(m.v[i].p, m.v[i].len), i);
	free(m.v);
	free(buf);
}

/*
 * Write until the socket takes no more (the receiver is not reading), then
 * @extra records more, flushing after each. Returns the next record number.
 */
static int fill_socket(struct fx *f, int n, int extra, size_t size)
{
	int full = 0;

	for (int i = 0; i < 100000 && extra > 0; i++) {
		put_n(f, n++, size);
		if (flush(f) == -EAGAIN && stats(f).connects == 1)
			full = 1;
		extra -= full;
	}
	assert_true(full);
	return n;
}

static void test_tcp_receiver_not_reading_keeps_the_bound_and_the_newest(void **state)
{
	struct fx *f = *state;
	struct pa_syslog_stats st;
	struct msgs m = { 0 };
	char *buf = NULL;
	size_t len = 0, cap = 0, bound = 64 << 10, rec = 1000;
	int next, missing = 0;

	f->lfd = tcp_listen(f);
	f->cfg.queue_max_bytes = bound;
	open_sink(f);
	put_n(f, 0, rec);
	flush_until_connected(f, 1);
	f->rx = accept_one(f->lfd);
	next = fill_socket(f, 1, 3 * (int)(bound / rec), rec);
	st = stats(f);
	assert_true(st.dropped_overflow > 0);
	assert_true(st.pending_bytes <= bound);
	assert_accounted(f);
	drain(f, 0, &buf, &len, &cap);
	assert_int_equal(split_frames(buf, len, &m), len);
	assert_int_equal(m.n, stats(f).sent);
	assert_int_equal(rec_n(m.v[m.n - 1].p, m.v[m.n - 1].len), next - 1); /* the newest */
	for (size_t i = 1; i < m.n; i++) {
		int gap = rec_n(m.v[i].p, m.v[i].len) - rec_n(m.v[i - 1].p, m.v[i - 1].len) - 1;

		assert_true(gap >= 0);
		missing += gap;
	}
	assert_int_equal(missing, stats(f).dropped_overflow);
	assert_accounted(f);
	free(m.v);
	free(buf);
}

/* Connected over TCP to a receiver that has read everything sent so far. */
static void tcp_connected(struct fx *f)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;

	f->lfd = tcp_listen(f);
	open_sink(f);
	put(f, "{\"first\":1}", LOG_ALERT);
	flush_until_connected(f, 1);
	f->rx = accept_one(f->lfd);
	assert_int_equal(flush(f), 0);
	read_exactly(f->rx, stats(f).wire_bytes, &buf, &len, &cap);
	free(buf);
}

/* The receiver, having read everything, closes its end; returns once
 * the sink's socket has seen the FIN, so the next flush finds it. */
static void receiver_closes(struct fx *f)
{
	int lport = port_of(f->rx, 1), rport = port_of(f->rx, 0);
	int64_t deadline = now_ms() + WAIT_MS;

	close(f->rx);
	f->rx = -1;
	while (tcp_state(lport, rport) != TCP_CLOSE_WAIT) {
		within(deadline);
		sleep_ms(1);
	}
}

static void test_tcp_reconnects_once_the_backoff_has_passed_after_a_close(void **state)
{
	struct fx *f = *state;
	struct msgs m = { 0 };
	char *buf = NULL;
	size_t len = 0, cap = 0;
	uint64_t wire;

	tcp_connected(f);
	receiver_closes(f);
	put(f, "{\"second\":2}", LOG_ALERT);
	assert_int_equal(flush(f), -EPIPE);
	assert_int_equal(stats(f).disconnects, 1);
	assert_int_equal(stats(f).pending, 1);
	f->mono += 100 * NS_MS - 1;
	assert_int_equal(flush(f), -EAGAIN);
	assert_int_equal(stats(f).connects, 1);
	f->mono += 1;
	wire = stats(f).wire_bytes;
	flush_until_connected(f, 2);
	f->rx = accept_one(f->lfd);
	assert_int_equal(flush(f), 0);
	read_exactly(f->rx, stats(f).wire_bytes - wire, &buf, &len, &cap);
	assert_int_equal(split_frames(buf, len, &m), len);
	assert_int_equal(m.n, 1);
	assert_memory_equal(m.v[0].p + m.v[0].len - 12, "{\"second\":2}", 12);
	assert_accounted(f);
	free(m.v);
	free(buf);
}

static void test_tcp_message_cut_by_a_disconnect_is_sent_again_whole(void **state)
{
	struct fx *f = *state;
	struct msgs m = { 0 };
	char *buf = NULL;
	size_t len = 0, cap = 0, used = 0, rec = 3001;
	int next = 1, cut;
	uint64_t wire;

	f->lfd = tcp_listen(f);
	open_sink(f);
	put_n(f, 0, rec);
	flush_until_connected(f, 1);
	f->rx = accept_one(f->lfd);
	/* fill the socket, then read all it took, until that ends mid-frame */
	for (int tries = 0; used == len; tries++) {
		assert_true(tries < 20);
		next = fill_socket(f, next, 1, rec);
		read_exactly(f->rx, stats(f).wire_bytes - len, &buf, &len, &cap);
		m.n = 0;
		used = split_frames(buf, len, &m);
	}
	cut = rec_n(m.v[m.n - 1].p, m.v[m.n - 1].len) + 1;
	assert_int_equal(m.n, stats(f).sent);
	receiver_closes(f);
	assert_int_equal(flush(f), -EPIPE);
	f->mono += 100 * NS_MS;
	wire = stats(f).wire_bytes;
	flush_until_connected(f, 2);
	f->rx = accept_one(f->lfd);
	len = 0;
	drain(f, wire, &buf, &len, &cap);
	m.n = 0;
	assert_int_equal(split_frames(buf, len, &m), len);
	for (size_t i = 0; i < m.n; i++)
		assert_int_equal(rec_n(m.v[i].p, m.v[i].len), cut + (int)i);
	assert_int_equal(cut + (int)m.n, next);
	assert_int_equal(f->s->records, (uint64_t)next);
	assert_accounted(f);
	free(m.v);
	free(buf);
}

static void test_tcp_refused_connection_is_retried_and_counted(void **state)
{
	struct fx *f = *state;
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct pa_syslog_stats st;
	int port, one = 1;

	f->lfd = tcp_listen(f);
	port = port_of(f->lfd, 0);
	close(f->lfd); /* nobody listens there now */
	f->lfd = -1;
	open_sink(f);
	put(f, "{}", LOG_ALERT);
	for (int64_t deadline = now_ms() + WAIT_MS; stats(f).send_errors == 0; within(deadline)) {
		flush(f);
		sleep_ms(1);
	}
	st = stats(f);
	assert_int_equal(st.last_error, ECONNREFUSED);
	assert_int_equal(st.pending, 1);
	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(f->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_port = htons((uint16_t)port);
	if (bind(f->lfd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		skip(); /* someone else took the port meanwhile */
	assert_int_equal(listen(f->lfd, 8), 0);
	f->mono += 100 * NS_MS;
	flush_until_connected(f, 1);
	for (int64_t deadline = now_ms() + WAIT_MS; stats(f).pending; within(deadline))
		flush(f);
	f->rx = accept_one(f->lfd);
	assert_int_equal(f->s->records, 1);
	assert_accounted(f);
}

/* ---- udp ---- */

static void test_udp_carries_one_message_per_datagram_unframed(void **state)
{
	struct fx *f = *state;
	char want[160];
	int port;

	f->rx = bind_loopback(AF_INET, SOCK_DGRAM, &port);
	snprintf(f->target, sizeof(f->target), "udp:127.0.0.1:%d", port);
	open_sink(f);
	put(f, "{\"a\":1}\n", LOG_ALERT);
	put(f, "{\"b\":2}\n", LOG_ALERT);
	assert_int_equal(flush(f), 0);
	snprintf(want, sizeof(want), "<81>1 2024-03-05T06:07:08.123456Z db01 phiauditd %d alert - "
		 "{\"a\":1}", (int)getpid());
	expect_dgram(f->rx, want);
	want[strlen(want) - 7] = '\0';
	strcat(want, "{\"b\":2}");
	expect_dgram(f->rx, want);
}

static void test_udp_ipv6_address_in_brackets(void **state)
{
	struct fx *f = *state;
	int port;

	f->rx = bind_loopback(AF_INET6, SOCK_DGRAM, &port);
	if (f->rx < 0)
		skip(); /* no IPv6 loopback here */
	snprintf(f->target, sizeof(f->target), "udp:[::1]:%d", port);
	open_sink(f);
	put(f, "{\"v6\":1}", LOG_ALERT);
	assert_int_equal(flush(f), 0);
	expect_dgram_with(f->rx, " alert - {\"v6\":1}");
}

static void test_udp_datagram_too_big_to_carry_is_dropped_and_the_next_sent(void **state)
{
	struct fx *f = *state;
	struct pa_syslog_stats st;
	size_t len;
	char *got;
	int port;

	f->rx = bind_loopback(AF_INET, SOCK_DGRAM, &port);
	snprintf(f->target, sizeof(f->target), "udp:127.0.0.1:%d", port);
	f->cfg.max_message_bytes = 100000;
	open_sink(f);
	assert_int_equal(put_n(f, 0, 70000), 0); /* UDP/IPv4 carries 65507 at most */
	assert_int_equal(put_n(f, 1, 100), 0);
	assert_int_equal(flush(f), 0);
	got = recv_dgram(f->rx, &len);
	assert_int_equal(rec_n(got, len), 1);
	free(got);
	st = stats(f);
	assert_int_equal(st.dropped_oversize, 1);
	assert_int_equal(st.sent, 1);
	assert_int_equal(f->s->write_errors, 1);
	assert_int_equal(f->s->last_error, EMSGSIZE);
	assert_accounted(f);
}

/* ---- configuration ---- */

#define A10 "aaaaaaaaaa"
#define A100 A10 A10 A10 A10 A10 A10 A10 A10 A10 A10

static void test_bad_targets_are_refused_quoting_the_value(void **state)
{
	static const struct {
		const char *target, *says;
	} cases[] = {
		{ "", "expected unix:PATH" },
		{ "dev/log", "expected unix:PATH" },
		{ "file:/var/log/x", "unknown scheme \"file\"" },
		{ "unix:dev/log", "\"dev/log\" is not absolute" },
		{ "unix:/" A100 A10 "/log", "longer than 107 bytes" },
		{ "tcp:localhost", "no port" },
		{ "tcp:localhost:", "port \"\" is not a number from 1 to 65535" },
		{ "tcp:localhost:0", "port \"0\"" },
		{ "udp:localhost:65536", "port \"65536\"" },
		{ "udp:localhost:514x", "port \"514x\"" },
		{ "tcp:localhost:syslog", "port \"syslog\"" },
		{ "tcp::514", "the host is empty" },
		{ "tcp:[]:514", "the host is empty" },
		{ "tcp:::1:514", "IPv6 address goes in brackets" },
		{ "tcp:[::1:514", "expected [ADDRESS]:PORT" },
		{ "udp:[::1]514", "expected [ADDRESS]:PORT" },
	};
	struct fx *f = *state;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char quoted[256];

		f->cfg.target = cases[i].target;
		f->err[0] = '\0';
		f->s = pa_sink_syslog_open(&f->cfg, f->err, sizeof(f->err));
		if (f->s)
			fail_msg("target \"%s\" was accepted", cases[i].target);
		snprintf(quoted, sizeof(quoted), "syslog target \"%s\": ", cases[i].target);
		assert_contains(f->err, quoted);
		assert_contains(f->err, cases[i].says);
	}
}

static void test_unresolvable_host_is_refused_naming_it(void **state)
{
	struct fx *f = *state;

	f->cfg.target = "tcp:no-such-host.invalid:514";
	assert_null(pa_sink_syslog_open(&f->cfg, f->err, sizeof(f->err)));
	assert_contains(f->err, "\"tcp:no-such-host.invalid:514\"");
	assert_contains(f->err, "cannot resolve \"no-such-host.invalid\"");
}

static void test_facility_that_is_not_a_LOG_constant_is_refused(void **state)
{
	struct fx *f = *state;

	f->cfg.facility = 10; /* authpriv's number, not LOG_AUTHPRIV */
	assert_null(pa_sink_syslog_open(&f->cfg, f->err, sizeof(f->err)));
	assert_contains(f->err, "facility 10 is not a LOG_* facility constant");
	assert_contains(f->err, "LOG_AUTHPRIV is 80");
	f->cfg.facility = 24 << 3;
	assert_null(pa_sink_syslog_open(&f->cfg, f->err, sizeof(f->err)));
	assert_contains(f->err, "facility 192");
}

static void test_max_severity_beyond_LOG_DEBUG_is_refused(void **state)
{
	struct fx *f = *state;

	f->cfg.max_severity = 8;
	assert_null(pa_sink_syslog_open(&f->cfg, f->err, sizeof(f->err)));
	assert_contains(f->err, "max_severity 8");
}

static void test_max_message_bytes_below_480_is_refused(void **state)
{
	struct fx *f = *state;

	f->cfg.max_message_bytes = 479;
	assert_null(pa_sink_syslog_open(&f->cfg, f->err, sizeof(f->err)));
	assert_contains(f->err, "max_message_bytes 479");
}

static void test_no_target_means_dev_log(void **state)
{
	struct fx *f = *state;

	f->cfg.target = NULL;
	open_sink(f);
	assert_string_equal(f->s->name, "unix:/dev/log");
}

/* ---- lifecycle ---- */

static void test_close_sends_what_is_queued(void **state)
{
	struct fx *f = *state;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	open_sink(f);
	put(f, "{\"last\":1}", LOG_ALERT);
	f->s->ops->close(f->s);
	f->s = NULL;
	expect_dgram_with(f->rx, "{\"last\":1}");
}

static void test_close_tries_once_more_whatever_the_backoff(void **state)
{
	struct fx *f = *state;

	open_sink(f); /* the path is missing: next retry in 100 ms */
	put(f, "{\"last\":1}", LOG_ALERT);
	f->rx = bind_unix(f->path, SOCK_DGRAM);
	f->s->ops->close(f->s);
	f->s = NULL;
	expect_dgram_with(f->rx, "{\"last\":1}");
}

static int count_fds(int *fds, int max)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) && n < max)
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			fds[n++] = atoi(e->d_name);
	closedir(d);
	return n;
}

static void test_the_socket_is_nonblocking_and_close_on_exec(void **state)
{
	struct fx *f = *state;
	int before[256], after[256], nb, na, found = 0;

	f->rx = bind_unix(f->path, SOCK_DGRAM);
	nb = count_fds(before, 256);
	open_sink(f);
	na = count_fds(after, 256);
	for (int i = 0; i < na; i++) {
		int old = 0;

		for (int j = 0; j < nb; j++)
			old |= after[i] == before[j];
		if (old)
			continue;
		found++;
		assert_true(fcntl(after[i], F_GETFD) & FD_CLOEXEC);
		assert_true(fcntl(after[i], F_GETFL) & O_NONBLOCK);
	}
	assert_int_equal(found, 1);
}

static void test_stats_of_another_kind_of_sink_are_zero(void **state)
{
	struct pa_sink *s = pa_sink_memory_new();
	struct pa_syslog_stats st;

	assert_non_null(s);
	memset(&st, 0xff, sizeof(st));
	pa_sink_syslog_stats(s, &st);
	assert_int_equal(st.queued, 0);
	assert_int_equal(st.last_error, 0);
	s->ops->close(s);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_message_is_the_rfc5424_header_then_the_record_as_given),
		T(test_timestamp_is_utc_microseconds_cut_not_rounded),
		T(test_pri_is_the_facility_constant_plus_the_severity),
		T(test_msgid_is_alert_up_to_LOG_ALERT_and_audit_below_it),
		T(test_one_trailing_newline_is_stripped_and_nothing_else),
		T(test_local_format_is_what_syslog3_sends),
		T(test_hostname_is_sanitised_to_printable_ascii_without_spaces),
		T(test_hostname_and_app_name_are_cut_to_rfc5424_lengths),
		T(test_empty_hostname_and_app_name_are_the_nil_value),
		T(test_hostname_defaults_to_gethostname),
		T(test_record_longer_than_max_message_bytes_is_cut_at_a_character),
		T(test_default_max_message_is_rsyslogs_8096_bytes),
		T(test_long_record_cannot_smuggle_a_message_into_a_tcp_stream),
		T(test_zeroed_config_sends_alerts_only_as_authpriv),
		T(test_records_above_max_severity_are_ignored_and_not_counted),
		T(test_a_severity_that_is_not_one_is_refused_and_counted),
		T(test_unix_datagram_carries_one_message_per_datagram_in_order),
		T(test_missing_socket_path_opens_and_records_wait_counted),
		T(test_missing_socket_records_go_once_the_path_is_bound),
		T(test_retries_back_off_from_100ms_doubling_to_30s),
		T(test_backoff_is_back_to_100ms_once_a_message_went_through),
		T(test_restarted_syslog_daemon_gets_the_message_its_old_socket_refused),
		T(test_full_queue_drops_the_oldest_and_counts_them),
		T(test_record_bigger_than_the_queue_bound_is_dropped_as_oversize),
		T(test_datagrams_the_receiver_has_no_room_for_stay_queued),
		T(test_tcp_frames_each_message_with_its_octet_count),
		T(test_unix_stream_frames_each_message_with_its_octet_count),
		T(test_tcp_receiver_not_reading_keeps_the_bound_and_the_newest),
		T(test_tcp_reconnects_once_the_backoff_has_passed_after_a_close),
		T(test_tcp_message_cut_by_a_disconnect_is_sent_again_whole),
		T(test_tcp_refused_connection_is_retried_and_counted),
		T(test_udp_carries_one_message_per_datagram_unframed),
		T(test_udp_ipv6_address_in_brackets),
		T(test_udp_datagram_too_big_to_carry_is_dropped_and_the_next_sent),
		T(test_bad_targets_are_refused_quoting_the_value),
		T(test_unresolvable_host_is_refused_naming_it),
		T(test_facility_that_is_not_a_LOG_constant_is_refused),
		T(test_max_severity_beyond_LOG_DEBUG_is_refused),
		T(test_max_message_bytes_below_480_is_refused),
		T(test_no_target_means_dev_log),
		T(test_close_sends_what_is_queued),
		T(test_close_tries_once_more_whatever_the_backoff),
		T(test_the_socket_is_nonblocking_and_close_on_exec),
		T(test_stats_of_another_kind_of_sink_are_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
