/* jobs.h — the runs of `covcast serve`: one at a time, a bounded queue, and
 * each run in a child process of its own, so that a new edit cancels the
 * run in progress at once (the child is killed; the engine's process-wide
 * interrupt flag is never touched; the child execs the program afresh, so
 * nothing of the server's threads is inherited), memory goes back to the system after
 * every run, and a slow or vanished page cannot hold the server: runs do
 * not wait for their readers. */
#ifndef COV_JOBS_H
#define COV_JOBS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define COV_JOBS_QUEUE 16     /* runs waiting or running, all pages together */

typedef struct cov_jobs cov_jobs;

/* Starts the worker. dir: the server's private folder (each run gets a
 * folder in it); threads per run; max_replicates: the most replicates a run
 * or question may ask (more is the run's located error); engine: the lock
 * every use of the engine's loaders takes (runs are forked under it). NULL
 * on failure. */
cov_jobs *cov_jobs_start(const char *dir, int threads, long max_replicates, pthread_mutex_t *engine);
/* Cancels every run, waits for the worker and frees everything. */
/* Ends every run, question and drawing now (each process and what it
 * started), and refuses new ones: the server is stopping. Requests waiting
 * on a run's news are answered. cov_jobs_stop then frees everything. */
void cov_jobs_halt(cov_jobs *j);

#define COV_JOBS_UNITS 16   /* communes charted on asking, per run */

void cov_jobs_stop(cov_jobs *j);

/* Queues a run of the INI text (written as file name in the run's folder)
 * for page client: a quick pass of quick replicates first (0: none), then
 * the scenario's count; baseline: an earlier run whose reached flags the
 * results are paired with (0: none). Every earlier run of the same client
 * still waiting or running is cancelled. Returns the run's number, or 0
 * with *http (404: no such baseline; 503: queue full) and err set. */
long cov_jobs_submit(cov_jobs *j, const char *client, const char *name, const char *ini, long quick, long baseline,
                     int *http, char *err, size_t errn);

/* Queues what it would take, for page client, in a queue of its own (one
 * at a time; the client's earlier work still waiting or running is
 * cancelled). Only one process works at a time: a question starts when no
 * run waits, and is stopped (SIGSTOP) while an edit's run goes, then goes
 * on (SIGCONT), so a long solve or allocate never holds an edit: kind "solve" with ask = target, lever, probability, range
 * ("" for the default), or "allocate" with ask = target, campaign, budget,
 * "". Its stages are {"progress": a line the engine printed}, then
 * {"ask": {"kind", "table": {"columns", "rows"} (the rows of solve.csv or
 * allocation.csv, as text), "text": the lines printed}} or {"errors"}. */
long cov_jobs_ask(cov_jobs *j, const char *client, const char *name, const char *ini, const char *kind,
                  const char *const ask[4], int *http, char *err, size_t errn);

/* The run's state as JSON text (malloc'd): {"job", "state" (queued,
 * running, done, cancelled, failed), "stage" (results received so far),
 * "result" (the latest: results, or the errors of a scenario that did not
 * load)}. Waits up to wait_ms for a stage beyond after, or the end. NULL
 * when no such run is known (any more). */
char *cov_jobs_status(cov_jobs *j, long id, int after, int wait_ms);

/* The path of file (scenario.ini, targets.csv, trajectories.csv,
 * solve.csv, allocation.csv) of a
 * finished run (malloc'd), or NULL. */
char *cov_jobs_file(cov_jobs *j, long id, const char *file);

/* Draws what `covcast plot DIR --format svg --lang LANG` (what "plot") or
 * `covcast report DIR --lang LANG` (what "report") draws, for a finished
 * run, once per language (the programs run as they are, without a shell;
 * unit, when not NULL, is a commune also charted, `--units UNIT`, into a
 * folder of its own: at most COV_JOBS_UNITS of them per run;
 * the run's files are linked into a folder of that language). Returns the
 * path of the plots folder or of report.html (malloc'd) with the run held
 * (not forgotten) until cov_jobs_release; or NULL with *http (400, 404,
 * 500) and the message (the private folder's path taken out). */
char *cov_jobs_render(cov_jobs *j, long id, const char *what, const char *lang, const char *unit, int *http, char *err,
                      size_t errn);
void cov_jobs_release(cov_jobs *j, long id);

/* The run itself, in the process the worker starts (`covcast serve --job
 * ...`, argv after "--job"): its answers as lines of JSON on stdout. */
int cov_jobs_child(int argc, char **argv);

/* solve or allocate, in the process the worker starts (`covcast serve
 * --ask ...`, argv after "--ask"): progress and answer as lines of JSON. */
int cov_jobs_ask_child(int argc, char **argv);

/* Counts for the soak and the tests: runs started (forked) and kept. */
void cov_jobs_counts(cov_jobs *j, long *started, int *kept);

#endif
