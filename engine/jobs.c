/* jobs.c — the runs of `covcast serve` (jobs.h): two queues (the runs;
 * solve and allocate) served by a worker thread each, one process working
 * at a time (a question is stopped while a run goes), each run forked into a child process that loads the
 * scenario with the same loader as `covcast run`, sends a quick pass and
 * then the full replicate count back as lines of JSON, and writes the run's
 * files (targets.csv, trajectories.csv, ...) into the run's folder. */
#define _GNU_SOURCE
#include "jobs.h"
#include "csvread.h"
#include "input.h"
#include "json.h"
#include "simulate.h"
#include "text.h"
#include "types.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <dirent.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KEEP_JOBS 32      /* finished runs remembered (their files too) */
#define RENDER_SECONDS 120  /* a drawing of charts or a report longer than this is stopped */
#define KEEP_PINNED 8     /* of them, baselines kept while newer runs pair with them */
#define MAX_DRAWING 64    /* drawings of charts or reports under way (one draws, the others wait their turn) */
#define DRAW_LINE 4       /* requests drawing or waiting to draw; the next is told to come back */

typedef enum { QUEUED, RUNNING, DONE, CANCELLED, FAILED } job_state;
static const char *STATE[] = { "queued", "running", "done", "cancelled", "failed" };

typedef struct job {
    long id;
    char client[64];
    job_state state;
    int stage;              /* result lines received */
    char *result;           /* the latest line */
    bool final;             /* the last line said final: the files are written */
    char dir[4200];         /* the run's folder */
    char ini[4400];         /* its scenario file */
    long quick;
    char kind[16];          /* "run", or what it would take: "solve", "allocate" */
    char ask[4][512];       /* its arguments (jobs.h) */
    char *base_hits;        /* the baseline's reached flags, or NULL */
    long baseline;          /* the baseline run's number (its medians on the fan charts), or 0 */
    bool pinned;
    bool cancel;
    int holds;              /* charts or a report being drawn from its files: not forgotten meanwhile */
    int units;              /* folders of communes' charts drawn (COV_JOBS_UNITS at most) */
    pid_t pid;
    struct job *next;       /* oldest first */
} job;

struct cov_jobs {
    pthread_mutex_t mu;
    pthread_cond_t changed;
    pthread_t worker[2];     /* the runs' lane and the questions' (solve, allocate) */
    struct lane { struct cov_jobs *j; bool ask; } lane[2];
    pthread_mutex_t *engine;
    pthread_mutex_t render;  /* one drawing of charts or a report at a time */
    char dir[4096];
    char exe[4096];          /* this program, to start each run with */
    int threads;
    long max_replicates;     /* the most replicates a run may ask (covcast serve --max-replicates) */
    long next_id, started;
    bool stop;
    job *head;
    pid_t drawing[MAX_DRAWING];  /* the process groups of the drawings under way */
    int in_line;             /* requests drawing or waiting for the drawing lock */
};

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p) == 0 ? 0 : 0;
}

static void job_free(job *x)
{
    if (x->dir[0]) nftw(x->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(x->result);
    free(x->base_hits);
    free(x);
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Sends one line of JSON up the pipe; o is consumed. */
static void emit(FILE *f, json_t *o, int stage, bool final, double t0)
{
    json_object_set_new(o, "stage", json_integer(stage));
    json_object_set_new(o, "final", json_boolean(final));
    json_object_set_new(o, "elapsed_s", json_real(now() - t0));
    char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10));
    if (s) { fputs(s, f); fputc('\n', f); fflush(f); }
    free(s);
    json_decref(o);
}

/* The run, in a process of its own (`covcast serve --job INI DIR PRIVATE
 * HITS QUICK THREADS LIMIT`, LIMIT the most replicates it may ask; started
 * by the worker with exec right after fork, so the run owes nothing to the
 * server's threads): loads, runs the quick pass and the full count, writes
 * the files, and sends each answer as one line of JSON on stdout. */
