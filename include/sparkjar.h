/* sparkjar.h - facts read from the installed Spark's own jars, without running Java.
 *
 * The module owns two facts of the Spark under $SPARK_HOME: its version, from the
 * file name of its launcher jar (jars/spark-launcher_<scala>-<version>.jar), and
 * the Java module options its launcher gives its JVMs on Java 17
 * (org.apache.spark.launcher.JavaModuleOptions.defaultModuleOptions()), read from
 * that jar's JavaModuleOptions.class: the class's string constants that start with
 * '-' (its DEFAULT_MODULE_OPTIONS array, the only such strings in the class), in
 * constant-pool order, joined with single spaces.  A standalone REST submission
 * needs both (clientSparkVersion; spark.driver.extraJavaOptions), and the master
 * does not add them as spark-submit would.
 *
 * The jar is read with a minimal zip reader of our own (End Of Central Directory
 * record, central directory, local file header; stored or deflated entries, zlib
 * for the inflating, no zip64, no encryption) and the class with a constant-pool
 * walk.  Every parser is pure and bounded: each length is checked against its
 * buffer, an entry inflates to at most SPARKJAR_ENTRY_MAX bytes and its CRC-32 is
 * checked, a jar file is read only up to SPARKJAR_FILE_MAX bytes; a truncated or
 * garbage input is an error, never a crash.
 *
 * The error rule: -1 (or NULL) with why in err (which may be NULL when errlen is 0);
 * nothing is logged here.
 */
#ifndef TACITUS_SPARKJAR_H
#define TACITUS_SPARKJAR_H

#include <stddef.h>

#define SPARKJAR_ENTRY_MAX (1024 * 1024)        /* bytes of one entry, inflated */
#define SPARKJAR_FILE_MAX (64 * 1024 * 1024)    /* bytes of a jar file read */
#define SPARKJAR_VERSION_MAX 64                 /* "3.5.7", "4.0.0-preview2" */
#define SPARKJAR_MODULE_CLASS "org/apache/spark/launcher/JavaModuleOptions.class"

/* The installed Spark's launcher jar under spark_home/jars (its path into jar, size
 * jarlen) and Spark's version from that jar's name (spark-launcher_2.12-3.5.7.jar
 * gives "3.5.7", into version, size vlen).  Returns 0, or -1 with why in err: no
 * such directory, no launcher jar, more than one (which Spark is it?), or a name
 * whose version is not [0-9][0-9A-Za-z.+_-]* (at most SPARKJAR_VERSION_MAX - 1). */
int sparkjar_find(const char *spark_home, char *jar, size_t jarlen, char *version, size_t vlen,
		  char *err, size_t errlen);

/* Spark's Java module options read from the launcher jar at path `jar`
 * ("-XX:+IgnoreUnrecognizedVMOptions --add-opens=java.base/java.lang=ALL-UNNAMED
 * ..."), malloc'd, or NULL with why in err: the file cannot be read or is longer
 * than SPARKJAR_FILE_MAX, is no such zip, holds no SPARKJAR_MODULE_CLASS, or that
 * class is no such class file or has no option in it. */
char *sparkjar_module_options(const char *jar, char *err, size_t errlen);

/* ---- the pure parsers (the unit tests and the above) ---- */

/* The content of the entry named `name` of the zip in zip (len bytes): *out (malloc'd,
 * *outlen bytes, plus a '\0' not counted) and 0, or -1 with why in err (no EOCD record,
 * a central directory or local header out of the buffer, no such entry, a method
 * other than 0 (stored) or 8 (deflated), encrypted, zip64, larger than
 * SPARKJAR_ENTRY_MAX, data that does not inflate to its size, a CRC-32 mismatch).
 * *out is NULL on error. */
int sparkjar_zip_entry(const unsigned char *zip, size_t len, const char *name,
		       unsigned char **out, size_t *outlen, char *err, size_t errlen);

/* The CONSTANT_String values of the class file cls (len bytes) that start with '-', in
 * constant-pool order, joined with single spaces, malloc'd ("" when there is none);
 * or NULL with why in err: not a class file (magic 0xCAFEBABE), a constant pool out
 * of the buffer or with an unknown tag, a string whose index is not that of a
 * CONSTANT_Utf8, or an option that is not printable ASCII without spaces (it could
 * not be joined and split again). */
char *sparkjar_class_options(const unsigned char *cls, size_t len, char *err, size_t errlen);

#endif
