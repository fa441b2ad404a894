// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "decode.h"

#include <errno.h>
#include <string.h>

int pa_decode_type(const void *data, size_t size)
{
	const struct pa_event_hdr *h = data;

	if (size < sizeof(*h) || h->size > size || h->size < sizeof(*h))
		return -EINVAL;
	return h->type;
}

/* A fixed-size record of @type: its header must say exactly its size. */
static const void *decode_fixed(const void *data, size_t size, int type, size_t want)
{
	const struct pa_event_hdr *h = data;

	if (size < want || h->type != type || h->size != want)
		return NULL;
	return data;
}

const struct pa_read_event *pa_decode_read(const void *data, size_t size)
{
	const struct pa_read_event *ev = decode_fixed(data, size, PA_EV_READ, sizeof(*ev));

	if (!ev || ev->reason > PA_READ_AGENT_STOP || ev->final > 1 ||
	    (!ev->final != (ev->reason == PA_READ_PROGRESS)) || ev->calls < (ev->bytes ? 1 : 0) ||
	    ev->sent_bytes > ev->bytes || ev->sent_calls > ev->calls || ev->ring_calls > ev->calls ||
	    ev->write_calls < (ev->write_bytes ? 1 : 0) ||
	    ev->sent_calls < (ev->sent_bytes ? 1 : 0) ||
	    ev->unknown_calls < (ev->unknown_bytes ? 1 : 0))
		return NULL;
	return ev;
}

const struct pa_map_event *pa_decode_map(const void *data, size_t size)
{
	const struct pa_map_event *ev = decode_fixed(data, size, PA_EV_MAP, sizeof(*ev));

	if (ev && ev->bytes_mapped > ev->length)
		return NULL;
	return ev;
}

const struct pa_xfer_event *pa_decode_xfer(const void *data, size_t size)
{
	const struct pa_xfer_event *ev = decode_fixed(data, size, PA_EV_XFER, sizeof(*ev));

	if (ev && (ev->phase < PA_XFER_START || ev->phase > PA_XFER_ONCE ||
		   ev->dst_kind > PA_DST_OTHER || ev->calls < (ev->bytes ? 1 : 0)))
		return NULL;
	return ev;
}

const struct pa_hint_event *pa_decode_hint(const void *data, size_t size)
{
	return decode_fixed(data, size, PA_EV_HINT, sizeof(struct pa_hint_event));
}

const struct pa_file_gone_event *pa_decode_file_gone(const void *data, size_t size)
{
	return decode_fixed(data, size, PA_EV_FILE_GONE, sizeof(struct pa_file_gone_event));
}

const struct pa_proc_event *pa_decode_proc(const void *data, size_t size)
{
	const struct pa_proc_event *ev =
		decode_fixed(data, size, PA_EV_PROC, sizeof(struct pa_proc_event));

	if (ev && (ev->exe_len >= PA_EXE_LEN || ev->args_len > PA_ARGS_LEN ||
		   ev->n_ancestors > PA_MAX_ANCESTORS))
		return NULL;
	return ev;
}

int pa_decode_open(const void *data, size_t size, struct pa_open_view *out)
{
	const struct pa_open_event *ev = data;
	const char *d = (const char *)data + sizeof(*ev);
	size_t datalen;

	if (size < sizeof(*ev) || (ev->hdr.type != PA_EV_OPEN && ev->hdr.type != PA_EV_CHANGE) ||
	    ev->hdr.size > size || ev->hdr.size < sizeof(*ev) || ev->role > PA_ROLE_DEST)
		return -EINVAL;
	datalen = (size_t)ev->user_len + ev->rel_len + ev->view_len + ev->name_len;
	if (datalen != ev->hdr.size - sizeof(*ev))
		return -EINVAL;
	if (ev->name_len && d[datalen - 1] != '\0')
		return -EINVAL;
	/* A user string carries its NUL; an empty one is absent, and a
	 * record that claims its path came from one must have one. */
	if (ev->user_len && d[ev->user_len - 1] != '\0')
		return -EINVAL;
	if ((ev->path_flags & PA_PATH_FROM_USER) && ev->user_len < 2)
		return -EINVAL;
	/* leading "../" resolved in the kernel: inside the string */
	if (ev->user_skip && ev->user_skip >= ev->user_len)
		return -EINVAL;
	out->ev = ev;
	out->user = d + ev->user_skip;
	out->rel = d + ev->user_len;
	out->view = out->rel + ev->rel_len;
	out->name = ev->name_len ? out->view + ev->view_len : NULL;
	return 0;
}

