/* jsonmemo.c - a worker's JSON texts of answers' items, kept by the exact values they
 * were made from. */
#include "jsonmemo.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A value in a key: ABSENT for NULL, else PRESENT, the bytes and a NUL (a value
 * holds none): no two lists of values have the same key. */
#define ABSENT '\001'
#define PRESENT '\002'

struct jsonmemo_slot {
	long long id;
	unsigned long used;         /* the answer that last got this text */
	char *key;                  /* the values' key, then the text: one block */
	size_t key_len;
	const char *text;           /* NULL: the slot is empty */
};

void jsonmemo_begin(struct jsonmemo *m)
{
	m->answer++;
}

static struct jsonmemo_slot *slot_of(struct jsonmemo *m, long long id)
{
	return m->slot ? &m->slot[(uint64_t)id % JSONMEMO_SLOTS] : NULL;
}

/* Whether key (len bytes) is the key of v[0..n). */
static bool same_key(const char *key, size_t len, const char *const *v, int n)
{
	const char *p = key, *end = key + len;
	size_t l;

	for (int i = 0; i < n; i++) {
		if (p == end)
			return false;
		if (!v[i]) {
			if (*p++ != ABSENT)
				return false;
			continue;
		}
		if (*p++ != PRESENT)
			return false;
		l = strlen(v[i]);
		if ((size_t)(end - p) < l + 1 || memcmp(p, v[i], l) || p[l])
			return false;
		p += l + 1;
	}
	return p == end;
}

static size_t key_len(const char *const *v, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++)
		len += v[i] ? strlen(v[i]) + 2 : 1;
	return len;
}

static void write_key(char *p, const char *const *v, int n)
{
	size_t l;

	for (int i = 0; i < n; i++) {
		if (!v[i]) {
			*p++ = ABSENT;
			continue;
		}
		l = strlen(v[i]);
		*p++ = PRESENT;
		memcpy(p, v[i], l + 1);
		p += l + 1;
	}
}

const char *jsonmemo_get(struct jsonmemo *m, long long id, const char *const *v, int n)
{
	struct jsonmemo_slot *s = slot_of(m, id);

	if (!s || !s->text || s->id != id || !same_key(s->key, s->key_len, v, n))
		return NULL;
	s->used = m->answer;
	return s->text;
}

const char *jsonmemo_keep(struct jsonmemo *m, long long id, const char *const *v, int n,
			  const char *text, size_t len)
{
	struct jsonmemo_slot *s;
	size_t klen = key_len(v, n);
	char *block;

	if (len > JSONMEMO_ITEM_MAX || klen > JSONMEMO_ITEM_MAX - len)
		return NULL;
	if (!m->slot && !(m->slot = calloc(JSONMEMO_SLOTS, sizeof *m->slot)))
		return NULL;
	s = slot_of(m, id);
	if (s->text && s->used == m->answer)
		return NULL;
	if (!(block = malloc(klen + len + 1)))
		return NULL;
	write_key(block, v, n);
	memcpy(block + klen, text, len);
	block[klen + len] = '\0';
	free(s->key);
	*s = (struct jsonmemo_slot){.id = id, .used = m->answer, .key = block, .key_len = klen,
				    .text = block + klen};
	return s->text;
}

void jsonmemo_free(struct jsonmemo *m)
{
	for (size_t i = 0; m->slot && i < JSONMEMO_SLOTS; i++)
		free(m->slot[i].key);
	free(m->slot);
	*m = (struct jsonmemo){0};
}
