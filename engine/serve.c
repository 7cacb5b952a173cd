/* serve.c — `covcast serve`: the HTTP routes (libmicrohttpd) of the
 * planner's page. The page's own files come from web/; scenarios only from
 * FOLDER; uploads go into a private folder (mkdtemp) that is removed when
 * the server stops; runs go through jobs.c, scenarios through json.c.
 *
 * Routes (JSON unless said):
 *   GET  /, /app.js, /style.css     the page (no token needed: no data)
 *   GET  /api/scenarios             the scenario files of FOLDER
 *   GET  /api/scenario?file=F       one scenario's sections and choices
 *   POST /api/check                 {sections}: choices, or located errors
 *   POST /api/upload?name=N&kind=K  a file's bytes (text/csv or application/octet-stream), K population, model
 *                                   (it may name no other file) or history: where it is kept
 *   POST /api/run                   {client, sections, file, quick, baseline}: a run's number
 *   POST /api/ask                   {client, sections, file, kind: solve (target, lever,
 *                                   probability, range) or allocate (target, campaign,
 *                                   budget)}: a run's number, as /api/run
 *   GET  /api/job?id=N&after=K      the run's state and latest results (waits for news)
 *   GET  /api/job/file?id=N&name=F  scenario.ini, targets.csv, trajectories.csv, solve.csv, ... of a run
 *   GET  /api/job/charts?id=N&lang=L the run's charts (`covcast plot --format svg`, drawn once per language)
 *   GET  /api/job/chart?id=N&lang=L&name=C  one of them (.svg, or its .dat, .gp)
 *                                   (both with &unit=COMMUNE: that commune charted too, plot --units)
 *   GET  /api/job/report?id=N&lang=L  report.html, as `covcast report` writes it
 *   GET  /api/file?path=P           a file under FOLDER, as text
 *   GET  /api/health                version, runs started and kept, process id
 * Safety: the API takes a token when the server listens beyond loopback;
 * on loopback the Host header must name loopback (no DNS rebinding); a
 * request from another page (Origin) is refused; POST bodies must declare
 * their type, so another site cannot send them without asking first. */
#define _GNU_SOURCE
#include "serve.h"
#include "iniread.h"
#include "input.h"
#include "jobs.h"
#include "json.h"
#include "text.h"
#include "types.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

/* libmicrohttpd is loaded when the server starts, not with the program:
 * with GnuTLS and the libraries that it needs, it would add about 2 ms to
 * the start of every covcast process (each `covcast run`, and each run that
 * the server starts), for the one command that uses it. The same Debian
 * library (libmicrohttpd12), by its soname; the types come from its header. */
static struct {
    __typeof__(MHD_start_daemon) *start_daemon;
    __typeof__(MHD_stop_daemon) *stop_daemon;
    __typeof__(MHD_get_daemon_info) *get_daemon_info;
    __typeof__(MHD_lookup_connection_value) *lookup_connection_value;
    __typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
    __typeof__(MHD_create_response_from_fd) *create_response_from_fd;
    __typeof__(MHD_add_response_header) *add_response_header;
    __typeof__(MHD_queue_response) *queue_response;
    __typeof__(MHD_destroy_response) *destroy_response;
} mhd;

#define MHD_SONAME "libmicrohttpd.so.12"

/* Loads libmicrohttpd into mhd; false, with the reason on stderr, when it
 * cannot. */
static bool mhd_load(void)
{
    void *h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
    bool ok = h != NULL;
#define MHD_LOAD(f) (ok = ok && (*(void **)&mhd.f = dlsym(h, "MHD_" #f)) != NULL)
    MHD_LOAD(start_daemon); MHD_LOAD(stop_daemon); MHD_LOAD(get_daemon_info);
    MHD_LOAD(lookup_connection_value); MHD_LOAD(create_response_from_buffer);
    MHD_LOAD(create_response_from_fd); MHD_LOAD(add_response_header); MHD_LOAD(queue_response);
    MHD_LOAD(destroy_response);
#undef MHD_LOAD
    if (!ok)
        fprintf(stderr, "covcast serve: cannot load the HTTP library %s (%s): install the Debian package "
                        "libmicrohttpd12 (`make` does)\n", MHD_SONAME, h ? "a function is missing" : dlerror());
    return ok;
}

#define UPLOAD_MAX (64L << 20)       /* bytes in one uploaded file */
#define JSON_MAX (4L << 20)          /* bytes in one JSON request */
#define MAX_ALLOWED 4096             /* files the page may name */
#define QUICK_MAX 100000
#define MAX_UPLOADS 256              /* files uploaded in the server's life */
#define UPLOADS_TOTAL (1L << 30)     /* bytes of them, all together */
#define UPLOADS_RECEIVING 4          /* uploads being received at once */

/* An upload, named in scenarios by its id alone ("upload:ID/NAME"): the
 * private folder's path is never shown. */
typedef struct {
    char id[17];                     /* 16 hex digits, random */
    char kind[12];                   /* population, model, history, rates */
    char name[100];                  /* as safe_name made it */
    char client[64];                 /* the page that sent it ("" when none said) */
} upload_rec;

typedef struct {
    char folder[4096];               /* realpath of FOLDER */
    int folder_fd;
    char web[4096];                  /* the page's files: $COVCAST_WEB, or "" (built into the program) */
    char dir[4096];                  /* the private folder */
    char token[33];                  /* "" on loopback */
    long max_replicates;             /* --max-replicates: more is a located error of the scenario */
    char host[3][128];               /* Host headers accepted on loopback */
    pthread_mutex_t engine;          /* the loaders are not thread-safe */
    pthread_mutex_t mu;              /* allowed, uploads */
    char *allowed[MAX_ALLOWED];
    int nallowed;
    upload_rec up[MAX_UPLOADS];
    int nup, receiving;              /* uploads kept; bodies of uploads being received */
    long up_bytes;                   /* bytes of the uploads kept */
    long uploads, checks;
    cov_jobs *jobs;
} server;

typedef struct {
    char *body;
    size_t len, cap, limit;
    bool too_big;
    bool post;
    bool receiving;                  /* counted in server.receiving */
} request;

/* ---- responses ---- */

/* The headers of every answer: its type, never cached, never sniffed, no
 * script or request but the server's own; a download's file name. */
