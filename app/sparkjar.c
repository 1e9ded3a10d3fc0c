/* sparkjar.c - facts read from the installed Spark's jars: a minimal zip reader and a
 * class file's constant pool.  Formats: PKWARE's APPNOTE.TXT (4.3: EOCD, central
 * directory, local file header), the JVM specification 4.4 (the constant pool). */
#include "sparkjar.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#define LAUNCHER_PREFIX "spark-launcher_"
#define JAR_SUFFIX ".jar"

static void fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t be16(const unsigned char *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* ---- the zip ---- */

#define EOCD_SIG 0x06054b50u
#define CDIR_SIG 0x02014b50u
#define LOCAL_SIG 0x04034b50u
#define EOCD_LEN 22
#define CDIR_LEN 46
#define LOCAL_LEN 30

/* The offset of the End Of Central Directory record: the last signature from the end
 * whose comment ends within the buffer; -1 when there is none. */
static long find_eocd(const unsigned char *zip, size_t len)
{
	size_t pos, lowest;

	if (len < EOCD_LEN)
		return -1;
	lowest = len - EOCD_LEN > 0xffff ? len - EOCD_LEN - 0xffff : 0;
	for (pos = len - EOCD_LEN;; pos--) {
		if (le32(zip + pos) == EOCD_SIG && pos + EOCD_LEN + le16(zip + pos + 20) <= len)
			return (long)pos;
		if (pos == lowest)
			return -1;
	}
}

/* The entry's data (csize bytes at data) as it was stored: into *out, usize bytes. */
static int unpack(const unsigned char *data, uint32_t csize, uint32_t usize, uint16_t method,
		  uint32_t crc, unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
	unsigned char *buf;

	if (method != 0 && method != 8) {
		fail(err, errlen, "compression method %u (only 0, stored, and 8, deflated)", method);
		return -1;
	}
	if (usize > SPARKJAR_ENTRY_MAX) {
		fail(err, errlen, "entry of %lu bytes (at most %d)", (unsigned long)usize,
		     SPARKJAR_ENTRY_MAX);
		return -1;
	}
	if (method == 0 && csize != usize) {
		fail(err, errlen, "stored entry of %lu bytes said to be %lu", (unsigned long)csize,
		     (unsigned long)usize);
		return -1;
	}
	if (!(buf = malloc((size_t)usize + 1))) {
		fail(err, errlen, "out of memory");
		return -1;
	}
	if (method == 0) {
		memcpy(buf, data, usize);
	} else {
		z_stream z;
		int zrc;

		memset(&z, 0, sizeof z);
		if (inflateInit2(&z, -MAX_WBITS) != Z_OK) {
			free(buf);
			fail(err, errlen, "zlib: cannot start inflating");
			return -1;
		}
		/* zlib does not write into next_in: the cast only drops const */
		z.next_in = (Bytef *)(uintptr_t)data;
		z.avail_in = csize;
		z.next_out = buf;
		z.avail_out = usize + 1;        /* one more: longer data is seen as such */
		zrc = inflate(&z, Z_FINISH);
		inflateEnd(&z);
		if (zrc != Z_STREAM_END || z.total_out != usize) {
			free(buf);
			fail(err, errlen, "deflated data that does not inflate to its %lu bytes",
			     (unsigned long)usize);
			return -1;
		}
	}
	if (crc32(crc32(0L, Z_NULL, 0), buf, usize) != crc) {
		free(buf);
		fail(err, errlen, "CRC-32 mismatch");
		return -1;
	}
	buf[usize] = '\0';
	*out = buf;
	*outlen = usize;
	return 0;
}

int sparkjar_zip_entry(const unsigned char *zip, size_t len, const char *name,
		       unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
	size_t nlen = strlen(name), eocd, cd, cd_end, p;
	uint32_t cd_size, cd_off;
	uint16_t entries;
	long e;

	*out = NULL;
	*outlen = 0;
	if ((e = find_eocd(zip, len)) < 0) {
		fail(err, errlen, "not a zip file (no End Of Central Directory record)");
		return -1;
	}
	eocd = (size_t)e;
	entries = le16(zip + eocd + 10);
	cd_size = le32(zip + eocd + 12);
	cd_off = le32(zip + eocd + 16);
	if (entries == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu) {
		fail(err, errlen, "a zip64 file (not read here)");
		return -1;
	}
	if (le16(zip + eocd + 4) != 0 || le16(zip + eocd + 6) != 0 ||
	    le16(zip + eocd + 8) != entries) {
		fail(err, errlen, "a zip file of several disks");
		return -1;
	}
	cd = cd_off;
	if (cd > eocd || cd_size > eocd - cd) {
		fail(err, errlen, "the central directory is out of the file");
		return -1;
	}
	cd_end = cd + cd_size;
	for (p = cd; entries > 0; entries--) {
		uint16_t fnlen, xlen, clen, flags, method;
		uint32_t crc, csize, usize, loff;
		size_t data;

		if (cd_end - p < CDIR_LEN || le32(zip + p) != CDIR_SIG) {
			fail(err, errlen, "a truncated or corrupt central directory");
			return -1;
		}
		flags = le16(zip + p + 8);
		method = le16(zip + p + 10);
		crc = le32(zip + p + 16);
		csize = le32(zip + p + 20);
		usize = le32(zip + p + 24);
		fnlen = le16(zip + p + 28);
		xlen = le16(zip + p + 30);
		clen = le16(zip + p + 32);
		loff = le32(zip + p + 42);
		if ((size_t)fnlen + xlen + clen > cd_end - p - CDIR_LEN) {
			fail(err, errlen, "a truncated or corrupt central directory");
			return -1;
		}
		if (fnlen != nlen || memcmp(zip + p + CDIR_LEN, name, nlen)) {
			p += CDIR_LEN + (size_t)fnlen + xlen + clen;
			continue;
		}
		if (flags & 1) {
			fail(err, errlen, "%s is encrypted", name);
			return -1;
		}
		if (csize == 0xffffffffu || usize == 0xffffffffu || loff == 0xffffffffu) {
			fail(err, errlen, "%s is a zip64 entry (not read here)", name);
			return -1;
		}
		/* the local header, its name the same; its sizes may be 0 (a data
		 * descriptor follows the data): the central directory's count */
		if (loff > cd || cd - loff < LOCAL_LEN || le32(zip + loff) != LOCAL_SIG) {
			fail(err, errlen, "%s: no local header where the central directory says",
			     name);
			return -1;
		}
		data = (size_t)loff + LOCAL_LEN + le16(zip + loff + 26) + le16(zip + loff + 28);
		if (le16(zip + loff + 26) != nlen || data > cd ||
		    memcmp(zip + loff + LOCAL_LEN, name, nlen)) {
			fail(err, errlen, "%s: a local header that does not match", name);
			return -1;
		}
		if (csize > cd - data) {
			fail(err, errlen, "%s: its data is out of the file", name);
			return -1;
		}
		if (unpack(zip + data, csize, usize, method, crc, out, outlen, err, errlen) < 0)
			return -1;
		return 0;
	}
	fail(err, errlen, "no entry %s", name);
	return -1;
}

/* ---- the class file ---- */

#define CLASS_MAGIC 0xcafebabeu
#define TAG_UTF8 1
#define TAG_STRING 8

/* The bytes after the tag of a constant-pool entry of tag t; 0 for an unknown tag
 * (a Utf8's are 2 plus its length). */
static size_t cp_size(unsigned t)
{
	switch (t) {
	case 1: return 2;
	case 3: case 4: return 4;                      /* Integer, Float */
	case 5: case 6: return 8;                      /* Long, Double: two slots */
	case 7: case 8: case 16: case 19: case 20: return 2;
	case 9: case 10: case 11: case 12: case 17: case 18: return 4;
	case 15: return 3;                             /* MethodHandle */
	default: return 0;
	}
}

/* Append the option s (n bytes) to the growing *buf, a space before it unless first. */
static int append(char **buf, size_t *len, size_t *cap, const unsigned char *s, size_t n,
		  char *err, size_t errlen)
{
	size_t need = *len + (*len ? 1 : 0) + n + 1;

	if (need > SPARKJAR_ENTRY_MAX) {
		fail(err, errlen, "options longer than %d bytes", SPARKJAR_ENTRY_MAX);
		return -1;
	}
	if (need > *cap) {
		size_t c = *cap ? *cap : 256;
		char *b;
		while (c < need)
			c *= 2;
		if (!(b = realloc(*buf, c))) {
			fail(err, errlen, "out of memory");
			return -1;
		}
		*buf = b;
		*cap = c;
	}
	if (*len)
		(*buf)[(*len)++] = ' ';
	memcpy(*buf + *len, s, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

char *sparkjar_class_options(const unsigned char *cls, size_t len, char *err, size_t errlen)
{
	size_t *off = NULL, p = 10, olen = 0, ocap = 0;
	unsigned char *tag = NULL;
	char *opts = NULL;
	unsigned count, i;

	if (len < 10 || be32(cls) != CLASS_MAGIC) {
		fail(err, errlen, "not a class file");
		return NULL;
	}
	count = be16(cls + 8);
	if (count == 0) {
		fail(err, errlen, "a class file with a constant pool count of 0");
		return NULL;
	}
	off = calloc(count, sizeof *off);
	tag = calloc(count, 1);     /* 0: no entry (index 0, the second slot of 5 and 6) */
	if (!off || !tag) {
		fail(err, errlen, "out of memory");
		goto fail;
	}
	/* where each entry is */
	for (i = 1; i < count; i++) {
		size_t n;
		if (p >= len) {
			fail(err, errlen, "the constant pool ends out of the class (entry %u)", i);
			goto fail;
		}
		if (!(n = cp_size(cls[p]))) {
			fail(err, errlen, "constant pool entry %u has an unknown tag %u", i, cls[p]);
			goto fail;
		}
		if (len - p - 1 < n ||
		    (cls[p] == TAG_UTF8 && len - p - 1 - n < be16(cls + p + 1))) {
			fail(err, errlen, "constant pool entry %u is out of the class", i);
			goto fail;
		}
		tag[i] = cls[p];
		off[i] = p + 1;
		if (cls[p] == TAG_UTF8)
			n += be16(cls + p + 1);
		if (cls[p] == 5 || cls[p] == 6)
			i++;        /* takes two slots (a Long last leaves i == count) */
		p += 1 + n;
	}
	/* the strings, in the pool's order */
	for (i = 1; i < count; i++) {
		const unsigned char *s;
		unsigned u;
		size_t n;
		if (tag[i] != TAG_STRING)
			continue;
		u = be16(cls + off[i]);
		if (u == 0 || u >= count || tag[u] != TAG_UTF8) {
			fail(err, errlen, "constant pool entry %u: string index %u is not a Utf8 "
			     "entry", i, u);
			goto fail;
		}
		n = be16(cls + off[u]);
		s = cls + off[u] + 2;
		if (n == 0 || s[0] != '-')
			continue;
		for (size_t k = 0; k < n; k++)
			if (s[k] < 0x21 || s[k] > 0x7e) {
				fail(err, errlen, "constant pool entry %u: an option that is not "
				     "printable ASCII without spaces", u);
				goto fail;
			}
		if (append(&opts, &olen, &ocap, s, n, err, errlen) < 0)
			goto fail;
	}
	free(off);
	free(tag);
	if (!opts && !(opts = strdup("")))
		fail(err, errlen, "out of memory");
	return opts;
fail:
	free(off);
	free(tag);
	free(opts);
	return NULL;
}

/* ---- the files ---- */

/* The file at path, malloc'd (*len bytes), at most SPARKJAR_FILE_MAX bytes. */
static unsigned char *slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	unsigned char *buf = NULL;
	struct stat st;
	size_t n = 0;

	if (fd < 0) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		fail(err, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fail(err, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > SPARKJAR_FILE_MAX) {
		fail(err, errlen, "%s: longer than %d bytes", path, SPARKJAR_FILE_MAX);
		goto out;
	}
	if (!(buf = malloc((size_t)st.st_size + 1))) {
		fail(err, errlen, "out of memory");
		goto out;
	}
	while (n < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			fail(err, errlen, "%s: %s", path, r < 0 ? strerror(errno) : "shorter than its size");
			free(buf);
			buf = NULL;
			goto out;
		}
		n += (size_t)r;
	}
	*len = n;
out:
	close(fd);
	return buf;
}

char *sparkjar_module_options(const char *jar, char *err, size_t errlen)
{
	unsigned char *zip, *cls;
	size_t zlen, clen;
	char why[256], *opts;

	if (!(zip = slurp(jar, &zlen, err, errlen)))
		return NULL;
	if (sparkjar_zip_entry(zip, zlen, SPARKJAR_MODULE_CLASS, &cls, &clen, why, sizeof why) < 0) {
		free(zip);
		fail(err, errlen, "%s: %s", jar, why);
		return NULL;
	}
	free(zip);
	opts = sparkjar_class_options(cls, clen, why, sizeof why);
	free(cls);
	if (!opts) {
		fail(err, errlen, "%s: %s: %s", jar, SPARKJAR_MODULE_CLASS, why);
		return NULL;
	}
	if (!*opts) {
		free(opts);
		fail(err, errlen, "%s: %s: no option in it", jar, SPARKJAR_MODULE_CLASS);
		return NULL;
	}
	return opts;
}

/* The version in a launcher jar's name (spark-launcher_2.12-3.5.7.jar), into v (size
 * vlen): 1, 0 when the name is not a launcher jar's, -1 when its version is not one. */
static int launcher_version(const char *name, char *v, size_t vlen)
{
	size_t n = strlen(name), slen = strlen(JAR_SUFFIX), plen = strlen(LAUNCHER_PREFIX);
	const char *s, *dash, *end;

	if (n <= plen + slen || strncmp(name, LAUNCHER_PREFIX, plen) ||
	    strcmp(name + n - slen, JAR_SUFFIX))
		return 0;
	s = name + plen;
	end = name + n - slen;
	if (!(dash = memchr(s, '-', (size_t)(end - s))) || dash == s)
		return 0;
	for (const char *c = s; c < dash; c++)          /* the Scala version */
		if (!(*c >= '0' && *c <= '9') && *c != '.')
			return 0;
	s = dash + 1;
	if (s == end || !(*s >= '0' && *s <= '9') || (size_t)(end - s) >= vlen ||
	    (size_t)(end - s) >= SPARKJAR_VERSION_MAX)
		return -1;
	for (const char *c = s; c < end; c++)
		if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= 'A' && *c <= 'Z') || strchr(".+_-", *c)))
			return -1;
	memcpy(v, s, (size_t)(end - s));
	v[end - s] = '\0';
	return 1;
}