int cov_jobs_child(int argc, char **argv)
{
    if (argc != 7) return COV_EUSAGE;
    const char *ini = argv[0], *dir = argv[1], *priv = argv[2], *base_hits = argv[3];
    int64_t quick, threads, limit;
    if (!cov_parse_int64(argv[4], &quick) || !cov_parse_int64(argv[5], &threads) || !cov_parse_int64(argv[6], &limit))
        return COV_EUSAGE;
    sigset_t all;   /* the server waits for these in one thread; a run takes them as they come */
    sigfillset(&all);
    pthread_sigmask(SIG_UNBLOCK, &all, NULL);
    double t0 = now();
    FILE *f = stdout;
    cov_diag *d = calloc(1, sizeof *d);
    if (!d) return COV_ELIMIT;
    char out[4300], hits[4300], hide[4200];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(hits, sizeof hits, "%s/hits.bin", dir);
    snprintf(hide, sizeof hide, "%s/", priv);
    cov_overrides ov = { .seed = -1, .threads = (int)threads, .out = out, .replicates_limit = (long)limit };
    cov_scenario *s = cov_scenario_load(ini, &ov, d);
    int stage = 1;
    if (!s) {
        emit(f, json_pack("{s:o}", "errors", cov_json_diag(d, hide)), stage, true, t0);
        free(d);
        return COV_OK;
    }
    s->keep_hits = true;
    cov_json_base base, *bp = NULL;
    if (base_hits[0] && cov_json_base_read(base_hits, &base)) bp = &base;
    long R = s->replicates, R1 = quick > 0 && quick < R ? (long)quick : R;
    cov_reps *keep = cov_reps_new();
    cov_results *r = NULL;
    cov_status st = COV_OK;
    for (long n = R1;; n = R) {
        s->replicates = n;
        cov_results_free(r);
        r = NULL;
        st = cov_simulate_more(s, keep, &r, NULL, NULL, d);
        if (st != COV_OK) break;
        if (n == R) break;
        emit(f, json_pack("{s:o}", "results", cov_json_results(s, r, bp)), stage++, false, t0);
    }
    if (st == COV_OK) st = cov_results_write(r, s, now() - t0, d);
    if (st == COV_OK && !cov_json_base_write(s, r, hits))
        cov_diag_add(d, COV_EIO, hits, 0, 0, 0, "cannot write the run's reached flags");
    if (d->n) emit(f, json_pack("{s:o}", "errors", cov_json_diag(d, hide)), stage, true, t0);
    else emit(f, json_pack("{s:o}", "results", cov_json_results(s, r, bp)), stage, true, t0);
    cov_results_free(r);
    cov_reps_free(keep);
    if (bp) cov_json_base_free(bp);
    cov_scenario_free(s);
    cov_input_forget_all();
    free(d);
    return COV_OK;
}

/* The lines the engine prints while it solves or allocates, each sent up
 * as a progress line, and all of them kept for the final answer. */
typedef struct {
    FILE *out;
    int stage;
    double t0;
    char line[2048];
    size_t n;
    json_t *lines;
    double fraction, sent;   /* how far (cov_ask_progress), and as last sent */
} progress;

/* A line of progress: the engine's text (or NULL) and how far it is. */
static void progress_emit(progress *p, json_t *text)
{
    json_t *o = json_pack("{s:f}", "fraction", p->fraction);
    if (text) json_object_set(o, "progress", text);
    emit(p->out, o, p->stage++, false, p->t0);
    p->sent = p->fraction;
}

/* cov_ask_progress's callback: a line when it has moved by a hundredth */
static void progress_fraction(double f, void *arg)
{
    progress *p = arg;
    p->fraction = f;
    if (f - p->sent >= 0.01 || (f >= 1 && p->sent < 1)) progress_emit(p, NULL);
}

static ssize_t progress_write(void *cookie, const char *b, size_t n)
{
    progress *p = cookie;
    for (size_t i = 0; i < n; i++) {
        if (b[i] == '\n' || p->n + 1 >= sizeof p->line) {
            p->line[p->n] = '\0';
            const char *t = p->line;
            while (*t == ' ') t++;
            json_t *s = *t ? json_string(t) : NULL;
            if (s) {
                json_array_append(p->lines, s);
                progress_emit(p, s);
                json_decref(s);
            }
            p->n = 0;
            if (b[i] == '\n') continue;
        }
        p->line[p->n++] = b[i];
    }
    return (ssize_t)n;
}

/* The rows of a CSV file the engine wrote, as {"columns", "rows"} with
 * every value as the file has it (text), or NULL. */