static void common_headers(struct MHD_Response *r, const char *type, const char *download)
{
    mhd.add_response_header(r, "Content-Type", type);
    mhd.add_response_header(r, "Cache-Control", "no-store");
    mhd.add_response_header(r, "Referrer-Policy", "no-referrer");   /* the token may be in the page's address */
    mhd.add_response_header(r, "X-Frame-Options", "DENY");
    mhd.add_response_header(r, "X-Content-Type-Options", "nosniff");
    mhd.add_response_header(r, "Content-Security-Policy",
                            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                            "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
    if (download) {
        char cd[600];
        snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", download);
        mhd.add_response_header(r, "Content-Disposition", cd);
    }
}

static enum MHD_Result send_bytes(struct MHD_Connection *c, unsigned code, const char *type, char *data, size_t n,
                                  const char *download)
{
    struct MHD_Response *r = mhd.create_response_from_buffer(n, data, MHD_RESPMEM_MUST_FREE);
    if (!r) { free(data); return MHD_NO; }
    common_headers(r, type, download);
    enum MHD_Result ret = mhd.queue_response(c, code, r);
    mhd.destroy_response(r);
    return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned code, json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    json_decref(o);
    if (!s) return MHD_NO;
    return send_bytes(c, code, "application/json; charset=utf-8", s, strlen(s), NULL);
}

static enum MHD_Result send_text_json(struct MHD_Connection *c, unsigned code, char *s)
{
    return send_bytes(c, code, "application/json; charset=utf-8", s, strlen(s), NULL);
}

/* An error the page shows as it is: {"error": msg}. */
static enum MHD_Result fail(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static enum MHD_Result fail(struct MHD_Connection *c, unsigned code, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *m = json_string(msg);
    if (!m) { char t[1200]; m = json_string(cov_term_into(msg, t, sizeof t)); }
    return send_json(c, code, json_pack("{s:o}", "error", m));
}

/* ---- files ---- */

/* Opens rel under the folder fd, refusing absolute paths, "..", hidden
 * names and symbolic links at every step (O_NOFOLLOW); then checks by its
 * real path that the file lies under root. A regular file's fd, or -1
 * with errno. */
static int open_under(int root_fd, const char *root, const char *rel)
{
    if (!rel || !*rel || rel[0] == '/' || strlen(rel) > 1000) { errno = EINVAL; return -1; }
    char *copy = cov_strdup(rel), *save = NULL;
    if (!copy) return -1;
    int fd = dup(root_fd);
    for (char *part = strtok_r(copy, "/", &save); part && fd >= 0; part = strtok_r(NULL, "/", &save)) {
        int next = part[0] == '.' ? (errno = EACCES, -1) : openat(fd, part, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        close(fd);
        fd = next;
    }
    free(copy);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) { close(fd); fd = -1; errno = EISDIR; }
    if (fd >= 0) {   /* and by its real path */
        char link[64], real[4096];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, real, sizeof real - 1);
        size_t rl = strlen(root);
        if (n < 0 || (real[n] = '\0', strncmp(real, root, rl) != 0) || real[rl] != '/') {
            close(fd);
            fd = -1;
            errno = EACCES;
        }
    }
    return fd;
}

static enum MHD_Result send_fd(struct MHD_Connection *c, int fd, const char *type, const char *download)
{
    struct stat st;
    if (fstat(fd, &st) != 0) { close(fd); return fail(c, 500, "cannot read the file"); }
    struct MHD_Response *r = mhd.create_response_from_fd((uint64_t)st.st_size, fd);
    if (!r) { close(fd); return MHD_NO; }
    common_headers(r, type, download);
    enum MHD_Result ret = mhd.queue_response(c, 200, r);
    mhd.destroy_response(r);
    return ret;
}

/* A name safe as one file name: [A-Za-z0-9._-], not starting with '.'. */
static void safe_name(const char *in, char *out, size_t n, const char *fallback)
{
    size_t k = 0;
    for (const char *p = in ? in : ""; *p && k + 1 < n && k < 80; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-'
               || *p == '_' || (*p == '.' && k > 0);
        out[k++] = ok ? *p : '_';
    }
    out[k] = '\0';
    if (!k || out[0] == '.') snprintf(out, n, "%s", fallback);
}

/* Lets the page name path in a scenario (under mu). */
static void allow_path(server *sv, const char *path)
{
    char *real = realpath(path, NULL);
    if (!real) return;
    pthread_mutex_lock(&sv->mu);
    for (int i = 0; i < sv->nallowed; i++)
        if (!strcmp(sv->allowed[i], real)) { free(real); real = NULL; break; }
    if (real && sv->nallowed < MAX_ALLOWED) sv->allowed[sv->nallowed++] = real;
    else free(real);
    pthread_mutex_unlock(&sv->mu);
}

/* The upload kind a file key takes: an uploaded file is used only as what
 * it was uploaded as (a model is checked for the files it names when it
 * comes; a population or history is not read as a model). */
static const char *kind_for_key(const char *key)
{
    return !strcmp(key, "model") ? "model" : !strcmp(key, "history") ? "history" : "population";
}

/* The file a scenario names under key (cov_json_allow_fn): an upload by its
 * id, as a path relative to the scenario (every scenario the server writes
 * lies in a folder of its own beside the uploads' folders), or a file the
 * server's scenarios named, by its real path. */
static char *resolve_file(const char *key, const char *value, void *arg)
{
    server *sv = arg;
    if (!strncmp(value, "upload:", 7)) {
        const char *id = value + 7, *slash = strchr(id, '/');
        if (!slash || slash - id != 16) return NULL;
        char *out = NULL;
        pthread_mutex_lock(&sv->mu);
        for (int i = 0; i < sv->nup && !out; i++)
            if (!strncmp(sv->up[i].id, id, 16) && !strcmp(sv->up[i].name, slash + 1)
                && !strcmp(sv->up[i].kind, kind_for_key(key)))
                if (asprintf(&out, "../u-%s/%s", sv->up[i].id, sv->up[i].name) < 0) out = NULL;
        pthread_mutex_unlock(&sv->mu);
        return out;
    }
    char *real = realpath(value, NULL);
    bool ok = false;
    pthread_mutex_lock(&sv->mu);
    for (int i = 0; real && i < sv->nallowed && !ok; i++) ok = !strcmp(sv->allowed[i], real);
    pthread_mutex_unlock(&sv->mu);
    free(real);
    return ok ? cov_strdup(value) : NULL;
}

/* text (malloc'd, NUL-terminated, n bytes) with every path inside the
 * private folder shown by its file name alone, and every upload named as
 * the file the planner uploaded ("../u-ID/NAME" -> "NAME"), in place. */
static void hide_private(char *text, const char *dir)
{
    char pre[4200];
    snprintf(pre, sizeof pre, "%s/", dir);
    const char *pres[2] = { pre, "../u-" };
    for (int k = 0; k < 2; k++) {
        size_t n = strlen(pres[k]);
        for (char *p = text; (p = strstr(p, pres[k]));) {
            char *end = p + n + strcspn(p + n, "\": \t\n,;"), *slash = NULL;
            for (char *q = p; q < end; q++)
                if (*q == '/') slash = q;
            if (!slash) { p += n; continue; }
            memmove(p, slash + 1, strlen(slash + 1) + 1);
        }
    }
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw);

/* ---- routes ---- */

static enum MHD_Result route_static(server *sv, struct MHD_Connection *c, const char *url)
{
    static const char *files[][2] = { { "/", "index.html" }, { "/index.html", "index.html" },
                                      { "/app.js", "app.js" }, { "/style.css", "style.css" } };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        if (strcmp(url, files[i][0])) continue;
        const char *ext = strrchr(files[i][1], '.');
        const char *type = !strcmp(ext, ".js") ? "text/javascript; charset=utf-8"
                         : !strcmp(ext, ".css") ? "text/css; charset=utf-8" : "text/html; charset=utf-8";
        if (!sv->web[0]) {   /* built in */
            size_t n;
            const char *data = cov_web_file(files[i][1], &n);
            struct MHD_Response *r = data ? mhd.create_response_from_buffer(n, (void *)data, MHD_RESPMEM_PERSISTENT) : NULL;
            if (!r) return fail(c, 500, "the page's file %s is not in the program", files[i][1]);
            common_headers(r, type, NULL);
            enum MHD_Result ret = mhd.queue_response(c, 200, r);
            mhd.destroy_response(r);
            return ret;
        }
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", sv->web, files[i][1]);
        int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) return fail(c, 500, "the page's file %s is missing from %s", files[i][1], sv->web);
        return send_fd(c, fd, type, NULL);
    }
    return fail(c, 404, "no such page: %s", url);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static enum MHD_Result route_scenarios(server *sv, struct MHD_Connection *c)
{
    DIR *dir = opendir(sv->folder);
    if (!dir) return fail(c, 500, "cannot list %s: %s", sv->folder, strerror(errno));
    char *names[512];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dir)) && n < 512) {
        size_t l = strlen(de->d_name);
        if (de->d_name[0] == '.' || l < 5 || strcmp(de->d_name + l - 4, ".ini") || de->d_type != DT_REG) continue;
        names[n++] = cov_strdup(de->d_name);
    }
    closedir(dir);
    qsort(names, (size_t)n, sizeof *names, by_name);
    json_t *list = json_array();
    pthread_mutex_lock(&sv->engine);
    for (int i = 0; i < n; i++) {
        if (!names[i]) continue;
        char path[4700];
        snprintf(path, sizeof path, "%s/%s", sv->folder, names[i]);
        cov_diag *d = calloc(1, sizeof *d);
        cov_ini *ini = d ? cov_ini_read(path, d) : NULL;
        cov_ini_entry *e = ini ? cov_ini_find(ini, "run", "name") : NULL;
        json_t *name = e ? json_string(e->value) : NULL;
        json_array_append_new(list, json_pack("{s:s, s:o}", "file", names[i], "name", name ? name : json_string(names[i])));
        if (ini) cov_ini_free(ini);
        free(d);
        free(names[i]);
    }
    cov_input_forget_all();
    pthread_mutex_unlock(&sv->engine);
    return send_json(c, 200, json_pack("{s:o}", "scenarios", list));
}

