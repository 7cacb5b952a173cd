/* covcast.h — the public interface of the coverage-projection engine.
 *
 * Data flow: cov_scenario_load (scenario INI + model INI + population CSV,
 * all validated) → cov_simulate (replicate loop, statistics) → cov_results_write
 * (CSV and JSON files, replaced atomically). Only main() prints and exits. */
#ifndef COVCAST_H
#define COVCAST_H

#include <stddef.h>
#include <stdint.h>

#define COV_VERSION "0.1.0"

/* Exit statuses; the CLI returns these as process exit codes (README). */
typedef enum {
    COV_OK = 0,
    COV_EINTERNAL = 1, /* a bug: please report */
    COV_EUSAGE = 2,    /* bad command line */
    COV_EINPUT = 3,    /* bad input file: population, model or scenario */
    COV_EIO = 4,       /* a file could not be read or written */
    COV_ELIMIT = 5,    /* the run is beyond a stated limit (memory, size) */
    COV_EINTR = 130    /* interrupted (SIGINT/SIGTERM); nothing was written */
} cov_status;

/* Diagnostics: errors collected in compiler form, file:line:col. line and
 * col are 1-based; 0 means "not known" (the message is about the whole file).
 * col counts characters (UTF-8 code points), len is the caret's width. */
#define COV_DIAG_MAX 20
typedef struct {
    char file[512];
    long line, col, len;
    char msg[768];
} cov_diag_entry;

/* The files a command read, by identity (device and inode, links
 * followed), so that no output of the command can overwrite or remove one
 * (outdir.c). */
#define COV_INPUTS_MAX 1024
typedef struct { uint64_t dev, ino; } cov_file_id;

/* What a command carries from its readers to its writers: its diagnostics
 * and the files it read. */
typedef struct {
    int n;        /* entries recorded (at most COV_DIAG_MAX) */
    int dropped;  /* further errors not recorded */
    cov_status status;
    cov_diag_entry e[COV_DIAG_MAX];
    int ninputs;  /* inputs recorded; past COV_INPUTS_MAX, inputs_lost */
    int inputs_lost;
    cov_file_id inputs[COV_INPUTS_MAX];
} cov_diag;