static json_t *csv_json(const char *path, cov_diag *d)
{
    cov_csv *t = cov_csv_read(path, d);
    if (!t) return NULL;
    json_t *cols = json_array(), *rows = json_array();
    for (int c = 0; c < t->ncols; c++) json_array_append_new(cols, json_string(t->header[c].text));
    for (long r = 0; r < t->nrows; r++) {
        json_t *row = json_array();
        for (int c = 0; c < t->ncols; c++) json_array_append_new(row, json_string(cov_csv_cell(t, r, c)->text));
        json_array_append_new(rows, row);
    }
    cov_csv_free(t);
    return json_pack("{s:o, s:o}", "columns", cols, "rows", rows);
}

/* What it would take, in a process of its own (`covcast serve --ask KIND
 * INI DIR PRIVATE THREADS LIMIT A1 A2 A3 A4`, LIMIT as for a run): solve
 * (target, lever, probability, range or "") or allocate (target, campaign,
 * budget, ""), through the same cov_solve and cov_allocate as the command
 * line; the lines they print come up as progress, then the rows of
 * solve.csv or allocation.csv. */
int cov_jobs_ask_child(int argc, char **argv)
{
    if (argc != 10) return COV_EUSAGE;
    const char *kind = argv[0], *ini = argv[1], *dir = argv[2], *priv = argv[3];
    int64_t threads, limit, budget = 0;
    double p = 0;
    bool solve = !strcmp(kind, "solve");
    char **a = argv + 6;   /* the question's four arguments */
    if (!cov_parse_int64(argv[4], &threads) || !cov_parse_int64(argv[5], &limit) || (!solve && strcmp(kind, "allocate"))
        || (solve && !cov_parse_double(a[2], &p)) || (!solve && !cov_parse_int64(a[2], &budget)))
        return COV_EUSAGE;
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_UNBLOCK, &all, NULL);
    progress pr = { .out = stdout, .stage = 1, .t0 = now(), .lines = json_array() };
    cookie_io_functions_t fns = { .write = progress_write };
    cov_ask_progress(progress_fraction, &pr);
    FILE *fp = fopencookie(&pr, "w", fns);
    if (fp) setvbuf(fp, NULL, _IOLBF, 0);
    cov_diag *d = calloc(1, sizeof *d);
    if (!d) return COV_ELIMIT;
    char out[4300], csv[4400], hide[4200];
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(csv, sizeof csv, "%s/%s", out, solve ? "solve.csv" : "allocation.csv");
    snprintf(hide, sizeof hide, "%s/", priv);
    cov_overrides ov = { .seed = -1, .threads = (int)threads, .replicates_limit = (long)limit };
    cov_status st = solve ? cov_solve(ini, a[0], a[1], p, a[3][0] ? a[3] : NULL, &ov, out, fp, d)
                          : cov_allocate(ini, a[0], a[1], (long)budget, &ov, out, fp, d);
    if (fp) fclose(fp);
    json_t *rows = st == COV_OK && !d->n ? csv_json(csv, d) : NULL;
    if (!rows && !d->n) cov_diag_add(d, st ? st : COV_EIO, NULL, 0, 0, 0, "covcast %s stopped without an answer", kind);
    if (rows)
        emit(stdout, json_pack("{s:{s:s, s:o, s:o}}", "ask", "kind", kind, "table", rows, "text", pr.lines), pr.stage, true, pr.t0);
    else
        emit(stdout, json_pack("{s:o}", "errors", cov_json_diag(d, hide)), pr.stage, true, pr.t0);
    if (!rows) json_decref(pr.lines);
    free(d);
    return COV_OK;
}

static job *find(cov_jobs *j, long id)
{
    for (job *x = j->head; x; x = x->next)
        if (x->id == id) return x;
    return NULL;
}

static void kill_job(job *x)
{
    x->cancel = true;
    if (x->state == QUEUED) x->state = CANCELLED;
    else if (x->state == RUNNING && x->pid > 0) kill(x->pid, SIGKILL);
}

/* Forgets the oldest finished runs beyond KEEP_JOBS (baselines last). Under mu. */
static void evict(cov_jobs *j)
{
    int n = 0, pinned = 0;
    for (job *x = j->head; x; x = x->next) { n++; pinned += x->pinned; }
    for (job **p = &j->head; *p && n > KEEP_JOBS;) {
        job *x = *p;
        bool finished = x->state != QUEUED && x->state != RUNNING && !x->holds;
        if (finished && (!x->pinned || pinned > KEEP_PINNED)) {
            *p = x->next;
            pinned -= x->pinned;
            n--;
            job_free(x);
        } else {
            p = &x->next;
        }
    }
}