/* The choices of the scenario at path (loaded as `covcast run` loads it),
 * or its located errors, into o. Under the engine lock. */
static void load_info(server *sv, const char *path, json_t *o)
{
    cov_diag *d = calloc(1, sizeof *d);
    if (!d) return;
    cov_overrides ov = { .seed = -1, .threads = 1, .replicates_limit = sv->max_replicates };
    cov_scenario *s = cov_scenario_load(path, &ov, d);
    if (s) json_object_set_new(o, "info", cov_json_info(s));
    else json_object_set_new(o, "errors", cov_json_diag(d, sv->dir));
    cov_scenario_free(s);
    cov_input_forget_all();
    free(d);
}

static enum MHD_Result route_scenario(server *sv, struct MHD_Connection *c)
{
    const char *file = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "file");
    if (!file || strchr(file, '/') || file[0] == '.' || strlen(file) < 5 || strcmp(file + strlen(file) - 4, ".ini"))
        return fail(c, 400, "give file=NAME.ini, a scenario of the server's folder");
    int fd = open_under(sv->folder_fd, sv->folder, file);
    if (fd < 0) return fail(c, 404, "no scenario %s in the server's folder (or it is a link)", file);
    close(fd);
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", sv->folder, file);
    pthread_mutex_lock(&sv->engine);
    cov_diag *d = calloc(1, sizeof *d);
    json_t *sections = d ? cov_json_sections(path, d) : NULL, *o = json_object();
    json_object_set_new(o, "file", json_string(file));
    if (!sections) {
        json_object_set_new(o, "errors", d ? cov_json_diag(d, sv->dir) : json_null());
    } else {
        load_info(sv, path, o);
        size_t i, k;
        json_t *sec, *en;
        json_array_foreach(sections, i, sec) {   /* the files it names may be named back */
            json_array_foreach(json_object_get(sec, "entries"), k, en)
                if (cov_json_file_key(json_string_value(json_object_get(sec, "name")), json_string_value(json_array_get(en, 0))))
                    allow_path(sv, json_string_value(json_array_get(en, 1)));
        }
        json_t *run = NULL;
        json_array_foreach(sections, i, sec)
            if (!strcmp(json_string_value(json_object_get(sec, "name")), "run")) run = sec;
        json_t *info = json_object_get(o, "info");
        if (run && info) {   /* the name it runs under, written out */
            bool named = false;
            json_array_foreach(json_object_get(run, "entries"), k, en)
                named = named || !strcmp(json_string_value(json_array_get(en, 0)), "name");
            if (!named)
                json_array_insert_new(json_object_get(run, "entries"), 0,
                                      json_pack("[s,O]", "name", json_object_get(info, "name")));
        }
        json_object_set_new(o, "sections", sections);
    }
    cov_input_forget_all();
    pthread_mutex_unlock(&sv->engine);
    free(d);
    return send_json(c, 200, o);
}

/* The request body as JSON, or NULL with the error response sent. */
static json_t *body_json(struct MHD_Connection *c, const request *rq, enum MHD_Result *ret)
{
    const char *type = mhd.lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    if (!type || strncmp(type, "application/json", 16)) {
        *ret = fail(c, 415, "send the request as application/json");
        return NULL;
    }
    json_error_t je;
    json_t *o = json_loadb(rq->body ? rq->body : "", rq->len, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        *ret = fail(c, 400, "the request is not a JSON object: %s (line %d, column %d)", je.text, je.line, je.column);
        return NULL;
    }
    return o;
}

static const char *HEADER =
    "Scenario edited in covcast serve. `covcast run` on this file gives the\n"
    "targets.csv the page showed (the same seed and replicates give the same bytes).";

/* Writes the INI text under name into a folder of its own in the server's
 * private folder (folder, path: where; the caller removes both). false when
 * it cannot be written. */
static bool write_check(server *sv, const char *name, const char *ini, char folder[4200], char path[4400])
{
    pthread_mutex_lock(&sv->mu);
    long n = ++sv->checks;
    pthread_mutex_unlock(&sv->mu);
    snprintf(folder, 4200, "%s/check-%ld", sv->dir, n);
    snprintf(path, 4400, "%s/%s", folder, name);
    FILE *f = mkdir(folder, 0700) == 0 ? fopen(path, "wx") : NULL;
    bool ok = f && fputs(ini, f) >= 0;
    if (f && fclose(f) != 0) ok = false;
    return ok;
}

