/* serve_api.c — the API of `covcast serve` through libcurl, against a
 * server this program starts on a free port of 127.0.0.1 (and always
 * stops): every route, bad requests, an upload with an error, a run's quick
 * pass and full count, the exported INI through `covcast run` (targets.csv
 * byte-identical), cancellation, the paired difference from a baseline,
 * solve and allocate from the page (the command line's answers; an unknown
 * target or campaign refused with 400),
 * the downloads (the run's files, its charts drawn by `covcast plot` and
 * the report; the page's fan numbers equal those of the chart's .dat),
 * uploads of a model and a history (located errors; a model naming
 * another file refused), a model with [units] rates (the same targets.csv
 * as `covcast run`), files outside the folder, the token, and a soak of
 * edits whose resident memory must stay flat.
 *   serve_api COVCAST TMPDIR [SOAK_EDITS]
 * SOAK_EDITS 0: a short session (no cancellation, soak or token), e.g.
 * for a server run under $SERVE_WRAPPER (valgrind), whose exit status must
 * then be 0. Prints "serve: N passed, M failed". */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <jansson.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int passed, failed;
static char base_url[128], token[40];
static pid_t server_pid;

#define CHECK(cond, ...) do { if (cond) passed++; else { failed++; printf("FAILED serve: "); printf(__VA_ARGS__); printf("\n"); } } while (0)

typedef struct { char *p; size_t n; } buf;

static size_t sink(char *data, size_t size, size_t nmemb, void *arg)
{
    buf *b = arg;
    size_t n = size * nmemb;
    char *np = realloc(b->p, b->n + n + 1);
    if (!np) return 0;
    memcpy(np + b->n, data, n);
    b->p = np;
    b->n += n;
    b->p[b->n] = '\0';
    return n;
}

/* One request; returns the body (malloc'd, NUL-terminated) and *code. */
static char *http(const char *method, const char *path, const char *type, const char *body, size_t len, long *code,
                  const char *extra_header)
{
    CURL *c = curl_easy_init();
    buf b = { calloc(1, 1), 0 };
    char url[4096];
    snprintf(url, sizeof url, "%s%s", base_url, path);
    struct curl_slist *h = NULL;
    char th[80];
    if (type) { char t[128]; snprintf(t, sizeof t, "Content-Type: %s", type); h = curl_slist_append(h, t); }
    if (token[0]) { snprintf(th, sizeof th, "X-Covcast-Token: %s", token); h = curl_slist_append(h, th); }
    if (extra_header) h = curl_slist_append(h, extra_header);
    h = curl_slist_append(h, "Expect:");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    }
    *code = 0;
    if (curl_easy_perform(c) == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, code);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return b.p;
}

static json_t *get_json(const char *path, long *code)
{
    char *s = http("GET", path, NULL, NULL, 0, code, NULL);
    json_t *o = json_loads(s, 0, NULL);
    free(s);
    return o;
}

static json_t *post_json(const char *path, json_t *body, long *code)
{
    char *b = json_dumps(body, JSON_COMPACT);
    char *s = http("POST", path, "application/json", b, strlen(b), code, NULL);
    json_t *o = json_loads(s, 0, NULL);
    free(b);
    free(s);
    return o;
}

/* More options for the next server started: those whose tests make long
 * runs (3,000,000 replicates) allow up to 5,000,000; the others keep the
 * default limit of 100,000. */
static const char *server_args = "";

/* Starts covcast serve FOLDER on a free port of listen (an address and
 * ":0"); fills base_url (and token). */
static bool start_server_on(const char *covcast, const char *folder, bool with_token, const char *listen)
{
    int fds[2];
    if (pipe(fds) != 0) return false;
    server_pid = fork();
    if (server_pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);   /* the server goes with this test, even when it aborts */
        dup2(fds[1], 1);
        close(fds[0]);
        const char *wrap = getenv("SERVE_WRAPPER");
        char line[8192];
        snprintf(line, sizeof line, "exec %s '%s' serve '%s' --listen '%s' --threads 2 --quiet %s %s",
                 wrap ? wrap : "", covcast, folder, listen, with_token ? "--token" : "", server_args);
        execl("/bin/sh", "sh", "-c", line, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[512];
    bool ok = false;
    token[0] = '\0';
    if (f && fgets(line, sizeof line, f)) {
        char *u = strstr(line, "http://");
        if (u) {
            char *end = strstr(u + 7, "/");
            if (end) { snprintf(base_url, sizeof base_url, "%.*s", (int)(end - u), u); ok = true; }
            char *t = strstr(u, "token=");
            if (t) { snprintf(token, sizeof token, "%.32s", t + 6); }
        }
    }
    if (f) fclose(f);
    return ok;
}

static bool start_server(const char *covcast, const char *folder, bool with_token)
{
    return start_server_on(covcast, folder, with_token, "127.0.0.1:0");
}

/* Stops the server; its exit status. */
static int stop_server(void)
{
    int st = 0;
    if (server_pid > 0) {
        kill(server_pid, SIGTERM);
        waitpid(server_pid, &st, 0);
        server_pid = 0;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void on_exit_signal(int sig)
{
    if (server_pid > 0) kill(server_pid, SIGKILL);
    _exit(128 + sig);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (f) { fputs(text, f); fclose(f); }
}

/* Waits for run id to end; returns its last status. */
static json_t *wait_job(long id)
{
    char path[128];
    json_t *o = NULL;
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {   /* up to 3 minutes: a run under the sanitizers on a loaded machine is slow */
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (o && t.tv_sec - t0.tv_sec > 180) break;
        long code;
        json_decref(o);
        snprintf(path, sizeof path, "/api/job?id=%ld&after=99&wait=2000", id);
        o = get_json(path, &code);
        const char *st = json_string_value(json_object_get(o, "state"));
        if (!st || (strcmp(st, "queued") && strcmp(st, "running"))) break;
    }
    return o;
}

/* Sets key of section name in sections to value (added when missing). */
static void set_entry(json_t *sections, const char *name, const char *key, const char *value)
{
    size_t i, k;
    json_t *sec, *en;
    json_array_foreach(sections, i, sec) {
        if (strcmp(json_string_value(json_object_get(sec, "name")), name)) continue;
        json_array_foreach(json_object_get(sec, "entries"), k, en)
            if (!strcmp(json_string_value(json_array_get(en, 0)), key)) {
                json_array_set_new(en, 1, json_string(value));
                return;
            }
        json_array_append_new(json_object_get(sec, "entries"), json_pack("[s,s]", key, value));
        return;
    }
}

/* Removes key from section name of sections, if there. */
static void drop_entry(json_t *sections, const char *name, const char *key)
{
    size_t i, k;
    json_t *sec, *en;
    json_array_foreach(sections, i, sec) {
        if (strcmp(json_string_value(json_object_get(sec, "name")), name)) continue;
        json_array_foreach(json_object_get(sec, "entries"), k, en)
            if (!strcmp(json_string_value(json_array_get(en, 0)), key)) {
                json_array_remove(json_object_get(sec, "entries"), k);
                return;
            }
    }
}

static long submit(json_t *sections, const char *client, int quick, long baseline, long *code)
{
    json_t *req = json_pack("{s:s, s:O, s:s, s:i, s:I}", "client", client, "sections", sections, "file", "nam-truc.ini",
                            "quick", quick, "baseline", (json_int_t)baseline);
    json_t *o = post_json("/api/run", req, code);
    long id = (long)json_integer_value(json_object_get(o, "job"));
    json_decref(req);
    json_decref(o);
    return id;
}

/* The row of target name for unit named unit in results. */
static json_t *row_of(json_t *res, const char *target, const char *unit)
{
    size_t i, k;
    json_t *t, *r;
    json_array_foreach(json_object_get(res, "targets"), i, t) {
        if (strcmp(json_string_value(json_object_get(t, "name")), target)) continue;
        json_array_foreach(json_object_get(t, "rows"), k, r) {
            json_t *u = json_array_get(json_object_get(res, "units"), (size_t)json_integer_value(json_object_get(r, "unit")));
            if (!strcmp(json_string_value(json_object_get(u, "name")), unit)) return r;
        }
    }
    return NULL;
}

/* What it would take, through /api/ask: the job's number, or 0 with o (the answer) kept in *answer. */
static long ask(json_t *sections, json_t *req, long *code, json_t **answer)
{
    json_object_set(req, "sections", sections);
    json_object_set_new(req, "client", json_string("page1-ask"));
    json_object_set_new(req, "file", json_string("nam-truc.ini"));
    json_t *o = post_json("/api/ask", req, code);
    long id = (long)json_integer_value(json_object_get(o, "job"));
    json_decref(req);
    if (answer) *answer = o;
    else json_decref(o);
    return id;
}

/* Whether the table of an answer, its cells joined by ',', is the CSV file
 * at path line by line (the names here need no quoting). */
static bool table_is_csv(json_t *table, const char *path, char *why, size_t n)
{
    FILE *f = fopen(path, "r");
    if (!f) { snprintf(why, n, "cannot read %s", path); return false; }
    char line[4096], mine[4096];
    size_t i;
    json_t *cell;
    bool ok = true;
    for (long r = -1; ok && fgets(line, sizeof line, f); r++) {
        line[strcspn(line, "\n")] = '\0';
        json_t *cells = r < 0 ? json_object_get(table, "columns") : json_array_get(json_object_get(table, "rows"), (size_t)r);
        size_t k = 0;
        mine[0] = '\0';
        json_array_foreach(cells, i, cell)
            k += (size_t)snprintf(mine + k, k < sizeof mine ? sizeof mine - k : 0, "%s%s", i ? "," : "", json_string_value(cell));
        if (!cells || strcmp(mine, line)) { snprintf(why, n, "line %ld: file \"%.200s\", page \"%.200s\"", r + 2, line, mine); ok = false; }
    }
    long nrows = 0;
    rewind(f);
    while (fgets(line, sizeof line, f)) nrows++;
    if (ok && (size_t)(nrows - 1) != json_array_size(json_object_get(table, "rows"))) {
        snprintf(why, n, "%ld rows in the file, %zu on the page", nrows - 1, json_array_size(json_object_get(table, "rows")));
        ok = false;
    }
    fclose(f);
    return ok;
}

/* A file's text (malloc'd), or an empty text. */
static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    char *t = NULL;
    size_t cap = 0;
    if (!f || getdelim(&t, &cap, '\0', f) < 0) { free(t); t = calloc(1, 1); }
    if (f) fclose(f);
    return t;
}

/* Uploads text as kind (population, model, history, rates) under name, for
 * client (or none); the id it is named by (malloc'd) or NULL, *code. */
static char *upload_for(const char *client, const char *kind, const char *name, const char *type, const char *text,
                        long *code, char **error)
{
    char path[300];
    snprintf(path, sizeof path, "/api/upload?kind=%s&name=%s%s%s", kind, name, client ? "&client=" : "", client ? client : "");
    char *body = http("POST", path, type, text, strlen(text), code, NULL);
    json_t *o = json_loads(body, 0, NULL);
    const char *p = json_string_value(json_object_get(o, "id"));
    if (!p) p = json_string_value(json_object_get(o, "path"));   /* (what the server gave before it had ids) */
    if (p && (strstr(body, "covcast-serve-") || strncmp(p, "upload:", 7))) {
        printf("FAILED serve: an upload's answer shows the private folder, or no upload id: %s\n", body);
        failed++;
    }
    char *out = p ? strdup(p) : NULL;
    if (error) *error = strdup(json_string_value(json_object_get(o, "error")) ?: body);
    json_decref(o);
    free(body);
    return out;
}

static char *upload(const char *kind, const char *name, const char *type, const char *text, long *code, char **error)
{
    return upload_for(NULL, kind, name, type, text, code, error);
}

/* The process ids of the server's children whose command line holds what
 * (e.g. "--ask"), and their states ('T': stopped) into pids, states. */
static int children_of(pid_t parent, const char *what, pid_t *pids, char *states, int max)
{
    int n = 0;
    DIR *d = opendir("/proc");
    struct dirent *de;
    while (d && (de = readdir(d)) && n < max) {
        char p[300], pbuf[4096];
        if (de->d_name[0] < '0' || de->d_name[0] > '9') continue;
        snprintf(p, sizeof p, "/proc/%s/stat", de->d_name);
        FILE *f = fopen(p, "r");
        if (!f) continue;
        size_t got = fread(pbuf, 1, sizeof pbuf - 1, f);
        fclose(f);
        pbuf[got] = '\0';
        char *rp = strrchr(pbuf, ')'), st = 0;
        int ppid = 0;
        if (!rp || sscanf(rp + 2, "%c %d", &st, &ppid) != 2 || ppid != parent) continue;
        snprintf(p, sizeof p, "/proc/%s/cmdline", de->d_name);
        f = fopen(p, "r");
        got = f ? fread(pbuf, 1, sizeof pbuf - 1, f) : 0;
        if (f) fclose(f);
        for (size_t i = 0; i < got; i++) if (!pbuf[i]) pbuf[i] = ' ';
        pbuf[got] = '\0';
        if (!strstr(pbuf, what)) continue;
        pids[n] = (pid_t)atoi(de->d_name);
        states[n++] = st;
    }
    if (d) closedir(d);
    return n;
}

/* Whether process pid is gone (or a zombie nobody of ours waits for), within 5 s. */
static bool gone(pid_t pid)
{
    for (int i = 0; i < 100; i++) {
        char p[64], pbuf[512];
        snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
        FILE *f = fopen(p, "r");
        if (!f) return true;
        size_t got = fread(pbuf, 1, sizeof pbuf - 1, f);
        fclose(f);
        pbuf[got] = '\0';
        char *rp = strrchr(pbuf, ')');
        if (rp && rp[2] == 'Z') return true;
        usleep(50000);
    }
    return false;
}

/* Opens a connection to the server and sends the headers of an upload of
 * n bytes and its first byte, holding the rest back; the socket, or -1. */
static int hold_upload(long n)
{
    const char *hp = strstr(base_url, "://") + 3, *colon = strrchr(hp, ':');
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1)) };
    inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) { if (fd >= 0) close(fd); return -1; }
    char req[600];
    int len = snprintf(req, sizeof req, "POST /api/upload?kind=population&name=held.csv HTTP/1.1\r\nHost: %s\r\n"
                       "Content-Type: text/csv\r\nContent-Length: %ld\r\n\r\nc", hp, n);
    if (write(fd, req, (size_t)len) != len) { close(fd); return -1; }
    return fd;
}