/* Reads the child's lines until it closes the pipe. */
static void read_child(cov_jobs *j, job *x, int fd)
{
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            char *nb = realloc(buf, cap ? 2 * cap : 131072);
            if (!nb) break;
            buf = nb;
            cap = cap ? 2 * cap : 131072;
        }
        ssize_t got = read(fd, buf + len, cap - len - 1);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        len += (size_t)got;
        char *nl;
        while ((nl = memchr(buf, '\n', len))) {
            *nl = '\0';
            char *line = cov_strdup(buf);
            json_t *o = line ? json_loads(line, 0, NULL) : NULL;
            pthread_mutex_lock(&j->mu);
            if (o && !x->cancel) {
                free(x->result);
                x->result = line;
                line = NULL;
                x->stage = (int)json_integer_value(json_object_get(o, "stage"));
                x->final = json_is_true(json_object_get(o, "final"));
                if (json_object_get(o, "errors")) x->state = FAILED;
                pthread_cond_broadcast(&j->changed);
            }
            pthread_mutex_unlock(&j->mu);
            json_decref(o);
            free(line);
            size_t used = (size_t)(nl - buf) + 1;
            memmove(buf, nl + 1, len - used);
            len -= used;
        }
    }
    free(buf);
}

static bool is_ask(const job *x) { return strcmp(x->kind, "run") != 0; }

/* Is a run (not a question) waiting or running? Under mu. */
static bool runs_busy(cov_jobs *j)
{
    for (job *x = j->head; x; x = x->next)
        if (!is_ask(x) && (x->state == QUEUED || x->state == RUNNING)) return true;
    return false;
}

/* Stops (SIGSTOP) or resumes (SIGCONT) the question in progress, so that
 * an edit's run is never held behind a long solve or allocate and still
 * only one process works at a time. Under mu. */
static void pause_asks(cov_jobs *j, bool stop)
{
    for (job *x = j->head; x; x = x->next)
        if (is_ask(x) && x->state == RUNNING && x->pid > 0 && !x->cancel) kill(x->pid, stop ? SIGSTOP : SIGCONT);
}

/* A lane: the runs' worker takes the runs in order, stopping a question in
 * progress while one runs; the questions' worker takes solve and allocate
 * in order, each started only while no run is waiting or running. */
static void *worker(void *arg)
{
    struct lane *ln = arg;
    cov_jobs *j = ln->j;
    pthread_mutex_lock(&j->mu);
    while (!j->stop) {
        job *x = j->head;
        while (x && (x->state != QUEUED || is_ask(x) != ln->ask)) x = x->next;
        if (!x || (ln->ask && runs_busy(j))) { pthread_cond_wait(&j->changed, &j->mu); continue; }
        if (!ln->ask) pause_asks(j, true);
        x->state = RUNNING;
        pthread_cond_broadcast(&j->changed);
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) {
            x->state = FAILED;
            if (!ln->ask && !runs_busy(j)) pause_asks(j, false);
            continue;
        }
        /* the run's own process: its arguments are made before the fork, and
         * the child only redirects its output and execs (nothing of the
         * server's threads' state is used there) */
        char q[32], t[32], lim[32];
        snprintf(q, sizeof q, "%ld", x->quick);
        snprintf(t, sizeof t, "%d", j->threads);
        snprintf(lim, sizeof lim, "%ld", j->max_replicates);
        char *run[] = { "covcast", "serve", "--job", x->ini, x->dir, j->dir, x->base_hits ? x->base_hits : "", q, t, lim, NULL };
        char *ask[] = { "covcast", "serve", "--ask", x->kind, x->ini, x->dir, j->dir, t, lim,
                        x->ask[0], x->ask[1], x->ask[2], x->ask[3], NULL };
        char **args = strcmp(x->kind, "run") ? ask : run;
        pthread_mutex_lock(j->engine);
        pid_t pid = fork();
        if (pid == 0) {
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (dup2(fds[1], 1) < 0) _exit(127);
            execv(j->exe, args);
            _exit(127);
        }
        pthread_mutex_unlock(j->engine);
        close(fds[1]);
        if (pid < 0) {
            close(fds[0]);
            x->state = FAILED;
            if (!ln->ask && !runs_busy(j)) pause_asks(j, false);
            continue;
        }
        j->started++;
        x->pid = pid;
        if (x->cancel) kill(pid, SIGKILL);
        pthread_mutex_unlock(&j->mu);
        read_child(j, x, fds[0]);
        close(fds[0]);
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        pthread_mutex_lock(&j->mu);
        x->pid = 0;
        if (x->cancel) x->state = CANCELLED;
        else if (x->state == RUNNING) x->state = x->final ? DONE : FAILED;
        if (x->state == FAILED && !x->result) {
            json_t *o = json_pack("{s:{s:s}}", "errors", "text",
                                  "covcast: the run stopped unexpectedly (out of memory?); nothing was shown");
            x->result = json_dumps(o, JSON_COMPACT);
            json_decref(o);
        }
        if (!ln->ask && !runs_busy(j)) pause_asks(j, false);   /* the question goes on */
        evict(j);
        pthread_cond_broadcast(&j->changed);
    }
    pthread_mutex_unlock(&j->mu);
    return NULL;
}