static enum MHD_Result route_check(server *sv, struct MHD_Connection *c, const request *rq)
{
    enum MHD_Result ret;
    json_t *o = body_json(c, rq, &ret);
    if (!o) return ret;
    char err[1024], name[100];
    safe_name(json_string_value(json_object_get(o, "file")), name, sizeof name, "scenario.ini");
    char *ini = cov_json_to_ini(json_object_get(o, "sections"), HEADER, resolve_file, sv, err, sizeof err);
    json_decref(o);
    if (!ini) return fail(c, 400, "%s", err);
    char folder[4200], path[4400];
    bool ok = write_check(sv, name, ini, folder, path);
    free(ini);
    json_t *out = json_object();
    if (ok) {
        pthread_mutex_lock(&sv->engine);
        load_info(sv, path, out);
        pthread_mutex_unlock(&sv->engine);
    }
    remove(path);
    rmdir(folder);
    if (!ok) { json_decref(out); return fail(c, 500, "cannot write into the server's private folder"); }
    return send_json(c, 200, out);
}

/* A plain file name as an uploaded model names its rates file: the name
 * of an upload (safe_name leaves it as it is), no folder. */
static bool plain_file_name(const char *v)
{
    char t[100];
    safe_name(v, t, sizeof t, "");
    return v && *v && !strcmp(t, v);
}

static enum MHD_Result route_upload(server *sv, struct MHD_Connection *c, const request *rq)
{
    const char *type = mhd.lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    /* not text/plain: another site may send that without asking first */
    if (!type || (strncmp(type, "text/csv", 8) && strncmp(type, "application/octet-stream", 24)))
        return fail(c, 415, "send the file as text/csv or application/octet-stream");
    const char *kind = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "kind");
    if (!kind) kind = "population";
    bool model = !strcmp(kind, "model");
    if (!model && strcmp(kind, "population") && strcmp(kind, "history") && strcmp(kind, "rates"))
        return fail(c, 400, "'kind' must be population, model, history or rates");
    const char *client = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "client");
    char name[100], cl[64];
    safe_name(client, cl, sizeof cl, "");
    if (client && (strcmp(cl, client) || strlen(client) > 60))
        return fail(c, 400, "'client' must name the page: letters, digits, '-' or '_', at most 60");
    safe_name(mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name"), name, sizeof name,
              model ? "model.ini" : "upload.csv");
    unsigned char rnd[8];
    if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd) return fail(c, 500, "cannot draw an upload's id");
    upload_rec rec = { .id = "" };
    for (int i = 0; i < 8; i++) snprintf(rec.id + 2 * i, 3, "%02x", rnd[i]);
    snprintf(rec.kind, sizeof rec.kind, "%s", kind);
    snprintf(rec.name, sizeof rec.name, "%s", name);
    snprintf(rec.client, sizeof rec.client, "%s", cl);
    pthread_mutex_lock(&sv->mu);   /* room for it, taken now */
    bool room = sv->nup < MAX_UPLOADS && sv->up_bytes + (long)rq->len <= UPLOADS_TOTAL;
    if (room) sv->up_bytes += (long)rq->len;
    pthread_mutex_unlock(&sv->mu);
    if (!room)
        return fail(c, 507, "the server keeps at most %d uploaded files, %ld MiB in all, and has no room for this one; "
                            "restart it to start afresh", MAX_UPLOADS, UPLOADS_TOTAL >> 20);
    char folder[4200], path[4400], err[1200] = "";
    unsigned code = 0;
    snprintf(folder, sizeof folder, "%s/u-%s", sv->dir, rec.id);
    snprintf(path, sizeof path, "%s/%s", folder, name);
    int fd = mkdir(folder, 0700) == 0 ? open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
    if (fd < 0) { code = 500; snprintf(err, sizeof err, "cannot keep the file in the server's private folder: %s", strerror(errno)); }
    size_t done = 0;
    while (fd >= 0 && done < rq->len) {
        ssize_t w = write(fd, rq->body + done, rq->len - done);
        if (w <= 0) break;
        done += (size_t)w;
    }
    if (fd >= 0 && (close(fd) != 0 || done != rq->len)) { code = 500; snprintf(err, sizeof err, "cannot keep the file: the disk may be full"); }
    if (!code && model) {
        /* an uploaded model names no file but an upload of this page (kind rates), by the name it was
         * uploaded under; that file is linked beside the model, where the loader looks */
        pthread_mutex_lock(&sv->engine);
        cov_diag *d = calloc(1, sizeof *d);
        cov_ini *ini = d ? cov_ini_read(path, d) : NULL;
        cov_ini_entry *e = ini ? cov_ini_find(ini, "units", "rates") : NULL;
        long line = e ? e->line : 0;
        char rates[100] = "";
        if (e) snprintf(rates, sizeof rates, "%s", plain_file_name(e->value) ? e->value : "");
        bool named = e != NULL;
        if (ini) cov_ini_free(ini);
        free(d);
        cov_input_forget_all();
        pthread_mutex_unlock(&sv->engine);
        if (named && (!rates[0] || !strcmp(rates, name))) {
            code = 400;
            snprintf(err, sizeof err, "%s:%ld: error: [units] rates: an uploaded model names its rates file by the name "
                                      "it was uploaded under (a file name, no folder; upload it first as the rates "
                                      "per unit), never another file: the server reads only files it offered",
                     name, line);
        } else if (named) {
            char from[4400] = "";
            pthread_mutex_lock(&sv->mu);
            for (int i = sv->nup - 1; i >= 0 && !from[0]; i--)
                if (!strcmp(sv->up[i].kind, "rates") && !strcmp(sv->up[i].name, rates) && !strcmp(sv->up[i].client, cl))
                    snprintf(from, sizeof from, "%s/u-%s/%s", sv->dir, sv->up[i].id, sv->up[i].name);
            pthread_mutex_unlock(&sv->mu);
            char to[4400];
            snprintf(to, sizeof to, "%s/%s", folder, rates);
            if (!from[0]) {
                code = 400;
                snprintf(err, sizeof err, "%s:%ld: error: [units] rates = %s: this page uploaded no rates file of that "
                                          "name; upload the rates per unit first, then the model", name, line, rates);
            } else if (link(from, to) != 0) {
                code = 500;
                snprintf(err, sizeof err, "cannot keep the rates file beside the model: %s", strerror(errno));
            }
        }
    }
    if (code) {
        nftw(folder, rm_entry, 4, FTW_DEPTH | FTW_PHYS);
        pthread_mutex_lock(&sv->mu);
        sv->up_bytes -= (long)rq->len;
        pthread_mutex_unlock(&sv->mu);
        return fail(c, code, "%s", err);
    }
    pthread_mutex_lock(&sv->mu);
    bool kept = sv->nup < MAX_UPLOADS;
    if (kept) sv->up[sv->nup++] = rec;
    else sv->up_bytes -= (long)rq->len;
    pthread_mutex_unlock(&sv->mu);
    if (!kept) {
        nftw(folder, rm_entry, 4, FTW_DEPTH | FTW_PHYS);
        return fail(c, 507, "the server keeps at most %d uploaded files; restart it to start afresh", MAX_UPLOADS);
    }
    char ref[200];
    snprintf(ref, sizeof ref, "upload:%s/%s", rec.id, name);
    return send_json(c, 201, json_pack("{s:s, s:s, s:s, s:I}", "id", ref, "name", name, "kind", kind, "bytes", (json_int_t)rq->len));
}

