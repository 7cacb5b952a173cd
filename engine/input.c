/* input.c — reads input files once, whole, under a size limit, and keeps
 * the texts by path for the diagnostics and run.json (input.h). */
#include "input.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
    char *path;
    char *text;        /* len bytes and a NUL */
    size_t len;
    bool regular;      /* a regular file: read again at each call */
} entry;

static entry *reg;     /* the text last read from each path */
static int nreg, capreg;

/* The entry of path, or NULL. */
static entry *find(const char *path)
{
    for (int i = 0; i < nreg; i++)
        if (!strcmp(reg[i].path, path)) return &reg[i];
    return NULL;
}

/* "16 MiB" or "1,000 bytes" into buf. */
static void format_size(size_t n, char *buf, size_t cap)
{
    if (n >= 1024 * 1024 && n % (1024 * 1024) == 0) snprintf(buf, cap, "%zu MiB", n / (1024 * 1024));
    else snprintf(buf, cap, "%zu bytes", n);
}

/* Reads fd to its end into a malloc'd buffer of at most max bytes (and a
 * NUL). *over is set when there is more. NULL on a read error (errno set)
 * or no memory (errno ENOMEM). */
static char *read_all(int fd, size_t max, size_t size_hint, size_t *len, bool *over)
{
    size_t cap = size_hint > 0 && size_hint <= max ? size_hint + 1 : 65536, n = 0;
    if (cap > max + 1) cap = max + 1;
    char *buf = malloc(cap + 1);
    *over = false;
    if (!buf) { errno = ENOMEM; return NULL; }
    for (;;) {
        if (n == cap) {
            size_t ncap = cap > max / 2 ? max + 1 : 2 * cap;   /* one byte past the limit tells "more" */
            char *nb = ncap > cap ? realloc(buf, ncap + 1) : NULL;
            if (!nb) { free(buf); errno = ENOMEM; return NULL; }
            buf = nb; cap = ncap;
        }
        ssize_t k = read(fd, buf + n, cap - n);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) { int e = errno; free(buf); errno = e; return NULL; }
        if (k == 0) break;
        n += (size_t)k;
        if (n > max) { *over = true; free(buf); return NULL; }
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Registers text under path, replacing the text read before (the readers
 * are done with it), or keeping it when it holds the same bytes (a scenario
 * loaded again by sweep or compare). */
static entry *keep(const char *path, char *text, size_t len, bool regular)
{
    entry *old = find(path);
    if (old && old->len == len && !memcmp(old->text, text, len)) { free(text); return old; }
    if (old) {
        free(old->text);
        old->text = text; old->len = len; old->regular = regular;
        return old;
    }
    if (nreg == capreg) {
        int cap = capreg ? 2 * capreg : 16;
        entry *nr = realloc(reg, (size_t)cap * sizeof *nr);
        if (!nr) return NULL;
        reg = nr; capreg = cap;
    }
    char *p = cov_strdup(path);
    if (!p) return NULL;
    reg[nreg] = (entry){ p, text, len, regular };
    return &reg[nreg++];
}

const char *cov_input_read(const char *path, size_t max_bytes, const char *kind, size_t *len, cov_diag *d)
{
    entry *e = find(path);
    if (e && !e->regular) { *len = e->len; return e->text; }   /* a pipe gives its text once */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        cov_diag_add(d, COV_EIO, path, 0, 0, 0, "cannot open the file: %s", strerror(errno));
        return NULL;
    }
    cov_inputs_note(d, fd);
    struct stat st;
    bool regular = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    char lim[32];
    format_size(max_bytes, lim, sizeof lim);
    if (regular && (size_t)st.st_size > max_bytes) {   /* refused before reading a byte */
        close(fd);
        cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "the file holds %lld bytes, more than %s, covcast's limit for %s: "
                     "is it the right file?", (long long)st.st_size, lim, kind);
        return NULL;
    }
    bool over;
    size_t n = 0;
    char *text = read_all(fd, max_bytes, regular ? (size_t)st.st_size : 0, &n, &over);
    int err = errno;
    close(fd);
    if (over) {
        cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "the file holds more than %s, covcast's limit for %s: "
                     "is it the right file?", lim, kind);
        return NULL;
    }
    if (!text) {
        if (err == ENOMEM) cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory reading the file");
        else cov_diag_add(d, COV_EIO, path, 0, 0, 0, "read error: %s", strerror(err));
        return NULL;
    }
    if (!(e = keep(path, text, n, regular))) {
        free(text);
        cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory reading the file");
        return NULL;
    }
    *len = e->len;
    return e->text;
}

const char *cov_input_text(const char *path, size_t *len)
{
    entry *e = find(path);
    if (!e) return NULL;
    *len = e->len;
    return e->text;
}

static void hex_digest(struct sha256_ctx *ctx, char hex[65])
{
    uint8_t dg[SHA256_DIGEST_SIZE];
    sha256_digest(ctx, sizeof dg, dg);
    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) snprintf(hex + 2 * i, 3, "%02x", dg[i]);
}

bool cov_input_sha256(const char *path, char hex[65])
{
    struct sha256_ctx ctx;
    sha256_init(&ctx);
    hex[0] = '\0';
    entry *e = find(path);
    if (e) {
        sha256_update(&ctx, e->len, (const uint8_t *)e->text);
        hex_digest(&ctx, hex);
        return true;
    }
    struct stat st;   /* never opens a pipe: it could hang, or take the text from its reader */
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) return false;
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) sha256_update(&ctx, n, buf);
    bool ok = !ferror(f);
    fclose(f);
    if (ok) hex_digest(&ctx, hex);
    return ok;
}

void cov_input_forget_all(void)
{
    for (int i = 0; i < nreg; i++) { free(reg[i].path); free(reg[i].text); }
    free(reg);
    reg = NULL;
    nreg = capreg = 0;
}