cov_jobs *cov_jobs_start(const char *dir, int threads, long max_replicates, pthread_mutex_t *engine)
{
    cov_jobs *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    pthread_mutex_init(&j->mu, NULL);
    pthread_mutex_init(&j->render, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&j->changed, &ca);
    pthread_condattr_destroy(&ca);
    snprintf(j->dir, sizeof j->dir, "%s", dir);
    /* the program as it was started (under valgrind /proc/self/exe is valgrind's) */
    const char *fn = (const char *)getauxval(AT_EXECFN);
    if (!fn || !realpath(fn, j->exe)) snprintf(j->exe, sizeof j->exe, "/proc/self/exe");
    j->threads = threads;
    j->max_replicates = max_replicates;
    j->engine = engine;
    j->next_id = 1;
    for (int k = 0; k < 2; k++) {
        j->lane[k] = (struct lane){ j, k == 1 };
        if (pthread_create(&j->worker[k], NULL, worker, &j->lane[k]) != 0) {
            if (k) {   /* the first lane is running: stop it */
                pthread_mutex_lock(&j->mu);
                j->stop = true;
                pthread_cond_broadcast(&j->changed);
                pthread_mutex_unlock(&j->mu);
                pthread_join(j->worker[0], NULL);
            }
            free(j);
            return NULL;
        }
    }
    return j;
}

void cov_jobs_halt(cov_jobs *j)
{
    if (!j) return;
    pthread_mutex_lock(&j->mu);
    j->stop = true;
    for (job *x = j->head; x; x = x->next) kill_job(x);
    for (int i = 0; i < MAX_DRAWING; i++)
        if (j->drawing[i] > 0) kill(-j->drawing[i], SIGKILL);
    pthread_cond_broadcast(&j->changed);
    pthread_mutex_unlock(&j->mu);
}

void cov_jobs_stop(cov_jobs *j)
{
    if (!j) return;
    pthread_mutex_lock(&j->mu);
    j->stop = true;
    for (job *x = j->head; x; x = x->next) kill_job(x);
    pthread_cond_broadcast(&j->changed);
    pthread_mutex_unlock(&j->mu);
    pthread_join(j->worker[0], NULL);
    pthread_join(j->worker[1], NULL);
    while (j->head) {
        job *x = j->head;
        j->head = x->next;
        job_free(x);
    }
    pthread_cond_destroy(&j->changed);
    pthread_mutex_destroy(&j->mu);
    pthread_mutex_destroy(&j->render);
    free(j);
}

