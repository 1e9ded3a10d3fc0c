/* test_sparkjar.c - facts read from Spark's jars: the launcher jar of the project's
 * venv (pyspark's jars, .venv under the repository's root, where the tests run), and
 * zips and class files made here: stored and deflated entries, truncated, mangled and
 * garbage inputs, bad tags and indexes, each an error and never a crash. */
#include "sparkjar.h"
#include "unit.h"

#include <glob.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

/* ---- a growing byte buffer ---- */

struct buf {
	unsigned char *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *s, size_t n)
{
	if (b->len + n > b->cap) {
		size_t c = b->cap ? b->cap : 256;
		unsigned char *np;
		while (c < b->len + n)
			c *= 2;
		if (!(np = realloc(b->p, c)))
			abort();
		b->p = np;
		b->cap = c;
	}
	if (n)
		memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void u8(struct buf *b, unsigned v)
{
	unsigned char c = (unsigned char)v;
	put(b, &c, 1);
}

static void le16(struct buf *b, unsigned v)
{
	u8(b, v & 0xff);
	u8(b, v >> 8 & 0xff);
}

static void le32(struct buf *b, uint32_t v)
{
	le16(b, v & 0xffff);
	le16(b, v >> 16);
}

static void be16(struct buf *b, unsigned v)
{
	u8(b, v >> 8 & 0xff);
	u8(b, v & 0xff);
}

/* ---- zips ---- */

struct entry {
	const char *name;
	const unsigned char *data;
	size_t len;
	int method;                 /* 0 stored, 8 deflated */
	unsigned flags;
	uint32_t crc_xor;           /* a wrong CRC-32 when not 0 */
};

/* A zip of the n entries e (comment, when not NULL, after the EOCD record). */
static struct buf zip_of(const struct entry *e, int n, const char *comment)
{
	struct buf z = {0}, cd = {0};
	int i;

	for (i = 0; i < n; i++) {
		unsigned char packed[4096];
		const unsigned char *data = e[i].data;
		uint32_t crc = (uint32_t)crc32(0L, e[i].data, (uInt)e[i].len) ^ e[i].crc_xor;
		size_t clen = e[i].len, off = z.len, nlen = strlen(e[i].name);
		if (e[i].method == 8) {
			z_stream s;
			memset(&s, 0, sizeof s);
			if (deflateInit2(&s, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
				abort();
			s.next_in = (Bytef *)(uintptr_t)e[i].data;
			s.avail_in = (uInt)e[i].len;
			s.next_out = packed;
			s.avail_out = sizeof packed;
			if (deflate(&s, Z_FINISH) != Z_STREAM_END)
				abort();
			clen = s.total_out;
			deflateEnd(&s);
			data = packed;
		}
		le32(&z, 0x04034b50);
		le16(&z, 20);
		le16(&z, e[i].flags);
		le16(&z, (unsigned)e[i].method);
		le32(&z, 0);                    /* time, date */
		le32(&z, crc);
		le32(&z, (uint32_t)clen);
		le32(&z, (uint32_t)e[i].len);
		le16(&z, (unsigned)nlen);
		le16(&z, 0);
		put(&z, e[i].name, nlen);
		put(&z, data, clen);

		le32(&cd, 0x02014b50);
		le16(&cd, 20);
		le16(&cd, 20);
		le16(&cd, e[i].flags);
		le16(&cd, (unsigned)e[i].method);
		le32(&cd, 0);
		le32(&cd, crc);
		le32(&cd, (uint32_t)clen);
		le32(&cd, (uint32_t)e[i].len);
		le16(&cd, (unsigned)nlen);
		le16(&cd, 0);                   /* extra */
		le16(&cd, 0);                   /* comment */
		le16(&cd, 0);                   /* disk */
		le16(&cd, 0);
		le32(&cd, 0);
		le32(&cd, (uint32_t)off);
		put(&cd, e[i].name, nlen);
	}
	{
		size_t cd_off = z.len, clen = comment ? strlen(comment) : 0;
		put(&z, cd.p, cd.len);
		le32(&z, 0x06054b50);
		le16(&z, 0);
		le16(&z, 0);
		le16(&z, (unsigned)n);
		le16(&z, (unsigned)n);
		le32(&z, (uint32_t)cd.len);
		le32(&z, (uint32_t)cd_off);
		le16(&z, (unsigned)clen);
		put(&z, comment, clen);
	}
	free(cd.p);
	return z;
}

/* ---- class files ---- */

static void cp_utf8(struct buf *b, const char *s)
{
	u8(b, 1);
	be16(b, (unsigned)strlen(s));
	put(b, s, strlen(s));
}

static void cp_u16(struct buf *b, unsigned tag, unsigned v)
{
	u8(b, tag);
	be16(b, v);
}

/* A class file head: magic, version 52, constant pool count `count`; entries follow. */
static struct buf class_head(unsigned count)
{
	struct buf b = {0};

	put(&b, "\xca\xfe\xba\xbe", 4);
	be16(&b, 0);
	be16(&b, 52);
	be16(&b, count);
	return b;
}

/* A tiny class: strings "-a", "x" (no option), "-b"; a Utf8 "-Lfoo;" no string names;
 * a Long (two slots), a MethodHandle, an Integer; then access flags and the rest. */
static struct buf tiny_class(void)
{
	struct buf b = class_head(14);

	cp_utf8(&b, "-a");                      /* 1 */
	cp_u16(&b, 8, 1);                       /* 2: "-a" */
	u8(&b, 5);                              /* 3, 4: a Long */
	put(&b, "\0\0\0\0\0\0\0\1", 8);
	cp_utf8(&b, "x");                       /* 5 */
	cp_u16(&b, 8, 5);                       /* 6: "x" */
	cp_u16(&b, 8, 9);                       /* 7: "-b", its Utf8 later */
	cp_utf8(&b, "-Lfoo;");                  /* 8 */
	cp_utf8(&b, "-b");                      /* 9 */
	u8(&b, 15);                             /* 10: MethodHandle */
	u8(&b, 6);
	be16(&b, 1);
	cp_u16(&b, 7, 5);                       /* 11: Class */
	u8(&b, 3);                              /* 12: Integer */
	put(&b, "\0\0\0\7", 4);
	u8(&b, 12);                             /* 13: NameAndType */
	be16(&b, 1);
	be16(&b, 5);
	put(&b, "\0\x21\0\x0b\0\0\0\0\0\0\0\0\0\0", 14);
	return b;
}

/* ---- the zip reader ---- */

#define entry_is(...) entry_is_at(UNIT_HERE, __VA_ARGS__)
static void entry_is_at(struct unit_at at, const struct buf *z, const char *name,
			const unsigned char *want, size_t wlen)
{
	unsigned char *out;
	size_t olen;
	char err[256] = "";
	int rc = sparkjar_zip_entry(z->p, z->len, name, &out, &olen, err, sizeof err);

	at.label = name;
	if (!CHECK_AT(at, rc == 0))
		unit_note(at, "%s", err);
	if (rc == 0 && CHECK_AT(at, olen == wlen))
		CHECK_AT(at, !memcmp(out, want, wlen) && out[olen] == '\0');
	free(out);
}

#define entry_fails(...) entry_fails_at(UNIT_HERE, __VA_ARGS__)
static void entry_fails_at(struct unit_at at, const unsigned char *zip, size_t len,
			   const char *name, const char *why)
{
	unsigned char *out = (unsigned char *)"x";
	size_t olen = 1;
	char err[256] = "";
	int rc = sparkjar_zip_entry(zip, len, name, &out, &olen, err, sizeof err);

	at.label = why;
	CHECK_AT(at, rc == -1 && out == NULL && olen == 0);
	if (!CHECK_AT(at, strstr(err, why) != NULL))
		unit_note(at, "err: %s", err);
	if (rc == 0)
		free(out);
}

static void zips(void)
{
	struct buf cls = tiny_class(), z;
	static const unsigned char text[] = "Manifest-Version: 1.0\r\n\r\n";
	unsigned char big[3000];
	struct entry e[3] = {
		{"META-INF/MANIFEST.MF", text, sizeof text - 1, 8, 0, 0},
		{"a/B.class", NULL, 0, 0, 0, 0},
		{"empty", (const unsigned char *)"", 0, 0, 0, 0},
	};

	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (unsigned char)(i % 7 + 'a');
	e[1].data = cls.p;
	e[1].len = cls.len;
	z = zip_of(e, 3, NULL);
	entry_is(&z, "a/B.class", cls.p, cls.len);
	entry_is(&z, "META-INF/MANIFEST.MF", text, sizeof text - 1);
	entry_is(&z, "empty", (const unsigned char *)"", 0);
	entry_fails(z.p, z.len, "a/B.clas", "no entry a/B.clas");
	entry_fails(z.p, z.len, "a/B.class.x", "no entry");

	/* every prefix: the EOCD record is gone, or cut */
	for (size_t n = 0; n < z.len; n++)
		entry_fails(z.p, n, "a/B.class", "not a zip file");
	/* every byte mangled: an error, or (a byte that does not count) the same content */
	{
		int bad = 0;
		for (size_t i = 0; i < z.len; i++) {
			for (unsigned v = 0; v < 256; v += 85) {
				unsigned char *out, keep = z.p[i];
				size_t olen;
				char err[256];
				z.p[i] = (unsigned char)(keep ^ (v ? v : 0xff));
				if (sparkjar_zip_entry(z.p, z.len, "a/B.class", &out, &olen, err,
						       sizeof err) == 0) {
					bad += olen != cls.len || memcmp(out, cls.p, olen);
					free(out);
				}
				z.p[i] = keep;
			}
		}
		CHECK(bad == 0);
	}
	free(z.p);

	/* a comment after the EOCD record; a deflated entry of 3000 bytes */
	e[0].data = big;
	e[0].len = sizeof big;
	z = zip_of(e, 2, "a comment PK\x05\x06 with a signature in it");
	entry_is(&z, "META-INF/MANIFEST.MF", big, sizeof big);
	entry_is(&z, "a/B.class", cls.p, cls.len);
	for (size_t n = 0; n < z.len; n++) {   /* cut anywhere: an error, never a crash */
		unsigned char *cut = malloc(n ? n : 1), *out;
		size_t olen;
		memcpy(cut, z.p, n);
		if (sparkjar_zip_entry(cut, n, "META-INF/MANIFEST.MF", &out, &olen, NULL, 0) == 0) {
			CHECK(0);
			free(out);
		}
		free(cut);
	}
	free(z.p);

	/* a wrong CRC-32, stored and deflated; an unknown method; encrypted */
	e[0].crc_xor = 1;
	e[1].crc_xor = 0x80000000u;
	z = zip_of(e, 2, NULL);
	entry_fails(z.p, z.len, "META-INF/MANIFEST.MF", "CRC-32 mismatch");
	entry_fails(z.p, z.len, "a/B.class", "CRC-32 mismatch");
	free(z.p);
	e[0].crc_xor = e[1].crc_xor = 0;
	e[1].method = 12;
	z = zip_of(e, 2, NULL);
	entry_fails(z.p, z.len, "a/B.class", "compression method 12");
	free(z.p);
	e[1].method = 0;
	e[1].flags = 1;
	z = zip_of(e, 2, NULL);
	entry_fails(z.p, z.len, "a/B.class", "encrypted");
	free(z.p);
	e[1].flags = 0;

	/* stored with a size of more than SPARKJAR_ENTRY_MAX */
	{
		unsigned char *huge = calloc(SPARKJAR_ENTRY_MAX + 1, 1);
		struct entry h = {"huge", huge, SPARKJAR_ENTRY_MAX + 1, 0, 0, 0};
		z = zip_of(&h, 1, NULL);
		entry_fails(z.p, z.len, "huge", "entry of 1048577 bytes");
		free(z.p);
		free(huge);
	}

	/* garbage; an EOCD record alone, pointing out of the buffer; zip64 */
	{
		unsigned char g[4096];
		struct buf eocd = {0};
		uint32_t x = 12345;
		for (size_t i = 0; i < sizeof g; i++) {
			x = x * 1103515245u + 12345u;
			g[i] = (unsigned char)(x >> 16);
		}
		entry_fails(g, sizeof g, "a", "not a zip file");
		entry_fails(NULL, 0, "a", "not a zip file");
		le32(&eocd, 0x06054b50);
		le32(&eocd, 0);
		le16(&eocd, 1);
		le16(&eocd, 1);
		le32(&eocd, 46);
		le32(&eocd, 0xfffffff0u);
		le16(&eocd, 0);
		entry_fails(eocd.p, eocd.len, "a", "central directory is out of the file");
		eocd.p[16] = 0;                 /* offset 0xfff..00: still out */
		eocd.p[12] = 0;                 /* size 0 at offset 0xffffff00 */
		entry_fails(eocd.p, eocd.len, "a", "central directory is out of the file");
		memset(eocd.p + 12, 0, 8);      /* 1 entry in a directory of 0 bytes */
		entry_fails(eocd.p, eocd.len, "a", "truncated or corrupt central directory");
		memset(eocd.p + 12, 0xff, 8);
		entry_fails(eocd.p, eocd.len, "a", "zip64");
		free(eocd.p);
	}
	free(cls.p);
}

/* ---- the class reader ---- */

#define options_are(...) options_are_at(UNIT_HERE, __VA_ARGS__)
static void options_are_at(struct unit_at at, const struct buf *c, const char *want)
{
	char err[256] = "", *got = sparkjar_class_options(c->p, c->len, err, sizeof err);

	at.label = want;
	if (!CHECK_AT(at, got != NULL))
		unit_note(at, "%s", err);
	else
		CHECK_STR_AT(at, got, want);
	free(got);
}

#define options_fail(...) options_fail_at(UNIT_HERE, __VA_ARGS__)
static void options_fail_at(struct unit_at at, const struct buf *c, const char *why)
{
	char err[256] = "", *got = sparkjar_class_options(c->p, c->len, err, sizeof err);

	at.label = why;
	CHECK_AT(at, got == NULL);
	if (!CHECK_AT(at, strstr(err, why) != NULL))
		unit_note(at, "err: %s", err);
	free(got);
}

static void classes(void)
{
	struct buf c = tiny_class(), b;
	size_t pool_end = c.len - 14;

	options_are(&c, "-a -b");
	for (size_t n = 0; n < c.len; n++) {    /* cut: before the pool's end an error */
		struct buf cut = {0};
		char *got;
		put(&cut, c.p, n);
		got = sparkjar_class_options(cut.p, cut.len, NULL, 0);
		CHECK(n < pool_end ? got == NULL : got && !strcmp(got, "-a -b"));
		free(got);
		free(cut.p);
	}
	for (size_t i = 0; i < c.len; i++) {    /* mangled: whatever, never a crash */
		unsigned char keep = c.p[i];
		for (unsigned v = 1; v < 256; v <<= 1) {
			c.p[i] = (unsigned char)(keep ^ v);
			free(sparkjar_class_options(c.p, c.len, NULL, 0));
		}
		c.p[i] = keep;
	}
	free(c.p);

	b = class_head(3);
	b.p[0] = 0xcb;
	options_fail(&b, "not a class file");
	free(b.p);
	b = class_head(0);
	options_fail(&b, "constant pool count of 0");
	free(b.p);
	b = class_head(1);                      /* an empty pool */
	options_are(&b, "");
	free(b.p);

	b = class_head(3);                      /* an unknown tag: 2, then 13 */
	cp_utf8(&b, "-a");
	cp_u16(&b, 2, 1);
	options_fail(&b, "entry 2 has an unknown tag 2");
	b.p[b.len - 3] = 13;
	options_fail(&b, "entry 2 has an unknown tag 13");
	free(b.p);

	b = class_head(3);                      /* a string's index: out of the pool */
	cp_utf8(&b, "-a");
	cp_u16(&b, 8, 3);
	options_fail(&b, "string index 3 is not a Utf8");
	b.p[b.len - 1] = 0;                     /* index 0 */
	options_fail(&b, "string index 0 is not a Utf8");
	b.p[b.len - 2] = 0xff;                  /* 65280 */
	options_fail(&b, "string index 65280 is not a Utf8");
	b.p[b.len - 2] = 0;
	b.p[b.len - 1] = 2;                     /* itself, a String */
	options_fail(&b, "string index 2 is not a Utf8");
	free(b.p);

	b = class_head(4);                      /* the second slot of a Long */
	u8(&b, 6);
	put(&b, "\x40\0\0\0\0\0\0\0", 8);
	cp_u16(&b, 8, 2);
	options_fail(&b, "string index 2 is not a Utf8");
	free(b.p);

	b = class_head(3);                      /* a Utf8 longer than the class */
	u8(&b, 1);
	be16(&b, 40);
	put(&b, "-abc", 4);
	options_fail(&b, "entry 1 is out of the class");
	free(b.p);

	b = class_head(5);                      /* more entries said than there are */
	cp_utf8(&b, "-a");
	cp_u16(&b, 8, 1);
	options_fail(&b, "ends out of the class (entry 3)");
	free(b.p);

	b = class_head(3);                      /* an option with a space, a control byte */
	cp_utf8(&b, "-a b");
	cp_u16(&b, 8, 1);
	options_fail(&b, "not printable ASCII");
	b.p[b.len - 5] = '\n';
	options_fail(&b, "not printable ASCII");
	b.p[b.len - 5] = 0xc3;
	options_fail(&b, "not printable ASCII");
	free(b.p);

	b = class_head(3);                      /* a string not an option may be anything */
	cp_utf8(&b, "a b\n\xc3\xa9");
	cp_u16(&b, 8, 1);
	options_are(&b, "");
	free(b.p);

	/* 65534 strings of one 65535-byte option: capped, not 4 GB */
	{
		char *opt = malloc(65536);
		memset(opt, 'x', 65535);
		opt[0] = '-';
		opt[65535] = '\0';
		b = class_head(65535);
		cp_utf8(&b, opt);
		for (unsigned i = 2; i < 65535; i++)
			cp_u16(&b, 8, 1);
		options_fail(&b, "options longer than 1048576 bytes");
		free(b.p);
		free(opt);
	}
}

/* ---- files ---- */

static void write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(data, 1, len, f) != len || fclose(f))
		abort();
}

#define found_is(...) found_is_at(UNIT_HERE, __VA_ARGS__)
static void found_is_at(struct unit_at at, const char *home, const char *jar, const char *version)
{
	char j[512] = "", v[SPARKJAR_VERSION_MAX] = "", err[512] = "", want[512];
	int rc = sparkjar_find(home, j, sizeof j, v, sizeof v, err, sizeof err);

	at.label = jar;
	if (!CHECK_AT(at, rc == 0)) {
		unit_note(at, "%s", err);
		return;
	}
	snprintf(want, sizeof want, "%s/jars/%s", home, jar);
	CHECK_STR_AT(at, j, want);
	CHECK_STR_AT(at, v, version);
}

#define find_fails(...) find_fails_at(UNIT_HERE, __VA_ARGS__)
static void find_fails_at(struct unit_at at, const char *home, const char *why)
{
	char j[512], v[SPARKJAR_VERSION_MAX], err[512] = "";

	at.label = why;
	CHECK_AT(at, sparkjar_find(home, j, sizeof j, v, sizeof v, err, sizeof err) == -1);
	if (!CHECK_AT(at, strstr(err, why) != NULL))
		unit_note(at, "err: %s", err);
}

static void files(void)
{
	char home[] = "/tmp/tacitus-sparkjar-XXXXXX", jars[64], path[128], err[512] = "", *o;
	struct buf cls = tiny_class(), z;
	struct entry e = {SPARKJAR_MODULE_CLASS, cls.p, cls.len, 8, 0, 0};
	char v[4];

	if (!CHECK(mkdtemp(home) != NULL))
		return;
	find_fails(home, "jars: No such file or directory");
	snprintf(jars, sizeof jars, "%s/jars", home);
	mkdir(jars, 0700);
	find_fails(home, "no spark-launcher_<scala>-<version>.jar");
	snprintf(path, sizeof path, "%s/spark-core_2.13-4.0.0.jar", jars);
	write_file(path, "", 0);
	snprintf(path, sizeof path, "%s/spark-launcher_2.13-4.0.0-preview2.jar", jars);
	z = zip_of(&e, 1, NULL);
	write_file(path, z.p, z.len);
	free(z.p);
	found_is(home, "spark-launcher_2.13-4.0.0-preview2.jar", "4.0.0-preview2");
	CHECK(sparkjar_find(home, path, sizeof path, v, sizeof v, err, sizeof err) == -1);
	CHECK(strstr(err, "too long a version") != NULL);

	snprintf(path, sizeof path, "%s/spark-launcher_2.13-4.0.0-preview2.jar", jars);
	o = sparkjar_module_options(path, err, sizeof err);
	CHECK(o && !strcmp(o, "-a -b"));
	free(o);

	/* a class with no option in it; no such class; not a zip; no file; a directory */
	e.data = (const unsigned char *)"\xca\xfe\xba\xbe\0\0\0\x34\0\1";
	e.len = 10;
	z = zip_of(&e, 1, NULL);
	write_file(path, z.p, z.len);
	free(z.p);
	CHECK(!sparkjar_module_options(path, err, sizeof err) && strstr(err, "no option in it"));
	e.name = "org/apache/spark/launcher/Other.class";
	z = zip_of(&e, 1, NULL);
	write_file(path, z.p, z.len);
	free(z.p);
	CHECK(!sparkjar_module_options(path, err, sizeof err) &&
	      strstr(err, "no entry " SPARKJAR_MODULE_CLASS));
	write_file(path, "PK\3\4 not a zip", 14);
	CHECK(!sparkjar_module_options(path, err, sizeof err) && strstr(err, "not a zip file"));
	CHECK(!sparkjar_module_options(jars, err, sizeof err) && strstr(err, "not a regular file"));
	unlink(path);
	CHECK(!sparkjar_module_options(path, err, sizeof err) &&
	      strstr(err, "No such file or directory"));

	/* names of launcher jars that are not: two, a version that is not one */
	snprintf(path, sizeof path, "%s/spark-launcher_2.12-3.5.7.jar", jars);
	write_file(path, "", 0);
	snprintf(path, sizeof path, "%s/spark-launcher_2.13-3.5.7.jar", jars);
	write_file(path, "", 0);
	find_fails(home, "two launcher jars");
	unlink(path);
	found_is(home, "spark-launcher_2.12-3.5.7.jar", "3.5.7");
	snprintf(path, sizeof path, "%s/spark-launcher_2.12-x3.jar", jars);
	write_file(path, "", 0);
	find_fails(home, "spark-launcher_2.12-x3.jar: not a Spark version in the name");
	unlink(path);
	snprintf(path, sizeof path, "%s/spark-launcher_2.12-3.5 7.jar", jars);
	write_file(path, "", 0);
	find_fails(home, "not a Spark version in the name");
	unlink(path);
	snprintf(path, sizeof path, "%s/spark-launcher_2.12-3.5.7.jar", jars);
	unlink(path);
	snprintf(path, sizeof path, "%s/spark-core_2.13-4.0.0.jar", jars);
	unlink(path);
	rmdir(jars);
	rmdir(home);
	free(cls.p);
}

/* ---- the installed Spark: pyspark's jars in the project's venv ---- */

/* Whether the options a and b (space-separated) are the same set. */
static int same_set(const char *a, const char *b)
{
	for (int pass = 0; pass < 2; pass++) {
		const char *x = pass ? b : a, *y = pass ? a : b;
		for (const char *s = x; *s;) {
			size_t n = strcspn(s, " \n");
			int in = 0;
			for (const char *t = y; *t && !in;) {
				size_t m = strcspn(t, " \n");
				in = m == n && !strncmp(s, t, n);
				t += m;
				t += strspn(t, " \n");
			}
			if (n && !in)
				return 0;
			s += n;
			s += strspn(s, " \n");
		}
	}
	return 1;
}

static void installed(void)
{
	char jar[1024], v[SPARKJAR_VERSION_MAX], err[512] = "", pattern[1024], *o, *java;
	const char *home, *cache;
	glob_t g;

	if (glob(".venv/lib/python3*/site-packages/pyspark", 0, NULL, &g) != 0) {
		fprintf(stderr, "test_sparkjar: no .venv/lib/python3*/site-packages/pyspark here "
			"(make deps makes it): the installed Spark's jar is not read\n");
		return;
	}
	home = g.gl_pathv[0];
	if (!CHECK(sparkjar_find(home, jar, sizeof jar, v, sizeof v, err, sizeof err) == 0)) {
		unit_note(UNIT_HERE, "%s", err);
		globfree(&g);
		return;
	}
	CHECK_STR(v, "3.5.7");
	CHECK(strstr(jar, "/jars/spark-launcher_2.12-3.5.7.jar") != NULL);
	globfree(&g);
	if (!CHECK((o = sparkjar_module_options(jar, err, sizeof err)) != NULL)) {
		unit_note(UNIT_HERE, "%s", err);
		return;
	}
	CHECK(!strncmp(o, "-XX:+IgnoreUnrecognizedVMOptions ", 33));
	CHECK(strstr(o, " --add-opens=java.base/java.lang=ALL-UNNAMED ") != NULL);
	CHECK(strstr(o, " --add-opens=java.security.jgss/sun.security.krb5=ALL-UNNAMED ") != NULL);
	CHECK(strstr(o, " -Djdk.reflect.useDirectMethodHandle=false") != NULL);
	/* what Java itself printed (tests/cluster/standalone.sh), when it did here */
	cache = getenv("TACITUS_CACHE");
	if (cache)
		snprintf(pattern, sizeof pattern, "%s/standalone-jar-%s-*/module-options", cache, v);
	else if ((cache = getenv("XDG_CACHE_HOME")))
		snprintf(pattern, sizeof pattern, "%s/tacitus/standalone-jar-%s-*/module-options",
			 cache, v);
	else
		snprintf(pattern, sizeof pattern,
			 "%s/.cache/tacitus/standalone-jar-%s-*/module-options",
			 getenv("HOME") ? getenv("HOME") : "", v);
	if (glob(pattern, 0, NULL, &g) == 0) {
		FILE *f = fopen(g.gl_pathv[0], "r");
		size_t n;
		java = calloc(1, 65536);
		n = f ? fread(java, 1, 65535, f) : 0;
		while (n && (java[n - 1] == '\n' || java[n - 1] == '\r'))
			java[--n] = '\0';
		if (!CHECK(n > 0 && same_set(o, java)))
			unit_note(UNIT_HERE, "ours: %s\njava's (%s): %s", o, g.gl_pathv[0], java);
		if (strcmp(o, java))    /* the set is the contract; the order was Java's in 3.5.7 */
			fprintf(stderr, "test_sparkjar: the options are Java's in another order\n");
		if (f)
			fclose(f);
		free(java);
		globfree(&g);
	}
	free(o);
}

void test_sparkjar(void)
{
	zips();
	classes();
	files();
	installed();
}