int sparkjar_find(const char *spark_home, char *jar, size_t jarlen, char *version, size_t vlen,
		  char *err, size_t errlen)
{
	char dir[4096], found[256] = "", v[SPARKJAR_VERSION_MAX];
	const struct dirent *d;
	DIR *dp;
	int rc = 0;

	if ((size_t)snprintf(dir, sizeof dir, "%s/jars", spark_home) >= sizeof dir) {
		fail(err, errlen, "%s: too long a path", spark_home);
		return -1;
	}
	if (!(dp = opendir(dir))) {
		fail(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while (rc == 0 && (d = readdir(dp))) {
		int r = launcher_version(d->d_name, v, sizeof v);
		if (r == 0)
			continue;
		if (r < 0) {
			fail(err, errlen, "%s/%s: not a Spark version in the name", dir, d->d_name);
			rc = -1;
		} else if (*found) {
			fail(err, errlen, "%s: two launcher jars, %s and %s", dir, found, d->d_name);
			rc = -1;
		} else if ((size_t)snprintf(found, sizeof found, "%s", d->d_name) >= sizeof found) {
			fail(err, errlen, "%s/%s: too long a name", dir, d->d_name);
			rc = -1;
		} else if (strlen(v) >= vlen) {
			fail(err, errlen, "%s/%s: too long a version", dir, d->d_name);
			rc = -1;
		} else {
			snprintf(version, vlen, "%s", v);
		}
	}
	closedir(dp);
	if (rc < 0)
		return -1;
	if (!*found) {
		fail(err, errlen, "%s: no %s<scala>-<version>%s", dir, LAUNCHER_PREFIX, JAR_SUFFIX);
		return -1;
	}
	if ((size_t)snprintf(jar, jarlen, "%s/%s", dir, found) >= jarlen) {
		fail(err, errlen, "%s/%s: too long a path", dir, found);
		return -1;
	}
	return 0;
}