static long enqueue(cov_jobs *j, const char *client, const char *name, const char *ini, long quick, long baseline,
                    const char *kind, const char *const *ask, int *http, char *err, size_t errn)
{
    pthread_mutex_lock(&j->mu);
    long id = 0;
    int active = 0;
    job *b = baseline > 0 ? find(j, baseline) : NULL;
    for (job *x = j->head; x; x = x->next)
        if (!strcmp(x->client, client)) kill_job(x);   /* a new edit: the page's earlier runs are dropped */
        else active += x->state == QUEUED || x->state == RUNNING;
    job *x = NULL;
    if (baseline > 0 && (!b || b->state != DONE)) {
        *http = 404;
        snprintf(err, errn, "the baseline (run %ld) is no longer kept or did not finish; pin it again", baseline);
    } else if (active >= COV_JOBS_QUEUE) {
        *http = 503;
        snprintf(err, errn, "the server is busy: %d runs are waiting; try again in a moment", active);
    } else if (!(x = calloc(1, sizeof *x))) {
        *http = 503;
        snprintf(err, errn, "out of memory");
    } else {
        x->id = j->next_id++;
        snprintf(x->client, sizeof x->client, "%s", client);
        snprintf(x->dir, sizeof x->dir, "%s/%ld", j->dir, x->id);
        snprintf(x->ini, sizeof x->ini, "%s/%s", x->dir, name);
        x->quick = quick;
        snprintf(x->kind, sizeof x->kind, "%s", kind);
        for (int i = 0; ask && i < 4; i++) snprintf(x->ask[i], sizeof x->ask[i], "%s", ask[i] ? ask[i] : "");
        FILE *f = NULL;
        if (mkdir(x->dir, 0700) != 0 || !(f = fopen(x->ini, "wx")) || fputs(ini, f) < 0) {
            if (f) fclose(f);
            f = NULL;
            *http = 500;
            snprintf(err, errn, "cannot write the scenario into the server's folder: %s", strerror(errno));
            job_free(x);
            x = NULL;
        } else if (fclose(f) != 0) {
            *http = 500;
            snprintf(err, errn, "cannot write the scenario into the server's folder");
            job_free(x);
            x = NULL;
        }
        if (x && b) {
            b->pinned = true;
            x->baseline = b->id;
            if (asprintf(&x->base_hits, "%s/hits.bin", b->dir) < 0) x->base_hits = NULL;
        }
        if (x) {
            job **p = &j->head;
            while (*p) p = &(*p)->next;
            *p = x;
            id = x->id;
            evict(j);
            pthread_cond_broadcast(&j->changed);
        }
    }
    pthread_mutex_unlock(&j->mu);
    return id;
}

long cov_jobs_submit(cov_jobs *j, const char *client, const char *name, const char *ini, long quick, long baseline,
                     int *http, char *err, size_t errn)
{
    return enqueue(j, client, name, ini, quick, baseline, "run", NULL, http, err, errn);
}

long cov_jobs_ask(cov_jobs *j, const char *client, const char *name, const char *ini, const char *kind,
                  const char *const ask[4], int *http, char *err, size_t errn)
{
    return enqueue(j, client, name, ini, 0, 0, kind, ask, http, err, errn);
}

char *cov_jobs_status(cov_jobs *j, long id, int after, int wait_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += wait_ms / 1000;
    until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) { until.tv_sec++; until.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&j->mu);
    job *x;
    while ((x = find(j, id)) && (x->state == QUEUED || x->state == RUNNING) && x->stage <= after && !j->stop)
        if (pthread_cond_timedwait(&j->changed, &j->mu, &until) == ETIMEDOUT) break;
    x = find(j, id);
    char *out = NULL;
    if (x && asprintf(&out, "{\"job\":%ld,\"state\":\"%s\",\"stage\":%d,\"result\":%s}", x->id, STATE[x->state],
                      x->stage, x->result ? x->result : "null") < 0)
        out = NULL;
    pthread_mutex_unlock(&j->mu);
    return out;
}

char *cov_jobs_file(cov_jobs *j, long id, const char *file)
{
    pthread_mutex_lock(&j->mu);
    job *x = find(j, id);
    char *path = NULL;
    if (x && !strcmp(file, "scenario.ini")) path = cov_strdup(x->ini);
    else if (x && x->state == DONE && asprintf(&path, "%s/out/%s", x->dir, file) < 0) path = NULL;
    pthread_mutex_unlock(&j->mu);
    return path;
}

/* text with every "DIR/" of the server's private folder taken out, in place */
static void hide_dir(char *text, const char *dir)
{
    char pre[4200];
    snprintf(pre, sizeof pre, "%s/", dir);
    size_t n = strlen(pre);
    for (char *p; (p = strstr(text, pre));) {
        char *end = p + n + strcspn(p + n, ": \t\n"), *slash = p;
        for (char *q = p; q < end; q++)
            if (*q == '/') slash = q;
        memmove(p, slash + 1, strlen(slash + 1) + 1);
    }
}