/* Where names were cut (PA_PATH_*_TRUNCATED), a "…" component says so:
 * a truncated path never passes for a real one. */
#define PA_CUT_MARK "/\xe2\x80\xa6"

static void view_path(const struct pa_open_view *v, struct pa_path *view)
{
	const struct pa_open_event *ev = v->ev;

	pa_path_set(view, "", 0);
	if (ev->path_flags & PA_PATH_VIEW_TRUNCATED)
		pa_path_set(view, PA_CUT_MARK, strlen(PA_CUT_MARK));
	pa_path_append_names(view, v->view, ev->view_len);
	if (ev->path_flags & PA_PATH_FROM_USER) {
		if (v->user[0] == '/')
			pa_path_set(view, v->user, strlen(v->user));
		else
			pa_path_append_rel(view, v->user, strlen(v->user));
		pa_path_normalize(view);
	} else if (view->len == 0) {
		pa_path_set(view, "/", 1);
	}
}

bool pa_open_paths(const struct pa_open_view *v, const char *watch_path, struct pa_path *host,
		   struct pa_path *view)
{
	const struct pa_open_event *ev = v->ev;
	bool from_user = ev->path_flags & PA_PATH_FROM_USER;

	view_path(v, view);
	if (ev->scope == PA_SCOPE_OUT || (ev->path_flags & PA_PATH_VIA_INODE)) {
		/* Outside every watched tree (a rename's other name, a watched
		 * inode's other link): the names ran to the root. */
		pa_path_set(host, "", 0);
		if (ev->path_flags & PA_PATH_REL_TRUNCATED)
			pa_path_set(host, PA_CUT_MARK, strlen(PA_CUT_MARK));
		pa_path_append_names(host, v->rel, ev->rel_len);
		/* An absolute string starts at the process's root, whose names
		 * these are (in a chroot, not the host's root): appended too. */
		if (from_user)
			pa_path_append_rel(host, v->user, strlen(v->user));
		pa_path_normalize(host);
		if (host->len == 0)
			pa_path_set(host, "/", 1);
	} else if (!watch_path || ev->scope != PA_SCOPE_IN) {
		/* No ancestry: the names the kernel found, relative. */
		pa_path_set(host, "", 0);
		if (ev->path_flags & PA_PATH_REL_TRUNCATED)
			pa_path_set(host, PA_CUT_MARK, strlen(PA_CUT_MARK));
		pa_path_append_names(host, v->rel, ev->rel_len);
		if (host->len)
			memmove(host->s, host->s + 1, host->len--); /* drop leading '/' */
	} else if (from_user && (ev->path_flags & PA_PATH_VIA_ROUTE)) {
		/* The string started at an ancestor of the watch, route_depth
		 * components deep (its cwd, or its root when the string is
		 * absolute): the host's path of that ancestor, then the string.
		 * Right in a chroot or another namespace too. */
		pa_path_set(host, watch_path, pa_prefix_len(watch_path, ev->route_depth));
		pa_path_append_rel(host, v->user, strlen(v->user));
		pa_path_normalize(host);
	} else {
		/* A watch on "/" contributes no characters before the names. */
		pa_path_set(host, watch_path, strcmp(watch_path, "/") ? strlen(watch_path) : 0);
		if (ev->path_flags & PA_PATH_REL_TRUNCATED)
			pa_path_append_rel(host, PA_CUT_MARK + 1, strlen(PA_CUT_MARK) - 1);
		pa_path_append_names(host, v->rel, ev->rel_len);
		if (from_user) {
			if (v->user[0] != '/')
				pa_path_append_rel(host, v->user, strlen(v->user));
			else
				*host = *view;
			pa_path_normalize(host);
		}
		if (host->len == 0)
			pa_path_set(host, "/", 1);
	}
	/* No ancestry: the process's view is no better known than ours, and
	 * must never read as a false absolute "/..." */
	if (ev->path_flags & PA_PATH_DISCONNECTED)
		*view = *host;
	return host->len != view->len || memcmp(host->s, view->s, host->len) != 0;
}
