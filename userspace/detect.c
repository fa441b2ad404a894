// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The bulk-read detector (detect.h). Each subject keeps two rings of
 * PA_DET_BUCKETS buckets (bytes, and files first counted in that bucket)
 * with their running sums, and a small table of the files it has counted
 * with the bucket each was last seen in:
 *
 *   epoch = now / (window / PA_DET_BUCKETS)
 *   ring[epoch % BUCKETS]         the newest bucket
 *   a file is in the window       iff  epoch - file.epoch < BUCKETS
 *
 * Sliding to a later epoch empties the buckets it passes and takes them off
 * the sums, so a check is O(1) and a slide O(BUCKETS) at most.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "detect.h"

#define B PA_DET_BUCKETS

struct det_key {
	uint8_t scope;
	uint64_t a, b, c;
};

struct det_file {
	uint64_t key;	/* hash of (dev, ino); 0: empty slot */
	uint64_t epoch; /* bucket it was last counted in */
};

struct pa_det_subject {
	struct det_key key;
	struct pa_det_subject *chain;	    /* hash chain */
	struct pa_det_subject *prev, *next; /* LRU: least recently active first */
	struct pa_det_subject *aprev, *anext; /* the active list (in an episode) */
	uint64_t epoch;			    /* the newest bucket */
	uint64_t bytes_ring[B];
	uint32_t files_ring[B];
	uint64_t bytes_sum, files_sum;
	struct det_file *ft;		    /* files counted (open addressing) */
	size_t ft_cap, ft_n;
	uint64_t full_epoch;		    /* at its cap in this epoch (+1; 0: not) */
	/* the run of activity since the window was last empty */
	uint64_t run_first_ns, last_ns, run_files, run_bytes;
	struct pa_proc actor;		    /* the latest reader */
	struct pa_proc alert_actor;	    /* whose access crossed */
	uint32_t file_dev;
	uint64_t file_ino;
	char *first_path;
	size_t first_len;
	char *sample[PA_DET_SAMPLE_MAX];    /* ring, newest at sample_head - 1 */
	size_t sample_len[PA_DET_SAMPLE_MAX];
	unsigned sample_head, n_sample;
	/* the episode */
	bool active, crossed_files, crossed_bytes;
	bool files_capped;		    /* some files counted more than once */
	bool run_over;			    /* its episode ended: a new run next */
	uint64_t id, alert_ns;
	const struct pa_det_allow *allowed;
};

struct pa_det_account {
	uint64_t seq, bytes;
	struct pa_det_account *chain;
};

static const char *const scope_names[PA_DET_NSCOPES] = {
	"process", "user", "session", "container", "file",
};

const char *pa_det_scope_name(enum pa_det_scope s)
{
	return (unsigned)s < PA_DET_NSCOPES ? scope_names[s] : "unknown";
}

int pa_det_scope_by_name(const char *name)
{
	for (int i = 0; i < PA_DET_NSCOPES; i++)
		if (!strcmp(name, scope_names[i]))
			return i;
	return -1;
}

#define MiB (1ull << 20)
#define SEC 1000000000ull

void pa_det_config_defaults(struct pa_det_config *c)
{
	static const struct pa_det_limits defaults[PA_DET_NSCOPES] = {
		[PA_DET_PROCESS] = { true, 60 * SEC, 100, 500 * MiB },
		[PA_DET_USER] = { true, 300 * SEC, 200, 1024 * MiB },
		[PA_DET_SESSION] = { true, 300 * SEC, 200, 1024 * MiB },
		[PA_DET_CONTAINER] = { true, 300 * SEC, 500, 2048 * MiB },
		[PA_DET_FILE] = { true, 60 * SEC, 0, 256 * MiB },
	};

	memset(c, 0, sizeof(*c));
	c->enabled = true;
	memcpy(c->scope, defaults, sizeof(defaults));
	c->sample_paths = PA_DET_SAMPLE_MAX;
	c->max_subjects = 16384;
	c->max_files = 262144;
	c->max_accounts = 131072;
}