/* Runs `covcast ARGS` (no shell: each argument as it is) with stderr into
 * errpath, for at most RENDER_SECONDS, in a process group of its own (so
 * that gnuplot, which it starts, ends with it) that dies with the server's
 * thread that started it; cov_jobs_halt ends it at once. Its exit status,
 * or -1. */
static int spawn_tool(cov_jobs *j, char *const argv[], const char *errpath)
{
    int slot = -1;
    pthread_mutex_lock(&j->mu);
    for (int i = 0; i < MAX_DRAWING && slot < 0 && !j->stop; i++)
        if (!j->drawing[i]) { slot = i; j->drawing[i] = -1; }
    pthread_mutex_unlock(&j->mu);
    if (slot < 0) return -1;
    extern char **environ;
    pid_t pid = fork();
    if (pid == 0) {   /* only async-signal-safe calls until exec */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int in = open("/dev/null", O_RDONLY), out = open("/dev/null", O_WRONLY),
            err = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (in < 0 || out < 0 || err < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) _exit(127);
        sigset_t none;   /* the server's threads hold SIGINT and SIGTERM blocked; the tool takes them */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execve(j->exe, argv, environ);
        _exit(127);
    }
    pthread_mutex_lock(&j->mu);
    j->drawing[slot] = pid > 0 ? pid : 0;
    if (pid > 0) {
        setpgid(pid, pid);   /* (either side may come first) */
        if (j->stop) kill(-pid, SIGKILL);
    }
    pthread_mutex_unlock(&j->mu);
    if (pid < 0) return -1;
    int status = 0;
    double t0 = now();
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        if (w == pid) break;
        if (w < 0 && errno != EINTR) { status = -1; break; }
        if (now() - t0 > RENDER_SECONDS) {
            kill(-pid, SIGKILL);
            while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
            status = -1;
            break;
        }
        struct timespec ts = { 0, 10000000L };
        nanosleep(&ts, NULL);
    }
    pthread_mutex_lock(&j->mu);
    kill(-pid, SIGKILL);   /* whatever it left in its group (nothing, when it ended well) */
    j->drawing[slot] = 0;
    pthread_mutex_unlock(&j->mu);
    return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

