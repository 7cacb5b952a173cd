/* outdir.c — outputs that never damage inputs or files covcast did not
 * write (see outdir.h).
 *
 * A covcast folder carries a marker file, .covcast, listing every file and
 * folder covcast wrote in it. An existing folder is replaced only when it is
 * empty or everything in it is listed (or is itself a listed covcast
 * folder, as plots/), and when nothing in it is an input of the command.
 * The new folder is written under a temporary name beside it and swapped
 * in with renameat2(RENAME_EXCHANGE) where the file system has it, else two
 * renames. Single files go the same way: written beside, renamed into
 * place, never onto an input or onto a file without covcast's signature. */
#define _GNU_SOURCE
#include "outdir.h"
#include "dist.h"
#include "text.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct cov_outdir {
    char out[4096];
    char tmp[4096];
    bool elsewhere;   /* an MPI rank other than 0: rank 0 writes, this one touches nothing */
};

#define MARKER ".covcast"
#define MARKER_TEXT "This folder was written by covcast; a new run may replace it whole.\n"
#define FILES_LINE "Files covcast wrote here (a new run refuses to remove anything else):\n"
#define TMP_TAG ".covcast-tmp-"

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

/* out = a + sep + b; false when it does not fit (the path is then not used). */
static bool join(char *out, size_t n, const char *a, const char *sep, const char *b)
{
    int k = snprintf(out, n, "%s%s%s", a, sep, b);
    return k >= 0 && (size_t)k < n;
}

static bool is_input(const cov_diag *d, const struct stat *st)
{
    for (int i = 0; i < d->ninputs; i++)
        if (d->inputs[i].dev == (uint64_t)st->st_dev && d->inputs[i].ino == (uint64_t)st->st_ino) return true;
    return false;
}

/* ---- the manifest ------------------------------------------------------ */

typedef struct { char *text; char **line; int n; bool listed; } manifest;

/* Reads DIR/.covcast. False when there is no marker; m->listed is false
 * for a marker without a list (an earlier covcast wrote it). */
static bool manifest_read(const char *dir, manifest *m)
{
    memset(m, 0, sizeof *m);
    char path[8192];
    snprintf(path, sizeof path, "%s/" MARKER, dir);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t cap = 0;
    if (getdelim(&m->text, &cap, '\0', f) < 0) { free(m->text); m->text = NULL; }
    fclose(f);
    char *list = m->text ? strstr(m->text, FILES_LINE) : NULL;
    if (!list) return true;
    m->listed = true;
    list += strlen(FILES_LINE);
    for (char *p = list; *p; p++) if (*p == '\n') m->n++;
    m->line = calloc((size_t)m->n + 1, sizeof *m->line);
    if (!m->line) { m->listed = false; return true; }
    m->n = 0;
    for (char *p = list, *nl; (nl = strchr(p, '\n')); p = nl + 1) { *nl = '\0'; m->line[m->n++] = p; }
    return true;
}

static void manifest_free(manifest *m)
{
    free(m->text);
    free(m->line);
}

static bool listed(const manifest *m, const char *rel)
{
    for (int i = 0; i < m->n; i++) if (!strcmp(m->line[i], rel)) return true;
    return false;
}

/* ---- what is in an existing folder --------------------------------------- */

typedef struct {
    const cov_diag *d;
    int foreign;              /* entries covcast did not write */
    char foreign_names[600];
    bool unlisted;            /* a marker of an earlier covcast, without a list */
    char input[4096];         /* the first input of the command found inside */
} survey;

static void note_foreign(survey *sv, const char *rel)
{
    size_t l = strlen(sv->foreign_names);
    if (sv->foreign < 4 && l + strlen(rel) + 3 < sizeof sv->foreign_names)
        snprintf(sv->foreign_names + l, sizeof sv->foreign_names - l, "%s%s", l ? ", " : "", rel);
    else if (sv->foreign == 4 && l + 8 < sizeof sv->foreign_names)
        snprintf(sv->foreign_names + l, sizeof sv->foreign_names - l, ", …");
    sv->foreign++;
}