void pa_det_config_free(struct pa_det_config *c)
{
	for (size_t i = 0; i < c->n_allow; i++) {
		free(c->allow[i].name);
		free(c->allow[i].exe);
		free(c->allow[i].user);
	}
	free(c->allow);
	c->allow = NULL;
	c->n_allow = 0;
}

/* splitmix64's finaliser: cheap, and good enough to spread ids. */
static uint64_t mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t key_hash(const struct det_key *k)
{
	return mix(k->scope ^ mix(k->a ^ mix(k->b ^ mix(k->c))));
}

static bool key_eq(const struct det_key *x, const struct det_key *y)
{
	return x->scope == y->scope && x->a == y->a && x->b == y->b && x->c == y->c;
}

int pa_det_init(struct pa_detector *d, const struct pa_det_config *c, pa_det_emit_fn emit,
		void *ctx)
{
	memset(d, 0, sizeof(*d));
	d->cfg = c;
	d->min_window_ns = UINT64_MAX;
	for (int i = 0; i < PA_DET_NSCOPES; i++)
		if (c->scope[i].enabled && c->scope[i].window_ns < d->min_window_ns)
			d->min_window_ns = c->scope[i].window_ns;
	if (d->min_window_ns == UINT64_MAX)
		d->min_window_ns = 0;
	d->emit = emit;
	d->ctx = ctx;
	d->cap = 1024;
	d->slot = calloc(d->cap, sizeof(*d->slot));
	d->acct_cap = 1024;
	d->acct = calloc(d->acct_cap, sizeof(*d->acct));
	if (!d->slot || !d->acct) {
		free(d->slot);
		free(d->acct);
		return -ENOMEM;
	}
	return 0;
}

/* ---- the LRU list and the subject table */

static void lru_unlink(struct pa_detector *d, struct pa_det_subject *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		d->lru_head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	else
		d->lru_tail = s->prev;
	s->prev = s->next = NULL;
}

static void lru_append(struct pa_detector *d, struct pa_det_subject *s)
{
	s->prev = d->lru_tail;
	s->next = NULL;
	if (d->lru_tail)
		d->lru_tail->next = s;
	else
		d->lru_head = s;
	d->lru_tail = s;
}

/* Subjects in an episode: the tick visits them, not every subject. */
static void active_add(struct pa_detector *d, struct pa_det_subject *s)
{
	s->aprev = NULL;
	s->anext = d->active;
	if (d->active)
		d->active->aprev = s;
	d->active = s;
}

static void active_del(struct pa_detector *d, struct pa_det_subject *s)
{
	if (s->aprev)
		s->aprev->anext = s->anext;
	else
		d->active = s->anext;
	if (s->anext)
		s->anext->aprev = s->aprev;
	s->aprev = s->anext = NULL;
}

static void subject_free(struct pa_detector *d, struct pa_det_subject *s)
{
	struct pa_det_subject **pp = &d->slot[key_hash(&s->key) & (d->cap - 1)];

	while (*pp != s)
		pp = &(*pp)->chain;
	*pp = s->chain;
	lru_unlink(d, s);
	if (s->active)
		active_del(d, s);
	d->files -= s->ft_n;
	d->n--;
	free(s->ft);
	free(s->first_path);
	for (unsigned i = 0; i < PA_DET_SAMPLE_MAX; i++)
		free(s->sample[i]);
	free(s);
}

static void grow_subjects(struct pa_detector *d)
{
	size_t cap = d->cap * 2;
	struct pa_det_subject **slot = calloc(cap, sizeof(*slot));

	if (!slot)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < d->cap; i++) {
		while (d->slot[i]) {
			struct pa_det_subject *s = d->slot[i];
			size_t j = key_hash(&s->key) & (cap - 1);

			d->slot[i] = s->chain;
			s->chain = slot[j];
			slot[j] = s;
		}
	}
	free(d->slot);
	d->slot = slot;
	d->cap = cap;
}

