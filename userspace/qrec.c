// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "qrec.h"

#include <string.h>

struct json_object *pa_qrec_get(struct json_object *root, const char *dotted)
{
	struct json_object *cur = root;
	const char *p = dotted;

	while (cur && *p) {
		const char *dot = strchr(p, '.');
		size_t n = dot ? (size_t)(dot - p) : strlen(p);
		char key[64];

		if (n >= sizeof(key) || !json_object_is_type(cur, json_type_object))
			return NULL;
		memcpy(key, p, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(cur, key, &cur))
			return NULL;
		p += n + (dot != NULL);
	}
	return cur;
}

const char *pa_qrec_str(struct json_object *root, const char *dotted)
{
	struct json_object *o = pa_qrec_get(root, dotted);

	return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

int64_t pa_qrec_int(struct json_object *root, const char *dotted)
{
	struct json_object *o = pa_qrec_get(root, dotted);

	return o && json_object_is_type(o, json_type_int) ? json_object_get_int64(o) : -1;
}

static void proc_from(struct pa_qproc *p, struct json_object *o, bool ancestor)
{
	p->pid = pa_qrec_int(o, "pid");
	p->created_ms = pa_qrec_int(o, "created_time");
	p->name = pa_qrec_str(o, "name");
	p->exe = pa_qrec_str(o, ancestor ? "exe" : "file.path");
	p->cmd_line = ancestor ? NULL : pa_qrec_str(o, "cmd_line");
}

static void ancestors_from(struct pa_qrec *r)
{
	struct json_object *a = pa_qrec_get(r->root, "unmapped.ancestors");
	size_t n = a && json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;

	r->n_anc = 0;
	for (size_t i = 0; i < n && r->n_anc < PA_QREC_ANCESTORS; i++)
		proc_from(&r->anc[r->n_anc++], json_object_array_get_idx(a, i), true);
}

static enum pa_qkind kind_of(int64_t class_uid, int64_t activity)
{
	if (class_uid == 1001)
		return activity == 14 ? PA_QK_OPEN : activity == 2 ? PA_QK_READ : PA_QK_OTHER;
	if (class_uid == 6002)
		return activity == 3 ? PA_QK_START : activity == 4 ? PA_QK_STOP : PA_QK_AGENT;
	return class_uid == 2004 ? PA_QK_ALERT : PA_QK_OTHER;
}

static void actor_from(struct pa_qrec *r)
{
	struct json_object *proc = pa_qrec_get(r->root, "actor.process");

	proc_from(&r->proc, proc, false);
	proc_from(&r->parent, pa_qrec_get(proc, "parent_process"), false);
	if (!proc)
		r->proc.pid = r->parent.pid = -1;
	r->user_uid = pa_qrec_str(r->root, "actor.user.uid");
	r->user_name = pa_qrec_str(r->root, "actor.user.name");
	r->auid = pa_qrec_int(r->root, "unmapped.auid");
	r->auid_name = pa_qrec_str(r->root, "unmapped.auid_name");
	ancestors_from(r);
}

void pa_qrec_from(struct pa_qrec *r, struct json_object *root)
{
	struct json_object *fin;

	memset(r, 0, sizeof(*r));
	r->root = root;
	r->time_ms = pa_qrec_int(root, "time");
	r->time_dt = pa_qrec_str(root, "time_dt");
	r->class_uid = pa_qrec_int(root, "class_uid");
	r->activity_id = pa_qrec_int(root, "activity_id");
	r->status_id = pa_qrec_int(root, "status_id");
	r->activity_name = pa_qrec_str(root, "activity_name");
	r->message = pa_qrec_str(root, "message");
	r->kind = kind_of(r->class_uid, r->activity_id);
	r->host = pa_qrec_str(root, "device.hostname");
	r->seq = pa_qrec_int(root, "metadata.sequence");
	r->uid = pa_qrec_str(root, "metadata.uid");
	actor_from(r);
	r->path = pa_qrec_str(root, "file.path");
	r->file_name = pa_qrec_str(root, "file.name");
	r->folder = pa_qrec_str(root, "file.parent_folder");
	r->bytes_read = pa_qrec_int(root, "unmapped.bytes_read");
	r->read_calls = pa_qrec_int(root, "unmapped.read_calls");
	r->account_seq = pa_qrec_int(root, "unmapped.account_seq");
	/* A Read that is no read account (an mmap's record: bytes mapped,
	 * not read) is shown, not summed with the accounts. */
	if (r->kind == PA_QK_READ && r->account_seq < 0)
		r->kind = PA_QK_OTHER;
	r->open_event_seq = pa_qrec_int(root, "unmapped.open_event_seq");
	fin = pa_qrec_get(root, "unmapped.final");
	r->final = fin && json_object_get_boolean(fin);
	r->title = pa_qrec_str(root, "finding_info.title");
	r->sample_paths = pa_qrec_get(root, "unmapped.sample_paths");
	if (r->sample_paths && !json_object_is_type(r->sample_paths, json_type_array))
		r->sample_paths = NULL;
}

const char *pa_qrec_event_name(const struct pa_qrec *r)
{
	switch (r->kind) {
	case PA_QK_OPEN:
		return r->status_id == 2 ? "Denied" : "Open";
	case PA_QK_READ:
		return "Read";
	case PA_QK_ALERT: /* a Detection Finding: Create raises it, Close ends it */
		return r->activity_id == 3 ? "Alert End" : "Alert";
	default:
		return r->activity_name ? r->activity_name : "?";
	}
}
