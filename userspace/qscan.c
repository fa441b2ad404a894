// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "qscan.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define CLASS_WITHIN 128 /* "class_uid" comes third: within this many bytes */

static void bad_line(struct pa_qscan *s, const struct pa_qline *l, const char *why)
{
	if (s->bad_lines++ >= PA_QSCAN_MAX_BAD_LINES)
		return;
	if (l->gz)
		fprintf(s->err, "%s: %s: byte %llu (the gzip member there), line %llu of it: %s\n",
			s->prog, l->file, (unsigned long long)l->off, (unsigned long long)l->lineno,
			why);
	else
		fprintf(s->err, "%s: %s: line %llu (byte %llu): %s\n", s->prog, l->file,
			(unsigned long long)l->lineno, (unsigned long long)l->off, why);
}

static struct json_object *parse(struct pa_qscan *s, const struct pa_qline *l, const char *text,
				 size_t len)
{
	struct json_object *o;
	enum json_tokener_error e;
	size_t end;

	json_tokener_reset(s->tok);
	o = json_tokener_parse_ex(s->tok, text, (int)len);
	e = json_tokener_get_error(s->tok);
	end = json_tokener_get_parse_end(s->tok);
	while (end < len && isspace((unsigned char)text[end]))
		end++;
	if (!o || e != json_tokener_success || end != len ||
	    !json_object_is_type(o, json_type_object)) {
		char why[128];

		snprintf(why, sizeof(why), "not a JSON record (%s)",
			 e == json_tokener_continue ? "the line ends inside a value"
			 : e != json_tokener_success ? json_tokener_error_desc(e)
			 : end != len ? "more after the object" : "not an object");
		bad_line(s, l, why);
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* metadata.uid and .sequence, read off the raw line for the gaps:
 * ..."uid":"LOGID-SEQ","sequence":SEQ} (fixed order, records.md). */
static void line_seq(struct pa_qscan *s, const char *text, size_t len, int64_t t)
{
	static const char key[] = "\",\"sequence\":";
	const char *p = memmem(text, len, key, sizeof(key) - 1), *q, *dash;
	uint64_t seq = 0;

	if (!p)
		return;
	for (q = p + sizeof(key) - 1; q < text + len && isdigit((unsigned char)*q); q++)
		seq = seq * 10 + (uint64_t)(*q - '0');
	for (q = p; q > text && q[-1] != '"'; q--)
		;
	dash = memchr(q, '-', (size_t)(p - q));
	pa_qgaps_seq(&s->gaps, q, dash ? (size_t)(dash - q) : 0, seq, t);
}

/* The record in a line: after a syslog header if there is one, without
 * trailing blanks. NULL when there is none (a blank line, or one reported). */
static const char *record_of(struct pa_qscan *s, const struct pa_qline *l, size_t *len)
{
	const char *text = l->text, *b;

	*len = l->len;
	if (*len && text[0] != '{') { /* a syslog header before the record */
		if (!(b = memchr(text, '{', *len))) {
			if (strspn(text, " \t\r") != *len)
				bad_line(s, l, "not JSON");
			return NULL;
		}
		*len -= (size_t)(b - text);
		text = b;
	}
	while (*len && (text[*len - 1] == '\r' || text[*len - 1] == ' ' || text[*len - 1] == '\t'))
		(*len)--;
	if (!*len)
		return NULL;
	/* every line gets this much checking, even one the cheap test would
	 * pass over: a record cut short (a collector's line limit) is said */
	if (text[*len - 1] != '}') {
		bad_line(s, l, "not a JSON record (it does not end with '}': cut short?)");
		return NULL;
	}
	return text;
}

static int on_line(void *ctx, const struct pa_qline *l)
{
	struct pa_qscan *s = ctx;
	struct json_object *o;
	struct pa_qrec r;
	size_t len;
	const char *text = record_of(s, l, &len);
	int64_t t;
	bool agent;
	int rc = 0;

	if (!text)
		return 0;
	t = pa_qline_time_ms(text, len);
	pa_qgaps_line(&s->gaps, t);
	if (!l->gz)
		line_seq(s, text, len, t);
	/* the agent's own records always, for the gaps; a line in an unknown
	 * layout too, since the cheap test cannot judge it */
	agent = t < 0 ||
		memmem(text, len < CLASS_WITHIN ? len : CLASS_WITHIN, "\"class_uid\":6002", 16);
	if ((!agent && !pa_qfilter_quick(s->filter, text, len)) || !(o = parse(s, l, text, len)))
		return 0;
	s->parsed++;
	pa_qrec_from(&r, o);
	pa_qgaps_record(&s->gaps, &r);
	if (pa_qfilter_match(s->filter, &r)) {
		s->matched++;
		rc = s->match(s->ctx, &r, text, len);
	}
	json_object_put(o);
	return rc;
}

static void on_seal(void *ctx, const char *file, const struct pa_seal *seal)
{
	pa_qgaps_seal(&((struct pa_qscan *)ctx)->gaps, seal);
}

static void on_file(void *ctx, const char *file, bool skipped, bool new_source)
{
	if (skipped || new_source)
		pa_qgaps_break(&((struct pa_qscan *)ctx)->gaps);
}

int pa_qscan_run(struct pa_qscan *s, struct pa_qinput *in)
{
	static const struct pa_qinput_ops ops = { on_line, on_seal, on_file };
	int rc;

	pa_qgaps_init(&s->gaps);
	s->tok = json_tokener_new();
	if (!s->tok) {
		fprintf(s->err, "%s: out of memory\n", s->prog);
		return -1;
	}
	in->ops = &ops;
	in->ctx = s;
	rc = pa_qinput_run(in);
	if (s->bad_lines > PA_QSCAN_MAX_BAD_LINES)
		fprintf(s->err, "%s: ... and %llu more lines that are not records\n", s->prog,
			(unsigned long long)(s->bad_lines - PA_QSCAN_MAX_BAD_LINES));
	return rc;
}

void pa_qscan_free(struct pa_qscan *s)
{
	pa_qgaps_free(&s->gaps);
	if (s->tok)
		json_tokener_free(s->tok);
	s->tok = NULL;
}
