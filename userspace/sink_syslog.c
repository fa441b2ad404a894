// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The syslog sink (sink_syslog.h has the message format and the counters).
 *
 * The queue holds whole wire messages (framing included), oldest first:
 *
 *   head ─▶ [msg; head_off bytes of it sent] ─▶ [msg] ─▶ ... ─▶ [msg] ◀─ tail
 *
 * Only the head can be partly sent, and only on a stream. To keep the
 * bound, write() drops the oldest messages, but never a partly sent head
 * (the stream's framing would break), so the queue can pass its bound by
 * at most that one message.
 *
 * The connection, driven by flush() and the monotonic clock:
 *
 *   DOWN ──(retry time reached)──▶ CONNECTING ──(connected)──▶ UP
 *     ▲                                 │                        │
 *     └───────(failed or lost: retry after the backoff)─────────┘
 *
 * The backoff starts at 100 ms and doubles up to 30 s; it is back to 100 ms
 * once a message has been sent whole. A datagram socket goes through the
 * same states (its connect() is immediate), so a missing /dev/log or a
 * restarted syslog daemon is retried the same way.
 */
#include "sink_syslog.h"

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

#define SL_DEFAULT_TARGET "unix:/dev/log"
#define SL_DEFAULT_QUEUE ((size_t)8 << 20)
#define SL_DEFAULT_MSG_MAX 8096 /* rsyslog 8.2302's maxMessageSize, measured */
#define SL_MIN_MSG_MAX 480      /* RFC 5424 6.1: every receiver takes this much */
#define SL_BACKOFF_MIN_NS 100000000LL   /* 100 ms */
#define SL_BACKOFF_MAX_NS 30000000000LL /* 30 s */
#define SL_MAX_ADDRS 8
#define SL_HOST_MAX 255 /* RFC 5424 6.2.4 */
#define SL_APP_MAX 48   /* RFC 5424 6.2.5 */
#define SL_HDR_MAX 512  /* > "<191>1 " + timestamp + host + app + pid + msgid + " - " */
#define NS 1000000000LL

struct sl_msg {
	struct sl_msg *next;
	size_t len;
	char data[];
};

enum sl_state { SL_DOWN, SL_CONNECTING, SL_UP };

struct sl_addr {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct syslog_sink {
	struct pa_sink base;
	struct pa_syslog_stats st;
	char *target; /* also base.name */
	int socktype;
	struct sl_addr addr[SL_MAX_ADDRS];
	int naddr, cur; /* addresses; the one tried next */
	int fd;
	enum sl_state state;
	int64_t retry_at, backoff; /* monotonic ns */
	int facility, max_severity;
	enum pa_syslog_format format;
	char host[SL_HOST_MAX + 1], app[SL_APP_MAX + 1];
	long pid;
	struct sl_msg *head, *tail;
	size_t head_off; /* bytes of the head already sent */
	size_t qbytes, qmax;
	size_t msg_max; /* header + record, without the octet count */
	int64_t (*clock_ns)(clockid_t clock, void *arg);
	void *clock_arg;
};

static const struct pa_sink_ops syslog_ops;

static int64_t sys_clock_ns(clockid_t clock, void *arg)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

static int64_t now_ns(const struct syslog_sink *y, clockid_t clock)
{
	return y->clock_ns(clock, y->clock_arg);
}

/* ---- target: "scheme:rest", parsed and resolved once, at open ---- */

struct sl_target {
	int local; /* AF_UNIX: path; otherwise host and port */
	int socktype;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char host[256];
	char port[6];
};

static const struct {
	const char *scheme;
	int local, socktype;
} schemes[] = {
	{ "unix", 1, SOCK_DGRAM },
	{ "unix-stream", 1, SOCK_STREAM },
	{ "tcp", 0, SOCK_STREAM },
	{ "udp", 0, SOCK_DGRAM },
};

static int parse_path(const char *target, const char *rest, struct sl_target *t, char *err,
		      size_t errlen)
{
	if (rest[0] != '/') {
		snprintf(err, errlen, "syslog target \"%s\": the socket path \"%s\" is not absolute",
			 target, rest);
		return -EINVAL;
	}
	if (strlen(rest) >= sizeof(t->path)) {
		snprintf(err, errlen, "syslog target \"%s\": the socket path is longer than %zu bytes",
			 target, sizeof(t->path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(t->path, rest);
	return 0;
}

/* A decimal port, 1 to 65535, nothing else (no service names: "514" is
 * clearer in a config than "syslog", and needs no lookup). */
static int parse_port(const char *target, const char *p, struct sl_target *t, char *err,
		      size_t errlen)
{
	size_t n = strspn(p, "0123456789");
	long v = n && n <= 5 && !p[n] ? strtol(p, NULL, 10) : 0;

	if (v < 1 || v > 65535) {
		snprintf(err, errlen, "syslog target \"%s\": port \"%s\" is not a number from 1 to "
			 "65535", target, p);
		return -EINVAL;
	}
	snprintf(t->port, sizeof(t->port), "%ld", v);
	return 0;
}

/* "HOST:PORT" or "[V6]:PORT". A bare IPv6 address is refused: which
 * colon starts the port would be a guess. */
static int parse_host_port(const char *target, const char *rest, struct sl_target *t, char *err,
			   size_t errlen)
{
	const char *host = rest, *end;

	if (*rest == '[') {
		host = rest + 1;
		end = strchr(host, ']');
		if (!end || end[1] != ':') {
			snprintf(err, errlen, "syslog target \"%s\": expected [ADDRESS]:PORT", target);
			return -EINVAL;
		}
	} else {
		end = strrchr(rest, ':');
		if (!end) {
			snprintf(err, errlen, "syslog target \"%s\": no port (HOST:PORT)", target);
			return -EINVAL;
		}
		if (memchr(rest, ':', (size_t)(end - rest))) {
			snprintf(err, errlen, "syslog target \"%s\": an IPv6 address goes in brackets: "
				 "[ADDRESS]:PORT", target);
			return -EINVAL;
		}
	}
	if (end == host || (size_t)(end - host) >= sizeof(t->host)) {
		snprintf(err, errlen, "syslog target \"%s\": the host is %s", target,
			 end == host ? "empty" : "too long");
		return -EINVAL;
	}
	memcpy(t->host, host, (size_t)(end - host));
	t->host[end - host] = '\0';
	return parse_port(target, end + (*rest == '[' ? 2 : 1), t, err, errlen);
}

static int parse_target(const char *target, struct sl_target *t, char *err, size_t errlen)
{
	const char *colon = strchr(target, ':');
	size_t n = colon ? (size_t)(colon - target) : 0;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; colon && i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strlen(schemes[i].scheme) != n || strncmp(target, schemes[i].scheme, n))
			continue;
		t->local = schemes[i].local;
		t->socktype = schemes[i].socktype;
		if (t->local)
			return parse_path(target, colon + 1, t, err, errlen);
		return parse_host_port(target, colon + 1, t, err, errlen);
	}
	if (colon)
		snprintf(err, errlen, "syslog target \"%s\": unknown scheme \"%.*s\" (unix, "
			 "unix-stream, tcp or udp)", target, (int)n, target);
	else
		snprintf(err, errlen, "syslog target \"%s\": expected unix:PATH, unix-stream:PATH, "
			 "tcp:HOST:PORT or udp:HOST:PORT", target);
	return -EINVAL;
}

static void set_unix_addr(struct syslog_sink *y, const struct sl_target *t)
{
	struct sockaddr_un *un = (struct sockaddr_un *)&y->addr[0].sa;

	un->sun_family = AF_UNIX;
	strcpy(un->sun_path, t->path);
	y->addr[0].len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(t->path) + 1);
	y->naddr = 1;
}

/* The one blocking lookup, at open; reconnects cycle through what it found. */
static int resolve(struct syslog_sink *y, const struct sl_target *t, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = t->socktype, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	int rc = getaddrinfo(t->host, t->port, &hints, &res);

	if (rc) {
		snprintf(err, errlen, "syslog target \"%s\": cannot resolve \"%s\": %s", y->target,
			 t->host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	for (ai = res; ai && y->naddr < SL_MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(y->addr[0].sa))
			continue;
		memcpy(&y->addr[y->naddr].sa, ai->ai_addr, ai->ai_addrlen);
		y->addr[y->naddr++].len = ai->ai_addrlen;
	}
	freeaddrinfo(res);
	if (!y->naddr) {
		snprintf(err, errlen, "syslog target \"%s\": \"%s\" has no usable address",
			 y->target, t->host);
		return -EHOSTUNREACH;
	}
	return 0;
}

/* ---- the message ---- */

/*
 * HOSTNAME and APP-NAME (RFC 5424 6.2.4, 6.2.5): 1 to @max printable
 * US-ASCII characters other than space, or "-" when empty. Any other byte
 * becomes '_', so a mangled name still reads as the configured one.
 */
static void header_field(char *dst, size_t max, const char *src)
{
	size_t n = 0;

	for (; src[n] && n < max; n++) {
		unsigned char c = (unsigned char)src[n];

		dst[n] = c > ' ' && c < 0x7f ? (char)c : '_';
	}
	if (!n)
		dst[n++] = '-';
	dst[n] = '\0';
}

static size_t header_5424(const struct syslog_sink *y, char *buf, int severity, int64_t ns)
{
	time_t sec = (time_t)(ns / NS);
	struct tm tm;

	gmtime_r(&sec, &tm);
	return (size_t)snprintf(buf, SL_HDR_MAX,
				"<%d>1 %04d-%02d-%02dT%02d:%02d:%02d.%06ldZ %s %s %ld %s - ",
				y->facility | severity, tm.tm_year + 1900, tm.tm_mon + 1,
				tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
				(long)(ns % NS / 1000), y->host, y->app, y->pid,
				severity <= LOG_ALERT ? "alert" : "audit");
}

/* What syslog(3) sends: local time, no year, no host; the month in English
 * whatever the locale. */
static size_t header_local(const struct syslog_sink *y, char *buf, int severity, int64_t ns)
{
	static const char mon[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t sec = (time_t)(ns / NS);
	struct tm tm;

	localtime_r(&sec, &tm);
	return (size_t)snprintf(buf, SL_HDR_MAX, "<%d>%s %2d %02d:%02d:%02d %s[%ld]: ",
				y->facility | severity, mon[tm.tm_mon], tm.tm_mday, tm.tm_hour,
				tm.tm_min, tm.tm_sec, y->app, y->pid);
}

/* How much of @rec fits in @room bytes without splitting a UTF-8
 * character (a cut record stays valid UTF-8, if no longer valid JSON). */
static size_t fit_utf8(const char *rec, size_t len, size_t room)
{
	if (len <= room)
		return len;
	while (room > 0 && ((unsigned char)rec[room] & 0xc0) == 0x80)
		room--;
	return room;
}

/*
 * One wire message: for a stream the RFC 6587 octet count first
 * ("LEN SP"), then the header, then the record, cut to msg_max. Sets
 * *@total to its length even when it returns NULL (too big for the queue,
 * or no memory).
 */
static struct sl_msg *build_msg(struct syslog_sink *y, const char *rec, size_t len, int severity,
				size_t *total)
{
	char hdr[SL_HDR_MAX], count[24];
	int64_t ns = now_ns(y, CLOCK_REALTIME);
	size_t hlen, clen = 0, whole = len;
	struct sl_msg *m;

	hlen = y->format == PA_SYSLOG_LOCAL ? header_local(y, hdr, severity, ns)
					    : header_5424(y, hdr, severity, ns);
	len = fit_utf8(rec, len, y->msg_max > hlen ? y->msg_max - hlen : 0);
	y->st.truncated += len < whole;
	if (y->socktype == SOCK_STREAM)
		clen = (size_t)snprintf(count, sizeof(count), "%zu ", hlen + len);
	*total = clen + hlen + len;
	if (*total > y->qmax || !(m = malloc(sizeof(*m) + *total)))
		return NULL;
	m->next = NULL;
	m->len = *total;
	memcpy(m->data, count, clen);
	memcpy(m->data + clen, hdr, hlen);
	memcpy(m->data + clen + hlen, rec, len);
	return m;
}

/* ---- the queue ---- */

static void enqueue(struct syslog_sink *y, struct sl_msg *m)
{
	if (y->tail)
		y->tail->next = m;
	else
		y->head = m;
	y->tail = m;
	y->qbytes += m->len;
	y->st.pending++;
}

/* Unlink and free the message after @prev (the head when @prev is NULL). */
static void unlink_msg(struct syslog_sink *y, struct sl_msg *prev)
{
	struct sl_msg *m = prev ? prev->next : y->head;

	if (prev)
		prev->next = m->next;
	else
		y->head = m->next;
	if (y->tail == m)
		y->tail = prev;
	y->qbytes -= m->len;
	y->st.pending--;
	free(m);
}

/* A record that will never be delivered: counted, never silent. */
static void lost(struct syslog_sink *y, uint64_t *counter, int err)
{
	(*counter)++;
	y->base.write_errors++;
	y->base.last_error = err;
	y->st.last_error = err;
}

/* Drop the oldest messages until @need more bytes fit, sparing a partly
 * sent head. */
static void make_room(struct syslog_sink *y, size_t need)
{
	while (y->qbytes + need > y->qmax) {
		struct sl_msg *prev = y->head_off ? y->head : NULL;

		if (!(prev ? prev->next : y->head))
			return;
		unlink_msg(y, prev);
		lost(y, &y->st.dropped_overflow, ENOBUFS);
	}
}

static void delivered(struct syslog_sink *y)
{
	y->st.sent++;
	y->base.records++;
	y->base.bytes += y->head->len;
	y->head_off = 0;
	unlink_msg(y, NULL);
	y->backoff = SL_BACKOFF_MIN_NS;
}

/* ---- the connection ---- */

/* A connect that failed or a connection lost: close, retry after the
 * backoff (on the next address), and send a partly sent head whole again. */
static int conn_down(struct syslog_sink *y, int err)
{
	if (y->fd >= 0)
		close(y->fd);
	y->fd = -1;
	if (y->state == SL_UP)
		y->st.disconnects++;
	y->state = SL_DOWN;
	y->head_off = 0;
	y->st.send_errors++;
	y->st.last_error = y->base.last_error = err;
	y->retry_at = now_ns(y, CLOCK_MONOTONIC) + y->backoff;
	y->backoff = y->backoff * 2 > SL_BACKOFF_MAX_NS ? SL_BACKOFF_MAX_NS : y->backoff * 2;
	y->cur = (y->cur + 1) % y->naddr;
	return -err;
}

static int conn_up(struct syslog_sink *y)
{
	y->state = SL_UP;
	y->st.connects++;
	return 0;
}

/* A non-blocking connect in progress: 0 once up, -EAGAIN while pending. */
static int conn_poll(struct syslog_sink *y)
{
	struct pollfd p = { .fd = y->fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int soerr = 0;

	if (poll(&p, 1, 0) <= 0)
		return -EAGAIN;
	if (getsockopt(y->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
		soerr = errno;
	return soerr ? conn_down(y, soerr) : conn_up(y);
}

static int conn_start(struct syslog_sink *y)
{
	const struct sl_addr *a = &y->addr[y->cur];

	y->fd = socket(a->sa.ss_family, y->socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (y->fd < 0)
		return conn_down(y, errno);
	if (y->socktype == SOCK_STREAM) {
		/* A unix stream takes ~200 KB by default: at one flush a loop
		 * turn that is ~1 MB/s. The kernel caps this at wmem_max. */
		int sndbuf = 4 << 20;

		setsockopt(y->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	}
	if (connect(y->fd, (const struct sockaddr *)&a->sa, a->len) == 0)
		return conn_up(y);
	if (errno != EINPROGRESS && errno != EINTR) /* EAGAIN: a unix listener's backlog is full */
		return conn_down(y, errno);
	y->state = SL_CONNECTING;
	return conn_poll(y);
}

/*
 * A syslog receiver never sends anything, so a readable stream means the
 * peer closed or reset it. Finding that out before sending keeps the
 * records that would go into a dead connection queued (rsyslog's omfwd
 * checks the same way). Anything a peer did send is read and dropped.
 */
static int conn_check(struct syslog_sink *y)
{
	char buf[256];

	for (int i = 0; i < 16; i++) {
		ssize_t n = recv(y->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n == 0)
			return conn_down(y, EPIPE);
		if (n < 0 && errno != EINTR)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : conn_down(y, errno);
	}
	return 0;
}

/* 0 when messages can be sent now; -EAGAIN while connecting or waiting for
 * the retry time; -errno when this attempt failed. */
static int conn_ready(struct syslog_sink *y)
{
	switch (y->state) {
	case SL_UP:
		return y->socktype == SOCK_STREAM ? conn_check(y) : 0;
	case SL_CONNECTING:
		return conn_poll(y);
	case SL_DOWN:
		break;
	}
	if (now_ns(y, CLOCK_MONOTONIC) < y->retry_at)
		return -EAGAIN;
	return conn_start(y);
}

/*
 * Send from the head until the queue is empty (0) or the socket is full
 * (-EAGAIN: what is left stays queued, a partial stream write resumes at
 * its byte). A datagram the transport cannot carry is dropped and counted.
 */
static int send_queue(struct syslog_sink *y)
{
	while (y->head) {
		struct sl_msg *m = y->head;
		ssize_t n = send(y->fd, m->data + y->head_off, m->len - y->head_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS))
			return -EAGAIN;
		if (n < 0 && errno == EMSGSIZE && y->socktype == SOCK_DGRAM) {
			unlink_msg(y, NULL);
			lost(y, &y->st.dropped_oversize, EMSGSIZE);
			continue;
		}
		if (n < 0)
			return conn_down(y, errno);
		y->st.wire_bytes += (uint64_t)n;
		y->head_off += (size_t)n;
		if (y->head_off == m->len)
			delivered(y);
	}
	return 0;
}

/* ---- the sink ---- */

/*
 * Format and queue; never touches the socket. A record above max_severity
 * is not for this sink (0, not counted). -EMSGSIZE: bigger than the whole
 * queue bound; -ENOMEM; -EINVAL: not a syslog severity. All counted.
 */
static int syslog_write(struct pa_sink *s, const char *buf, size_t len, uint64_t seq, int severity)
{
	struct syslog_sink *y = (struct syslog_sink *)s;
	struct sl_msg *m;
	size_t total;

	if (severity < LOG_EMERG || severity > LOG_DEBUG) {
		s->write_errors++;
		s->last_error = y->st.last_error = EINVAL;
		return -EINVAL;
	}
	if (severity > y->max_severity)
		return 0;
	if (len && buf[len - 1] == '\n')
		len--;
	m = build_msg(y, buf, len, severity, &total);
	if (!m && total <= y->qmax) {
		s->write_errors++;
		s->last_error = y->st.last_error = ENOMEM;
		return -ENOMEM;
	}
	y->st.queued++;
	if (!m) {
		lost(y, &y->st.dropped_oversize, EMSGSIZE);
		return -EMSGSIZE;
	}
	make_room(y, m->len);
	enqueue(y, m);
	return 0;
}

/* 0: everything queued was sent. -EAGAIN: some is still queued (socket
 * full, connecting, or waiting to retry). -errno: a connect or send failed
 * now; the records stay queued for the retry. */
static int syslog_flush(struct pa_sink *s)
{
	struct syslog_sink *y = (struct syslog_sink *)s;
	int rc;

	if (!y->head)
		return 0;
	rc = conn_ready(y);
	return rc ? rc : send_queue(y);
}

/* At close: send what the receiver takes within PA_SYSLOG_CLOSE_MS,
 * waiting for the socket to take more, but never longer: the agent is
 * stopping, and every record is in its own log anyway. */
#define PA_SYSLOG_CLOSE_MS 2000

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts); /* the real clock: a test's may stand still */
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void drain_at_close(struct syslog_sink *y)
{
	int64_t until = mono_ms() + PA_SYSLOG_CLOSE_MS;

	while (syslog_flush(&y->base) == -EAGAIN && y->fd >= 0 && y->state == SL_UP) {
		int64_t left = until - mono_ms();
		struct pollfd pfd = { .fd = y->fd, .events = POLLOUT };

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			break;
	}
}

/* One last try, whatever the backoff says; what is still queued then is
 * lost, counted, and said on stderr since nobody can read the stats after. */
static void syslog_close(struct pa_sink *s)
{
	struct syslog_sink *y = (struct syslog_sink *)s;

	if (y->state == SL_DOWN)
		y->retry_at = INT64_MIN;
	drain_at_close(y);
	if (y->st.pending) {
		s->write_errors += y->st.pending;
		pa_warn("syslog %s: records not delivered at close: %llu", y->target,
			(unsigned long long)y->st.pending);
	}
	while (y->head)
		unlink_msg(y, NULL);
	if (y->fd >= 0)
		close(y->fd);
	free(y->target);
	free(y);
}

static const struct pa_sink_ops syslog_ops = {
	.write = syslog_write,
	.flush = syslog_flush,
	.close = syslog_close,
};

/* Facility and severity as the LOG_* constants, 0 for the defaults; a
 * message size a receiver must take. */
static int check_levels(const struct pa_syslog_config *c, char *err, size_t errlen)
{
	if (c->facility < 0 || (c->facility & ~LOG_FACMASK) ||
	    (c->facility >> 3) >= LOG_NFACILITIES) {
		snprintf(err, errlen, "syslog facility %d is not a LOG_* facility constant "
			 "(LOG_AUTHPRIV is %d, LOG_LOCAL0 %d)", c->facility, LOG_AUTHPRIV, LOG_LOCAL0);
		return -EINVAL;
	}
	if (c->max_severity < LOG_EMERG || c->max_severity > LOG_DEBUG) {
		snprintf(err, errlen, "syslog max_severity %d is not a severity (LOG_EMERG %d to "
			 "LOG_DEBUG %d)", c->max_severity, LOG_EMERG, LOG_DEBUG);
		return -EINVAL;
	}
	if (c->max_message_bytes && c->max_message_bytes < SL_MIN_MSG_MAX) {
		snprintf(err, errlen, "syslog max_message_bytes %zu is below %d, what every "
			 "receiver takes (RFC 5424)", c->max_message_bytes, SL_MIN_MSG_MAX);
		return -EINVAL;
	}
	if (c->format != PA_SYSLOG_RFC5424 && c->format != PA_SYSLOG_LOCAL) {
		snprintf(err, errlen, "syslog format %d is unknown", (int)c->format);
		return -EINVAL;
	}
	return 0;
}

static void set_fields(struct syslog_sink *y, const struct pa_syslog_config *c)
{
	char host[HOST_NAME_MAX + 1] = "";

	if (!c->hostname && gethostname(host, sizeof(host)) < 0)
		host[0] = '\0';
	host[HOST_NAME_MAX] = '\0';
	header_field(y->host, SL_HOST_MAX, c->hostname ? c->hostname : host);
	header_field(y->app, SL_APP_MAX, c->app_name ? c->app_name : "phiauditd");
	y->facility = c->facility ? c->facility : LOG_AUTHPRIV;
	y->max_severity = c->max_severity ? c->max_severity : LOG_ALERT;
	y->format = c->format;
	y->qmax = c->queue_max_bytes ? c->queue_max_bytes : SL_DEFAULT_QUEUE;
	y->msg_max = c->max_message_bytes ? c->max_message_bytes : SL_DEFAULT_MSG_MAX;
	y->clock_ns = c->clock_ns ? c->clock_ns : sys_clock_ns;
	y->clock_arg = c->clock_arg;
	y->pid = (long)getpid();
}

struct pa_sink *pa_sink_syslog_open(const struct pa_syslog_config *c, char *err, size_t errlen)
{
	static const struct pa_syslog_config defaults;
	struct syslog_sink *y;
	struct sl_target t;
	const char *target;

	c = c ? c : &defaults;
	target = c->target ? c->target : SL_DEFAULT_TARGET;
	if (check_levels(c, err, errlen) < 0 || parse_target(target, &t, err, errlen) < 0)
		return NULL;
	y = calloc(1, sizeof(*y));
	if (!y || !(y->target = strdup(target))) {
		snprintf(err, errlen, "out of memory");
		free(y);
		return NULL;
	}
	if (!t.local && resolve(y, &t, err, errlen) < 0) {
		free(y->target);
		free(y);
		return NULL;
	}
	if (t.local)
		set_unix_addr(y, &t);
	y->base.ops = &syslog_ops;
	y->base.name = y->target;
	y->socktype = t.socktype;
	y->fd = -1;
	y->backoff = SL_BACKOFF_MIN_NS;
	y->retry_at = INT64_MIN;
	set_fields(y, c);
	conn_ready(y); /* connect now, so the stats say at once why records would wait */
	return &y->base;
}

void pa_sink_syslog_stats(struct pa_sink *s, struct pa_syslog_stats *out)
{
	const struct syslog_sink *y = (const struct syslog_sink *)s;

	memset(out, 0, sizeof(*out));
	if (s->ops != &syslog_ops)
		return;
	*out = y->st;
	out->pending_bytes = y->qbytes;
}
