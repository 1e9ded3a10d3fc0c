/* hadoopconf.c - Hadoop's XML configuration files, read with libxml2. */
#include "hadoopconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#define HADOOPCONF_MAX_BYTES (16 * 1024 * 1024)

static const xmlNode *child(const xmlNode *n, const char *name)
{
	for (const xmlNode *k = n ? n->children : NULL; k; k = k->next)
		if (k->type == XML_ELEMENT_NODE && !strcmp((const char *)k->name, name))
			return k;
	return NULL;
}

static int add(struct hadoopconf *c, const char *name, const char *value)
{
	char **n = realloc(c->name, (c->n + 1) * sizeof *n), **v;

	if (!n)
		return -1;
	c->name = n;
	if (!(v = realloc(c->value, (c->n + 1) * sizeof *v)))
		return -1;
	c->value = v;
	c->name[c->n] = strdup(name);
	c->value[c->n] = strdup(value);
	if (!c->name[c->n] || !c->value[c->n]) {
		free(c->name[c->n]);
		free(c->value[c->n]);
		return -1;
	}
	c->n++;
	return 0;
}

/* The trimmed text of element e ("" when it has none), malloc'd. */
static char *text(const xmlNode *e)
{
	xmlChar *t = e ? xmlNodeGetContent(e) : NULL;
	const char *s = t ? (const char *)t : "";
	size_t len;
	char *out;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
		s++;
	len = strlen(s);
	while (len && strchr(" \t\r\n", s[len - 1]))
		len--;
	out = strndup(s, len);
	xmlFree(t);
	return out;
}

#define PARSE_FLAGS (XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

/* The properties of doc (freed here) into *c. */
static int from_doc(xmlDoc *doc, struct hadoopconf *c, char *err, size_t errlen)
{
	const xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	int rc = 0;

	if (!root || strcmp((const char *)root->name, "configuration")) {
		snprintf(err, errlen, "not a Hadoop configuration (<configuration>...)");
		xmlFreeDoc(doc);
		return -1;
	}
	for (const xmlNode *p = root->children; p && rc == 0; p = p->next) {
		char *name, *value;
		if (p->type != XML_ELEMENT_NODE || strcmp((const char *)p->name, "property"))
			continue;
		name = text(child(p, "name"));
		value = text(child(p, "value"));
		if (!name || !value)
			rc = -1;
		else if (*name)
			rc = add(c, name, value);
		free(name);
		free(value);
	}
	xmlFreeDoc(doc);
	if (rc < 0) {
		snprintf(err, errlen, "out of memory");
		hadoopconf_free(c);
	}
	return rc;
}

int hadoopconf_parse(const char *xml, size_t len, struct hadoopconf *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	if (len > HADOOPCONF_MAX_BYTES) {
		snprintf(err, errlen, "longer than %d bytes", HADOOPCONF_MAX_BYTES);
		return -1;
	}
	return from_doc(xmlReadMemory(xml, (int)len, NULL, NULL, PARSE_FLAGS), c, err, errlen);
}

int hadoopconf_load(const char *path, struct hadoopconf *c, char *err, size_t errlen)
{
	char why[256];

	memset(c, 0, sizeof *c);
	if (access(path, R_OK) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (from_doc(xmlReadFile(path, NULL, PARSE_FLAGS), c, why, sizeof why) == 0)
		return 0;
	snprintf(err, errlen, "%s: %s", path, why);
	return -1;
}

static const char *raw(const struct hadoopconf *c, const char *name, size_t nlen)
{
	const char *v = NULL;

	for (size_t i = 0; i < c->n; i++)
		if (strlen(c->name[i]) == nlen && !strncmp(c->name[i], name, nlen))
			v = c->value[i];        /* the last one wins */
	return v;
}

const char *hadoopconf_get(const struct hadoopconf *c, const char *name, char *buf, size_t len)
{
	const char *v = raw(c, name, strlen(name)), *s;
	size_t n = 0;

	if (!v || !len)
		return NULL;
	for (s = v; *s;) {
		const char *end, *x;
		size_t add;
		if (s[0] == '$' && s[1] == '{' && (end = strchr(s + 2, '}')) &&
		    (x = raw(c, s + 2, (size_t)(end - s - 2)))) {
			add = strlen(x);
			s = end + 1;
		} else {
			x = s;
			add = 1;
			s++;
		}
		if (n + add >= len)
			return NULL;
		memcpy(buf + n, x, add);
		n += add;
	}
	buf[n] = '\0';
	return buf;
}

void hadoopconf_free(struct hadoopconf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->name[i]);
		free(c->value[i]);
	}
	free(c->name);
	free(c->value);
	memset(c, 0, sizeof *c);
}