static enum MHD_Result route_run(server *sv, struct MHD_Connection *c, const request *rq)
{
    enum MHD_Result ret;
    json_t *o = body_json(c, rq, &ret);
    if (!o) return ret;
    const char *client = json_string_value(json_object_get(o, "client"));
    json_t *jq = json_object_get(o, "quick"), *jb = json_object_get(o, "baseline");
    char err[1024], name[100], cl[64];
    safe_name(client, cl, sizeof cl, "");
    if (!client || strcmp(cl, client) || strlen(client) > 60) {
        json_decref(o);
        return fail(c, 400, "'client' must name the page: letters, digits, '-' or '_', at most 60");
    }
    if ((jq && !json_is_integer(jq)) || (jb && !json_is_integer(jb)) || json_integer_value(jq) < 0
        || json_integer_value(jq) > QUICK_MAX || json_integer_value(jb) < 0) {
        json_decref(o);
        return fail(c, 400, "'quick' must be a whole number from 0 to %d and 'baseline' a run's number", QUICK_MAX);
    }
    safe_name(json_string_value(json_object_get(o, "file")), name, sizeof name, "scenario.ini");
    if (strlen(name) < 5 || strcmp(name + strlen(name) - 4, ".ini")) strcat(name, ".ini");
    char *ini = cov_json_to_ini(json_object_get(o, "sections"), HEADER, resolve_file, sv, err, sizeof err);
    long quick = (long)json_integer_value(jq), base = (long)json_integer_value(jb);
    if (!ini) { json_decref(o); return fail(c, 400, "%s", err); }
    int http = 500;
    long id = cov_jobs_submit(sv->jobs, client, name, ini, quick, base, &http, err, sizeof err);
    free(ini);
    json_decref(o);
    if (!id) return fail(c, (unsigned)http, "%s", err);
    return send_json(c, 202, json_pack("{s:I}", "job", (json_int_t)id));
}

/* A name a request gives for a target, campaign or lever: letters, digits,
 * '.', '-', '_' (what an INI section name holds), at most 200 bytes. */
static bool plain_name(const char *s)
{
    if (!s || !*s || strlen(s) > 200) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_'))
            return false;
    return true;
}

/* LO..HI with LO < HI, as `covcast solve --range` takes it. */
static bool range_ok(const char *range)
{
    char lo[64];
    double a, z;
    const char *dots = strstr(range, "..");
    if (!dots || (size_t)(dots - range) >= sizeof lo || strlen(range) > 120) return false;
    memcpy(lo, range, (size_t)(dots - range));
    lo[dots - range] = '\0';
    return cov_parse_double(lo, &a) && cov_parse_double(dots + 2, &z) && a < z;
}

/* What it would take: the scenario is loaded here (as `covcast run` loads
 * it) so that a target or campaign it lacks is a 400 with its message; the
 * search itself runs as a job (cov_jobs_ask). */
static enum MHD_Result route_ask(server *sv, struct MHD_Connection *c, const request *rq)
{
    enum MHD_Result ret;
    json_t *o = body_json(c, rq, &ret);
    if (!o) return ret;
    const char *client = json_string_value(json_object_get(o, "client"));
    const char *kind = json_string_value(json_object_get(o, "kind"));
    const char *target = json_string_value(json_object_get(o, "target"));
    const char *lever = json_string_value(json_object_get(o, "lever"));
    const char *campaign = json_string_value(json_object_get(o, "campaign"));
    const char *range = json_string_value(json_object_get(o, "range"));
    json_t *jp = json_object_get(o, "probability"), *jb = json_object_get(o, "budget");
    char err[1024], name[100], cl[64];
    safe_name(client, cl, sizeof cl, "");
    bool solve = kind && !strcmp(kind, "solve");
    const char *msg = NULL;
    double p = json_number_value(jp);
    if (!client || strcmp(cl, client) || strlen(client) > 60)
        msg = "'client' must name the page: letters, digits, '-' or '_', at most 60";
    else if (!kind || (!solve && strcmp(kind, "allocate")))
        msg = "'kind' must be solve or allocate";
    else if (!plain_name(target))
        msg = "'target' must name a target of the scenario (the part after 'target.')";
    else if (solve && (!plain_name(lever) || (strcmp(lever, "cards") && (!strchr(lever, '.') || lever[0] == '.'
                                                                        || lever[strlen(lever) - 1] == '.'))))
        msg = "'lever' must be SECTION.KEY (e.g. campaign.peak.enroll_multiplier) or cards";
    else if (solve && (!json_is_number(jp) || !(p > 0 && p < 1)))
        msg = "'probability' must be above 0 and below 1 (e.g. 0.8)";
    else if (solve && range && *range && !range_ok(range))
        msg = "'range' must be LO..HI with LO < HI (e.g. 1..10), or empty";
    else if (!solve && !plain_name(campaign))
        msg = "'campaign' must name a campaign of the scenario (the part after 'campaign.')";
    else if (!solve && (!json_is_integer(jb) || json_integer_value(jb) < 0 || json_integer_value(jb) > 100000))
        msg = "'budget' must be a whole number of commune-months, 0 or more";
    if (msg) { json_decref(o); return fail(c, 400, "%s", msg); }
    safe_name(json_string_value(json_object_get(o, "file")), name, sizeof name, "scenario.ini");
    if (strlen(name) < 5 || strcmp(name + strlen(name) - 4, ".ini")) strcat(name, ".ini");
    char *ini = cov_json_to_ini(json_object_get(o, "sections"), HEADER, resolve_file, sv, err, sizeof err);
    if (!ini) { json_decref(o); return fail(c, 400, "%s", err); }
    /* the names it asks about, checked against the scenario as it loads */
    char folder[4200], path[4400];
    bool ok = write_check(sv, name, ini, folder, path);
    unsigned code = ok ? 0 : 500;
    if (!ok) snprintf(err, sizeof err, "cannot write into the server's private folder");
    pthread_mutex_lock(&sv->engine);
    cov_diag *d = ok ? calloc(1, sizeof *d) : NULL;
    cov_overrides ov = { .seed = -1, .threads = 1, .replicates_limit = sv->max_replicates };
    cov_scenario *s = d ? cov_scenario_load(path, &ov, d) : NULL;
    if (ok && !s) {
        code = 400;
        snprintf(err, sizeof err, "the scenario does not load; correct it first (%s)",
                 d && d->n ? d->e[0].msg : "out of memory");
    } else if (s) {
        int t = -1, k = -1;
        for (int i = 0; i < s->ntargets; i++) if (!strcmp(s->targets[i].name, target)) t = i;
        for (int i = 0; !solve && i < s->ncampaigns; i++) if (!strcmp(s->campaigns[i].name, campaign)) k = i;
        if (t < 0) { code = 400; snprintf(err, sizeof err, "the scenario has no [target.%s]", target); }
        else if (!solve && k < 0) { code = 400; snprintf(err, sizeof err, "the scenario has no [campaign.%s]", campaign); }
        else if (!solve) {
            const cov_campaign *kc = &s->campaigns[k];
            long cand = 0;
            for (int cm = 0; cm < s->pop->ncommunes; cm++) if (!kc->communes || kc->communes[cm]) cand += kc->m1 - kc->m0 + 1;
            if (json_integer_value(jb) > cand) {
                code = 400;
                snprintf(err, sizeof err, "'budget' must be from 0 to %ld, the commune-months of [campaign.%s]", cand, campaign);
            }
        }
    }
    cov_scenario_free(s);
    cov_input_forget_all();
    pthread_mutex_unlock(&sv->engine);
    free(d);
    remove(path);
    rmdir(folder);
    long id = 0;
    if (!code) {
        char pb[64] = "";
        if (solve) snprintf(pb, sizeof pb, "%.10g", p);
        else snprintf(pb, sizeof pb, "%lld", (long long)json_integer_value(jb));
        const char *args[4] = { target, solve ? lever : campaign, pb, solve && range ? range : "" };
        int http = 500;
        id = cov_jobs_ask(sv->jobs, client, name, ini, kind, args, &http, err, sizeof err);
        if (!id) code = (unsigned)http;
    }
    free(ini);
    json_decref(o);
    if (!id) return fail(c, code, "%s", err);
    return send_json(c, 202, json_pack("{s:I}", "job", (json_int_t)id));
}

