/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The syslog sink: each record becomes one RFC 5424 message
 *
 *   <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - MSG
 *   <81>1 2024-03-05T06:07:08.123456Z db01 phiauditd 4242 alert - {"class_uid":2004,...}
 *
 * sent to the local syslog socket or to a remote rsyslog. Datagram targets
 * carry one message per datagram; stream targets use RFC 6587 octet
 * counting ("LEN SP MSG"). write() only formats and queues; flush() sends
 * what the socket takes now and never blocks; a target that is down is
 * retried with backoff while the queue keeps the newest records.
 */
#ifndef PHIAUDIT_SINK_SYSLOG_H
#define PHIAUDIT_SINK_SYSLOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "sink.h"

enum pa_syslog_format {
	PA_SYSLOG_RFC5424 = 0, /* the default, for rsyslog (imtcp, imudp, omfwd relays) */
	/* "<PRI>Mmm dd hh:mm:ss APP-NAME[PID]: MSG" in local time, what syslog(3)
	 * sends: the only format journald and rsyslog's imuxsock (by default)
	 * parse on /dev/log. */
	PA_SYSLOG_LOCAL,
};

/* Zero means "the default" in every field, so a zeroed struct gives the
 * always-on alert delivery: alerts (and nothing else) to /dev/log. */
struct pa_syslog_config {
	/* "unix:PATH" (datagram; "unix:/dev/log" when NULL), "unix-stream:PATH",
	 * "tcp:HOST:PORT", "udp:HOST:PORT"; HOST may be "[v6 address]". PATH is
	 * absolute. HOST is resolved once, here; every address it has is tried
	 * in turn on reconnects. */
	const char *target;
	/* A LOG_* facility constant (already shifted: LOG_AUTHPRIV is 10 << 3).
	 * 0 (LOG_KERN, which user processes may not use): LOG_AUTHPRIV, since
	 * paths name patients and authpriv logs are private. */
	int facility;
	/* Forward records with severity <= this. LOG_ALERT: alerts only,
	 * LOG_DEBUG: everything. 0: LOG_ALERT (phiaudit emits no LOG_EMERG
	 * records, so 0 and LOG_ALERT select the same records). */
	int max_severity;
	const char *hostname;            /* HOSTNAME; NULL: gethostname() */
	const char *app_name;            /* APP-NAME; NULL: "phiauditd" */
	size_t queue_max_bytes;          /* bound on queued messages; 0: 8 MiB */
	/* The largest message (header and record, not the octet count) the
	 * receiver takes whole; 0: 8096, rsyslog's default maxMessageSize.
	 * A longer record is cut to fit, at a character boundary, and counted
	 * (stats.truncated). Why cut here: rsyslog's imtcp cuts an oversized
	 * octet-counted frame and parses the rest as a new message, so a
	 * record's tail (a file name anyone can choose) would arrive as a
	 * forged syslog message; and an alert must reach syslog even when an
	 * attacker has made its file list long. Raise it with rsyslog's
	 * global(maxMessageSize=...). At least 480 (RFC 5424 6.1). */
	size_t max_message_bytes;
	enum pa_syslog_format format;
	/* Clocks, so tests can pin time: nanoseconds of CLOCK_REALTIME (the
	 * TIMESTAMP) and CLOCK_MONOTONIC (reconnect backoff). NULL:
	 * clock_gettime(). */
	int64_t (*clock_ns)(clockid_t clock, void *arg);
	void *clock_arg;
};

/*
 * Every record accepted by write() is, at any moment, exactly one of:
 * sent, dropped (overflow or oversize) or pending:
 *   queued == sent + dropped_overflow + dropped_oversize + pending.
 * "sent" means handed whole to the kernel: a TCP peer that dies with
 * bytes in flight loses them unseen (RELP exists for that), UDP promises
 * nothing at all, and a message cut by a disconnect is sent again whole,
 * so a receiver may see a broken frame followed by the same message
 * complete (a duplicate rather than a loss).
 */
struct pa_syslog_stats {
	uint64_t queued;           /* records accepted (severity <= max_severity) */
	uint64_t sent;             /* messages handed whole to the socket */
	uint64_t dropped_overflow; /* oldest messages dropped to keep the bound */
	uint64_t dropped_oversize; /* larger than the queue or the transport carries */
	uint64_t send_errors;      /* connects failed and connections lost, each retried
				    * after the backoff (100 ms doubling to 30 s) */
	uint64_t connects;         /* connections made (a datagram socket's too) */
	uint64_t disconnects;      /* made ones lost: peer closed, reset, refused */
	uint64_t pending;          /* messages queued now */
	uint64_t pending_bytes;    /* their bytes, framing included */
	uint64_t wire_bytes;       /* bytes the socket took, partial frames included */
	uint64_t truncated;        /* records cut to max_message_bytes */
	int last_error;            /* errno of the last failure, 0 if none */
};

/* NULL, with a message in @err quoting the bad value, on a bad config.
 * A target that cannot be reached now is not an error: records queue and
 * the stats show why they wait. */
struct pa_sink *pa_sink_syslog_open(const struct pa_syslog_config *c, char *err, size_t errlen);
void pa_sink_syslog_stats(struct pa_sink *s, struct pa_syslog_stats *out);

#endif
