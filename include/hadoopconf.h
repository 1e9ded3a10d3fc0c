/* hadoopconf.h - Hadoop's XML configuration files (yarn-site.xml): what Tacitus reads there.
 *
 * The module owns reading a Hadoop configuration file, <configuration> of
 * <property> elements each with a <name> and a <value>, with libxml2 (no network,
 * no entity expansion, no DTD), into a list of names and values; later properties
 * override earlier ones, as in Hadoop.  ${name} references in a value are expanded
 * from the same file (one level deep is all yarn-site.xml uses for addresses).
 */
#ifndef TACITUS_HADOOPCONF_H
#define TACITUS_HADOOPCONF_H

#include <stddef.h>

struct hadoopconf {
	size_t n;
	char **name, **value;
};

/* Read the file at path into *c (empty when the file does not exist).  Returns 0,
 * or -1 with why in err (a file that is not such XML). */
int hadoopconf_load(const char *path, struct hadoopconf *c, char *err, size_t errlen);

/* The same from XML text in memory (the unit tests). */
int hadoopconf_parse(const char *xml, size_t len, struct hadoopconf *c, char *err, size_t errlen);

/* The value of name with ${...} references expanded into buf (size len): buf, or
 * NULL when the file does not set it (or the value does not fit). */
const char *hadoopconf_get(const struct hadoopconf *c, const char *name, char *buf, size_t len);

void hadoopconf_free(struct hadoopconf *c);

#endif