static bool arg_long(struct MHD_Connection *c, const char *key, long lo, long hi, long *out)
{
    const char *v = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, key);
    int64_t x;
    if (!v || !cov_parse_int64(v, &x) || x < lo || x > hi) return false;
    *out = (long)x;
    return true;
}

static enum MHD_Result route_job(server *sv, struct MHD_Connection *c)
{
    long id, after = -1, wait = 0;
    if (!arg_long(c, "id", 1, 1L << 40, &id)) return fail(c, 400, "give id=N, the number /api/run gave");
    if (mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "after") && !arg_long(c, "after", 0, 1000, &after))
        return fail(c, 400, "'after' must be a stage number");
    if (mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "wait") && !arg_long(c, "wait", 0, 20000, &wait))
        return fail(c, 400, "'wait' must be milliseconds from 0 to 20000");
    char *s = cov_jobs_status(sv->jobs, id, (int)after, (int)wait);
    if (!s) return fail(c, 404, "run %ld is not known (it may have been forgotten: the server keeps the latest runs)", id);
    return send_text_json(c, 200, s);
}

static enum MHD_Result route_job_file(server *sv, struct MHD_Connection *c)
{
    long id;
    const char *name = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
    if (!arg_long(c, "id", 1, 1L << 40, &id) || !name
        || (strcmp(name, "scenario.ini") && strcmp(name, "targets.csv") && strcmp(name, "trajectories.csv")
            && strcmp(name, "first_reached.csv") && strcmp(name, "exceedance.csv") && strcmp(name, "history.csv")
            && strcmp(name, "run.json") && strcmp(name, "solve.csv") && strcmp(name, "allocation.csv")))
        return fail(c, 400, "give id=N and name=scenario.ini, targets.csv, trajectories.csv, first_reached.csv, "
                            "exceedance.csv, history.csv, run.json, solve.csv or allocation.csv");
    char *path = cov_jobs_file(sv->jobs, id, name);
    if (!path) return fail(c, 404, "run %ld has no %s (not finished, or forgotten)", id, name);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    free(path);
    if (fd < 0) return fail(c, 404, "run %ld has no %s", id, name);
    bool csv = strstr(name, ".csv") != NULL;
    if (!strcmp(name, "scenario.ini") || !strcmp(name, "run.json")) {
        /* the files that name files: uploads by the names they were uploaded under, the private folder unsaid */
        FILE *f = fdopen(fd, "r");
        char *text = NULL;
        size_t cap = 0;
        ssize_t n = f ? getdelim(&text, &cap, '\0', f) : -1;
        if (f) fclose(f); else close(fd);
        if (n < 0) { free(text); return fail(c, 500, "cannot read the run's %s", name); }
        hide_private(text, sv->dir);
        return send_bytes(c, 200, "text/plain; charset=utf-8", text, strlen(text), name);
    }
    return send_fd(c, fd, csv ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8", name);
}

/* A chart's file name as `covcast plot` makes them: [a-z0-9-] and .svg, .dat or .gp. */
static bool chart_name(const char *n)
{
    const char *dot = n ? strrchr(n, '.') : NULL;
    if (!dot || dot == n || dot - n > 120 || (strcmp(dot, ".svg") && strcmp(dot, ".dat") && strcmp(dot, ".gp"))) return false;
    for (const char *p = n; p < dot; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-')) return false;
    return true;
}

/* The charts of a finished run (drawn on first asking, by `covcast plot
 * --format svg` in the page's language): the list (/api/job/charts), or
 * one file of the plots folder (/api/job/chart: .svg, .dat, .gp). */
static enum MHD_Result route_charts(server *sv, struct MHD_Connection *c, bool one)
{
    long id;
    const char *lang = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang");
    const char *name = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "name");
    if (!arg_long(c, "id", 1, 1L << 40, &id)) return fail(c, 400, "give id=N, the number /api/run gave");
    if (one && !chart_name(name))
        return fail(c, 400, "give name=CHART.svg (or .dat, .gp), a name /api/job/charts listed");
    /* a commune also charted (`covcast plot --units`): one name, never "all" (every commune of a country) */
    const char *unit = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "unit");
    if (unit) {
        size_t n = strlen(unit);
        bool ok = n > 0 && n <= 200 && cov_utf8_valid(unit, n, NULL) && !strchr(unit, ';') && strcmp(unit, "all");
        for (const unsigned char *p = (const unsigned char *)unit; ok && *p; p++) ok = *p >= 0x20 && *p != 0x7f;
        if (!ok) return fail(c, 400, "'unit' must name one commune of the run (not 'all', no ';' or control characters)");
    }
    char err[1200];
    int http = 500;
    char *dir = cov_jobs_render(sv->jobs, id, "plot", lang ? lang : "vi", unit, &http, err, sizeof err);
    if (!dir) return fail(c, (unsigned)http, "%s", err);
    enum MHD_Result ret;
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) {
        ret = fail(c, 500, "cannot read the charts: %s", strerror(errno));
    } else if (one) {
        int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        ret = fd < 0 ? fail(c, 404, "run %ld has no chart %s", id, name)
                     : send_fd(c, fd, !strcmp(strrchr(name, '.'), ".svg") ? "image/svg+xml" : "text/plain; charset=utf-8", name);
    } else {
        DIR *dd = fdopendir(dup(dfd));
        char *names[512];
        int n = 0;
        struct dirent *de;
        while (dd && (de = readdir(dd)) && n < 512) {
            size_t l = strlen(de->d_name);
            if (l > 4 && !strcmp(de->d_name + l - 4, ".svg") && chart_name(de->d_name)) names[n++] = cov_strdup(de->d_name);
        }
        if (dd) closedir(dd);
        qsort(names, (size_t)n, sizeof *names, by_name);
        json_t *list = json_array();
        for (int i = 0; i < n; i++) {
            if (names[i]) json_array_append_new(list, json_string(names[i]));
            free(names[i]);
        }
        json_t *o = json_pack("{s:I, s:s, s:o}", "job", (json_int_t)id, "lang", lang ? lang : "vi", "charts", list);
        if (unit) json_object_set_new(o, "unit", json_string(unit));
        ret = send_json(c, 200, o);
    }
    if (dfd >= 0) close(dfd);
    free(dir);
    cov_jobs_release(sv->jobs, id);
    return ret;
}