/* Runs sections (as client), waits; the run's number when it is done, else 0. */
static long run_done(json_t *sections, const char *client)
{
    long code;
    long id = submit(sections, client, 0, 0, &code);
    json_t *o = id ? wait_job(id) : NULL;
    bool done = !strcmp(json_string_value(json_object_get(o, "state")) ?: "", "done");
    if (!done && o) { char *d = json_dumps(o, JSON_COMPACT); printf("(run %ld: %.300s)\n", id, d ? d : ""); free(d); }
    json_decref(o);
    return done ? id : 0;
}

/* Fetches file name of run id into path; the HTTP code. */
static long fetch_to(long id, const char *name, const char *path)
{
    char url[300];
    long code;
    snprintf(url, sizeof url, "/api/job/file?id=%ld&name=%s", id, name);
    char *body = http("GET", url, NULL, NULL, 0, &code, NULL);
    write_file(path, body);
    free(body);
    return code;
}

/* Reads run id stage by stage while it works; the number of rising
 * fractions (0..1] seen (-1 when one fell), the first and last. */
static int fractions(long id, double *first, double *last)
{
    int nf = 0;
    bool rising = true;
    *first = *last = -1;
    char path[200];
    for (long after = 0; nf < 1000;) {
        long code;
        snprintf(path, sizeof path, "/api/job?id=%ld&after=%ld&wait=5000", id, after);
        json_t *o = get_json(path, &code);
        json_t *f = json_object_get(json_object_get(o, "result"), "fraction");
        if (json_is_number(f)) {
            double v = json_number_value(f);
            rising = rising && (nf == 0 || v >= *last) && v > 0 && v <= 1;
            if (!nf) *first = v;
            *last = v;
            nf++;
        }
        const char *st = json_string_value(json_object_get(o, "state"));
        bool working = st && (!strcmp(st, "queued") || !strcmp(st, "running"));
        long stage = (long)json_integer_value(json_object_get(o, "stage"));
        json_decref(o);
        if (!working || stage <= after) break;
        after = stage;
    }
    return rising ? nf : -1;
}

static long rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6)) kb = atol(line + 6);
    if (f) fclose(f);
    return kb;
}

