// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include "paths.h"

#include <string.h>

static void put(struct pa_path *p, const char *s, size_t n)
{
	if (p->len + n >= sizeof(p->s)) {
		p->overflow = true;
		n = p->len < sizeof(p->s) - 1 ? sizeof(p->s) - 1 - p->len : 0;
	}
	memcpy(p->s + p->len, s, n);
	p->len += n;
	p->s[p->len] = '\0';
}

void pa_path_set(struct pa_path *p, const char *s, size_t n)
{
	p->len = 0;
	p->overflow = false;
	p->s[0] = '\0';
	put(p, s, n);
}

void pa_path_append_names(struct pa_path *p, const char *names, size_t len)
{
	/* Walk backwards: the last name in the list is the one nearest root. */
	size_t end = len;

	while (end > 0 && names[end - 1] == '\0')
		end--;
	while (end > 0) {
		size_t start = end;

		while (start > 0 && names[start - 1] != '\0')
			start--;
		put(p, "/", 1);
		put(p, names + start, end - start);
		end = start;
		while (end > 0 && names[end - 1] == '\0')
			end--;
	}
}

void pa_path_append_rel(struct pa_path *p, const char *rel, size_t n)
{
	put(p, "/", 1);
	put(p, rel, n);
}

void pa_path_normalize(struct pa_path *p)
{
	char *s = p->s;
	size_t in = 0, out = 0, n = p->len;

	while (in < n) {
		size_t start, clen;

		while (in < n && s[in] == '/')
			in++;
		start = in;
		while (in < n && s[in] != '/')
			in++;
		clen = in - start;
		if (clen == 0 || (clen == 1 && s[start] == '.'))
			continue;
		if (clen == 2 && s[start] == '.' && s[start + 1] == '.') {
			while (out > 0 && s[out - 1] != '/')
				out--;
			if (out > 0)
				out--; /* drop the '/' before it */
			continue;
		}
		s[out++] = '/';
		memmove(s + out, s + start, clen);
		out += clen;
	}
	if (out == 0)
		s[out++] = '/';
	s[out] = '\0';
	p->len = out;
}

size_t pa_path_base_off(const struct pa_path *p)
{
	const char *slash = memrchr(p->s, '/', p->len);

	return slash ? (size_t)(slash - p->s) + 1 : 0;
}

#include "phiaudit/pathhash.h"

uint64_t pa_path_hash(const char *rel, size_t n)
{
	uint64_t h = PA_FNV_OFFSET;
	size_t i = 0, ncomp = 0;

	while (i < n) {
		size_t start, clen;

		while (i < n && rel[i] == '/')
			i++;
		start = i;
		while (i < n && rel[i] != '/')
			i++;
		clen = i - start;
		if (clen == 0 || (clen == 1 && rel[start] == '.'))
			continue;
		if (ncomp++)
			h = pa_hash_sep(h);
		for (size_t k = start; k < i; k++)
			h = pa_hash_byte(h, (unsigned char)rel[k]);
	}
	return h;
}

bool pa_path_within(const struct pa_path *p, const char *dir)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (n == 1 && dir[0] == '/')
		return p->len > 0 && p->s[0] == '/';
	return p->len >= n && memcmp(p->s, dir, n) == 0 && (p->len == n || p->s[n] == '/');
}

size_t pa_prefix_len(const char *path, unsigned int depth)
{
	size_t i = 0;

	for (unsigned int d = 0; d < depth; d++) {
		if (path[i] != '/')
			break;
		i++;
		while (path[i] && path[i] != '/')
			i++;
	}
	return i;
}