static struct pa_det_subject *subject_find(struct pa_detector *d, const struct det_key *k)
{
	struct pa_det_subject *s = d->slot[key_hash(k) & (d->cap - 1)];

	while (s && !key_eq(&s->key, k))
		s = s->chain;
	return s;
}

static void fill_finding(const struct pa_det_subject *s, enum pa_det_kind kind,
			 const struct pa_det_config *c, struct pa_det_finding *f);

static void end_episode(struct pa_detector *d, struct pa_det_subject *s, uint64_t now_ns,
			enum pa_det_end_reason why)
{
	struct pa_det_finding f;

	fill_finding(s, PA_DET_END, d->cfg, &f);
	f.end_reason = why;
	(void)now_ns;
	d->stats.ended++;
	d->emit(d->ctx, &f);
	s->active = false;
	s->allowed = NULL;
	s->run_over = true; /* the next access starts a new run: its own totals */
	active_del(d, s);
}

/* Make room: the least recently active subject goes (its episode ends). */
static void evict_one(struct pa_detector *d, const struct pa_det_subject *keep, uint64_t now_ns)
{
	struct pa_det_subject *s = d->lru_head;

	if (s == keep)
		s = s->next;
	if (!s)
		return;
	if (s->active)
		end_episode(d, s, now_ns, PA_DET_END_EVICTED);
	d->stats.subjects_evicted++;
	subject_free(d, s);
}

static struct pa_det_subject *subject_get(struct pa_detector *d, const struct det_key *k,
					  uint64_t now_ns)
{
	struct pa_det_subject *s = subject_find(d, k);
	size_t i;

	if (s) {
		lru_unlink(d, s);
		lru_append(d, s);
		return s;
	}
	while (d->n >= d->cfg->max_subjects && d->lru_head)
		evict_one(d, NULL, now_ns);
	s = calloc(1, sizeof(*s));
	if (!s) {
		d->stats.nomem++;
		return NULL;
	}
	s->key = *k;
	if (d->n >= d->cap)
		grow_subjects(d);
	i = key_hash(k) & (d->cap - 1);
	s->chain = d->slot[i];
	d->slot[i] = s;
	lru_append(d, s);
	if (++d->n > d->stats.subjects_peak)
		d->stats.subjects_peak = d->n;
	return s;
}

/* ---- windows */

static uint64_t epoch_of(const struct pa_det_limits *l, uint64_t now_ns)
{
	uint64_t width = l->window_ns / B;

	return now_ns / (width ? width : 1);
}

/* Slide to @epoch: the buckets passed are emptied. Time never goes back
 * here: a report stamped a little earlier (another CPU) counts as now. */
static void slide(struct pa_det_subject *s, uint64_t epoch)
{
	uint64_t steps;

	if (epoch <= s->epoch)
		return;
	steps = epoch - s->epoch;
	if (steps >= B) {
		memset(s->bytes_ring, 0, sizeof(s->bytes_ring));
		memset(s->files_ring, 0, sizeof(s->files_ring));
		s->bytes_sum = s->files_sum = 0;
	} else {
		for (uint64_t e = s->epoch + 1; e <= epoch; e++) {
			s->bytes_sum -= s->bytes_ring[e % B];
			s->files_sum -= s->files_ring[e % B];
			s->bytes_ring[e % B] = 0;
			s->files_ring[e % B] = 0;
		}
	}
	s->epoch = epoch;
}

/* ---- the files a subject counted */

static bool file_live(const struct pa_det_subject *s, const struct det_file *f)
{
	return f->key && s->epoch - f->epoch < B;
}

static struct det_file *file_slot(struct det_file *ft, size_t cap, uint64_t key)
{
	size_t i = key & (cap - 1);

	while (ft[i].key && ft[i].key != key)
		i = (i + 1) & (cap - 1);
	return &ft[i];
}