static void survey_folder(const char *dir, const char *shown, survey *sv);

/* Looks at every entry of dir/rel against the folder's manifest m; shown is
 * the folder's name in messages. */
static void survey_entries(const char *dir, const char *rel, const manifest *m, const char *shown, survey *sv)
{
    char path[8192];
    snprintf(path, sizeof path, "%s%s%s", dir, *rel ? "/" : "", rel);
    DIR *dd = opendir(path);
    if (!dd) { note_foreign(sv, *rel ? rel : "."); return; }
    struct dirent *e;
    while ((e = readdir(dd))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (!*rel && !strcmp(e->d_name, MARKER)) continue;
        char sub[8192], full[8192], show[8192];
        struct stat st;
        if (!join(sub, sizeof sub, rel, *rel ? "/" : "", e->d_name) || !join(full, sizeof full, dir, "/", sub)
            || !join(show, sizeof show, shown, *shown ? "/" : "", sub) || lstat(full, &st) != 0) {
            note_foreign(sv, e->d_name);
            continue;
        }
        if (strstr(e->d_name, TMP_TAG)) continue;   /* covcast's own, being written or left by a crash */
        if (S_ISDIR(st.st_mode)) {
            char mark[8300], slash[8200];
            snprintf(mark, sizeof mark, "%s/" MARKER, full);
            snprintf(slash, sizeof slash, "%s/", sub);
            if (access(mark, F_OK) == 0) survey_folder(full, show, sv);
            else if (m->listed && listed(m, slash)) survey_entries(dir, sub, m, shown, sv);
            else note_foreign(sv, show);
        } else if (!m->listed || !listed(m, sub)) {
            note_foreign(sv, show);
        }
    }
    closedir(dd);
}

/* Surveys a covcast folder (one with a marker) against its own manifest. */
static void survey_folder(const char *dir, const char *shown, survey *sv)
{
    manifest m;
    manifest_read(dir, &m);
    if (!m.listed) sv->unlisted = true;
    survey_entries(dir, "", &m, shown, sv);
    manifest_free(&m);
}