int main(int argc, char **argv)
{
    if (argc < 3) { fprintf(stderr, "usage: serve_api COVCAST TMPDIR [SOAK_EDITS]\n"); return 2; }
    const char *covcast = argv[1], *tmp = argv[2];
    int soak = argc > 3 ? atoi(argv[3]) : 1000;
    setvbuf(stdout, NULL, _IOLBF, 0);   /* every line out before a sanitizer's report at exit */
    signal(SIGINT, on_exit_signal);
    signal(SIGTERM, on_exit_signal);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    setvbuf(stdout, NULL, _IOLBF, 0);   /* each line out at once: a sanitizer's exit must not swallow them */
    char cwd[2048], folder[2048], path[4800], cmd[40000];
    if (!getcwd(cwd, sizeof cwd)) return 2;
    snprintf(folder, sizeof folder, "%s/folder", tmp);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s/data' && cp scenarios/data/nam-truc-2018.csv '%s/data/' && "
             "sed -e 's|^model = .*|model = %s/models/bhyt.ini|' scenarios/nam-truc-2018.ini > '%s/nam-truc.ini' && "
             "ln -s nam-truc.ini '%s/link.ini' && ln -s /etc '%s/data/etc' && echo secret > '%s/secret.txt'",
             folder, folder, folder, cwd, folder, folder, folder, tmp);
    if (system(cmd) != 0) { printf("FAILED serve: cannot prepare %s\n", folder); return 1; }
    /* a model with [units] rates (relative to it) and a scenario that uses it; histories to upload */
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/models' && cp models/bhyt.ini '%s/models/units.ini' && "
             "printf '\\n[units]\\nrates = units-rates.csv\\nlevel = commune\\nmissing = group\\n' >> '%s/models/units.ini' && "
             "printf 'level,unit,group,enroll,enroll_sd,lapse,lapse_sd\\ncommune,Đồng Sơn,factors,3.0,0.2,0.5,0.2\\n"
             "commune,Nam Thanh,factors,0.3,0.2,2.0,0.2\\n' > '%s/models/units-rates.csv' && "
             "sed -e 's|^model = .*|model = models/units.ini|' scenarios/nam-truc-2018.ini > '%s/nam-truc-units.ini' && "
             "awk -F, 'NR==1{print \"commune,district,province,group,month,population,insured\"; next} "
             "{i=$6-20; if(i<0)i=0; print $1\",\"$2\",\"$3\",\"$4\",2018-04,\"$5\",\"i; "
             "print $1\",\"$2\",\"$3\",\"$4\",2018-05,\"$5\",\"$6}' scenarios/data/nam-truc-2018.csv > '%s/history.csv'",
             folder, folder, folder, folder, folder, tmp);
    if (system(cmd) != 0) { printf("FAILED serve: cannot prepare the [units] model in %s\n", folder); return 1; }
    snprintf(path, sizeof path, "%s/nam-truc.ini", folder);
    server_args = "--max-replicates 5000000";
    bool first_up = start_server(covcast, folder, false);
    server_args = "";
    if (!first_up) { printf("FAILED serve: the server did not start\n"); stop_server(); return 1; }
    long code;

    /* health, scenarios, one scenario */
    json_t *o = get_json("/api/health", &code);
    CHECK(code == 200 && json_object_get(o, "pid"), "GET /api/health: %ld", code);
    pid_t spid = (pid_t)json_integer_value(json_object_get(o, "pid"));
    json_decref(o);
    o = get_json("/api/scenarios", &code);
    char *s = json_dumps(o, 0);
    CHECK(code == 200 && s && strstr(s, "nam-truc.ini") && strstr(s, "Nam Trực 2018") && !strstr(s, "link.ini"),
          "GET /api/scenarios lists nam-truc.ini (Vietnamese name intact), not the link: %s", s ? s : "");
    free(s);
    json_decref(o);
    json_t *sc = get_json("/api/scenario?file=nam-truc.ini", &code);
    json_t *sections = json_object_get(sc, "sections"), *info = json_object_get(sc, "info");
    CHECK(code == 200 && json_array_size(json_object_get(info, "communes")) == 20,
          "GET /api/scenario: 20 communes (%ld)", code);
    if (soak == 0) set_entry(sections, "run", "replicates", "300");   /* a short session: small runs */
    s = json_dumps(info, 0);
    CHECK(s && strstr(s, "\"Huyện Nam Trực\"") && strstr(s, "\"Đồng Sơn\""), "Vietnamese names intact in the choices");
    free(s);
    o = get_json("/api/scenario?file=link.ini", &code);
    CHECK(code == 404, "a scenario that is a link is refused: %ld", code);
    json_decref(o);
    o = get_json("/api/scenario?file=../nam-truc-2018.ini", &code);
    CHECK(code == 400, "a scenario outside the folder is refused: %ld", code);
    json_decref(o);

    /* files under the folder only */
    char *body = http("GET", "/api/file?path=nam-truc.ini", NULL, NULL, 0, &code, NULL);
    CHECK(code == 200 && strstr(body, "[target.year-end]"), "GET /api/file of a scenario: %ld", code);
    free(body);
    const char *outside[] = { "/api/file?path=../secret.txt", "/api/file?path=data/../../secret.txt",
                              "/api/file?path=data/etc/passwd", "/api/file?path=link.ini", "/api/file?path=%2Fetc%2Fpasswd",
                              "/api/file?path=.%2E/secret.txt", "/api/file?path=data" };
    for (size_t i = 0; i < sizeof outside / sizeof *outside; i++) {
        body = http("GET", outside[i], NULL, NULL, 0, &code, NULL);
        CHECK(code == 403 && !strstr(body, "secret") && !strstr(body, "root:"), "%s refused with 403: %ld %s", outside[i],
              code, body);
        free(body);
    }

    /* bad requests: 4xx with a message */
    struct { const char *method, *path, *type, *body, *header; long want; const char *says; } bad[] = {
        { "POST", "/api/run", "text/plain", "{}", NULL, 415, "application/json" },
        { "POST", "/api/run", "application/json", "{\"client\":", NULL, 400, "not a JSON object" },
        { "POST", "/api/run", "application/json", "[1,2]", NULL, 400, "not a JSON object" },
        { "POST", "/api/run", "application/json", "{\"client\":\"a b\",\"sections\":[]}", NULL, 400, "client" },
        { "POST", "/api/run", "application/json", "{\"client\":\"a\",\"sections\":[{\"name\":\"x]\",\"entries\":[]}]}", NULL, 400, "name" },
        { "POST", "/api/run", "application/json", "{\"client\":\"a\",\"sections\":[{\"name\":\"run\",\"entries\":[[\"name\",\"a\\nb\"]]}]}", NULL, 400, "line break" },
        { "POST", "/api/run", "application/json", "{\"client\":\"a\",\"sections\":[{\"name\":\"run\",\"entries\":[[\"name\",\"a ; b\"]]}]}", NULL, 400, "comment" },
        { "POST", "/api/run", "application/json", "{\"client\":\"a\",\"sections\":[{\"name\":\"run\",\"entries\":[[\"population\",\"/etc/passwd\"]]}]}", NULL, 400, "not a file this server offered" },
        { "POST", "/api/run", "application/json", "{\"client\":\"a\",\"sections\":[{\"name\":\"run\",\"entries\":[[\"base\",\"x.ini\"]]}]}", NULL, 400, "server decides" },
        { "POST", "/api/run", "application/json", "{\"client\":\"a\",\"sections\":[{\"name\":\"run\",\"entries\":[[\"Bad-Key\",\"1\"]]}]}", NULL, 400, "key" },
        { "POST", "/api/run", "application/json", "{\"client\":\"a\",\"quick\":-1,\"sections\":[]}", NULL, 400, "quick" },
        { "POST", "/api/run", "application/json", "{\"client\":\"a\",\"baseline\":999999,\"sections\":[]}", NULL, 404, "baseline" },
        { "POST", "/api/run", "application/json", "{\"client\":\"a\",\"client\":\"b\",\"sections\":[]}", NULL, 400, "JSON" },
        { "POST", "/api/nothing", "application/json", "{}", NULL, 404, "no such request" },
        { "PUT", "/api/run", "application/json", "{}", NULL, 405, "not answered" },
        { "GET", "/api/job?id=abc", NULL, NULL, NULL, 400, "id=N" },
        { "GET", "/api/job?id=999999", NULL, NULL, NULL, 404, "not known" },
        { "GET", "/api/job/file?id=1&name=..%2F..%2Fetc%2Fpasswd", NULL, NULL, NULL, 400, "name=" },
        { "GET", "/api/scenario", NULL, NULL, NULL, 400, "file=" },
        { "GET", "/api/health", NULL, NULL, "Host: evil.example:80", 421, "loopback" },
        { "POST", "/api/run", "application/json", "{}", "Origin: http://evil.example", 403, "another site" },
        { "GET", "/api/job/charts?id=1", NULL, NULL, "Sec-Fetch-Site: cross-site", 403, "another site" },
        { "GET", "/api/health", NULL, NULL, "Sec-Fetch-Site: same-site", 403, "another site" },
        { "POST", "/api/upload", "application/x-www-form-urlencoded", "a=b", NULL, 415, "text/csv" },
        { "POST", "/api/upload?kind=script", "text/csv", "a,b\n", NULL, 400, "kind" },
        { "POST", "/api/upload?kind=model", "text/plain", "[model]\n", NULL, 415, "octet-stream" },
        { "GET", "/api/job/charts?id=999999", NULL, NULL, NULL, 404, "no results to draw" },
        { "GET", "/api/job/charts?id=abc", NULL, NULL, NULL, 400, "id=N" },
        { "GET", "/api/job/chart?id=1&name=..%2Fout%2Ftargets.csv", NULL, NULL, NULL, 400, "name=" },
        { "GET", "/api/job/chart?id=1&name=plots%2Fa.svg", NULL, NULL, NULL, 400, "name=" },
        { "GET", "/api/job/report?id=999999", NULL, NULL, NULL, 404, "no results to draw" },
        { "GET", "/api/job/charts?id=1&lang=..%2F..%2Fetc", NULL, NULL, NULL, 400, "lang" },
        { "GET", "/api/job/report?id=1&lang=vi%2F..%2F..", NULL, NULL, NULL, 400, "lang" },
        { "GET", "/api/job/chart?id=1&name=.svg", NULL, NULL, NULL, 400, "name=" },
        { "GET", "/api/job/chart?id=1&name=a%00b.svg", NULL, NULL, NULL, 400, "name=" },
        { "GET", "/api/job/file?id=-1&name=targets.csv", NULL, NULL, NULL, 400, "id=N" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        body = http(bad[i].method, bad[i].path, bad[i].type, bad[i].body, bad[i].body ? strlen(bad[i].body) : 0, &code,
                    bad[i].header);
        json_t *e = json_loads(body, 0, NULL);
        const char *msg = json_string_value(json_object_get(e, "error"));
        CHECK(code == bad[i].want && msg && strstr(msg, bad[i].says), "%s %s: %ld (want %ld) %s", bad[i].method, bad[i].path,
              code, bad[i].want, body);
        json_decref(e);
        free(body);
    }
    size_t big = (5L << 20);
    char *huge = malloc(big);
    memset(huge, ' ', big);
    body = http("POST", "/api/run", "application/json", huge, big, &code, NULL);
    CHECK(code == 413, "a 5 MiB JSON request is refused with 413: %ld", code);
    free(body);
    free(huge);

    /* an upload with an error: the located message, as the command line gives it */
    const char *csv = "commune,district,province,group,population,insured\n"
                      "Đồng Sơn,Huyện Nam Trực,Tỉnh Nam Định,students,2000,1900\n"
                      "Đồng Sơn,Huyện Nam Trực,Tỉnh Nam Định,household,2000,2100\n";
    body = http("POST", "/api/upload?name=x%C3%A3-d%E1%BB%93ng.csv", "text/csv", csv, strlen(csv), &code, NULL);
    json_t *up = json_loads(body, 0, NULL);
    const char *upath = json_string_value(json_object_get(up, "id")), *uname = json_string_value(json_object_get(up, "name"));
    CHECK(code == 201 && upath && uname && !strchr(uname, '/'), "POST /api/upload: %ld %s", code, body);
    free(body);
    json_t *secs = json_deep_copy(sections);
    set_entry(secs, "run", "population", upath ? upath : "");
    json_t *req = json_pack("{s:O}", "sections", secs);
    o = post_json("/api/check", req, &code);
    const char *text = json_string_value(json_object_get(json_object_get(o, "errors"), "text"));
    char want[300];
    snprintf(want, sizeof want, "%s:3:", uname ? uname : "?");
    CHECK(code == 200 && text && strstr(text, want) && strstr(text, "is more than the population") && strstr(text, "^^^^")
          && !strstr(text, "covcast-serve-"), "the upload's error is located (%s) and the private folder hidden: %s", want,
          text ? text : "(none)");
    json_decref(o);
    json_decref(req);
    json_decref(secs);
    json_decref(up);
    req = json_pack("{s:O}", "sections", sections);
    o = post_json("/api/check", req, &code);
    CHECK(code == 200 && json_object_get(o, "info"), "POST /api/check of the shipped scenario gives its choices");
    json_decref(o);
    json_decref(req);

    /* a run: quick pass, then the full count; exported INI -> same targets.csv */
    long id = submit(sections, "page1", 200, 0, &code);
    CHECK(code == 202 && id > 0, "POST /api/run: %ld", code);
    snprintf(path, sizeof path, "/api/job?id=%ld&after=0&wait=10000", id);
    o = get_json(path, &code);
    json_t *res = json_object_get(json_object_get(o, "result"), "results");
    CHECK(json_integer_value(json_object_get(res, "replicates")) == 200
          || json_integer_value(json_object_get(res, "replicates")) == (soak == 0 ? 300 : 2000),
          "the first answer has 200 (quick) or all replicates");
    json_decref(o);
    o = wait_job(id);
    res = json_object_get(json_object_get(o, "result"), "results");
    CHECK(!strcmp(json_string_value(json_object_get(o, "state")) ?: "", "done")
          && json_integer_value(json_object_get(res, "replicates")) == (soak == 0 ? 300 : 2000), "the run ends done with all its replicates");
    json_t *row = row_of(res, "year-end", "Huyện Nam Trực");
    double p0 = json_real_value(json_object_get(row, "p"));
    snprintf(path, sizeof path, "/api/job/file?id=%ld&name=scenario.ini", id);
    body = http("GET", path, NULL, NULL, 0, &code, NULL);
    char exported[2100], outdir[2100], shown[2100];
    snprintf(exported, sizeof exported, "%s/exported.ini", tmp);
    snprintf(outdir, sizeof outdir, "%s/exported-run", tmp);
    snprintf(shown, sizeof shown, "%s/shown-targets.csv", tmp);
    write_file(exported, body);
    free(body);
    snprintf(path, sizeof path, "/api/job/file?id=%ld&name=targets.csv", id);
    body = http("GET", path, NULL, NULL, 0, &code, NULL);
    write_file(shown, body);
    char p0s[32];
    snprintf(p0s, sizeof p0s, ",%.4f,", p0);
    CHECK(code == 200 && strstr(body, "year-end,district,Huyện Nam Trực,all,85.20,2018-12") && strstr(body, p0s),
          "targets.csv of the run holds the probability the page shows (%s)", p0s);
    free(body);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && '%s' run '%s' -q -t 1 -o '%s' && cmp '%s/targets.csv' '%s'", outdir, covcast,
             exported, outdir, outdir, shown);
    CHECK(system(cmd) == 0, "the exported INI through covcast run gives targets.csv byte-identical to the page's");

    /* a commune's charts, on asking (covcast plot --units): its fan's .dat holds the commune's quantiles */
    {
        snprintf(path, sizeof path, "/api/job/charts?id=%ld&lang=en&unit=%%C4%%90%%E1%%BB%%93ng%%20S%%C6%%A1n", id);
        json_t *cu = get_json(path, &code);
        char *ls = json_dumps(cu, 0);
        CHECK(code == 200 && ls && strstr(ls, "fan-commune-dong-son.svg") && strstr(ls, "fan-district-huyen-nam-truc.svg"),
              "GET /api/job/charts&unit=Đồng Sơn charts the commune too: %ld %s", code, ls ? ls : "");
        free(ls);
        json_decref(cu);
        snprintf(path, sizeof path, "/api/job/chart?id=%ld&lang=en&unit=%%C4%%90%%E1%%BB%%93ng%%20S%%C6%%A1n&name=fan-commune-dong-son.dat", id);
        char *dat = http("GET", path, NULL, NULL, 0, &code, NULL);
        char *traj = NULL, tp[2200];
        snprintf(tp, sizeof tp, "%s/traj-commune.csv", tmp);
        if (fetch_to(id, "trajectories.csv", tp) == 200) traj = read_text(tp);
        /* the commune's last month: p05..p95 in trajectories.csv, the same numbers in the .dat's last line */
        char *last = NULL, *tline = traj ? strtok(traj, "\n") : NULL;
        for (; tline; tline = strtok(NULL, "\n"))
            if (!strncmp(tline, "commune,Đồng Sơn,", strlen("commune,Đồng Sơn,"))) last = tline;
        double q[5] = { 0 }, dq[5] = { 1 };
        const char *qs = last;
        for (int k = 0; qs && k < 6; k++) qs = (qs = strchr(qs, ',')) ? qs + 1 : NULL;   /* past level,unit,month,population,insured_mean,coverage_mean */
        bool got_q = qs && sscanf(qs, "%lf,%lf,%lf,%lf,%lf", &q[0], &q[1], &q[2], &q[3], &q[4]) == 5;
        char *dl = NULL, *dline = code == 200 ? strtok(dat, "\n") : NULL;
        for (; dline; dline = strtok(NULL, "\n")) if (dline[0] != '#' && strchr(dline, ',')) dl = dline;
        bool got_d = dl && sscanf(strchr(dl, ',') + 1, "%lf,%lf,%lf,%lf,%lf", &dq[0], &dq[1], &dq[2], &dq[3], &dq[4]) == 5;
        bool same = got_q && got_d;
        for (int i = 0; same && i < 5; i++) same = fabs(q[i] - dq[i]) < 0.01;
        CHECK(same, "the commune's fan .dat ends with its quantiles of trajectories.csv (%g..%g and %g..%g)", q[0], q[4], dq[0], dq[4]);
        free(dat); free(traj);
        const char *bad_units[][2] = { { "all", "400" }, { "Nope", "400" }, { "a%3Bb", "400" }, { "%60touch%20x%60", "400" }, { "%0A", "400" } };
        for (int i = 0; i < 5; i++) {
            snprintf(path, sizeof path, "/api/job/charts?id=%ld&unit=%s", id, bad_units[i][0]);
            char *b = http("GET", path, NULL, NULL, 0, &code, NULL);
            CHECK(code == atol(bad_units[i][1]) && !strstr(b, "covcast-serve-") && strstr(b, "error"),
                  "unit=%s: %ld %s", bad_units[i][0], code, b);
            free(b);
        }
        /* at most 16 communes charted per run: the next is told so */
        json_t *comm = json_object_get(info, "communes");
        int drawn = 0;
        long last_code = 0;
        for (size_t i = 0; i < json_array_size(comm) && drawn < 17; i++) {
            const char *nm = json_string_value(json_object_get(json_array_get(comm, i), "name"));
            if (!nm || !strcmp(nm, "Đồng Sơn")) continue;
            CURL *cu2 = curl_easy_init();
            char *enc = curl_easy_escape(cu2, nm, 0);
            snprintf(path, sizeof path, "/api/job/charts?id=%ld&lang=en&unit=%s", id, enc);
            curl_free(enc);
            curl_easy_cleanup(cu2);
            char *b = http("GET", path, NULL, NULL, 0, &last_code, NULL);
            free(b);
            drawn++;
            if (last_code != 200) break;
        }
        CHECK(drawn == 16 && last_code == 429, "the 17th commune charted for one run is refused with 429 (%d asked, %ld)",
              drawn, last_code);
    }

    /* take it away: the other files, the charts as covcast plot draws them, the report */
    snprintf(path, sizeof path, "/api/job/file?id=%ld&name=exceedance.csv", id);
    body = http("GET", path, NULL, NULL, 0, &code, NULL);
    CHECK(code == 200 && strstr(body, "Huyện Nam Trực"), "GET /api/job/file exceedance.csv: %ld", code);
    free(body);
    snprintf(path, sizeof path, "/api/job/charts?id=%ld&lang=en", id);
    json_t *ch = get_json(path, &code);
    s = json_dumps(ch, 0);
    CHECK(code == 200 && s && strstr(s, "\"fan-district-huyen-nam-truc.svg\"") && strstr(s, "\"cards-ntm-communes.svg\""),
          "GET /api/job/charts lists the charts of covcast plot: %ld %s", code, s ? s : "");
    free(s);
    json_decref(ch);
    snprintf(path, sizeof path, "/api/job/chart?id=%ld&lang=en&name=fan-district-huyen-nam-truc.svg", id);
    body = http("GET", path, NULL, NULL, 0, &code, NULL);
    CHECK(code == 200 && strstr(body, "<svg") && strstr(body, "Huyện Nam Trực") && strstr(body, "BHYT coverage (%)"),
          "the district's fan chart: an SVG from gnuplot in English (%ld)", code);
    free(body);
    snprintf(path, sizeof path, "/api/job/chart?id=%ld&lang=vi&name=fan-district-huyen-nam-truc.svg", id);
    body = http("GET", path, NULL, NULL, 0, &code, NULL);
    CHECK(code == 200 && strstr(body, "<svg") && strstr(body, "Tỷ lệ"), "and in Vietnamese (%ld)", code);
    free(body);
    /* the page's fan chart agrees with gnuplot's: the numbers the page draws (the run's fans) are the .dat's */
    snprintf(path, sizeof path, "/api/job/chart?id=%ld&lang=en&name=fan-district-huyen-nam-truc.dat", id);
    body = http("GET", path, NULL, NULL, 0, &code, NULL);
    {
        json_t *fan = NULL, *u;
        size_t ui;
        json_array_foreach(json_object_get(res, "units"), ui, u)
            if (!strcmp(json_string_value(json_object_get(u, "name")) ?: "", "Huyện Nam Trực")
                && !strcmp(json_string_value(json_object_get(u, "level")) ?: "", "district"))
                fan = json_array_get(json_object_get(res, "fans"), ui);
        int y0 = 0, m0 = 0, m = 0, nbad = 0;
        sscanf(json_string_value(json_object_get(res, "start")) ?: "", "%d-%d", &y0, &m0);
        char *save = NULL, where[200] = "";
        for (char *line = strtok_r(body, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
            if (line[0] == '#') continue;
            char month[16];
            int k0 = (y0 * 12 + m0 - 1) + m;
            snprintf(month, sizeof month, "%04d-%02d,", k0 / 12, k0 % 12 + 1);
            bool ok = !strncmp(line, month, 8);
            char *p = line + 8;
            for (int k = 0; k < 5 && ok; k++) {
                char *end;
                double v = strtod(p, &end);
                ok = end != p && v == json_number_value(json_array_get(json_array_get(fan, (size_t)m), (size_t)k));
                p = *end == ',' ? end + 1 : end;
            }
            if (!ok && !nbad++) snprintf(where, sizeof where, "month %d: .dat \"%.100s\"", m, line);
            m++;
        }
        CHECK(code == 200 && fan && !nbad && m == 13 && (size_t)m == json_array_size(fan),
              "the page's fan numbers (5 quantiles, 13 months) equal gnuplot's .dat for the same run: %d rows, %d differ %s",
              m, nbad, where);
    }
    free(body);
    snprintf(path, sizeof path, "/api/job/chart?id=%ld&lang=en&name=nothing-here.svg", id);
    body = http("GET", path, NULL, NULL, 0, &code, NULL);
    CHECK(code == 404, "a chart the run does not have: 404 (%ld)", code);
    free(body);
    snprintf(path, sizeof path, "/api/job/chart?id=%ld&lang=fr&name=fan-district-huyen-nam-truc.svg", id);
    body = http("GET", path, NULL, NULL, 0, &code, NULL);
    CHECK(code == 400 && strstr(body, "vi or en"), "a language other than vi or en: 400 (%ld)", code);
    free(body);
    snprintf(path, sizeof path, "/api/job/report?id=%ld&lang=vi", id);
    body = http("GET", path, NULL, NULL, 0, &code, NULL);
    CHECK(code == 200 && strstr(body, "<html") && strstr(body, "Huyện Nam Trực") && strstr(body, "<svg")
          && strstr(body, "20180604"), "GET /api/job/report: report.html as covcast report writes it (%ld, %zu bytes)", code,
          strlen(body));
    free(body);
    json_decref(o);
    long base_id = id;

    /* a scenario that does not load: the located error, as covcast run says it */
    secs = json_deep_copy(sections);
    set_entry(secs, "target.year-end", "threshold", "185.2");
    id = submit(secs, "page1", 200, 0, &code);
    o = wait_job(id);
    text = json_string_value(json_object_get(json_object_get(json_object_get(o, "result"), "errors"), "text"));
    CHECK(!strcmp(json_string_value(json_object_get(o, "state")) ?: "", "failed") && text && strstr(text, "nam-truc.ini:")
          && strstr(text, "threshold") && strstr(text, "^") && !strstr(text, "covcast-serve-"),
          "a bad threshold fails with the located message: %s", text ? text : "(none)");
    json_decref(o);
    /* more replicates than the server runs (--max-replicates, here 5,000,000): the run and the check say so,
     * located, and nothing runs */
    set_entry(secs, "target.year-end", "threshold", "85.2");
    set_entry(secs, "run", "replicates", "5000001");
    long many = submit(secs, "page1", 200, 0, &code);
    o = wait_job(many);
    text = json_string_value(json_object_get(json_object_get(json_object_get(o, "result"), "errors"), "text"));
    CHECK(!strcmp(json_string_value(json_object_get(o, "state")) ?: "", "failed") && text
          && strstr(text, "at most 5000000 replicates") && strstr(text, "5000001") && strstr(text, "^"),
          "a run asking for 5,000,001 replicates is refused, located: %s", text ? text : "(none)");
    json_decref(o);
    req = json_pack("{s:O}", "sections", secs);
    o = post_json("/api/check", req, &code);
    text = json_string_value(json_object_get(json_object_get(o, "errors"), "text"));
    CHECK(code == 200 && text && strstr(text, "at most 5000000 replicates"), "the check says the same: %s", text ? text : "(none)");
    json_decref(o);
    json_decref(req);
    set_entry(secs, "run", "replicates", "5000000");
    req = json_pack("{s:O}", "sections", secs);
    o = post_json("/api/check", req, &code);
    CHECK(code == 200 && !json_object_get(o, "errors"), "5,000,000 replicates pass the check (%ld)", code);
    json_decref(o);
    json_decref(req);
    snprintf(path, sizeof path, "/api/job/charts?id=%ld", id);
    o = get_json(path, &code);
    CHECK(code == 404, "a run that failed has no charts: %ld", code);
    json_decref(o);
    json_decref(secs);

    /* the paired difference from a baseline: a stronger campaign raises the district's P */
    secs = json_deep_copy(sections);
    set_entry(secs, "campaign.peak", "enroll_multiplier", "6");
    id = submit(secs, "page1", 200, base_id, &code);
    o = wait_job(id);
    res = json_object_get(json_object_get(o, "result"), "results");
    row = row_of(res, "year-end", "Huyện Nam Trực");
    double p1 = json_real_value(json_object_get(row, "p")), diff = json_real_value(json_object_get(row, "diff")),
           se = json_real_value(json_object_get(row, "diff_se"));
    CHECK(json_is_true(json_object_get(res, "paired")) && p1 > p0 && fabs(diff - (p1 - p0)) < 1e-3 && se > 0 && se < diff,
          "a stronger campaign: P %.4f -> %.4f, paired difference %.4f ± %.4f", p0, p1, diff, se);
    json_t *crow = row_of(res, "ntm-communes", "Đồng Sơn");
    CHECK(crow && json_object_get(crow, "diff"), "each target's units have a paired difference");
    json_decref(o);
    json_decref(secs);
    /* its gnuplot fan chart draws the baseline's median too: the .dat holds the baseline run's p50, month by month */
    {
        snprintf(path, sizeof path, "/api/job/charts?id=%ld&lang=en", id);
        json_t *drawn = get_json(path, &code);
        json_decref(drawn);
        snprintf(path, sizeof path, "/api/job/chart?id=%ld&lang=en&name=fan-district-huyen-nam-truc-baseline.dat", id);
        char *bdat = http("GET", path, NULL, NULL, 0, &code, NULL);
        long bcode = code;
        snprintf(path, sizeof path, "/api/job/chart?id=%ld&lang=en&name=fan-district-huyen-nam-truc.gp", id);
        char *gp = http("GET", path, NULL, NULL, 0, &code, NULL);
        char tp[2200];
        snprintf(tp, sizeof tp, "%s/traj-baseline.csv", tmp);
        char *traj = fetch_to(base_id, "trajectories.csv", tp) == 200 ? read_text(tp) : NULL;
        int months = 0, same = 0;
        for (char *ln = traj ? strtok(traj, "\n") : NULL; ln; ln = strtok(NULL, "\n")) {
            if (strncmp(ln, "district,Huyện Nam Trực,", strlen("district,Huyện Nam Trực,"))) continue;
            char mon[8], at[16];
            double q[5], got = -1;
            const char *f = ln + strlen("district,Huyện Nam Trực,");
            const char *qs = f;
            for (int k = 0; qs && k < 3; k++) qs = (qs = strchr(qs, ',')) ? qs + 1 : NULL;   /* past month,population,insured_mean */
            if (!qs || sscanf(f, "%7[0-9-]", mon) != 1 || sscanf(qs, "%*f,%lf,%lf,%lf", &q[0], &q[1], &q[2]) != 3) continue;
            months++;
            snprintf(at, sizeof at, "\n%s,", mon);
            const char *line = bdat ? strstr(bdat, at) : NULL;
            same += line && sscanf(line + strlen(at), "%lf", &got) == 1 && fabs(got - q[2]) < 1e-9;
        }
        CHECK(bcode == 200 && months == 13 && same == months && gp && strstr(gp, "fan-district-huyen-nam-truc-baseline.dat")
              && strstr(gp, "Baseline median"),
              "a paired run's fan chart draws the baseline's median: %d of %d months equal the baseline's p50 (%ld)",
              same, months, bcode);
        free(bdat);
        free(gp);
        free(traj);
    }

    /* what it would take: solve and allocate give the command line's answers (same seed, same replicates) */
    secs = json_deep_copy(sections);
    set_entry(secs, "run", "replicates", "100");
    json_t *ans;
    char scen[2200];
    snprintf(scen, sizeof scen, "%s/nam-truc.ini", folder);
    id = ask(secs, json_pack("{s:s, s:s, s:s, s:f, s:s}", "kind", "solve", "target", "year-end", "lever",
                             "campaign.peak.enroll_multiplier", "probability", 0.8, "range", "1..20"), &code, &ans);
    CHECK(code == 202 && id > 0, "POST /api/ask solve: 202 (%ld %s)", code, json_string_value(json_object_get(ans, "error")) ?: "");
    json_decref(ans);
    {
        double f0, f1;
        int nf = fractions(id, &f0, &f1);
        CHECK(nf >= 2 && f0 < f1, "solve's progress comes as a rising fraction of the bisection's bound: %d seen, "
              "from %.3f to %.3f", nf, f0, f1);
    }
    o = wait_job(id);
    json_t *table = json_object_get(json_object_get(json_object_get(o, "result"), "ask"), "table");
    char cli_dir[2100], csvp[2200], awhy[600] = "";
    snprintf(cli_dir, sizeof cli_dir, "%s/cli-solve", tmp);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && '%s' solve '%s' --target year-end --lever campaign.peak.enroll_multiplier "
             "--probability 0.8 --range 1..20 -r 100 -t 1 -q -o '%s'", cli_dir, covcast, scen, cli_dir);
    CHECK(system(cmd) == 0, "covcast solve on the scenario runs");
    snprintf(csvp, sizeof csvp, "%s/solve.csv", cli_dir);
    CHECK(!strcmp(json_string_value(json_object_get(o, "state")) ?: "", "done") && table && table_is_csv(table, csvp, awhy, sizeof awhy)
          && json_array_size(json_object_get(table, "rows")) == 1,
          "solve from the page gives the rows of covcast solve's solve.csv: %s", awhy);
    snprintf(cmd, sizeof cmd, "/api/job/file?id=%ld&name=solve.csv", id);
    body = http("GET", cmd, NULL, NULL, 0, &code, NULL);
    char pagep[2200], cmpc[4500];
    snprintf(pagep, sizeof pagep, "%s/page-solve.csv", tmp);
    write_file(pagep, body);
    free(body);
    snprintf(cmpc, sizeof cmpc, "cmp '%s' '%s'", pagep, csvp);
    CHECK(code == 200 && system(cmpc) == 0, "the run's solve.csv is byte-identical to covcast solve's");
    json_decref(o);

    id = ask(secs, json_pack("{s:s, s:s, s:s, s:i}", "kind", "allocate", "target", "year-end", "campaign", "peak",
                             "budget", 2), &code, NULL);
    CHECK(code == 202 && id > 0, "POST /api/ask allocate: 202 (%ld)", code);
    {   /* its progress as a fraction: read stage by stage while it works */
        double f0, f1;
        int nf = fractions(id, &f0, &f1);
        CHECK(nf >= 2 && f0 < f1, "allocate's progress comes as a rising fraction of its runs: %d seen, from %.3f to %.3f",
              nf, f0, f1);
    }
    o = wait_job(id);
    json_t *ares = json_object_get(json_object_get(o, "result"), "ask");
    table = json_object_get(ares, "table");
    snprintf(cli_dir, sizeof cli_dir, "%s/cli-allocate", tmp);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && '%s' allocate '%s' --target year-end --campaign peak --budget 2 "
             "-r 100 -t 1 -q -o '%s'", cli_dir, covcast, scen, cli_dir);
    CHECK(system(cmd) == 0, "covcast allocate on the scenario runs");
    snprintf(csvp, sizeof csvp, "%s/allocation.csv", cli_dir);
    awhy[0] = '\0';
    CHECK(!strcmp(json_string_value(json_object_get(o, "state")) ?: "", "done") && table && table_is_csv(table, csvp, awhy, sizeof awhy)
          && json_array_size(json_object_get(table, "rows")) == 3,
          "allocate from the page gives the rows of covcast allocate's allocation.csv: %s", awhy);
    CHECK(json_integer_value(json_object_get(o, "stage")) > 2 && json_array_size(json_object_get(ares, "text")) >= 2,
          "allocate sends its steps as progress (%lld stages)", (long long)json_integer_value(json_object_get(o, "stage")));
    json_decref(o);

    /* bad asks: 400 with the message */
    id = ask(secs, json_pack("{s:s, s:s, s:s, s:f}", "kind", "solve", "target", "nowhere", "lever",
                             "campaign.peak.enroll_multiplier", "probability", 0.8), &code, &ans);
    const char *emsg = json_string_value(json_object_get(ans, "error"));
    CHECK(code == 400 && id == 0 && emsg && strstr(emsg, "no [target.nowhere]"), "solve for an unknown target: 400 %s (%ld)",
          emsg ? emsg : "", code);
    json_decref(ans);
    id = ask(secs, json_pack("{s:s, s:s, s:s, s:i}", "kind", "allocate", "target", "year-end", "campaign", "nowhere",
                             "budget", 2), &code, &ans);
    emsg = json_string_value(json_object_get(ans, "error"));
    CHECK(code == 400 && emsg && strstr(emsg, "no [campaign.nowhere]"), "allocate for an unknown campaign: 400 %s", emsg ? emsg : "");
    json_decref(ans);
    id = ask(secs, json_pack("{s:s, s:s, s:s, s:f}", "kind", "solve", "target", "year-end", "lever", "peak",
                             "probability", 1.5), &code, &ans);
    emsg = json_string_value(json_object_get(ans, "error"));
    CHECK(code == 400 && emsg && strstr(emsg, "lever"), "solve with a lever that is not SECTION.KEY: 400 %s", emsg ? emsg : "");
    json_decref(ans);
    json_decref(secs);

    /* uploads of a model and a history: kept privately, used, their errors located */
    {
        char *err = NULL, *units_model, mp[2200];
        snprintf(mp, sizeof mp, "%s/models/units.ini", folder);
        units_model = read_text(mp);
        char *up_path = upload("model", "units-model.ini", "application/octet-stream", units_model, &code, &err);
        CHECK(code == 400 && !up_path && err && strstr(err, "units-model.ini:") && strstr(err, "[units] rates")
              && strstr(err, "uploaded no rates file"), "an uploaded model whose rates file this page did not upload is "
              "refused, located: %ld %s", code, err ? err : "");
        free(up_path); free(err); free(units_model);
        char *model = read_text("models/bhyt-high.ini");
        up_path = upload("model", "high.ini", "application/octet-stream", model, &code, &err);
        CHECK(code == 201 && up_path, "POST /api/upload?kind=model: %ld %s", code, err ? err : "");
        free(err);
        secs = json_deep_copy(sections);
        set_entry(secs, "run", "replicates", "300");
        set_entry(secs, "run", "model", up_path ?: "");
        id = run_done(secs, "page3");
        char got[2200], mine[2200];
        snprintf(got, sizeof got, "%s/high-serve-targets.csv", tmp);
        snprintf(exported, sizeof exported, "%s/high-exported.ini", tmp);
        snprintf(outdir, sizeof outdir, "%s/high-run", tmp);
        CHECK(id && fetch_to(id, "targets.csv", got) == 200 && fetch_to(id, "scenario.ini", exported) == 200,
              "a run with the uploaded model is done");
        snprintf(mp, sizeof mp, "%s/high.ini", tmp);   /* the planner's own file, beside the INI they took away */
        write_file(mp, model);
        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s/plain-300' && '%s' run '%s' -q -t 1 -o '%s' && cmp '%s/targets.csv' '%s' && "
                 "grep -q 'high.ini' '%s' && '%s' run '%s/nam-truc.ini' -r 300 -q -t 1 -o '%s/plain-300' && "
                 "! cmp -s '%s/plain-300/targets.csv' '%s'", outdir, tmp, covcast, exported, outdir, outdir, got, exported,
                 covcast, folder, tmp, tmp, got);
        CHECK(system(cmd) == 0, "the uploaded model is the one run: its exported INI gives the same targets.csv, not the shipped model's");
        json_decref(secs);
        free(up_path);
        /* a model with an error: located in the uploaded file, the private folder hidden */
        char *badm = strdup(model), *at = strstr(badm, "enroll = 0.");
        if (at) memcpy(at, "enroll = x.", 11);
        up_path = upload("model", "bad-model.ini", "application/octet-stream", badm, &code, NULL);
        secs = json_deep_copy(sections);
        set_entry(secs, "run", "model", up_path ?: "");
        req = json_pack("{s:O}", "sections", secs);
        o = post_json("/api/check", req, &code);
        text = json_string_value(json_object_get(json_object_get(o, "errors"), "text"));
        CHECK(code == 200 && text && strstr(text, "bad-model.ini:") && strstr(text, "enroll") && strstr(text, "^")
              && !strstr(text, "covcast-serve-"), "an uploaded model's error is located: %s", text ? text : "(none)");
        json_decref(o); json_decref(req); json_decref(secs);
        free(up_path); free(badm); free(model);

        /* a history: the run's fan charts show its months */
        snprintf(mp, sizeof mp, "%s/history.csv", tmp);
        char *hist = read_text(mp);
        up_path = upload("history", "history.csv", "text/csv", hist, &code, &err);
        CHECK(code == 201 && up_path, "POST /api/upload?kind=history: %ld %s", code, err ? err : "");
        free(err);
        secs = json_deep_copy(sections);
        set_entry(secs, "run", "replicates", "300");
        set_entry(secs, "run", "history", up_path ?: "");
        id = run_done(secs, "page3");
        snprintf(got, sizeof got, "%s/history-of-run.csv", tmp);
        char *h = NULL;
        if (id && fetch_to(id, "history.csv", got) == 200) h = read_text(got);
        CHECK(h && strstr(h, "district,Huyện Nam Trực,2018-04,"), "the run with the uploaded history has its history.csv");
        free(h);
        snprintf(path, sizeof path, "/api/job/chart?id=%ld&name=fan-district-huyen-nam-truc-observed.dat", id);
        body = http("GET", path, NULL, NULL, 0, &code, NULL);
        CHECK(code == 200 && strstr(body, "2018-04,"), "its fan chart draws the reported months (%ld)", code);
        free(body);
        json_decref(secs);
        free(up_path);
        free(hist);
        const char *badh = "commune,district,province,group,month,population,insured\n"
                           "Đồng Sơn,Huyện Nam Trực,Tỉnh Nam Định,students,2018-05,100,200\n";
        up_path = upload("history", "bad-history.csv", "text/csv", badh, &code, NULL);
        secs = json_deep_copy(sections);
        set_entry(secs, "run", "history", up_path ?: "");
        req = json_pack("{s:O}", "sections", secs);
        o = post_json("/api/check", req, &code);
        text = json_string_value(json_object_get(json_object_get(o, "errors"), "text"));
        CHECK(code == 200 && text && strstr(text, "bad-history.csv:2:") && strstr(text, "more than the population")
              && strstr(text, "^^^") && !strstr(text, "covcast-serve-"), "an uploaded history's error is located: %s",
              text ? text : "(none)");
        json_decref(o); json_decref(req); json_decref(secs);
        free(up_path);

        /* a model with [units] rates: serve runs it as covcast run does (the same targets.csv) */
        json_t *usc = get_json("/api/scenario?file=nam-truc-units.ini", &code);
        secs = json_deep_copy(json_object_get(usc, "sections"));
        CHECK(code == 200 && secs && !json_object_get(usc, "errors"), "GET /api/scenario of a scenario whose model has [units]: %ld", code);
        set_entry(secs, "run", "replicates", "300");
        id = run_done(secs, "page3");
        snprintf(got, sizeof got, "%s/units-serve-targets.csv", tmp);
        snprintf(exported, sizeof exported, "%s/units-exported.ini", tmp);
        CHECK(id && fetch_to(id, "targets.csv", got) == 200 && fetch_to(id, "scenario.ini", exported) == 200,
              "the [units] run is done");
        snprintf(outdir, sizeof outdir, "%s/units-run", tmp);
        snprintf(mine, sizeof mine, "%s/units-direct", tmp);
        snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s' && '%s' run '%s' -q -t 1 -o '%s' && cmp '%s/targets.csv' '%s' && "
                 "'%s' run '%s/nam-truc-units.ini' -r 300 -q -t 1 -o '%s' && cmp '%s/targets.csv' '%s' && "
                 "! cmp -s '%s/plain-300/targets.csv' '%s'",
                 outdir, mine, covcast, exported, outdir, outdir, got, covcast, folder, mine, mine, got, tmp, got);
        CHECK(system(cmd) == 0, "[units] rates through serve: targets.csv byte-identical to covcast run of the exported INI "
                                "and of the scenario itself, and not the run without them");
        json_decref(secs);
        json_decref(usc);
    }

    /* the hostile pass: what a user of the same network could send */
    {
        char *err = NULL, secret[2200], *text_s;
        /* a model sent as a population (not checked as a model) naming a file of the server's machine, then
         * used as the model: refused, and nothing of that file comes back */
        snprintf(secret, sizeof secret, "%s/private.txt", tmp);
        write_file(secret, "TOPSECRET-LINE-42,xyz\n");
        char *model = read_text("models/bhyt.ini"), evil[9000];
        snprintf(evil, sizeof evil, "%s\n[units]\nlevel = commune\nrates = %s\n", model, secret);
        char *id_evil = upload("population", "evil.ini", "text/csv", evil, &code, &err);
        secs = json_deep_copy(sections);
        set_entry(secs, "run", "model", id_evil ?: "");
        req = json_pack("{s:O}", "sections", secs);
        o = post_json("/api/check", req, &code);
        text_s = json_dumps(o, 0);
        CHECK(code == 400 && text_s && !strstr(text_s, "TOPSECRET") && strstr(text_s, "not a file this server offered"),
              "a model uploaded as a population cannot be used as the model (it names a file of the server): %ld %.300s",
              code, text_s ? text_s : "");
        free(text_s); json_decref(o); json_decref(req);
        long jid = submit(secs, "hostile", 0, 0, &code);
        o = jid ? wait_job(jid) : NULL;
        text_s = o ? json_dumps(o, 0) : NULL;
        CHECK(code == 400 && (!text_s || !strstr(text_s, "TOPSECRET")), "nor run: %ld %.200s", code, text_s ? text_s : "");
        free(text_s); json_decref(o); json_decref(secs); free(id_evil); free(err);
        const char *bad_rates[] = { secret, "../private.txt", "u-0/x.csv", ".hidden.csv" };
        for (int i = 0; i < 4; i++) {
            snprintf(evil, sizeof evil, "%s\n[units]\nlevel = commune\nrates = %s\n", model, bad_rates[i]);
            char *idm = upload("model", "evil.ini", "application/octet-stream", evil, &code, &err);
            CHECK(code == 400 && !idm && err && strstr(err, "evil.ini:") && !strstr(err, "TOPSECRET"),
                  "an uploaded model naming %s is refused, located: %ld %s", bad_rates[i], code, err ? err : "");
            free(idm); free(err);
        }
        /* an upload is named by its id, never by a path; a guessed id, or another kind, is refused */
        char *popt = read_text("scenarios/data/nam-truc-2018.csv");
        char *idp = upload("population", "pop.csv", "text/csv", popt, &code, &err);
        CHECK(code == 201 && idp && !strncmp(idp, "upload:", 7), "POST /api/upload gives an id: %s", idp ? idp : err);
        free(err); free(popt);
        const char *guessed[][2] = { { "population", "upload:0000000000000000/pop.csv" }, { "history", idp ?: "" },
                                     { "model", idp ?: "" }, { "population", "/tmp" } };
        for (int i = 0; i < 4; i++) {
            secs = json_deep_copy(sections);
            set_entry(secs, "run", guessed[i][0], guessed[i][1]);
            req = json_pack("{s:O}", "sections", secs);
            o = post_json("/api/check", req, &code);
            CHECK(code == 400, "%s = %s is refused: %ld", guessed[i][0], guessed[i][1], code);
            json_decref(o); json_decref(req); json_decref(secs);
        }
        /* a run with the upload: its scenario.ini and run.json name the file as uploaded, not the private folder */
        secs = json_deep_copy(sections);
        set_entry(secs, "run", "replicates", "300");
        set_entry(secs, "run", "population", idp ?: "");
        jid = run_done(secs, "hostile");
        char got[2200], *txt;
        snprintf(got, sizeof got, "%s/hostile-scenario.ini", tmp);
        txt = jid && fetch_to(jid, "scenario.ini", got) == 200 ? read_text(got) : NULL;
        CHECK(txt && strstr(txt, "population = pop.csv\n") && !strstr(txt, "covcast-serve-") && !strstr(txt, "../u-"),
              "the run's scenario.ini names the upload as the planner's file, not the server's private folder: %.400s",
              txt ? txt : "");
        free(txt);
        snprintf(got, sizeof got, "%s/hostile-run.json", tmp);
        txt = jid && fetch_to(jid, "run.json", got) == 200 ? read_text(got) : NULL;
        CHECK(txt && strstr(txt, "\"pop.csv\"") && !strstr(txt, "covcast-serve-"),
              "the run's run.json does not show the server's private folder: %.600s", txt ? txt : "");
        free(txt);
        json_decref(secs);
        free(idp);

        /* an uploaded model with its own [units] rates file, uploaded first by the same page: runs as covcast run does */
        char mp[2200];
        snprintf(mp, sizeof mp, "%s/models/units-rates.csv", folder);
        char *rates = read_text(mp);
        snprintf(mp, sizeof mp, "%s/models/units.ini", folder);
        char *umodel = read_text(mp);
        char *idr = upload_for("pageR", "rates", "units-rates.csv", "text/csv", rates, &code, &err);
        CHECK(code == 201 && idr, "POST /api/upload?kind=rates: %ld %s", code, err ? err : "");
        free(err);
        char *idm = upload_for("pageOther", "model", "units.ini", "application/octet-stream", umodel, &code, &err);
        CHECK(code == 400 && !idm && err && strstr(err, "uploaded no rates file"),
              "another page's rates file is not this model's: %ld %s", code, err ? err : "");
        free(idm); free(err);
        idm = upload_for("pageR", "model", "units.ini", "application/octet-stream", umodel, &code, &err);
        CHECK(code == 201 && idm, "an uploaded model naming the rates file this page uploaded: %ld %s", code, err ? err : "");
        free(err);
        secs = json_deep_copy(sections);
        set_entry(secs, "run", "replicates", "300");
        set_entry(secs, "run", "model", idm ?: "");
        jid = run_done(secs, "pageR");
        char mine[2200];
        snprintf(got, sizeof got, "%s/upunits-targets.csv", tmp);
        snprintf(mine, sizeof mine, "%s/units-direct/targets.csv", tmp);
        snprintf(cmd, sizeof cmd, "cmp '%s' '%s'", got, mine);
        CHECK(jid && fetch_to(jid, "targets.csv", got) == 200 && system(cmd) == 0,
              "the uploaded model and rates give the targets.csv of covcast run on the folder's model with [units]");
        json_decref(secs);
        free(idm); free(idr); free(rates); free(umodel); free(model);

        /* uploads held half-sent: a few at a time, the next told to wait (each is held in memory) */
        int held[4], nh = 0;
        for (int i = 0; i < 4; i++) if ((held[nh] = hold_upload(1L << 20)) >= 0) nh++;
        usleep(300000);
        char *b5 = http("POST", "/api/upload?kind=population&name=fifth.csv", "text/csv", "a,b\n", 4, &code, NULL);
        CHECK(nh == 4 && code == 503 && strstr(b5, "uploads already"), "a fifth upload while 4 are half-sent: %ld %s", code, b5);
        free(b5);
        for (int i = 0; i < nh; i++) close(held[i]);
        usleep(300000);
        b5 = http("POST", "/api/upload?kind=population&name=sixth.csv", "text/csv", "a,b\n", 4, &code, NULL);
        CHECK(code == 201, "once they went, an upload is taken again: %ld %s", code, b5);
        free(b5);
        /* an upload's name cannot climb out of its folder */
        b5 = http("POST", "/api/upload?kind=population&name=..%2F..%2Fevil.csv", "text/csv", "a,b\n", 4, &code, NULL);
        CHECK(code == 201 && strstr(b5, "\"name\":\"") && !strstr(b5, "/evil") && !strstr(b5, "\"..") , "an upload named ../../evil.csv is kept under a plain name: %s", b5);
        free(b5);
        /* names that are shell, gnuplot, HTML or script, from the page through covcast plot and report: shown, never run */
        {
            char pwn[64], pwn2[64], pwn3[64], sec[200], label[400], label2[400];
            snprintf(pwn, sizeof pwn, "/tmp/cvpwn-%d-1", (int)getpid());
            snprintf(pwn2, sizeof pwn2, "/tmp/cvpwn-%d-2", (int)getpid());
            snprintf(pwn3, sizeof pwn3, "/tmp/cvpwn-%d-3", (int)getpid());
            snprintf(sec, sizeof sec, "target.`touch %s`", pwn);
            snprintf(label, sizeof label, "$(touch %s) `touch %s` <script>alert(1)</script> @x", pwn2, pwn2);
            snprintf(label2, sizeof label2, "system(\"touch %s\") @@x '\\` \" x", pwn3);
            secs = json_deep_copy(sections);
            set_entry(secs, "run", "replicates", "300");
            json_array_append_new(secs, json_pack("{s:s, s:[[s,s],[s,s],[s,s],[s,s]]}", "name", sec, "entries",
                                                  "level", "district", "threshold", "85",
                                                  "deadline", "2018-12", "label", label));
            set_entry(secs, "campaign.peak", "label", label2);
            long hid = run_done(secs, "hostile-names");
            snprintf(path, sizeof path, "/api/job/charts?id=%ld&lang=en", hid);
            char *cl = http("GET", path, NULL, NULL, 0, &code, NULL);
            long ccode = code;
            snprintf(path, sizeof path, "/api/job/report?id=%ld&lang=en", hid);
            char *rep = http("GET", path, NULL, NULL, 0, &code, NULL);
            CHECK(hid && ccode == 200 && code == 200 && access(pwn, F_OK) != 0 && access(pwn2, F_OK) != 0 && access(pwn3, F_OK) != 0
                  && strstr(rep, "&lt;script&gt;") && !strstr(rep, "<script>alert"),
                  "hostile target names and labels from the page through plot and report run nothing and are escaped (%ld, %ld)", ccode, code);
            free(cl); free(rep);
            json_decref(secs);
        }
        /* requests from pages of other origins */
        const char *origins[] = { "Origin: null", "Origin: https://evil.example", "Origin: http://127.0.0.1.evil.example" };
        for (int i = 0; i < 3; i++) {
            b5 = http("POST", "/api/upload?kind=population&name=o.csv", "text/csv", "a,b\n", 4, &code, origins[i]);
            CHECK(code == 403, "an upload with %s is refused: %ld", origins[i], code);
            free(b5);
        }
    }

    if (soak == 0) {   /* a short session: the server must stop cleanly */
        json_decref(sc);
        int rc = stop_server();
        CHECK(rc == 0, "the server (%s) exits %d after a short session", getenv("SERVE_WRAPPER") ?: "plain", rc);
        curl_global_cleanup();
        printf("serve: %d passed, %d failed\n", passed, failed);
        return failed ? 1 : 0;
    }

    /* cancellation: a new edit from the same page cancels the run in progress */
    secs = json_deep_copy(sections);
    set_entry(secs, "run", "replicates", "3000000");
    long slow = submit(secs, "page2", 0, 0, &code);
    usleep(300000);
    snprintf(path, sizeof path, "/api/job?id=%ld", slow);
    o = get_json(path, &code);
    CHECK(!strcmp(json_string_value(json_object_get(o, "state")) ?: "", "running"), "a long run is running");
    json_decref(o);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    id = submit(sections, "page2", 0, 0, &code);
    o = wait_job(slow);
    CHECK(!strcmp(json_string_value(json_object_get(o, "state")) ?: "", "cancelled"), "the earlier run is cancelled");
    json_decref(o);
    o = wait_job(id);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double took = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    CHECK(!strcmp(json_string_value(json_object_get(o, "state")) ?: "", "done") && took < 20,
          "the new edit's run is done %.2f s after it was sent (the cancelled one did not hold it)", took);
    json_decref(o);
    json_decref(secs);

    /* a long question does not hold an edit: the edit's run goes while the question is stopped, then it goes on */
    {
        long ask_id = ask(sections, json_pack("{s:s, s:s, s:s, s:i}", "kind", "allocate", "target", "year-end",
                                               "campaign", "peak", "budget", 3), &code, NULL);
        snprintf(path, sizeof path, "/api/job?id=%ld&after=1&wait=20000", ask_id);
        o = get_json(path, &code);   /* under way: a few of its runs made */
        json_decref(o);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        id = submit(sections, "page4", 0, 0, &code);
        o = wait_job(id);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        took = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
        bool edit_done = !strcmp(json_string_value(json_object_get(o, "state")) ?: "", "done");
        json_decref(o);
        snprintf(path, sizeof path, "/api/job?id=%ld", ask_id);
        o = get_json(path, &code);
        bool ask_running = !strcmp(json_string_value(json_object_get(o, "state")) ?: "", "running");
        json_decref(o);
        CHECK(edit_done && ask_running && took < 20, "an edit during a long allocate is answered in %.2f s while the "
              "allocate waits (edit %s, allocate %s)", took, edit_done ? "done" : "not done", ask_running ? "running" : "not running");
        o = wait_job(ask_id);
        json_t *tb = json_object_get(json_object_get(json_object_get(o, "result"), "ask"), "table");
        CHECK(!strcmp(json_string_value(json_object_get(o, "state")) ?: "", "done") && json_array_size(json_object_get(tb, "rows")) == 4,
              "the allocate goes on after the edit and ends with its 3 steps and the even spread");
        json_decref(o);
    }

    /* soak: edits through the API, resident memory flat */
    long rss0 = -1, rss1 = -1;
    int soak_fail = 0, warm = soak / 10 > 20 ? soak / 10 : 20;
    char why[512] = "";   /* the first failure, for the message */
    secs = json_deep_copy(sections);
    set_entry(secs, "run", "replicates", "100");
    for (int i = 0; i < soak; i++) {
        char m[32];
        snprintf(m, sizeof m, "%.2f", 1.0 + (i % 50) * 0.1);
        set_entry(secs, "campaign.peak", "enroll_multiplier", m);
        id = submit(secs, "soak", 0, 0, &code);
        if (code != 202) {
            if (!soak_fail++) snprintf(why, sizeof why, "edit %d: HTTP %ld", i, code);
            continue;
        }
        if (i % 4 == 3 || i == soak - 1) {   /* every fourth edit waits for its answer; the others are cancelled by the next */
            o = wait_job(id);
            if (strcmp(json_string_value(json_object_get(o, "state")) ?: "", "done") && !soak_fail++) {
                char *dump = json_dumps(o, JSON_COMPACT);
                snprintf(why, sizeof why, "edit %d: %.400s", i, dump ? dump : "no answer");
                free(dump);
            }
            json_decref(o);
        }
        if (i == warm) rss0 = rss_kb(spid);
    }
    rss1 = rss_kb(spid);
    CHECK(soak_fail == 0, "soak: %d of %d edits failed (first: %s)", soak_fail, soak, why);
    /* under the sanitizers freed memory is held back on purpose (ASan's quarantine): no memory check there */
    bool sanitized = getenv("SANITIZED") && getenv("SANITIZED")[0];
    CHECK(rss0 > 0 && (sanitized || (double)rss1 <= (double)rss0 * 1.10), "soak: resident memory %ld kB after %d edits, %ld kB after %d (at most +10%%)",
          rss0, warm, rss1, soak);
    printf("serve soak: %d edits, resident memory %ld kB after %d, %ld kB at the end\n", soak, rss0, warm, rss1);
    json_decref(secs);
    stop_server();

    /* a server that runs at most 500 replicates: a scenario that asks for none runs the default of 1,000, which
     * is refused too, with what to write */
    server_args = "--max-replicates 500";
    first_up = start_server(covcast, folder, false);
    server_args = "";
    if (!first_up) {
        CHECK(false, "the server with --max-replicates 500 did not start");
    } else {
        o = get_json("/api/scenario?file=nam-truc.ini", &code);
        json_decref(o);
        secs = json_deep_copy(sections);
        drop_entry(secs, "run", "replicates");
        json_t *chk = json_pack("{s:O}", "sections", secs);
        o = post_json("/api/check", chk, &code);
        const char *said = json_string_value(json_object_get(json_object_get(o, "errors"), "text"));
        CHECK(code == 200 && said && strstr(said, "at most 500 replicates") && strstr(said, "default of 1000"),
              "no 'replicates' under a limit of 500: the default of 1,000 is refused: %s", said ? said : "(none)");
        json_decref(o);
        json_decref(chk);
        set_entry(secs, "run", "replicates", "500");
        chk = json_pack("{s:O}", "sections", secs);
        o = post_json("/api/check", chk, &code);
        CHECK(code == 200 && !json_object_get(o, "errors"), "replicates = 500 under a limit of 500 passes (%ld)", code);
        json_decref(o);
        json_decref(chk);
        json_decref(secs);
        stop_server();
    }

    /* a question stopped (SIGSTOP) while an edit runs is not left behind: not when a new question cancels it,
     * not when the server is stopped (the edit asks for 3,000,000 replicates, to run long) */
    server_args = "--max-replicates 5000000";
    first_up = start_server(covcast, folder, false);
    server_args = "";
    if (!first_up) {
        CHECK(false, "the server did not start again");
    } else {
        o = get_json("/api/scenario?file=nam-truc.ini", &code);   /* offers its files to this server */
        json_decref(o);
        for (int round = 0; round < 2; round++) {
            long a1 = ask(sections, json_pack("{s:s, s:s, s:s, s:i}", "kind", "allocate", "target", "year-end",
                                              "campaign", "peak", "budget", 6), &code, NULL);
            snprintf(path, sizeof path, "/api/job?id=%ld&after=1&wait=20000", a1);
            o = get_json(path, &code);
            json_decref(o);
            secs = json_deep_copy(sections);
            set_entry(secs, "run", "replicates", "3000000");
            long slow2 = submit(secs, "stopper", 0, 0, &code);
            json_decref(secs);
            pid_t pids[8];
            char states[8];
            int n = 0;
            for (int i = 0; i < 100 && !(n == 1 && states[0] == 'T'); i++) {
                usleep(50000);
                n = children_of(server_pid, "--ask", pids, states, 8);
            }
            CHECK(n == 1 && states[0] == 'T', "the question is stopped while the edit runs (%d, %c; ask %ld, run %ld, server %d)", n, n ? states[0] : '-', a1, slow2, (int)server_pid);
            if (round == 0) {   /* a new question from the page cancels the stopped one */
                long a2 = ask(sections, json_pack("{s:s, s:s, s:s, s:i}", "kind", "allocate", "target", "year-end",
                                                  "campaign", "peak", "budget", 1), &code, NULL);
                CHECK(n == 1 && gone(pids[0]), "the stopped question is gone once a new one cancels it");
                o = get_json("/api/health", &code);
                json_decref(o);
                (void)a2;
                submit(sections, "stopper", 0, 0, &code);   /* cancels the long edit */
                (void)slow2;
            } else {            /* the server stopped while the question is stopped */
                int rc = stop_server();
                CHECK(n == 1 && gone(pids[0]) && rc == 0, "the stopped question is gone when the server stops (exit %d)", rc);
            }
        }
    }
    /* a drawing of charts under way when the server stops: the server stops at once, and the drawing with it
     * (gnuplot here is a stand-in that only sleeps, and says its process id) */
    {
        char fake[4400], pidfile[4500], oldpath[8192];
        snprintf(fake, sizeof fake, "%s%s%s/slow-gnuplot", tmp[0] == '/' ? "" : cwd, tmp[0] == '/' ? "" : "/", tmp);
        snprintf(pidfile, sizeof pidfile, "%s/gnuplot.pid", fake);
        snprintf(cmd, sizeof cmd, "mkdir -p '%s' && rm -f '%s' '%s'/code-* && printf '#!/bin/sh\\necho $$ > \"%s\"\\nexec sleep 30\\n' > '%s/gnuplot' "
                 "&& chmod +x '%s/gnuplot'", fake, pidfile, fake, pidfile, fake, fake);
        snprintf(oldpath, sizeof oldpath, "%s", getenv("PATH") ?: "/usr/bin:/bin");
        char newpath[8192 + 4600];
        snprintf(newpath, sizeof newpath, "%s:%s", fake, oldpath);
        setenv("PATH", newpath, 1);
        bool srv_up = system(cmd) == 0 && start_server(covcast, folder, false);
        setenv("PATH", oldpath, 1);
        if (!srv_up) {
            CHECK(false, "the server with a slow gnuplot did not start");
        } else {
            o = get_json("/api/scenario?file=nam-truc.ini", &code);
            json_decref(o);
            secs = json_deep_copy(sections);
            set_entry(secs, "run", "replicates", "300");
            long rid = run_done(secs, "drawing");
            json_decref(secs);
            /* six requests for charts while the first draws: four in line, the others told to come back */
            pid_t askers[6];
            json_t *comm = json_object_get(info, "communes");
            for (int k = 0; k < 6; k++) {
                if (k == 1) usleep(500000);   /* the first one draws */
                askers[k] = fork();
                if (askers[k] == 0) {
                    char u[600], cf[4600];
                    CURL *cu = curl_easy_init();
                    char *enc = k ? curl_easy_escape(cu, json_string_value(json_object_get(json_array_get(comm, (size_t)k), "name")), 0) : NULL;
                    snprintf(u, sizeof u, "/api/job/charts?id=%ld%s%s", rid, enc ? "&unit=" : "", enc ? enc : "");
                    char *b = http("GET", u, NULL, NULL, 0, &code, NULL);
                    snprintf(cf, sizeof cf, "%s/code-%d", fake, k);
                    FILE *f = fopen(cf, "w");
                    if (f) { fprintf(f, "%ld", code); fclose(f); }
                    free(b);
                    _exit(0);
                }
            }
            pid_t gp = 0;
            for (int i = 0; i < 200 && gp <= 0; i++) {
                usleep(50000);
                char *t = read_text(pidfile);
                gp = (pid_t)atoi(t);
                free(t);
            }
            usleep(1500000);
            int told = 0;
            for (int k = 0; k < 6; k++) {
                char cf[4600];
                snprintf(cf, sizeof cf, "%s/code-%d", fake, k);
                char *t = read_text(cf);
                told += atoi(t) == 503;
                free(t);
            }
            CHECK(told == 2, "while a drawing hangs, 4 requests for charts wait and 2 are told to come back with 503 (%d)", told);
            struct timespec s0, s1;
            clock_gettime(CLOCK_MONOTONIC, &s0);
            int rc = stop_server();
            clock_gettime(CLOCK_MONOTONIC, &s1);
            double secs_stop = (double)(s1.tv_sec - s0.tv_sec) + 1e-9 * (double)(s1.tv_nsec - s0.tv_nsec);
            CHECK(rid && gp > 0 && secs_stop < 5 && rc == 0 && gone(gp),
                  "the server stops in %.2f s (exit %d) while it draws, and the drawing's gnuplot (%d) is gone", secs_stop, rc, (int)gp);
            if (gp > 0) kill(gp, SIGKILL);
            for (int k = 0; k < 6; k++) waitpid(askers[k], NULL, 0);
        }
        /* the same drawing when the server is killed (SIGKILL: it cannot stop anything itself): its gnuplot
         * dies with the covcast plot that started it, which dies with the server */
        setenv("PATH", newpath, 1);
        srv_up = system(cmd) == 0 && start_server(covcast, folder, false);
        setenv("PATH", oldpath, 1);
        if (!srv_up) {
            CHECK(false, "the server with a slow gnuplot did not start (again)");
        } else {
            o = get_json("/api/scenario?file=nam-truc.ini", &code);
            json_decref(o);
            secs = json_deep_copy(sections);
            set_entry(secs, "run", "replicates", "100001");   /* past the default limit */
            json_t *chk = json_pack("{s:O}", "sections", secs);
            o = post_json("/api/check", chk, &code);
            const char *said = json_string_value(json_object_get(json_object_get(o, "errors"), "text"));
            CHECK(code == 200 && said && strstr(said, "at most 100000 replicates"),
                  "by default a server runs at most 100,000 replicates: %s", said ? said : "(none)");
            json_decref(o);
            json_decref(chk);
            set_entry(secs, "run", "replicates", "300");
            long rid = run_done(secs, "killed");
            json_decref(secs);
            pid_t asker = fork();
            if (asker == 0) {
                char u[100];
                snprintf(u, sizeof u, "/api/job/charts?id=%ld", rid);
                free(http("GET", u, NULL, NULL, 0, &code, NULL));
                _exit(0);
            }
            pid_t gp = 0;
            for (int i = 0; i < 200 && gp <= 0; i++) {
                usleep(50000);
                char *t = read_text(pidfile);
                gp = (pid_t)atoi(t);
                free(t);
            }
            kill(server_pid, SIGKILL);
            waitpid(server_pid, NULL, 0);
            server_pid = 0;
            CHECK(rid && gp > 0 && gone(gp), "the server killed while it draws: the drawing's gnuplot (%d) is gone within 5 s",
                  (int)gp);
            if (gp > 0) kill(gp, SIGKILL);
            waitpid(asker, NULL, 0);
        }
    }
    json_decref(sc);

    /* the token: asked for on every API request when the server says so */
    if (!start_server(covcast, folder, true) || strlen(token) != 32) {
        CHECK(false, "the server with --token did not print its token");
    } else {
        char keep[40];
        snprintf(keep, sizeof keep, "%s", token);
        token[0] = '\0';
        o = get_json("/api/health", &code);
        CHECK(code == 401, "without the token: 401 (%ld)", code);
        json_decref(o);
        const char *need[][2] = { { "GET", "/api/job/charts?id=1" }, { "GET", "/api/job/chart?id=1&name=a.svg" },
                                  { "GET", "/api/job/report?id=1" }, { "GET", "/api/job/file?id=1&name=exceedance.csv" },
                                  { "GET", "/api/job?id=1" }, { "GET", "/api/scenario?file=nam-truc.ini" },
                                  { "GET", "/api/file?path=nam-truc.ini" }, { "POST", "/api/upload?kind=model" },
                                  { "POST", "/api/upload?kind=rates" }, { "POST", "/api/ask" }, { "POST", "/api/check" } };
        for (size_t i = 0; i < sizeof need / sizeof *need; i++) {
            bool isup = strstr(need[i][1], "upload") != NULL;
            body = http(need[i][0], need[i][1], isup ? "text/csv" : "application/json", isup ? "a,b\n" : "{}", isup ? 4 : 2, &code, NULL);
            CHECK(code == 401, "%s %s without the token: 401 (%ld)", need[i][0], need[i][1], code);
            free(body);
        }
        body = http("GET", "/", NULL, NULL, 0, &code, NULL);
        CHECK(code == 200 && strstr(body, "<html"), "the page itself needs no token: %ld", code);
        free(body);
        snprintf(token, sizeof token, "%s", keep);
        o = get_json("/api/health", &code);
        CHECK(code == 200, "with the token: 200 (%ld)", code);
        json_decref(o);
        token[0] = '\0';
        snprintf(path, sizeof path, "/api/scenarios?token=%s", keep);
        o = get_json(path, &code);
        CHECK(code == 200, "the token in the address: 200 (%ld)", code);
        json_decref(o);
    }
    stop_server();

    /* IPv6: [::1] is loopback (no token), and answers only to its own Host */
    FILE *v6 = fopen("/proc/net/if_inet6", "r");
    char v6line[256];
    bool has_v6 = false;
    while (v6 && fgets(v6line, sizeof v6line, v6)) has_v6 = has_v6 || !strncmp(v6line, "00000000000000000000000000000001", 32);
    if (v6) fclose(v6);
    if (!has_v6) {
        printf("serve: IPv6 SKIPPED (no ::1 on this machine)\n");
    } else if (!start_server_on(covcast, folder, false, "[::1]:0") || strncmp(base_url, "http://[::1]:", 13) || token[0]) {
        CHECK(false, "the server on [::1] did not start, or printed %s (token %s)", base_url, token);
        stop_server();
    } else {
        o = get_json("/api/health", &code);
        CHECK(code == 200, "GET /api/health on %s: %ld", base_url, code);
        json_decref(o);
        o = get_json("/api/scenario?file=nam-truc.ini", &code);
        CHECK(code == 200 && json_array_size(json_object_get(json_object_get(o, "info"), "communes")) == 20,
              "a scenario over IPv6: %ld", code);
        json_decref(o);
        char host[200];
        snprintf(host, sizeof host, "Host: 127.0.0.1:%s", strrchr(base_url, ':') + 1);
        body = http("GET", "/api/health", NULL, NULL, 0, &code, host);
        CHECK(code == 421, "on [::1] another Host is refused: %ld", code);
        free(body);
        stop_server();
    }
    /* the page is built into the program: a copy of it alone serves the same bytes as web/ */
    char lone[2200];
    snprintf(lone, sizeof lone, "%s/alone/covcast", tmp);
    snprintf(cmd, sizeof cmd, "rm -rf '%s/alone' && mkdir -p '%s/alone' && cp '%s' '%s'", tmp, tmp, covcast, lone);
    if (system(cmd) != 0 || !start_server(lone, folder, false)) {
        CHECK(false, "a copy of the program alone did not start a server");
        stop_server();
    } else {
        static const char *page[][2] = { { "/", "web/index.html" }, { "/app.js", "web/app.js" }, { "/style.css", "web/style.css" } };
        for (int i = 0; i < 3; i++) {
            body = http("GET", page[i][0], NULL, NULL, 0, &code, NULL);
            char *page_bytes = read_text(page[i][1]);
            CHECK(code == 200 && !strcmp(body, page_bytes) && strlen(page_bytes) > 100, "the program alone serves %s: the bytes of %s (%ld)",
                  page[i][0], page[i][1], code);
            free(page_bytes);
            free(body);
        }
        stop_server();
    }
    /* $COVCAST_WEB: the page's files from a folder, to work on them without rebuilding */
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/web' && cp web/* '%s/web/' && echo '<html><p>edited page</p></html>' > '%s/web/index.html'",
             tmp, tmp, tmp);
    char webdir[2200];
    snprintf(webdir, sizeof webdir, "%s/web", tmp);
    setenv("COVCAST_WEB", webdir, 1);
    if (system(cmd) != 0 || !start_server(lone, folder, false)) {
        CHECK(false, "a server with COVCAST_WEB did not start");
    } else {
        body = http("GET", "/", NULL, NULL, 0, &code, NULL);
        CHECK(code == 200 && strstr(body, "edited page"), "with COVCAST_WEB the page comes from that folder (%ld)", code);
        free(body);
    }
    stop_server();
    unsetenv("COVCAST_WEB");
    snprintf(cmd, sizeof cmd, "'%s' serve '%s' --listen '::1:8080' 2>&1 | grep -q 'in brackets' && "
             "'%s' serve '%s' --listen '[::1:8080' 2>&1 | grep -q 'ADDRESS:PORT'", covcast, folder, covcast, folder);
    CHECK(system(cmd) == 0, "an IPv6 address without brackets, or a broken one, is a usage error that says how to write it");
    curl_global_cleanup();
    printf("serve: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