void cov_diag_init(cov_diag *d);
/* Records an error; the first error's status is kept. printf-style. */
void cov_diag_add(cov_diag *d, cov_status st, const char *file, long line,
                  long col, long len, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
/* Prints every entry to fp, each with the offending line and a caret. */
void cov_diag_print(const cov_diag *d, void *fp);
/* Records the file open on fd as an input of the command: every reader of
 * an input file calls it right after opening. */
void cov_inputs_note(cov_diag *d, int fd);

/* Opaque types. */
typedef struct cov_scenario cov_scenario;
typedef struct cov_results cov_results;

/* Command-line settings that override the scenario's [run] section.
 * A field left at its "unset" value (0, NULL, -1) keeps the file's value. */
typedef struct {
    long replicates;     /* 0: unset */
    int64_t seed;        /* -1: unset */
    int threads;         /* 0: unset (then all cores) */
    int months;          /* 0: unset */
    const char *out;     /* NULL: unset */
    int keep_replicates; /* 1: also write every replicate (replicates.csv) */
    double precision;    /* > 0: add replicates until every probability's 95% half-width <= this */
    long max_replicates; /* the cap for precision (0: 1,000,000) */
    long replicates_limit; /* the most replicates [run] may ask (0: 100,000,000): covcast serve --max-replicates */
    char delimiter;      /* population separator: ',', ';', '\t'; 0: unset */
    int decimal_comma;   /* 1: Vietnamese numbers (4.476 = 4476), -1: not; 0: unset */
    int nset;            /* "SECTION.KEY=VALUE" assignments applied to the file */
    const char **set;
} cov_overrides;

/* Loads and validates a scenario, its model and its population. Paths in
 * the scenario are relative to the scenario file. Returns NULL and fills d
 * on any error; nothing is written anywhere. ov may be NULL. */
cov_scenario *cov_scenario_load(const char *path, const cov_overrides *ov,
                                cov_diag *d);
void cov_scenario_free(cov_scenario *s); /* accepts NULL */

/* Settings a caller may read back after loading. */
const char *cov_scenario_name(const cov_scenario *s);
const char *cov_scenario_out(const cov_scenario *s);
long cov_scenario_replicates(const cov_scenario *s);
int cov_scenario_threads(const cov_scenario *s);

/* Progress callback: done out of total work units; called from one thread. */
typedef void (*cov_progress_fn)(double fraction, void *arg);

/* Runs every replicate and computes the statistics. *out receives a results
 * object the caller frees. Returns COV_OK, COV_ENOMEM-class COV_ELIMIT with
 * d filled when the run would not fit in memory, or COV_EINTR when
 * cov_interrupt() was called, before or during the run (the flag is never
 * cleared: a Ctrl-C between two runs of a command stops the next one). */
cov_status cov_simulate(const cov_scenario *s, cov_results **out,
                        cov_progress_fn progress, void *arg, cov_diag *d);
void cov_results_free(cov_results *r); /* accepts NULL */

/* Like cov_simulate, but when the scenario asks for a precision E, adds
 * replicates until every target probability's 95% Wilson half-width is at
 * most E or the cap is reached. Each round keeps the replicates of the round
 * before (replicate r is the same whatever the count) and simulates only the
 * new ones, so the run costs about what a run of the final count costs, and
 * gives its bytes. The replicate count depends only on the seed, E and the
 * scenario, never on threads. */
cov_status cov_simulate_precise(cov_scenario *s, cov_results **out, cov_progress_fn progress,
                                void *arg, cov_diag *d);

/* Asks a running cov_simulate to stop (async-signal-safe). */
void cov_interrupt(void);
/* Has cov_interrupt() been called (the flag stays set)? The
 * writers of output folders check it until the finished folder is swapped in. */
int cov_interrupted(void);

/* Writes trajectories.csv, targets.csv and run.json into the output folder
 * named by the scenario: first into a temporary folder beside it, then
 * swapped into place; on any error the earlier folder is left as it was. */
cov_status cov_results_write(const cov_results *r, const cov_scenario *s,
                             double wall_seconds, cov_diag *d);

/* Runs several scenarios with the first one's seed and replicate count
 * (common random numbers) and writes OUT/compare.csv: each target and unit,
 * each scenario's probability, its difference from the first scenario, the
 * paired standard error of that difference and the one two independent runs
 * would have. Prints the same table to table_fp when not NULL. */
cov_status cov_compare(const char **paths, int n, const cov_overrides *ov, const char *out,
                       void *table_fp, cov_diag *d);

/* Runs one scenario for each value of SECTION.KEY=FROM..TO:STEP, with the
 * same seed, and writes OUT/sweep.csv. */
cov_status cov_sweep(const char *path, const char *spec, const cov_overrides *ov, const char *out,
                     void *table_fp, cov_diag *d);

/* Cards needed now for a threshold ("95.5") per unit of level (commune, a
 * level column, or all) of a population file, largest first, with totals,
 * printed to fp; also written as CSV to out when not NULL. */
cov_status cov_gap(const char *population, const char *threshold, const char *level, const char *out,
                   void *fp, cov_diag *d);

/* The smallest value of lever (SECTION.KEY) in range ("LO..HI", NULL for a
 * default by key) for which P(target) >= p, for each unit of the target's
 * level, by bisection over runs with the same seed. Writes OUT/solve.csv;
 * prints the answers to fp when not NULL. */
cov_status cov_solve(const char *path, const char *target, const char *lever, double p, const char *range,
                     const cov_overrides *ov, const char *out, void *fp, cov_diag *d);

/* Spends budget commune-months of the campaign section greedily to raise
 * the target's probability (one unit: its probability; several: the
 * expected number reaching it), on the same futures; writes
 * OUT/allocation.csv with each step's gain and the even spread's result. */
cov_status cov_allocate(const char *path, const char *target, const char *campaign, long budget,
                        const cov_overrides *ov, const char *out, void *fp, cov_diag *d);

/* How far solve and allocate are, for a caller that shows it (covcast
 * serve): fn gets the runs made over the most they will make (allocate:
 * exactly; solve: the bisection's bound, which shrinks as brackets close),
 * rising to 1. Process-wide; NULL: nothing is called. */
void cov_ask_progress(cov_progress_fn fn, void *arg);
/* solve's and allocate's side of it: passes fraction on, when asked to */
void cov_ask_report(double fraction);

/* Fits each group's monthly enrollment and lapse probabilities, their
 * uncertainty and the commune spread from a history of reported points
 * (monthly or with gaps of any length), and writes a model file (to out, or
 * stdout when out is NULL); a summary goes to fp. opts (history.h's
 * cov_cal_opts, NULL for the defaults): the entrant rule, the population
 * whose group mix splits a totals-only history. COV_EINPUT, no file
 * written, when nothing can be fitted (the reasons, in figures, in d). */
struct cov_cal_opts;
cov_status cov_calibrate(const char *history, const char *model, const struct cov_cal_opts *opts,
                         const char *out, void *fp, cov_diag *d);

/* Backtests the calibration: for each reported cut-off leaving K months,
 * fits on the points up to it, projects K months with R replicates and
 * compares with the points reported after it. Writes OUT/backtest.csv
 * (interval,nominal,observed,n) and OUT/reliability.csv
 * (forecast_bin,forecast_mean,observed_rate,n; last row the Brier score). */
cov_status cov_backtest(const char *history, const char *model, const struct cov_cal_opts *opts, int K, long R,
                        uint64_t seed, const char *out, void *fp, cov_diag *d);

/* After cov_simulate_precise: says whether the precision was reached. */
void cov_precision_print(const cov_scenario *s, void *fp);

/* Prints the readable targets table (stdout in the CLI). */
void cov_results_print(const cov_results *r, const cov_scenario *s, void *fp);

#endif