/* The one-page report of a finished run (`covcast report` in the page's
 * language), as a download. */
static enum MHD_Result route_report(server *sv, struct MHD_Connection *c)
{
    long id;
    const char *lang = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "lang");
    if (!arg_long(c, "id", 1, 1L << 40, &id)) return fail(c, 400, "give id=N, the number /api/run gave");
    char err[1200];
    int http = 500;
    char *path = cov_jobs_render(sv->jobs, id, "report", lang ? lang : "vi", NULL, &http, err, sizeof err);
    if (!path) return fail(c, (unsigned)http, "%s", err);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    free(path);
    cov_jobs_release(sv->jobs, id);
    if (fd < 0) return fail(c, 500, "cannot read the report: %s", strerror(errno));
    return send_fd(c, fd, "text/html; charset=utf-8", "report.html");
}

static enum MHD_Result route_file(server *sv, struct MHD_Connection *c)
{
    const char *rel = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "path");
    int fd = open_under(sv->folder_fd, sv->folder, rel);
    if (fd < 0)
        return fail(c, 403, "only files inside the server's folder are given out (no '..', no hidden names, no links)");
    return send_fd(c, fd, "text/plain; charset=utf-8", NULL);
}

static enum MHD_Result route_health(server *sv, struct MHD_Connection *c)
{
    long started;
    int kept;
    cov_jobs_counts(sv->jobs, &started, &kept);
    return send_json(c, 200, json_pack("{s:s, s:I, s:i, s:I}", "version", COV_VERSION, "runs_started", (json_int_t)started,
                                       "runs_kept", kept, "pid", (json_int_t)getpid()));
}

/* May this request reach the API? Sends the refusal when not. */
static bool admitted(server *sv, struct MHD_Connection *c, const char *url, enum MHD_Result *ret)
{
    const char *host = mhd.lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    if (!sv->token[0]) {
        bool ok = false;
        for (int i = 0; i < 3 && host; i++) ok = ok || !strcmp(host, sv->host[i]);
        if (!ok) { *ret = fail(c, 421, "this server answers only to its loopback address (Host: %s)", sv->host[0]); return false; }
    }
    const char *origin = mhd.lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    if (origin && (!host || strncmp(origin, "http://", 7) || strcmp(origin + 7, host))) {
        *ret = fail(c, 403, "requests from another site are refused");
        return false;
    }
    /* a request another site's page made (a link, an image, a script): browsers say so; none reaches the API */
    const char *site = mhd.lookup_connection_value(c, MHD_HEADER_KIND, "Sec-Fetch-Site");
    if (site && !strncmp(url, "/api/", 5) && strcmp(site, "same-origin") && strcmp(site, "none")) {
        *ret = fail(c, 403, "requests from another site are refused (Sec-Fetch-Site: %.40s)", site);
        return false;
    }
    if (sv->token[0] && !strncmp(url, "/api/", 5)) {
        const char *t = mhd.lookup_connection_value(c, MHD_HEADER_KIND, "X-Covcast-Token");
        if (!t) t = mhd.lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
        unsigned diff = !t || strlen(t) != 32;
        for (int i = 0; t && !diff && i < 32; i++) diff |= (unsigned)(t[i] ^ sv->token[i]);
        if (diff) { *ret = fail(c, 401, "this server needs the token it printed when it started (open the address it printed)"); return false; }
    }
    return true;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)version;
    server *sv = cls;
    request *rq = *con_cls;
    bool post = !strcmp(method, "POST");
    if (!rq) {   /* the headers: refuse early, before any body is read */
        enum MHD_Result ret;
        if (!admitted(sv, c, url, &ret)) return ret;
        if (!post && strcmp(method, "GET") && strcmp(method, "HEAD")) return fail(c, 405, "%s is not answered here", method);
        if (!(rq = calloc(1, sizeof *rq))) return MHD_NO;
        rq->post = post;
        rq->limit = !strcmp(url, "/api/upload") ? (size_t)UPLOAD_MAX : (size_t)JSON_MAX;
        *con_cls = rq;
        const char *cl = mhd.lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
        int64_t n;
        if (post && cl && cov_parse_int64(cl, &n) && (uint64_t)n > rq->limit) rq->too_big = true;
        if (post && !rq->too_big && !strcmp(url, "/api/upload")) {   /* a few at a time: each is held in memory */
            pthread_mutex_lock(&sv->mu);
            rq->receiving = sv->receiving < UPLOADS_RECEIVING;
            sv->receiving += rq->receiving;
            pthread_mutex_unlock(&sv->mu);
            if (!rq->receiving)
                return fail(c, 503, "the server is receiving %d uploads already; try again in a moment", UPLOADS_RECEIVING);
        }
        if (post && !rq->too_big) return MHD_YES;   /* the body follows */
        if (post) return fail(c, 413, "the request is larger than %zu MiB", rq->limit >> 20);
    }
    if (post && *upload_size) {
        if (!rq->too_big && rq->len + *upload_size > rq->limit) { rq->too_big = true; free(rq->body); rq->body = NULL; }
        if (!rq->too_big) {
            if (rq->len + *upload_size + 1 > rq->cap) {
                size_t cap = (rq->len + *upload_size + 1) * 2;
                char *nb = realloc(rq->body, cap < rq->limit + 1 ? cap : rq->limit + 1);
                if (!nb) return MHD_NO;
                rq->body = nb;
                rq->cap = cap < rq->limit + 1 ? cap : rq->limit + 1;
            }
            memcpy(rq->body + rq->len, upload, *upload_size);
            rq->len += *upload_size;
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (rq->too_big) return fail(c, 413, "the request is larger than %zu MiB", rq->limit >> 20);
    if (post) {
        if (!strcmp(url, "/api/run")) return route_run(sv, c, rq);
        if (!strcmp(url, "/api/ask")) return route_ask(sv, c, rq);
        if (!strcmp(url, "/api/check")) return route_check(sv, c, rq);
        if (!strcmp(url, "/api/upload")) return route_upload(sv, c, rq);
        return fail(c, 404, "no such request: POST %s", url);
    }
    if (!strncmp(url, "/api/", 5)) {
        if (!strcmp(url, "/api/scenarios")) return route_scenarios(sv, c);
        if (!strcmp(url, "/api/scenario")) return route_scenario(sv, c);
        if (!strcmp(url, "/api/job")) return route_job(sv, c);
        if (!strcmp(url, "/api/job/file")) return route_job_file(sv, c);
        if (!strcmp(url, "/api/job/charts")) return route_charts(sv, c, false);
        if (!strcmp(url, "/api/job/chart")) return route_charts(sv, c, true);
        if (!strcmp(url, "/api/job/report")) return route_report(sv, c);
        if (!strcmp(url, "/api/file")) return route_file(sv, c);
        if (!strcmp(url, "/api/health")) return route_health(sv, c);
        return fail(c, 404, "no such request: GET %s", url);
    }
    return route_static(sv, c, url);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)c; (void)toe;
    server *sv = cls;
    request *rq = *con_cls;
    if (rq && rq->receiving) {
        pthread_mutex_lock(&sv->mu);
        sv->receiving--;
        pthread_mutex_unlock(&sv->mu);
    }
    if (rq) { free(rq->body); free(rq); }
    *con_cls = NULL;
}