/* Rebuild with only the files still in the window, at a size that leaves
 * room for as many again (so rebuilds stay rare). false: no memory, or the
 * subject is at its cap: then no new attempt before the window moves on. */
static bool files_make_room(struct pa_detector *d, struct pa_det_subject *s, size_t cap_files)
{
	size_t live = 0, cap = 16;
	struct det_file *ft;

	if (s->full_epoch == s->epoch + 1)
		return false;
	for (size_t i = 0; i < s->ft_cap; i++)
		live += file_live(s, &s->ft[i]);
	if (live >= cap_files) {
		s->full_epoch = s->epoch + 1;
		return false;
	}
	while (cap < 4 * (live + 1) && cap < 2 * cap_files)
		cap *= 2;
	ft = calloc(cap, sizeof(*ft));
	if (!ft) {
		d->stats.nomem++;
		return false;
	}
	for (size_t i = 0; i < s->ft_cap; i++)
		if (file_live(s, &s->ft[i]))
			*file_slot(ft, cap, s->ft[i].key) = s->ft[i];
	free(s->ft);
	d->files = d->files - s->ft_n + live;
	s->ft = ft;
	s->ft_cap = cap;
	s->ft_n = live;
	return true;
}

/*
 * Count a file in the newest bucket. true if it is new to the window. A
 * subject remembers at most 16x its threshold (4096 at least): by then it
 * has long crossed, and a file it cannot remember counts as new each time,
 * which makes its counts approximate (said in its findings).
 */
static bool count_file(struct pa_detector *d, struct pa_det_subject *s, uint64_t key,
		       uint64_t limit)
{
	size_t cap_files = limit * 16 > 4096 ? limit * 16 : 4096;
	struct det_file *f = s->ft_cap ? file_slot(s->ft, s->ft_cap, key) : NULL;

	if (f && f->key && file_live(s, f)) {
		s->files_ring[f->epoch % B]--;
		s->files_ring[s->epoch % B]++;
		f->epoch = s->epoch;
		return false;
	}
	s->files_ring[s->epoch % B]++;
	s->files_sum++;
	if (f && f->key) { /* remembered, but out of the window */
		f->epoch = s->epoch;
		return true;
	}
	if ((s->ft_n >= cap_files || (s->ft_n + 1) * 2 > s->ft_cap) &&
	    !files_make_room(d, s, cap_files)) {
		s->files_capped = true;
		return true;
	}
	f = file_slot(s->ft, s->ft_cap, key);
	f->key = key;
	f->epoch = s->epoch;
	s->ft_n++;
	d->files++;
	return true;
}

/* ---- paths named in findings */

static char *dup_path(const char *p, size_t len)
{
	char *s = malloc(len + 1);

	if (s) {
		memcpy(s, p, len);
		s[len] = '\0';
	}
	return s;
}

static void remember_path(struct pa_detector *d, struct pa_det_subject *s, const char *p,
			  size_t len)
{
	unsigned n = d->cfg->sample_paths ? d->cfg->sample_paths : 1, i;

	if (n > PA_DET_SAMPLE_MAX)
		n = PA_DET_SAMPLE_MAX;
	if (!s->first_path) {
		s->first_path = dup_path(p, len);
		s->first_len = len;
	}
	i = s->sample_head % n;
	free(s->sample[i]);
	s->sample[i] = dup_path(p, len);
	s->sample_len[i] = s->sample[i] ? len : 0;
	s->sample_head = (i + 1) % n;
	if (s->n_sample < n)
		s->n_sample++;
}