char *cov_jobs_render(cov_jobs *j, long id, const char *what, const char *lang, const char *unit, int *http, char *err,
                      size_t errn)
{
    bool report = !strcmp(what, "report");
    if (strcmp(lang, "vi") && strcmp(lang, "en")) {
        *http = 400;
        snprintf(err, errn, "'lang' must be vi or en");
        return NULL;
    }
    char dir[4200];
    pthread_mutex_lock(&j->mu);
    job *x = find(j, id);
    if (!x || strcmp(x->kind, "run") || x->state != DONE) {
        pthread_mutex_unlock(&j->mu);
        *http = 404;
        snprintf(err, errn, "run %ld has no results to draw (not a finished run, or forgotten: the server keeps the latest)", id);
        return NULL;
    }
    x->holds++;
    snprintf(dir, sizeof dir, "%s", x->dir);
    pthread_mutex_unlock(&j->mu);

    char ldir[4300], target[4400], out[4300], errpath[4300];
    snprintf(ldir, sizeof ldir, "%s/%s", dir, lang);
    if (unit) {   /* a folder per commune, named by a hash of its name */
        uint64_t h = 1469598103934665603ULL;
        for (const unsigned char *p = (const unsigned char *)unit; *p; p++) h = (h ^ *p) * 1099511628211ULL;
        snprintf(ldir, sizeof ldir, "%s/%s-u%016llx", dir, lang, (unsigned long long)h);
        if (report || strchr(lang, '/')) { *http = 400; snprintf(err, errn, "a report is for the whole run"); cov_jobs_release(j, id); return NULL; }
    }
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(target, sizeof target, report ? "%s/report.html" : "%s/plots", ldir);
    snprintf(errpath, sizeof errpath, "%s/%s-%s.err", dir, what, lang);
    pthread_mutex_lock(&j->mu);   /* a few in line at once: a slow client cannot hold the server's connections */
    bool in_line = j->in_line < DRAW_LINE;
    j->in_line += in_line;
    pthread_mutex_unlock(&j->mu);
    if (!in_line) {
        *http = 503;
        snprintf(err, errn, "the server is drawing charts for %d requests already; try again in a moment", DRAW_LINE);
        cov_jobs_release(j, id);
        return NULL;
    }
    pthread_mutex_lock(&j->render);
    bool ok = access(target, F_OK) == 0, room = true;
    if (!ok && unit && access(ldir, F_OK) != 0) {   /* a new commune's folder: within the run's allowance */
        pthread_mutex_lock(&j->mu);
        x = find(j, id);
        room = x && x->units < COV_JOBS_UNITS;
        if (room) x->units++;
        pthread_mutex_unlock(&j->mu);
    }
    if (!room) {
        *http = 429;
        snprintf(err, errn, "run %ld has charts of %d communes already; run the scenario again for others", id, COV_JOBS_UNITS);
    } else if (!ok && (mkdir(ldir, 0700) == 0 || errno == EEXIST)) {
        /* the run's files, linked (never copied over or changed) into a folder per language */
        DIR *dd = opendir(out);
        struct dirent *de;
        while (dd && (de = readdir(dd))) {
            if (de->d_name[0] == '.' || de->d_type != DT_REG) continue;
            char a[4600], b[4600];
            snprintf(a, sizeof a, "%s/%s", out, de->d_name);
            snprintf(b, sizeof b, "%s/%s", ldir, de->d_name);
            if (link(a, b) != 0 && errno != EEXIST) { *http = 500; snprintf(err, errn, "cannot prepare the run's files: %s", strerror(errno)); dd = (closedir(dd), NULL); break; }
        }
        if (dd) {
            closedir(dd);
            /* a run paired with a baseline: the baseline's medians on its fan charts, while it is kept */
            char bout[4300] = "";
            long bid = 0;
            pthread_mutex_lock(&j->mu);
            job *run = find(j, id), *base = run && run->baseline && !report ? find(j, run->baseline) : NULL;
            if (base && base->state == DONE) {
                bid = base->id;
                base->holds++;
                snprintf(bout, sizeof bout, "%s/out", base->dir);
            }
            pthread_mutex_unlock(&j->mu);
            char *args[12] = { "covcast", report ? "report" : "plot", ldir, "--lang", (char *)lang, "-q" };
            int na = 6;
            if (!report) { args[na++] = "--format"; args[na++] = "svg"; }
            if (bid) { args[na++] = "--baseline"; args[na++] = bout; }
            if (unit) { args[na++] = "--units"; args[na++] = (char *)unit; }
            args[na] = NULL;
            int rc = spawn_tool(j, args, errpath);
            if (bid) cov_jobs_release(j, bid);
            ok = rc == 0 && access(target, F_OK) == 0;
            if (!ok) {
                *http = rc == COV_EUSAGE ? 400 : 500;
                FILE *f = fopen(errpath, "r");
                size_t n = f ? fread(err, 1, errn - 1, f) : 0;
                if (f) fclose(f);
                err[n] = '\0';
                hide_dir(err, j->dir);
                if (!n) snprintf(err, errn, "covcast %s stopped without an answer (status %d)", report ? "report" : "plot", rc);
            }
        }
    } else if (!ok) {
        *http = 500;
        snprintf(err, errn, "cannot make a folder for the charts: %s", strerror(errno));
    }
    if (!ok && unit && room && access(target, F_OK) != 0) {   /* nothing drawn (an unknown name): the folder goes */
        nftw(ldir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        pthread_mutex_lock(&j->mu);
        if ((x = find(j, id)) && x->units > 0) x->units--;
        pthread_mutex_unlock(&j->mu);
    }
    pthread_mutex_unlock(&j->render);
    pthread_mutex_lock(&j->mu);
    j->in_line--;
    pthread_mutex_unlock(&j->mu);
    if (!ok) { cov_jobs_release(j, id); return NULL; }
    return cov_strdup(target);
}

void cov_jobs_release(cov_jobs *j, long id)
{
    pthread_mutex_lock(&j->mu);
    job *x = find(j, id);
    if (x && x->holds > 0) x->holds--;
    evict(j);
    pthread_mutex_unlock(&j->mu);
}

void cov_jobs_counts(cov_jobs *j, long *started, int *kept)
{
    pthread_mutex_lock(&j->mu);
    *started = j->started;
    *kept = 0;
    for (job *x = j->head; x; x = x->next) (*kept)++;
    pthread_mutex_unlock(&j->mu);
}