/* ---- start and stop ---- */

/* The page's folder when $COVCAST_WEB names one (to work on the page
 * without rebuilding); else "" and the files built into the program. */
static bool find_web(char *out, size_t n)
{
    const char *env = getenv("COVCAST_WEB");
    char try[4300];
    out[0] = '\0';
    if (!env) return true;
    snprintf(out, n, "%s", env);
    snprintf(try, sizeof try, "%s/index.html", out);
    return access(try, R_OK) == 0;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    remove(p);
    return 0;
}

int cov_serve(const char *folder, const char *listen, int threads, long max_replicates, bool token, bool quiet)
{
    if (!mhd_load()) return COV_EIO;
    server *sv = calloc(1, sizeof *sv);
    if (!sv) return COV_ELIMIT;
    sv->max_replicates = max_replicates;
    char addr[64] = "127.0.0.1", shown[80];
    long port = 8080;
    const char *colon = strrchr(listen, ':');
    int64_t p;
    bool six = listen[0] == '[';   /* [IPv6]:PORT */
    if (!colon || (size_t)(colon - listen) >= sizeof addr || !cov_parse_int64(colon + 1, &p) || p > 65535
        || (six && (colon - listen < 3 || colon[-1] != ']'))) {
        fprintf(stderr, "covcast serve: --listen must be ADDRESS:PORT, e.g. 127.0.0.1:8080 or [::1]:8080, got \"%s\"\n",
                cov_term(listen));
        free(sv);
        return COV_EUSAGE;
    }
    size_t alen = (size_t)(colon - listen) - (six ? 2 : 0);
    memcpy(addr, listen + six, alen);
    addr[alen] = '\0';
    port = (long)p;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    struct sockaddr_in6 sa6 = { .sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port) };
    if (six ? inet_pton(AF_INET6, addr, &sa6.sin6_addr) != 1 : inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
        fprintf(stderr, "covcast serve: --listen needs an IPv4 address such as 127.0.0.1 or 0.0.0.0, or an IPv6 address "
                        "in brackets such as [::1] or [::], got \"%s\"\n", cov_term(addr));
        free(sv);
        return COV_EUSAGE;
    }
    snprintf(shown, sizeof shown, six ? "[%s]" : "%s", addr);
    if (!realpath(folder, sv->folder) || (sv->folder_fd = open(sv->folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        fprintf(stderr, "covcast serve: cannot open the folder %s: %s\n", cov_term(folder), strerror(errno));
        free(sv);
        return COV_EIO;
    }
    if (!find_web(sv->web, sizeof sv->web)) {
        fprintf(stderr, "covcast serve: COVCAST_WEB names %s, which has no index.html; unset it to serve the page "
                        "built into the program\n", cov_term(sv->web));
        close(sv->folder_fd);
        free(sv);
        return COV_EIO;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(sv->dir, sizeof sv->dir, "%s/covcast-serve-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(sv->dir)) {
        fprintf(stderr, "covcast serve: cannot make a private folder in %s: %s\n", tmp ? tmp : "/tmp", strerror(errno));
        close(sv->folder_fd);
        free(sv);
        return COV_EIO;
    }
    bool loopback = six ? IN6_IS_ADDR_LOOPBACK(&sa6.sin6_addr) : (ntohl(sa.sin_addr.s_addr) >> 24) == 127;
    if (!loopback || token) {
        unsigned char rnd[16];
        if (getrandom(rnd, sizeof rnd, 0) != sizeof rnd) { rmdir(sv->dir); free(sv); return COV_EINTERNAL; }
        for (int i = 0; i < 16; i++) snprintf(sv->token + 2 * i, 3, "%02x", rnd[i]);
    }
    pthread_mutex_init(&sv->engine, NULL);
    pthread_mutex_init(&sv->mu, NULL);
    /* SIGINT and SIGTERM are waited for here; every thread started below inherits them blocked */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);
    sv->jobs = cov_jobs_start(sv->dir, threads, max_replicates, &sv->engine);
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | (six ? MHD_USE_IPv6 : 0);
    struct MHD_Daemon *dmn = sv->jobs ? mhd.start_daemon(flags, (uint16_t)port, NULL, NULL, handle, sv,
                                                         MHD_OPTION_SOCK_ADDR,
                                                         six ? (struct sockaddr *)&sa6 : (struct sockaddr *)&sa,
                                                         MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
                                                         MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)32,
                                                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                                                         MHD_OPTION_NOTIFY_COMPLETED, completed, sv,
                                                         MHD_OPTION_END) : NULL;
    int rc = COV_OK;
    if (!dmn) {
        fprintf(stderr, "covcast serve: cannot listen on %s:%ld (is the port in use?)\n", shown, port);
        rc = COV_EIO;
    } else {
        const union MHD_DaemonInfo *info = mhd.get_daemon_info(dmn, MHD_DAEMON_INFO_BIND_PORT);
        long bound = info ? info->port : port;
        snprintf(sv->host[0], sizeof sv->host[0], "%s:%ld", shown, bound);
        snprintf(sv->host[1], sizeof sv->host[1], "localhost:%ld", bound);
        snprintf(sv->host[2], sizeof sv->host[2], "%s:%ld", six ? "[::1]" : "127.0.0.1", bound);
        if (sv->token[0])
            printf("covcast serve: http://%s:%ld/?token=%s\n(the page and every request need this token; "
                   "anyone on the network with it can use the server)\n", shown, bound, sv->token);
        else
            printf("covcast serve: http://%s:%ld/\n", shown, bound);
        if (!quiet) printf("scenarios from %s; Ctrl-C stops the server\n", sv->folder);
        fflush(stdout);
        int sig;
        sigwait(&stop, &sig);
        cov_jobs_halt(sv->jobs);   /* runs, questions and drawings end now: no request waits for them */
        mhd.stop_daemon(dmn);
        if (!quiet) fprintf(stderr, "covcast serve: stopped\n");
    }
    cov_jobs_stop(sv->jobs);
    nftw(sv->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    for (int i = 0; i < sv->nallowed; i++) free(sv->allowed[i]);
    close(sv->folder_fd);
    pthread_mutex_destroy(&sv->engine);
    pthread_mutex_destroy(&sv->mu);
    free(sv);
    return rc;
}