static void fill_finding(const struct pa_det_subject *s, enum pa_det_kind kind,
			 const struct pa_det_config *c, struct pa_det_finding *f)
{
	unsigned n = c->sample_paths ? c->sample_paths : 1;

	if (n > PA_DET_SAMPLE_MAX)
		n = PA_DET_SAMPLE_MAX;
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->scope = s->key.scope;
	f->id = s->id;
	f->limits = &c->scope[s->key.scope];
	f->actor = kind == PA_DET_END ? s->alert_actor : s->actor;
	f->file_dev = s->file_dev;
	f->file_ino = s->file_ino;
	f->crossed_files = s->crossed_files;
	f->crossed_bytes = s->crossed_bytes;
	f->files = s->files_sum;
	f->bytes = s->bytes_sum;
	f->episode_files = s->run_files;
	f->files_approximate = s->files_capped;
	f->episode_bytes = s->run_bytes;
	f->first_ns = s->run_first_ns;
	f->alert_ns = s->alert_ns;
	f->last_ns = s->last_ns;
	f->allowed = s->allowed;
	f->first_path = s->first_path;
	f->first_path_len = s->first_len;
	for (unsigned k = 0; k < s->n_sample && k < c->sample_paths; k++) {
		unsigned i = (s->sample_head + n - 1 - k) % n;

		if (!s->sample[i])
			continue;
		f->sample[f->n_sample] = s->sample[i];
		f->sample_len[f->n_sample++] = s->sample_len[i];
	}
	if (s->n_sample) {
		unsigned i = (s->sample_head + n - 1) % n;

		f->last_path = s->sample[i];
		f->last_path_len = s->sample_len[i];
	}
}

/* ---- allowances */

static bool in_hours(int from, int to, int tod)
{
	if (from == to)
		return true;
	if (from < to)
		return tod >= from && tod < to;
	return tod >= from || tod < to; /* wraps midnight: 22:00-04:00 */
}

static bool user_matches(const char *want, const struct pa_det_obs *o)
{
	char uid[16];

	if (o->user && !strcmp(want, o->user))
		return true;
	snprintf(uid, sizeof(uid), "%u", o->proc->uid);
	return !strcmp(want, uid);
}

bool pa_det_allow_matches(const struct pa_det_allow *a, enum pa_det_scope s,
			  const struct pa_det_obs *o)
{
	if (!(a->scopes & (1u << s)))
		return false;
	if (a->exe && (!o->exe || strcmp(a->exe, o->exe)))
		return false;
	if (a->user && !user_matches(a->user, o))
		return false;
	return in_hours(a->from_min, a->to_min, o->tod_min);
}

static const struct pa_det_allow *find_allowance(const struct pa_det_config *c,
						 enum pa_det_scope s, const struct pa_det_obs *o)
{
	for (size_t i = 0; i < c->n_allow; i++)
		if (pa_det_allow_matches(&c->allow[i], s, o))
			return &c->allow[i];
	return NULL;
}

/* ---- observations */

/* The subject of @o in scope @s; false when @o has none there (no login
 * uid, not in a container, too small a read to be a large one). */
static bool subject_key(const struct pa_det_config *c, enum pa_det_scope s,
			const struct pa_det_obs *o, struct det_key *k)
{
	const struct pa_proc *p = o->proc;

	memset(k, 0, sizeof(*k));
	k->scope = s;
	switch (s) {
	case PA_DET_PROCESS:
		k->a = p->tgid;
		k->b = p->start_ns;
		return true;
	case PA_DET_USER:
		k->a = p->auid;
		return p->auid != (uint32_t)-1;
	case PA_DET_SESSION:
		k->a = p->sessionid;
		return p->sessionid != (uint32_t)-1;
	case PA_DET_CONTAINER:
		k->a = p->cgroup_id;
		return o->in_container;
	case PA_DET_FILE:
		/* A subject of its own only once the read account holds a 64th
		 * of the threshold: a million small files make none, and a
		 * large read loses at most that 64th (its reports may be small:
		 * each sweep reports, and restarts the 64 MiB progress count). */
		k->a = (uint64_t)p->tgid << 32 | o->file_dev;
		k->b = p->start_ns;
		k->c = o->file_ino;
		return o->file_ino && o->bytes &&
		       (o->account_bytes > o->bytes ? o->account_bytes : o->bytes) >=
			       c->scope[s].bytes / 64;
	default:
		return false;
	}
}