/* Finds any input of the command under dir, whatever the manifests say. */
static void find_inputs(const char *dir, survey *sv)
{
    DIR *dd = opendir(dir);
    if (!dd) return;
    struct dirent *e;
    while (!sv->input[0] && (e = readdir(dd))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char full[4096];
        struct stat st;
        if (!join(full, sizeof full, dir, "/", e->d_name) || lstat(full, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) find_inputs(full, sv);
        else if (S_ISREG(st.st_mode) && is_input(sv->d, &st)) snprintf(sv->input, sizeof sv->input, "%s", full);
    }
    closedir(dd);
}

static bool empty_dir(const char *dir)
{
    DIR *dd = opendir(dir);
    if (!dd) return false;
    struct dirent *e;
    bool empty = true;
    while (empty && (e = readdir(dd)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(dd);
    return empty;
}

/* May the existing folder out be replaced by this command's results? True
 * when it does not exist, is empty, or is covcast's whole and holds no input
 * of the command; else false with d filled. */
static bool replaceable(const char *out, cov_diag *d)
{
    struct stat st;
    if (lstat(out, &st) != 0) return true;
    if (!S_ISDIR(st.st_mode)) {
        cov_diag_add(d, COV_EIO, out, 0, 0, 0, "the output path exists and is not a folder");
        return false;
    }
    survey sv = { .d = d };
    char mark[8192];
    snprintf(mark, sizeof mark, "%s/" MARKER, out);
    bool marked = access(mark, F_OK) == 0;
    if (!marked && !empty_dir(out)) {
        cov_diag_add(d, COV_EIO, out, 0, 0, 0,
                     "this folder exists and was not written by covcast; covcast replaces only its own "
                     "results folders: choose another output folder, or empty this one first");
        return false;
    }
    find_inputs(out, &sv);
    if (sv.input[0]) {
        cov_diag_add(d, COV_EIO, out, 0, 0, 0,
                     "the output folder holds %s, an input of this command; writing the results there would "
                     "remove it: choose another output folder, or move the input out of it", sv.input);
        return false;
    }
    if (!marked) return true;
    survey_folder(out, "", &sv);
    if (sv.unlisted) {
        cov_diag_add(d, COV_EIO, out, 0, 0, 0,
                     "this folder was written by an earlier covcast that did not list its files, so covcast cannot "
                     "tell its results from files of yours: move anything of yours out and delete the folder, "
                     "or choose another output folder");
        return false;
    }
    if (sv.foreign) {
        cov_diag_add(d, COV_EIO, out, 0, 0, 0,
                     "this results folder also holds %d file%s covcast did not write (%s); a new run replaces the "
                     "folder whole and would remove %s: move %s out, or choose another output folder",
                     sv.foreign, sv.foreign == 1 ? "" : "s", sv.foreign_names, sv.foreign == 1 ? "it" : "them",
                     sv.foreign == 1 ? "it" : "them");
        return false;
    }
    if (d->inputs_lost) {
        cov_diag_add(d, COV_ELIMIT, out, 0, 0, 0,
                     "this command read more than %d files, too many to check that replacing the folder keeps "
                     "them all: write to a new folder", COV_INPUTS_MAX);
        return false;
    }
    return true;
}

/* ---- temporary names left by a crash ------------------------------------ */

/* Is the temporary entry NAME (with TMP_TAG) left by a process that no
 * longer runs? Names carry the writer's pid: ...covcast-tmp-PID-XXXXXX. */
static bool stale(const char *name, const struct stat *st)
{
    const char *p = strstr(name, TMP_TAG) + strlen(TMP_TAG);
    char *end;
    long pid = strtol(p, &end, 10);
    if (end != p && *end == '-' && pid > 0)
        return pid != (long)getpid() && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
    return time(NULL) - st->st_mtime > 24 * 3600;   /* an earlier covcast's name, without a pid */
}

/* Removes covcast's own temporary folders and files in dir whose writer is
 * gone (a SIGKILL or a power cut during a write). A folder counts as
 * covcast's only with its marker inside. */
static void clean_stale(const char *dir)
{
    DIR *dd = opendir(dir);
    if (!dd) return;
    struct dirent *e;
    while ((e = readdir(dd))) {
        if (!strstr(e->d_name, TMP_TAG)) continue;
        char full[8192], mark[8300];
        snprintf(full, sizeof full, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(full, &st) != 0 || !stale(e->d_name, &st)) continue;
        snprintf(mark, sizeof mark, "%s/" MARKER, full);
        if (S_ISDIR(st.st_mode) && access(mark, F_OK) == 0) remove_tree(full);
        else if (S_ISREG(st.st_mode)) remove(full);
    }
    closedir(dd);
}

/* ---- folders ------------------------------------------------------------ */

static void trim_slashes(char *p)
{
    size_t n = strlen(p);
    while (n > 1 && p[n - 1] == '/') p[--n] = '\0';
}

bool cov_outdir_check(const char *out, cov_diag *d)
{
    if (cov_dist_rank() != 0) return true;
    char o[4096];
    snprintf(o, sizeof o, "%s", out);
    trim_slashes(o);
    return replaceable(o, d);
}

static bool write_marker(const char *dir, const char *list)
{
    char mark[8192];
    snprintf(mark, sizeof mark, "%s/" MARKER, dir);
    FILE *m = fopen(mark, "w");
    bool ok = m && fputs(MARKER_TEXT, m) >= 0 && (!list || fputs(list, m) >= 0);
    if (m) ok = fclose(m) == 0 && ok;
    return ok;
}

cov_outdir *cov_outdir_begin(const char *out, cov_diag *d)
{
    cov_outdir *o = calloc(1, sizeof *o);
    if (!o) { cov_diag_add(d, COV_ELIMIT, out, 0, 0, 0, "out of memory"); return NULL; }
    snprintf(o->out, sizeof o->out, "%s", out);
    if (cov_dist_rank() != 0) { o->elsewhere = true; return o; }
    trim_slashes(o->out);
    char *copy = cov_strdup(o->out), *parent = copy ? dirname(copy) : NULL;
    if (!parent || !mkdirs(parent)) {
        cov_diag_add(d, COV_EIO, out, 0, 0, 0, "cannot create the folder %s: %s", parent ? parent : out, strerror(errno));
        free(copy); free(o);
        return NULL;
    }
    if (!replaceable(o->out, d)) { free(copy); free(o); return NULL; }
    clean_stale(parent);
    snprintf(o->tmp, sizeof o->tmp, "%s/" TMP_TAG "%ld-XXXXXX", parent, (long)getpid());
    free(copy);
    if (!mkdtemp(o->tmp)) {
        cov_diag_add(d, COV_EIO, out, 0, 0, 0, "cannot write beside the output folder: %s", strerror(errno));
        free(o);
        return NULL;
    }
    chmod(o->tmp, 0755);
    if (!write_marker(o->tmp, NULL)) {
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

/* Appends to the stream m the relative paths of everything under
 * dir/rel ("sub/" for a folder), for the manifest. */
static void list_tree(const char *dir, const char *rel, FILE *m)
{
    char path[8192];
    snprintf(path, sizeof path, "%s%s%s", dir, *rel ? "/" : "", rel);
    DIR *dd = opendir(path);
    if (!dd) return;
    struct dirent *e;
    while ((e = readdir(dd))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        if (!*rel && !strcmp(e->d_name, MARKER)) continue;
        if (strchr(e->d_name, '\n')) continue;   /* cannot be listed; covcast never writes such a name */
        char sub[8192], full[8300];
        snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        snprintf(full, sizeof full, "%s/%s", dir, sub);
        struct stat st;
        if (lstat(full, &st) != 0) continue;
        if (S_ISDIR(st.st_mode)) {
            fprintf(m, "%s/\n", sub);
            list_tree(dir, sub, m);
        } else {
            fprintf(m, "%s\n", sub);
        }
    }
    closedir(dd);
}

/* Writes the manifest of the finished temporary folder into its marker. */
static bool seal(const cov_outdir *o)
{
    char *list = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&list, &cap);
    if (!m) return false;
    fputs(FILES_LINE, m);
    list_tree(o->tmp, "", m);
    bool ok = fclose(m) == 0 && write_marker(o->tmp, list);
    free(list);
    return ok;
}

cov_status cov_outdir_commit(cov_outdir *o, cov_diag *d)
{
    struct stat st;
    cov_status rc = COV_OK;
    if (o->elsewhere) { free(o); return COV_OK; }
    /* until the swap, an interrupt still means "nothing written" */
    if (cov_interrupted()) { cov_outdir_abort(o); return COV_EINTR; }
    if (!seal(o)) {
        cov_diag_add(d, COV_EIO, o->out, 0, 0, 0, "cannot write beside the output folder: %s", strerror(errno));
        cov_outdir_abort(o);
        return COV_EIO;
    }
    /* checked again now: files may have come into the folder during the run */
    if (!replaceable(o->out, d)) { cov_outdir_abort(o); return d->status ? d->status : COV_EIO; }
    if (cov_interrupted()) { cov_outdir_abort(o); return COV_EINTR; }
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

bool cov_outdir_claim(const char *dir, const char *name)
{
    manifest m;
    if (!manifest_read(dir, &m) || !m.listed) { manifest_free(&m); return false; }
    bool had = listed(&m, name);
    manifest_free(&m);
    if (had) return true;
    char mark[8192];
    snprintf(mark, sizeof mark, "%s/" MARKER, dir);
    FILE *f = fopen(mark, "a");
    bool ok = f && fprintf(f, "%s\n", name) >= 0;
    if (f) ok = fclose(f) == 0 && ok;
    return ok;
}

/* ---- single files ------------------------------------------------------- */

struct cov_outfile {
    char path[4096];
    char tmp[4200];
    FILE *f;
};

/* Does the file at path begin with sig? */
static bool signed_by_covcast(const char *path, const char *sig)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t n = strlen(sig);
    char *buf = malloc(n + 1);
    bool ok = buf && fread(buf, 1, n, f) == n && !memcmp(buf, sig, n);
    free(buf);
    fclose(f);
    return ok;
}

cov_outfile *cov_outfile_begin(const char *path, const char *signature, cov_diag *d)
{
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            cov_diag_add(d, COV_EIO, path, 0, 0, 0, "this is a folder: give a file name for the output");
            return NULL;
        }
        if (is_input(d, &st)) {
            cov_diag_add(d, COV_EIO, path, 0, 0, 0,
                         "this file is an input of the command; writing the output there would replace it: "
                         "choose another output file");
            return NULL;
        }
        if (!S_ISREG(st.st_mode) || !signed_by_covcast(path, signature)) {
            cov_diag_add(d, COV_EIO, path, 0, 0, 0,
                         "this file exists and was not written by covcast; covcast overwrites only its own "
                         "output files: choose another name, or move the file away first");
            return NULL;
        }
    }
    cov_outfile *o = calloc(1, sizeof *o);
    if (!o) { cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory"); return NULL; }
    snprintf(o->path, sizeof o->path, "%s", path);
    char *copy = cov_strdup(path), *copy2 = cov_strdup(path);
    const char *dir = copy ? dirname(copy) : ".", *base = copy2 ? basename(copy2) : "out";
    clean_stale(dir);
    snprintf(o->tmp, sizeof o->tmp, "%s/.%s" TMP_TAG "%ld-XXXXXX", dir, base, (long)getpid());
    free(copy);
    free(copy2);
    int fd = mkstemp(o->tmp);
    if (fd >= 0) fchmod(fd, 0644);
    if (fd < 0 || !(o->f = fdopen(fd, "w"))) {
        cov_diag_add(d, COV_EIO, path, 0, 0, 0, "cannot write beside the output file: %s", strerror(errno));
        if (fd >= 0) { close(fd); remove(o->tmp); }
        free(o);
        return NULL;
    }
    return o;
}

FILE *cov_outfile_stream(cov_outfile *o)
{
    return o->f;
}

cov_status cov_outfile_commit(cov_outfile *o, cov_diag *d)
{
    errno = 0;
    bool ok = !ferror(o->f) && fflush(o->f) == 0 && fsync(fileno(o->f)) == 0;
    int err = errno;
    ok = fclose(o->f) == 0 && ok;
    struct stat st;
    cov_status rc = COV_OK;
    if (!ok) {
        cov_diag_add(d, COV_EIO, o->path, 0, 0, 0, "cannot write: %s (is the disk full?)", strerror(err ? err : EIO));
        rc = COV_EIO;
    } else if (cov_interrupted()) {
        rc = COV_EINTR;
    } else if (stat(o->path, &st) == 0 && is_input(d, &st)) {   /* the path may have changed meanwhile */
        cov_diag_add(d, COV_EIO, o->path, 0, 0, 0, "this file is an input of the command: choose another output file");
        rc = COV_EIO;
    } else if (rename(o->tmp, o->path) != 0) {
        cov_diag_add(d, COV_EIO, o->path, 0, 0, 0, "cannot write: %s", strerror(errno));
        rc = COV_EIO;
    }
    if (rc != COV_OK) remove(o->tmp);
    free(o);
    return rc;
}

void cov_outfile_abort(cov_outfile *o)
{
    if (!o) return;
    fclose(o->f);
    remove(o->tmp);
    free(o);
}
