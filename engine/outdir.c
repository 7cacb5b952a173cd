/* outdir.c — atomic replacement of an output folder (see outdir.h). Uses
 * renameat2(RENAME_EXCHANGE) where the file system has it, else two renames. */
#define _GNU_SOURCE
#include "outdir.h"
#include "dist.h"
#include "text.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct cov_outdir {
    char out[4096];
    char tmp[4096];
    bool elsewhere;   /* an MPI rank other than 0: rank 0 writes, this one touches nothing */
};

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

static void remove_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static bool mkdirs(const char *path)
{
    char *p = cov_strdup(path);
    if (!p) return false;
    for (char *q = p + 1; *q; q++)
        if (*q == '/') { *q = '\0'; mkdir(p, 0777); *q = '/'; }
    bool ok = mkdir(p, 0777) == 0 || errno == EEXIST;
    free(p);
    return ok;
}

#define MARKER ".covcast"

/* May this existing folder be replaced? Only if covcast wrote it (its
 * marker file is there) or it is empty. */
static bool ours(const char *dir)
{
    char mark[8192];
    snprintf(mark, sizeof mark, "%s/" MARKER, dir);
    if (access(mark, F_OK) == 0) return true;
    DIR *dd = opendir(dir);
    if (!dd) return false;
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(dd)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(dd);
    return empty;
}

cov_outdir *cov_outdir_begin(const char *out, cov_diag *d)
{
    cov_outdir *o = calloc(1, sizeof *o);
    if (!o) { cov_diag_add(d, COV_ELIMIT, out, 0, 0, 0, "out of memory"); return NULL; }
    snprintf(o->out, sizeof o->out, "%s", out);
    if (cov_dist_rank() != 0) { o->elsewhere = true; return o; }
    size_t n = strlen(o->out);
    while (n > 1 && o->out[n - 1] == '/') o->out[--n] = '\0';
    char *copy = cov_strdup(o->out), *parent = copy ? dirname(copy) : NULL;
    struct stat st;
    if (!parent || !mkdirs(parent)) {
        cov_diag_add(d, COV_EIO, out, 0, 0, 0, "cannot create the folder %s: %s", parent ? parent : out, strerror(errno));
        free(copy); free(o);
        return NULL;
    }
    if (lstat(o->out, &st) == 0 && !S_ISDIR(st.st_mode)) {
        cov_diag_add(d, COV_EIO, out, 0, 0, 0, "the output path exists and is not a folder");
        free(copy); free(o);
        return NULL;
    }
    if (lstat(o->out, &st) == 0 && !ours(o->out)) {
        cov_diag_add(d, COV_EIO, out, 0, 0, 0,
                     "this folder exists and was not written by covcast; covcast replaces only its own "
                     "results folders: choose another output folder, or empty this one first");
        free(copy); free(o);
        return NULL;
    }
    snprintf(o->tmp, sizeof o->tmp, "%s/.covcast-tmp-XXXXXX", parent);
    free(copy);
    if (!mkdtemp(o->tmp)) {
        cov_diag_add(d, COV_EIO, out, 0, 0, 0, "cannot write beside the output folder: %s", strerror(errno));
        free(o);
        return NULL;
    }
    chmod(o->tmp, 0755);
    char mark[8192];
    snprintf(mark, sizeof mark, "%s/" MARKER, o->tmp);
    FILE *m = fopen(mark, "w");
    if (!m || fputs("This folder was written by covcast; a new run may replace it whole.\n", m) < 0 || fclose(m) != 0) {
        if (m) fclose(m);
        cov_diag_add(d, COV_EIO, out, 0, 0, 0, "cannot write beside the output folder: %s", strerror(errno));
        remove_tree(o->tmp);
        free(o);
        return NULL;
    }
    return o;
}

bool cov_outdir_file(cov_outdir *o, const char *name, cov_writer_fn fn, const void *ctx, cov_diag *d)
{
    if (o->elsewhere) return true;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", o->tmp, name);
    FILE *f = fopen(path, "w");
    if (!f) {
        cov_diag_add(d, COV_EIO, o->out, 0, 0, 0, "cannot write %s: %s", name, strerror(errno));
        return false;
    }
    fn(f, ctx);
    errno = 0;
    bool ok = !ferror(f) && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int err = errno;
    ok = (fclose(f) == 0) && ok;
    if (!ok)
        cov_diag_add(d, COV_EIO, o->out, 0, 0, 0, "cannot write %s: %s (is the disk full?)",
                     name, strerror(err ? err : errno ? errno : EIO));
    return ok;
}

const char *cov_outdir_path(const cov_outdir *o)
{
    return o->tmp;
}

bool cov_outdir_mkdir(cov_outdir *o, const char *name, cov_diag *d)
{
    if (o->elsewhere) return true;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", o->tmp, name);
    if (mkdir(path, 0777) == 0 || errno == EEXIST) return true;
    cov_diag_add(d, COV_EIO, o->out, 0, 0, 0, "cannot create %s: %s", name, strerror(errno));
    return false;
}

cov_status cov_outdir_commit(cov_outdir *o, cov_diag *d)
{
    struct stat st;
    cov_status rc = COV_OK;
    if (o->elsewhere) { free(o); return COV_OK; }
    if (lstat(o->out, &st) == 0) {
        if (renameat2(AT_FDCWD, o->tmp, AT_FDCWD, o->out, RENAME_EXCHANGE) == 0) {
            remove_tree(o->tmp);   /* now holds the earlier results */
        } else {
            char old[8192];
            snprintf(old, sizeof old, "%s.old-%ld", o->out, (long)getpid());
            if (rename(o->out, old) != 0 || rename(o->tmp, o->out) != 0) {
                cov_diag_add(d, COV_EIO, o->out, 0, 0, 0, "cannot replace the output folder: %s", strerror(errno));
                rename(old, o->out);
                remove_tree(o->tmp);
                rc = COV_EIO;
            } else {
                remove_tree(old);
            }
        }
    } else if (rename(o->tmp, o->out) != 0) {
        cov_diag_add(d, COV_EIO, o->out, 0, 0, 0, "cannot create the output folder: %s", strerror(errno));
        remove_tree(o->tmp);
        rc = COV_EIO;
    }
    free(o);
    return rc;
}

void cov_outdir_abort(cov_outdir *o)
{
    if (!o) return;
    if (!o->elsewhere) remove_tree(o->tmp);
    free(o);
}