static void check_crossing(struct pa_detector *d, struct pa_det_subject *s,
			   const struct pa_det_limits *l, const struct pa_det_obs *o)
{
	struct pa_det_finding f;
	bool cf = l->files && s->files_sum >= l->files;
	bool cb = l->bytes && s->bytes_sum >= l->bytes;

	if (s->active || !(cf || cb))
		return;
	s->active = true;
	active_add(d, s);
	s->crossed_files = cf;
	s->crossed_bytes = cb;
	s->id = ++d->next_id;
	s->alert_ns = o->now_ns;
	s->alert_actor = *o->proc;
	if (d->cfg->n_allow && o->resolve) {
		struct pa_det_obs full = *o;

		o->resolve(o->resolve_ctx, &full);
		s->allowed = find_allowance(d->cfg, s->key.scope, &full);
	} else {
		s->allowed = find_allowance(d->cfg, s->key.scope, o);
	}
	if (s->allowed)
		d->stats.allowed++;
	else
		d->stats.alerts++;
	fill_finding(s, PA_DET_ALERT, d->cfg, &f);
	d->emit(d->ctx, &f);
}

static void observe_scope(struct pa_detector *d, enum pa_det_scope sc, const struct pa_det_obs *o,
			  uint64_t fkey)
{
	const struct pa_det_limits *l = &d->cfg->scope[sc];
	struct pa_det_subject *s;
	struct det_key k;
	bool new_file = false;

	if (!l->enabled || !subject_key(d->cfg, sc, o, &k))
		return;
	s = subject_get(d, &k, o->now_ns);
	if (!s)
		return;
	slide(s, epoch_of(l, o->now_ns));
	if ((!s->files_sum && !s->bytes_sum && !s->active) || s->run_over) { /* a new run */
		s->run_over = false;
		s->run_first_ns = o->now_ns;
		s->run_files = s->run_bytes = 0;
		s->files_capped = false;
		free(s->first_path);
		s->first_path = NULL;
		for (unsigned i = 0; i < PA_DET_SAMPLE_MAX; i++) { /* its own files only */
			free(s->sample[i]);
			s->sample[i] = NULL;
		}
		s->n_sample = s->sample_head = 0;
	}
	if (fkey && o->counts_file && (l->files || sc == PA_DET_FILE))
		new_file = count_file(d, s, fkey, l->files);
	s->bytes_ring[s->epoch % B] += o->bytes;
	s->bytes_sum += o->bytes;
	s->run_bytes += o->bytes;
	s->run_files += new_file;
	s->last_ns = o->now_ns;
	s->actor = *o->proc;
	s->file_dev = o->file_dev;
	s->file_ino = o->file_ino;
	if (new_file && o->path)
		remember_path(d, s, o->path, o->path_len);
	check_crossing(d, s, l, o);
	while (d->files > d->cfg->max_files && d->n > 1)
		evict_one(d, s, o->now_ns);
}

void pa_det_observe(struct pa_detector *d, const struct pa_det_obs *o)
{
	uint64_t fkey = o->file_ino ? mix(mix(o->file_dev) ^ o->file_ino) | 1 : 0;

	if (!d->cfg->enabled)
		return;
	d->stats.observations++;
	for (int sc = 0; sc < PA_DET_NSCOPES; sc++)
		observe_scope(d, sc, o, fkey);
}

/* ---- time passing */

static bool over_any(const struct pa_det_subject *s, const struct pa_det_limits *l)
{
	return (l->files && s->files_sum >= l->files) || (l->bytes && s->bytes_sum >= l->bytes);
}

/*
 * Two walks, neither over every subject: the episodes (few), to end the
 * quiet ones; and the least recently active subjects, only as far as those
 * idle for at least the shortest window, to drop the ones with nothing
 * left in theirs (the LRU list is in order of last activity).
 */
void pa_det_tick(struct pa_detector *d, uint64_t now_ns)
{
	struct pa_det_subject *s, *next;

	for (s = d->active; s; s = next) {
		const struct pa_det_limits *l = &d->cfg->scope[s->key.scope];

		next = s->anext;
		slide(s, epoch_of(l, now_ns));
		if (now_ns >= s->alert_ns + l->window_ns && !over_any(s, l))
			end_episode(d, s, now_ns, PA_DET_END_QUIET);
	}
	for (s = d->lru_head; s && s->last_ns + d->min_window_ns <= now_ns; s = next) {
		next = s->next;
		slide(s, epoch_of(&d->cfg->scope[s->key.scope], now_ns));
		if (!s->active && !s->files_sum && !s->bytes_sum)
			subject_free(d, s);
	}
	d->stats.subjects = d->n;
	d->stats.files_remembered = d->files;
}

void pa_det_finish_why(struct pa_detector *d, uint64_t now_ns, enum pa_det_end_reason why)
{
	for (struct pa_det_subject *s = d->lru_head; s; s = s->next) {
		slide(s, epoch_of(&d->cfg->scope[s->key.scope], now_ns));
		if (s->active)
			end_episode(d, s, now_ns, why);
	}
}

void pa_det_finish(struct pa_detector *d, uint64_t now_ns)
{
	pa_det_finish_why(d, now_ns, PA_DET_END_STOP);
}

/* ---- read accounts */

static void grow_accounts(struct pa_detector *d)
{
	size_t cap = d->acct_cap * 2;
	struct pa_det_account **t = calloc(cap, sizeof(*t));

	if (!t)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < d->acct_cap; i++) {
		while (d->acct[i]) {
			struct pa_det_account *a = d->acct[i];
			size_t j = mix(a->seq) & (cap - 1);

			d->acct[i] = a->chain;
			a->chain = t[j];
			t[j] = a;
		}
	}
	free(d->acct);
	d->acct = t;
	d->acct_cap = cap;
}

uint64_t pa_det_account_delta(struct pa_detector *d, uint64_t account_seq, uint64_t cumulative,
			      bool final)
{
	struct pa_det_account **pp, *a;
	uint64_t delta;
	size_t i;

	if (d->acct_n >= d->acct_cap)
		grow_accounts(d);
	i = mix(account_seq) & (d->acct_cap - 1);
	pp = &d->acct[i];

	while (*pp && (*pp)->seq != account_seq)
		pp = &(*pp)->chain;
	a = *pp;
	delta = a && cumulative >= a->bytes ? cumulative - a->bytes : cumulative;
	if (final) {
		if (a) {
			*pp = a->chain;
			free(a);
			d->acct_n--;
		}
		return delta;
	}
	if (!a) {
		if (d->acct_n >= d->cfg->max_accounts) {
			/* Forget one: if it reports again, its bytes so far
			 * count again. Counted, and rare: accounts end. */
			for (size_t j = 0; j < d->acct_cap; j++) {
				struct pa_det_account *victim = d->acct[(i + j) & (d->acct_cap - 1)];

				if (victim) {
					d->acct[(i + j) & (d->acct_cap - 1)] = victim->chain;
					free(victim);
					d->acct_n--;
					d->stats.accounts_evicted++;
					break;
				}
			}
			pp = &d->acct[i];
			while (*pp)
				pp = &(*pp)->chain;
		}
		a = calloc(1, sizeof(*a));
		if (!a) {
			d->stats.nomem++;
			return delta;
		}
		a->seq = account_seq;
		*pp = a;
		d->acct_n++;
	}
	a->bytes = cumulative;
	return delta;
}

void pa_det_free(struct pa_detector *d)
{
	while (d->lru_head)
		subject_free(d, d->lru_head);
	for (size_t i = 0; i < d->acct_cap && d->acct; i++) {
		while (d->acct[i]) {
			struct pa_det_account *a = d->acct[i];

			d->acct[i] = a->chain;
			free(a);
		}
	}
	free(d->acct);
	free(d->slot);
	memset(d, 0, sizeof(*d));
}
