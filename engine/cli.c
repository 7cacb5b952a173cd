/* cli.c — the command line: subcommands, flags, help texts, progress and
 * signals. Turns statuses into exit codes; the engine never exits. */
#include "covcast.h"
#include "plot.h"
#include "dist.h"
#include "history.h"
#include "outdir.h"
#include "regroup.h"
#include "serve.h"
#include "jobs.h"
#include "text.h"
#include "types.h"

#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The finest --precision: the limit of 100,000,000 replicates gives a 95%
 * half-width of 1.96 x 0.5 / 10,000 = 0.000098 at worst (p = 0.5). */
#define MIN_PRECISION 0.0001

int cov_cli_main(int argc, char **argv);

static const char *MAIN_HELP =
"covcast — projects health-insurance (BHYT) coverage of communes month by month\n"
"and estimates the probability of reaching each coverage target by its deadline.\n"
"\n"
"Usage:\n"
"  covcast run SCENARIO.ini [options]   project a scenario (see: covcast run --help)\n"
"  covcast compare BASE.ini OTHER.ini... the same futures under several scenarios\n"
"  covcast sweep SCENARIO.ini --set SECTION.KEY=FROM..TO:STEP\n"
"                                       one scenario over a range of one value\n"
"  covcast plot OUTDIR [--format png|svg|pdf] [--lang vi|en]\n"
"                                       gnuplot charts of a results folder\n"
"  covcast report OUTDIR [--lang vi|en] one-page HTML report for leadership\n"
"  covcast solve SCENARIO.ini --target NAME --lever SECTION.KEY --probability 0.8\n"
"                                       the smallest lever value that makes it likely\n"
"  covcast allocate SCENARIO.ini --target NAME --campaign SECTION --budget K\n"
"                                       where to spend K commune-months of a campaign\n"
"  covcast calibrate HISTORY.csv --model BASE.ini [--out FITTED.ini]\n"
"                                       rates and their uncertainty from monthly reports\n"
"  covcast backtest HISTORY.csv --model BASE.ini --holdout K\n"
"                                       were past forecasts right as often as they said?\n"
"  covcast gap POPULATION.csv --threshold 95.5 [--level district]\n"
"                                       cards needed now per unit, no simulation\n"
"  covcast regroup FILE.csv --crosswalk CROSSWALK.csv --out NEW.csv\n"
"                                       carry a population or history onto new communes\n"
"  covcast serve [FOLDER] [--listen 127.0.0.1:8080]\n"
"                                       the planner's page in a browser\n"
"  covcast --help                       this text\n"
"  covcast --version                    the version\n"
"\n"
"A scenario file names a population CSV (people and insured per commune and\n"
"participant group), a model file (monthly enrollment and lapse rates per group),\n"
"the snapshot month, the horizon, the targets and the campaigns. Each replicate\n"
"is one possible future: every person is insured or not, and each month enrolls\n"
"or lapses with the group's probability; the rates themselves are uncertain and\n"
"drawn once per replicate. A probability of 0.62 means that the target was\n"
"reached in 62% of these possible futures.\n"
"\n"
"Example:\n"
"  covcast run scenarios/nam-truc-2018.ini --replicates 2000 --seed 7 --out results/nam-truc\n"
"\n"
"Large runs: --threads uses the cores of one machine; a build with OpenMPI\n"
"(make MPI=1) spreads run, compare, sweep, solve and allocate over machines,\n"
"  mpirun -np 4 ./covcast run scenarios/vietnam-2019.ini --threads 16\n"
"with the same results, byte for byte, as one process (see README, MPI).\n"
"\n"
"Exit codes: 0 done, 1 internal error, 2 bad command line, 3 bad input file,\n"
"4 cannot read or write a file, 5 beyond a limit (memory), 130 interrupted.\n";

static const char *RUN_HELP =
"Usage: covcast run SCENARIO.ini [options]\n"
"\n"
"Runs the scenario's replicates and writes, into the output folder:\n"
"  trajectories.csv  coverage per unit (each commune, each level such as the\n"
"                    district, and all) and month: mean and quantiles 5-95%\n"
"  targets.csv       per target and unit: probability of reaching the threshold\n"
"                    at the deadline (with a 95% interval), probability of\n"
"                    reaching it at some month up to the deadline, cards needed\n"
"                    now, and the median shortfall at the deadline\n"
"  first_reached.csv the month in which each target is first met\n"
"  run.json          seed, replicates, threads, version, inputs with SHA-256\n"
"and prints the targets table. The folder is replaced only when the run is\n"
"complete: a failed or interrupted run leaves earlier results as they were.\n"
"\n"
"Options (they override the scenario's [run] section):\n"
"  -r, --replicates N   number of replicates (possible futures), e.g. 2000\n"
"  -s, --seed N         random seed: the same seed gives the same bytes\n"
"  -t, --threads N      threads to use (default: all cores); results do not\n"
"                       depend on it\n"
"  -m, --months N       months to project after the snapshot month\n"
"  -o, --out DIR        output folder (default: results/SCENARIO-NAME)\n"
"      --precision E    add replicates until every probability is known to +-E\n"
"                       (95% interval), e.g. 0.01; the same seed and E give the\n"
"                       same replicate count and bytes at any thread count\n"
"      --max-replicates N  the cap for --precision (default 1,000,000)\n"
"      --delimiter D    the population file's separator: comma, semicolon or tab\n"
"                       (default: read off its header line)\n"
"      --decimal-comma  the population file writes 4.476 for four thousand\n"
"                       (Vietnamese style; default: read off the file, and an\n"
"                       error when it is ambiguous)\n"
"      --set SECTION.KEY=VALUE  change one value of the scenario file, e.g.\n"
"                       --set campaign.peak.enroll_multiplier=2.5 (repeatable)\n"
"  -q, --quiet          no progress and no table\n"
"      --keep-replicates  also write replicates.csv: every replicate's\n"
"                       population and insured per unit and month (small runs)\n"
"  -h, --help           this text\n"
"\n"
"Monte Carlo error: a probability from R replicates is uncertain by about\n"
"1/sqrt(R) at most (2000 replicates: +-0.022 at 95%); the interval printed\n"
"is the Wilson interval for that error alone.\n";

static const char *COMPARE_HELP =
"Usage: covcast compare BASE.ini OTHER.ini [MORE.ini ...] [options]\n"
"\n"
"Runs every scenario with the first one's seed and replicate count, so they\n"
"share their random numbers wherever they agree (common random numbers): the\n"
"difference between them is not drowned in noise. Writes OUT/compare.csv:\n"
"  target,level,unit,scenario,probability,difference,difference_se,\n"
"  difference_se_independent\n"
"where difference is the scenario's probability minus the baseline's, its\n"
"paired standard error, and the error two independent runs would have had.\n"
"Targets are matched by name, units by level and name.\n"
"\n"
"Options: -r/--replicates, -s/--seed, -t/--threads, -m/--months, --set (applied\n"
"to every scenario), -o/--out DIR (default results/compare-BASE), -q/--quiet.\n";

static const char *SWEEP_HELP =
"Usage: covcast sweep SCENARIO.ini --set SECTION.KEY=FROM..TO:STEP [options]\n"
"\n"
"Runs the scenario once for each value FROM, FROM+STEP, ... up to TO of one\n"
"key (at most 1000 values), all with the same seed, and writes OUT/sweep.csv:\n"
"  value,target,level,unit,probability,probability_lo,probability_hi,coverage_p50\n"
"Example: how does the district's chance grow with the campaign's intensity?\n"
"  covcast sweep scenarios/nam-truc-2018.ini --set campaign.peak.enroll_multiplier=1..4:0.5\n"
"Earlier --set options fix other values; the last one is the range.\n"
"\n"
"Options: -r/--replicates, -s/--seed, -t/--threads, -m/--months,\n"
"-o/--out DIR (default results/sweep-SCENARIO), -q/--quiet.\n";

static void on_signal(int sig)
{
    (void)sig;
    cov_interrupt();
}

typedef struct { time_t last; int shown; } progress_state;

static void show_progress(double fraction, void *arg)
{
    progress_state *p = arg;
    time_t now = time(NULL);
    int pct = (int)(100 * fraction);
    if (pct == p->shown || (now == p->last && pct < 100)) return;
    p->last = now;
    p->shown = pct;
    fprintf(stderr, "\rcovcast: simulating… %3d%%", pct);
    if (pct >= 100) fputc('\n', stderr);
    fflush(stderr);
}

static bool flag_int(const char *cmd, const char *name, const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (cov_parse_int64(v, out) && *out >= lo && *out <= hi) return true;
    fprintf(stderr, "covcast %s: %s must be a whole number from %lld to %lld, got \"%s\"\n",
            cmd, name, (long long)lo, (long long)hi, cov_term(v));
    return false;
}

/* The options shared by run, compare and sweep. */
typedef struct {
    cov_overrides ov;
    bool quiet;
    int npos;
    char **pos;            /* the file arguments */
    const char *set[64];
    const char *target, *lever, *range;   /* solve (target also allocate) */
    double probability;
    const char *campaign;                 /* allocate */
    long budget;
} cli_opts;

/* Parses argv; returns -1 to go on, else the exit status (help, bad flag). */
static int parse_opts(const char *cmd, const char *help, int argc, char **argv, cli_opts *o)
{
    static const struct option opts[] = {
        { "replicates", required_argument, NULL, 'r' },
        { "seed", required_argument, NULL, 's' },
        { "threads", required_argument, NULL, 't' },
        { "months", required_argument, NULL, 'm' },
        { "out", required_argument, NULL, 'o' },
        { "set", required_argument, NULL, 'S' },
        { "quiet", no_argument, NULL, 'q' },
        { "keep-replicates", no_argument, NULL, 'k' },
        { "precision", required_argument, NULL, 'P' },
        { "max-replicates", required_argument, NULL, 'M' },
        { "delimiter", required_argument, NULL, 'G' },
        { "decimal-comma", no_argument, NULL, 'H' },
        { "target", required_argument, NULL, 'A' },
        { "lever", required_argument, NULL, 'B' },
        { "probability", required_argument, NULL, 'C' },
        { "range", required_argument, NULL, 'D' },
        { "campaign", required_argument, NULL, 'E' },
        { "budget", required_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    memset(o, 0, sizeof *o);
    o->ov.seed = -1;
    o->ov.set = o->set;
    int c;
    int64_t v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:s:t:m:o:S:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'r': if (!flag_int(cmd, "--replicates", optarg, 1, COV_MAX_REPLICATES, &v)) return COV_EUSAGE; o->ov.replicates = v; break;
        case 's': if (!flag_int(cmd, "--seed", optarg, 0, INT64_MAX, &v)) return COV_EUSAGE; o->ov.seed = v; break;
        case 't': if (!flag_int(cmd, "--threads", optarg, 1, 1024, &v)) return COV_EUSAGE; o->ov.threads = (int)v; break;
        case 'm': if (!flag_int(cmd, "--months", optarg, 1, 1200, &v)) return COV_EUSAGE; o->ov.months = (int)v; break;
        case 'o': o->ov.out = optarg; break;
        case 'S':
            if (o->ov.nset == 64) { fprintf(stderr, "covcast %s: at most 64 --set\n", cmd); return COV_EUSAGE; }
            o->set[o->ov.nset++] = optarg;
            break;
        case 'q': o->quiet = true; break;
        case 'k': o->ov.keep_replicates = 1; break;
        case 'P': {
            double e;
            if (!cov_parse_double(optarg, &e) || e <= 0 || e >= 0.5) {
                fprintf(stderr, "covcast %s: --precision must be a probability above 0 and below 0.5 "
                        "(e.g. 0.01 for +-1 point), got \"%s\"\n", cmd, cov_term(optarg));
                return COV_EUSAGE;
            }
            if (e < MIN_PRECISION) {
                fprintf(stderr, "covcast %s: --precision %s is finer than covcast can reach: its limit of "
                        "100,000,000 replicates gives +-%g at best; give %g or more\n", cmd, cov_term(optarg),
                        MIN_PRECISION, MIN_PRECISION);
                return COV_EUSAGE;
            }
            o->ov.precision = e;
            break;
        }
        case 'G':
            if (!strcmp(optarg, ",") || !strcmp(optarg, "comma")) o->ov.delimiter = ',';
            else if (!strcmp(optarg, ";") || !strcmp(optarg, "semicolon")) o->ov.delimiter = ';';
            else if (!strcmp(optarg, "tab") || !strcmp(optarg, "\t")) o->ov.delimiter = '\t';
            else {
                fprintf(stderr, "covcast %s: --delimiter must be comma, semicolon or tab, got \"%s\"\n", cmd, cov_term(optarg));
                return COV_EUSAGE;
            }
            break;
        case 'H': o->ov.decimal_comma = 1; break;
        case 'E': case 'F':
            if (strcmp(cmd, "allocate")) {
                fprintf(stderr, "covcast %s: --campaign and --budget belong to covcast allocate\n", cmd);
                return COV_EUSAGE;
            }
            if (c == 'E') o->campaign = optarg;
            else if (!flag_int(cmd, "--budget", optarg, 0, 100000, &v)) return COV_EUSAGE;
            else o->budget = v;
            break;
        case 'A': case 'B': case 'C': case 'D':
            if (strcmp(cmd, "solve") && !(c == 'A' && !strcmp(cmd, "allocate"))) {
                fprintf(stderr, "covcast %s: --target, --lever, --probability and --range belong to covcast solve\n", cmd);
                return COV_EUSAGE;
            }
            if (c == 'A') o->target = optarg;
            else if (c == 'B') o->lever = optarg;
            else if (c == 'D') o->range = optarg;
            else if (!cov_parse_double(optarg, &o->probability) || o->probability <= 0 || o->probability >= 1) {
                fprintf(stderr, "covcast solve: --probability must be above 0 and below 1 (e.g. 0.8), got \"%s\"\n", cov_term(optarg));
                return COV_EUSAGE;
            }
            break;
        case 'M': if (!flag_int(cmd, "--max-replicates", optarg, 1, COV_MAX_REPLICATES, &v)) return COV_EUSAGE; o->ov.max_replicates = v; break;
        case 'h': fputs(help, stdout); return COV_OK;
        default:
            fprintf(stderr, "Try 'covcast %s --help'.\n", cmd);
            return COV_EUSAGE;
        }
    }
    o->pos = argv + optind;
    o->npos = argc - optind;
    return -1;
}

static int cmd_run(int argc, char **argv)
{
    cli_opts o;
    int rc = parse_opts("run", RUN_HELP, argc, argv, &o);
    if (rc >= 0) return rc;
    if (o.npos != 1) {
        fputs(o.npos == 0 ? "covcast run: which scenario? Give one SCENARIO.ini file.\n"
                          : "covcast run: give exactly one scenario file.\n", stderr);
        fputs("Try 'covcast run --help'.\n", stderr);
        return COV_EUSAGE;
    }
    cov_diag d;
    cov_diag_init(&d);
    cov_scenario *s = cov_scenario_load(o.pos[0], &o.ov, &d);
    if (!s || !cov_outdir_check(cov_scenario_out(s), &d)) {   /* an output folder that may not be replaced: say so before the run */
        cov_diag_print(&d, stderr);
        cov_scenario_free(s);
        return d.status ? (int)d.status : COV_EINPUT;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    progress_state ps = { 0, -1 };
    bool tty = !o.quiet && isatty(2);
    cov_results *res = NULL;
    cov_status st = cov_simulate_precise(s, &res, tty ? show_progress : NULL, &ps, &d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (st == COV_OK) st = cov_results_write(res, s, wall, &d);   /* under MPI, rank 0 writes (outdir.c) */
    if (st == COV_EINTR) {
        if (tty) fputc('\n', stderr);
        fputs("covcast: interrupted; nothing was written, earlier results are unchanged\n", stderr);
    } else if (st != COV_OK) {
        cov_diag_print(&d, stderr);
    } else if (!o.quiet) {
        cov_results_print(res, s, stdout);
        if (o.ov.precision > 0) cov_precision_print(s, stdout);
        printf("\nWritten to %s/ (trajectories.csv, targets.csv, first_reached.csv, exceedance.csv, run.json) "
               "in %.2f s with %d thread%s.\n",
               cov_term(cov_scenario_out(s)), wall, cov_scenario_threads(s), cov_scenario_threads(s) == 1 ? "" : "s");
    }
    cov_results_free(res);
    cov_scenario_free(s);
    return (int)st;
}

/* Default output folder of compare and sweep: results/<kind>-<first scenario>. */
static void default_out(char *buf, size_t n, const char *kind, const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    size_t l = strlen(b);
    if (l > 4 && !strcmp(b + l - 4, ".ini")) l -= 4;
    snprintf(buf, n, "results/%s-%.*s", kind, (int)l, b);
}

static int finish(cov_status st, cov_diag *d)
{
    if (st == COV_EINTR) fputs("covcast: interrupted; nothing was written, earlier results are unchanged\n", stderr);
    else if (st != COV_OK) cov_diag_print(d, stderr);
    return (int)st;
}

static int cmd_compare(int argc, char **argv)
{
    cli_opts o;
    int rc = parse_opts("compare", COMPARE_HELP, argc, argv, &o);
    if (rc >= 0) return rc;
    if (o.npos < 2) {
        fputs("covcast compare: give two or more scenario files; the first is the baseline.\n"
              "Try 'covcast compare --help'.\n", stderr);
        return COV_EUSAGE;
    }
    char out[4096];
    default_out(out, sizeof out, "compare", o.pos[0]);
    cov_diag d;
    cov_diag_init(&d);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (!cov_outdir_check(o.ov.out ? o.ov.out : out, &d)) return finish(d.status, &d);   /* refused before the runs, not after */
    cov_status st = cov_compare((const char **)o.pos, o.npos, &o.ov, o.ov.out ? o.ov.out : out,
                                o.quiet ? NULL : stdout, &d);
    if (st == COV_OK && !o.quiet) printf("\nWritten to %s/compare.csv\n", cov_term(o.ov.out ? o.ov.out : out));
    return finish(st, &d);
}

static int cmd_sweep(int argc, char **argv)
{
    cli_opts o;
    int rc = parse_opts("sweep", SWEEP_HELP, argc, argv, &o);
    if (rc >= 0) return rc;
    if (o.npos != 1 || o.ov.nset < 1) {
        fputs("covcast sweep: give one scenario file and --set SECTION.KEY=FROM..TO:STEP.\n"
              "Try 'covcast sweep --help'.\n", stderr);
        return COV_EUSAGE;
    }
    /* The last --set is the range; earlier ones are fixed assignments. */
    const char *spec = o.set[--o.ov.nset];
    char out[4096];
    default_out(out, sizeof out, "sweep", o.pos[0]);
    cov_diag d;
    cov_diag_init(&d);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (!cov_outdir_check(o.ov.out ? o.ov.out : out, &d)) return finish(d.status, &d);   /* refused before the runs, not after */
    cov_status st = cov_sweep(o.pos[0], spec, &o.ov, o.ov.out ? o.ov.out : out, o.quiet ? NULL : stdout, &d);
    if (st == COV_OK && !o.quiet) printf("\nWritten to %s/sweep.csv\n", cov_term(o.ov.out ? o.ov.out : out));
    return finish(st, &d);
}

static const char *SOLVE_HELP =
"Usage: covcast solve SCENARIO.ini --target NAME --lever SECTION.KEY --probability 0.8\n"
"                     [--range LO..HI] [options]\n"
"\n"
"What would it take? Finds the smallest value of one lever of the scenario\n"
"(a campaign's enroll_multiplier, a school drive's enroll, a reclassification's\n"
"keep, ...) for which the probability of reaching the target is at least the\n"
"one asked, for each unit of the target's level (the district, or each commune\n"
"for its own target). Every value is run with the same seed, so the\n"
"probability moves with the lever and not with the noise; the search halves\n"
"the interval until it is 1/1000 of the range wide. Says plainly when the\n"
"range cannot reach it. Writes OUT/solve.csv:\n"
"  target,level,unit,lever,value,probability,probability_lo,probability_hi,\n"
"  reachable,value_below\n"
"(value_below: the largest value tried that fell short).\n"
"\n"
"Example:\n"
"  covcast solve scenarios/nam-truc-2018.ini --target year-end \\\n"
"      --lever campaign.peak.enroll_multiplier --probability 0.8 --range 1..20\n"
"\n"
"--range defaults to 0..10 for multipliers and 0..1 for keep, enroll, fraction.\n"
"Options: -r/--replicates, -s/--seed, -t/--threads, --precision, --set,\n"
"-o/--out DIR (default results/solve-SCENARIO), -q/--quiet.\n";

static int cmd_solve(int argc, char **argv)
{
    cli_opts o;
    int rc = parse_opts("solve", SOLVE_HELP, argc, argv, &o);
    if (rc >= 0) return rc;
    if (o.npos != 1 || !o.target || !o.lever || o.probability <= 0) {
        fputs("covcast solve: give one scenario, --target, --lever and --probability.\n"
              "Try 'covcast solve --help'.\n", stderr);
        return COV_EUSAGE;
    }
    char out[4096];
    default_out(out, sizeof out, "solve", o.pos[0]);
    cov_diag d;
    cov_diag_init(&d);
    if (!cov_outdir_check(o.ov.out ? o.ov.out : out, &d)) return finish(d.status, &d);   /* refused before the runs, not after */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    cov_status st = cov_solve(o.pos[0], o.target, o.lever, o.probability, o.range, &o.ov,
                              o.ov.out ? o.ov.out : out, o.quiet ? NULL : stdout, &d);
    if (st == COV_OK && !o.quiet) printf("\nWritten to %s/solve.csv\n", cov_term(o.ov.out ? o.ov.out : out));
    return finish(st, &d);
}

static const char *ALLOCATE_HELP =
"Usage: covcast allocate SCENARIO.ini --target NAME --campaign SECTION --budget K [options]\n"
"\n"
"Where should the effort go? One unit of effort is one commune-month of the\n"
"campaign section (its intensity, groups and spread); its communes and months\n"
"are the candidates. With a budget of K units, covcast adds, step by step, the\n"
"commune-month that raises the objective most, every candidate tried on the\n"
"same futures: the objective is the target's probability when the target has\n"
"one unit (a district), else the expected number of units reaching it (each\n"
"commune its own target). Writes OUT/allocation.csv (step, commune, month,\n"
"gain, objective; last row: the budget spread evenly) and prints the result\n"
"against the even spread and against spending nothing.\n"
"Options: -r/--replicates, -s/--seed, -t/--threads, --set, -o/--out DIR\n"
"(default results/allocate-SCENARIO), -q/--quiet.\n";

static int cmd_allocate(int argc, char **argv)
{
    cli_opts o;
    int rc = parse_opts("allocate", ALLOCATE_HELP, argc, argv, &o);
    if (rc >= 0) return rc;
    if (o.npos != 1 || !o.target || !o.campaign) {
        fputs("covcast allocate: give one scenario, --target, --campaign and --budget.\n"
              "Try 'covcast allocate --help'.\n", stderr);
        return COV_EUSAGE;
    }
    char out[4096];
    default_out(out, sizeof out, "allocate", o.pos[0]);
    cov_diag d;
    cov_diag_init(&d);
    if (!cov_outdir_check(o.ov.out ? o.ov.out : out, &d)) return finish(d.status, &d);   /* refused before the runs, not after */
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    cov_status st = cov_allocate(o.pos[0], o.target, o.campaign, o.budget, &o.ov, o.ov.out ? o.ov.out : out,
                                 o.quiet ? NULL : stdout, &d);
    if (st == COV_OK && !o.quiet) printf("Written to %s/allocation.csv\n", cov_term(o.ov.out ? o.ov.out : out));
    return finish(st, &d);
}

static const char *CALIBRATE_HELP =
"Usage: covcast calibrate HISTORY.csv --model BASE.ini [--out FITTED.ini]\n"
"                         [--entrant-share S] [--population SNAPSHOT.csv] [--levels LEVEL]\n"
"\n"
"Estimates each group's monthly enrollment and lapse probabilities from what\n"
"happened, with their uncertainty, and writes a model file in the same format:\n"
"the estimates, their standard errors as per-replicate spreads (*_sd, and\n"
"rate_corr for their correlation), the commune spread of enrollment, and a\n"
"comment block on the data used and the fit. Without --out the model goes to\n"
"standard output and the summary to standard error.\n"
"\n"
"HISTORY.csv: one row per commune (and group) and reported month:\n"
"  commune,month,population,insured   plus optional group, commune_code,\n"
"  and new_cards,lost_cards (the card flows of the month, which identify each\n"
"  rate directly). Blank optional cells mean \"not reported\"; a blank\n"
"  commune_code is the one code that other rows give the commune's name (an\n"
"  error when they give it several: the row must say which).\n"
"Reported months may be irregular (monthly, quarterly, annual): each step from\n"
"one reported point to the next is fitted on the two-state chain over its\n"
"months. Populations may change: newcomers arrive insured like the residents\n"
"(or with --entrant-share S, e.g. 0.95 when they are mostly newborns with free\n"
"cards) and leavers leave in proportion to coverage; a change beyond 5% in a\n"
"month (+0.5% per further month) is taken as re-registration and set aside.\n"
"Without a group column, against a model with several groups, one factor on\n"
"all enrollment hazards and one on all lapse hazards are fitted; the groups\n"
"keep their ratios and the group mix of --population SNAPSHOT.csv.\n"
"--levels LEVEL (a level column of the history, e.g. district) also fits each\n"
"unit of that level, pooled toward the overall rates (a unit with little data\n"
"stays near them, one with much data follows its own), into FITTED-rates.csv\n"
"beside FITTED.ini, which names it for run ([units] rates, README).\n"
"A history of totals (one series, or communes reported at the same months,\n"
"summed) also gets the shock: a random walk on the log hazards common to\n"
"every commune and group, its sd per year by profile likelihood (from 5\n"
"steps), the rates written as filtered to the last point and shock_sd in\n"
"[common] (docs/MODEL.md).\n"
"A rate the data cannot determine is kept from the base model, with the reason;\n"
"when no rate can be estimated, nothing is written and the exit code is 3.\n";

/* Reads the calibration flags shared by calibrate and backtest into o;
 * false (a usage error printed) on a bad value. */
static bool cal_flag(const char *cmd, int c, const char *arg, cov_cal_opts *o)
{
    if (c == 'P') { o->population = arg; return true; }
    double v;
    if (!cov_parse_double(arg, &v) || v < 0 || v > 1) {
        fprintf(stderr, "covcast %s: --entrant-share must be a share between 0 and 1, got \"%s\".\n", cmd, cov_term(arg));
        return false;
    }
    o->entrant_share = v;
    return true;
}

static int cmd_calibrate(int argc, char **argv)
{
    static const struct option opts[] = {
        { "model", required_argument, NULL, 'M' },
        { "out", required_argument, NULL, 'o' },
        { "entrant-share", required_argument, NULL, 'S' },
        { "population", required_argument, NULL, 'P' },
        { "levels", required_argument, NULL, 'L' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *model = NULL, *out = NULL;
    cov_cal_opts co = { .entrant_share = -1 };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "M:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'M': model = optarg; break;
        case 'o': out = optarg; break;
        case 'S': case 'P': if (!cal_flag("calibrate", c, optarg, &co)) return COV_EUSAGE; break;
        case 'L': co.level = optarg; break;
        case 'h': fputs(CALIBRATE_HELP, stdout); return COV_OK;
        default: fputs("Try 'covcast calibrate --help'.\n", stderr); return COV_EUSAGE;
        }
    }
    if (optind != argc - 1 || !model) {
        fputs("covcast calibrate: give one history file and --model BASE.ini.\nTry 'covcast calibrate --help'.\n", stderr);
        return COV_EUSAGE;
    }
    if (co.level && !out) {
        fputs("covcast calibrate: --levels writes a rates file beside the model: give --out FITTED.ini too.\n", stderr);
        return COV_EUSAGE;
    }
    cov_diag d;
    cov_diag_init(&d);
    cov_status st = cov_calibrate(argv[optind], model, &co, out, out ? stdout : stderr, &d);
    if (st != COV_OK) cov_diag_print(&d, stderr);
    return (int)st;
}

static const char *BACKTEST_HELP =
"Usage: covcast backtest HISTORY.csv --model BASE.ini --holdout K [--replicates N] [--out DIR]\n"
"                        [--entrant-share S] [--population SNAPSHOT.csv]\n"
"\n"
"Would forecasts made this way have been right about as often as they said?\n"
"For every reported month that leaves K months after it (and 6 before it),\n"
"covcast calibrates on the points up to that cut-off (as calibrate does, same\n"
"flags), projects each commune K months from its state then, and compares\n"
"with the points reported in those K months, whatever the gaps:\n"
"  backtest.csv     interval,nominal,observed,n: the share of held-out\n"
"                   commune-months inside the 50/80/90/95% intervals\n"
"  reliability.csv  forecast_bin,forecast_mean,observed_rate,n for the\n"
"                   probability that coverage in the K-th month is at least x,\n"
"                   x at the forecast's median and half a point either side;\n"
"                   its last row is the Brier score\n"
"Honest forecasts put about 80% of points inside their 80% intervals.\n"
"Default: --replicates 400, output results/backtest-HISTORY.\n";

static int cmd_backtest(int argc, char **argv)
{
    static const struct option opts[] = {
        { "model", required_argument, NULL, 'M' },
        { "holdout", required_argument, NULL, 'K' },
        { "replicates", required_argument, NULL, 'r' },
        { "seed", required_argument, NULL, 's' },
        { "out", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "entrant-share", required_argument, NULL, 'S' },
        { "population", required_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *model = NULL, *out = NULL;
    int64_t K = 0, R = 400, seed = 1;
    bool quiet = false;
    cov_cal_opts co = { .entrant_share = -1 };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "M:K:r:s:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'M': model = optarg; break;
        case 'K': if (!flag_int("backtest", "--holdout", optarg, 1, 120, &K)) return COV_EUSAGE; break;
        case 'r': if (!flag_int("backtest", "--replicates", optarg, 10, 100000, &R)) return COV_EUSAGE; break;
        case 's': if (!flag_int("backtest", "--seed", optarg, 0, INT64_MAX, &seed)) return COV_EUSAGE; break;
        case 'o': out = optarg; break;
        case 'q': quiet = true; break;
        case 'S': case 'P': if (!cal_flag("backtest", c, optarg, &co)) return COV_EUSAGE; break;
        case 'h': fputs(BACKTEST_HELP, stdout); return COV_OK;
        default: fputs("Try 'covcast backtest --help'.\n", stderr); return COV_EUSAGE;
        }
    }
    if (optind != argc - 1 || !model || K <= 0) {
        fputs("covcast backtest: give one history file, --model BASE.ini and --holdout K.\n"
              "Try 'covcast backtest --help'.\n", stderr);
        return COV_EUSAGE;
    }
    char def[4096];
    default_out(def, sizeof def, "backtest", argv[optind]);
    cov_diag d;
    cov_diag_init(&d);
    if (!cov_outdir_check(out ? out : def, &d)) { cov_diag_print(&d, stderr); return (int)d.status; }
    cov_status st = cov_backtest(argv[optind], model, &co, (int)K, R, (uint64_t)seed, out ? out : def,
                                 quiet ? NULL : stdout, &d);
    if (st != COV_OK) cov_diag_print(&d, stderr);
    return (int)st;
}

static const char *PLOT_HELP =
"Usage: covcast plot OUTDIR [--format png|svg|pdf] [--lang vi|en] [--units all|\"A; B\"]\n"
"                    [--baseline RUNDIR]\n"
"\n"
"Draws the charts of a finished run, comparison or sweep folder into OUTDIR/plots/:\n"
"for each chart a gnuplot script (.gp), its data (.dat) and the image, so you\n"
"can edit a script and re-render it with: cd OUTDIR/plots && gnuplot NAME.gp\n"
"  run folder:     a fan chart per district and province, and one of the whole\n"
"                  file when it has several provinces (median, 50% and 90%\n"
"                  bands, targets and deadlines), cards needed per commune for\n"
"                  each commune target, P(coverage >= x) at each deadline\n"
"  compare folder: the scenarios' medians and bands on one chart per unit, and\n"
"                  the probability of each target per scenario\n"
"  sweep folder:   probability of each target against the lever's value\n"
"\n"
"Options:\n"
"  -f, --format F   png (default), svg or pdf\n"
"  -l, --lang L     vi (default: Vietnamese labels, 82,89%) or en\n"
"  -u, --units U    also chart communes: all, or names separated by ';'\n"
"  -b, --baseline RUNDIR  a run folder of the same units (say, the scenario\n"
"                   before a change): its median drawn on each fan chart\n"
"                   beside this run's, as a grey dashed line\n"
"  -q, --quiet      no list of charts\n"
"\n"
"Example: the peak campaign against the plan without it\n"
"  covcast run scenarios/nam-truc-2018.ini -o results/plan\n"
"  covcast run my-stronger-peak.ini -o results/peak\n"
"  covcast plot results/peak --baseline results/plan\n";

static const char *REPORT_HELP =
"Usage: covcast report OUTDIR [--lang vi|en]\n"
"\n"
"Writes OUTDIR/report.html from a run folder: one self-contained page (charts\n"
"inlined as SVG, no scripts, nothing from the network) for leadership to open\n"
"or print on A4. On top, every target with its probability, a plain-language\n"
"verdict, the median coverage at the deadline and the cards still needed,\n"
"riskiest first; then the charts. It states the scenario, seed, replicates\n"
"and date so the page can be reproduced.\n";

static int cmd_plot(int argc, char **argv, bool report)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "lang", required_argument, NULL, 'l' },
        { "units", required_argument, NULL, 'u' },
        { "baseline", required_argument, NULL, 'b' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    cov_plot_opts po = { 0 };
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, report ? "l:qh" : "f:l:u:b:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'f': po.format = optarg; break;
        case 'l': po.lang = optarg; break;
        case 'u': po.units = optarg; break;
        case 'b':
            if (report) { fputs("covcast report: --baseline is an option of covcast plot\n", stderr); return COV_EUSAGE; }
            po.baseline = optarg;
            break;
        case 'q': quiet = true; break;
        case 'h': fputs(report ? REPORT_HELP : PLOT_HELP, stdout); return COV_OK;
        default:
            fprintf(stderr, "Try 'covcast %s --help'.\n", report ? "report" : "plot");
            return COV_EUSAGE;
        }
    }
    if (optind != argc - 1) {
        fprintf(stderr, "covcast %s: give one results folder (what covcast run wrote).\nTry 'covcast %s --help'.\n",
                report ? "report" : "plot", report ? "report" : "plot");
        return COV_EUSAGE;
    }
    cov_diag d;
    cov_diag_init(&d);
    cov_status st = report ? cov_report(argv[optind], po.lang, quiet ? NULL : stdout, &d)
                           : cov_plot(argv[optind], &po, quiet ? NULL : stdout, &d);
    if (st != COV_OK) cov_diag_print(&d, stderr);
    return (int)st;
}

static const char *GAP_HELP =
"Usage: covcast gap POPULATION.csv --threshold 95.5 [--level commune|LEVEL|all] [--out FILE.csv]\n"
"\n"
"Cards needed now per unit to reach a coverage threshold, without simulation:\n"
"max(0, ceil(threshold x population - insured)) for each unit, largest first,\n"
"with the totals - the table district documents compute by hand (Nam Truc,\n"
"May 2018: 4,476 cards to go from 82.89% to 85.2%).\n"
"\n"
"Options:\n"
"  -T, --threshold P  the threshold in percent, at most 2 decimals (e.g. 95.5)\n"
"  -L, --level L      commune (default), a level column such as district, or all\n"
"  -o, --out FILE     also write the table as CSV\n";

static int cmd_gap(int argc, char **argv)
{
    static const struct option opts[] = {
        { "threshold", required_argument, NULL, 'T' },
        { "level", required_argument, NULL, 'L' },
        { "out", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *thr = NULL, *level = NULL, *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "T:L:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'T': thr = optarg; break;
        case 'L': level = optarg; break;
        case 'o': out = optarg; break;
        case 'h': fputs(GAP_HELP, stdout); return COV_OK;
        default: fputs("Try 'covcast gap --help'.\n", stderr); return COV_EUSAGE;
        }
    }
    if (optind != argc - 1 || !thr) {
        fputs("covcast gap: give one population file and --threshold (e.g. --threshold 85.2).\n"
              "Try 'covcast gap --help'.\n", stderr);
        return COV_EUSAGE;
    }
    cov_diag d;
    cov_diag_init(&d);
    cov_status st = cov_gap(argv[optind], thr, level, out, stdout, &d);
    if (st != COV_OK) cov_diag_print(&d, stderr);
    return (int)st;
}

static const char *REGROUP_HELP =
"Usage: covcast regroup FILE.csv --crosswalk CROSSWALK.csv [--split equal|area|main]\n"
"                       [--reform YYYY-MM] --out NEW.csv\n"
"\n"
"Carries a population file or a history file (one with a month column) from\n"
"the old communes to the new ones, e.g. the 10,035 communes of June 2025 to\n"
"the 3,321 of July 2025 (scenarios/data/crosswalk-2025.csv).\n"
"\n"
"  - An old commune merged whole into a new one: its people, insured and card\n"
"    flows are added to the new one's.\n"
"  - An old commune split between several new ones: by the crosswalk's share\n"
"    column when it has one, else by the --split rule; apportioned in whole\n"
"    people (largest remainder), so every total is kept exactly; the insured\n"
"    in the same proportions. Every split is listed, with the people\n"
"    apportioned by a rule rather than by data.\n"
"  - A history's months before --reform are regrouped; those from it on are\n"
"    already on the new communes and are kept (their codes are new codes).\n"
"  - Rows are matched by commune_code first, by name as the fallback (accents\n"
"    and case ignored, within the province column when the file has one; a\n"
"    name written as one commune's, accents kept, is that one when others fold\n"
"    alike: Trực Hưng, Trực Hùng). A commune that matches nothing, or several,\n"
"    is an error naming it: nothing is dropped.\n"
"    Old and new codes are different lists: new 00004 is Ba Đình, old 00004\n"
"    was Trúc Bạch.\n"
"\n"
"The crosswalk has a row per old -> new pair: old_code,new_code, and may have\n"
"share, old_commune, old_province, new_commune, new_province, new_area_km2\n"
"and main (1 on the main destination of a split). The output has\n"
"commune_code (the new code), commune, province (the new names), then month,\n"
"group, population, insured and card flows as the input has them.\n"
"\n"
"Options:\n"
"  -x, --crosswalk FILE  the crosswalk CSV (required)\n"
"  -s, --split RULE      for splits without shares: equal (default), area (by\n"
"                        the new communes' area) or main (all to the main one)\n"
"  -R, --reform MONTH    the first month on the new communes (default 2025-07)\n"
"  -o, --out FILE        the regrouped file (required)\n"
"  -q, --quiet           no summary\n";

static int cmd_regroup(int argc, char **argv)
{
    static const struct option opts[] = {
        { "crosswalk", required_argument, NULL, 'x' },
        { "split", required_argument, NULL, 's' },
        { "reform", required_argument, NULL, 'R' },
        { "out", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    cov_regroup_opts o = { .crosswalk = NULL, .rule = COV_SPLIT_EQUAL };
    const char *out = NULL, *reform = "2025-07";
    bool quiet = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "x:s:R:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'x': o.crosswalk = optarg; break;
        case 's':
            if (!strcmp(optarg, "equal")) o.rule = COV_SPLIT_EQUAL;
            else if (!strcmp(optarg, "area")) o.rule = COV_SPLIT_AREA;
            else if (!strcmp(optarg, "main")) o.rule = COV_SPLIT_MAIN;
            else {
                fprintf(stderr, "covcast regroup: --split must be equal, area or main, got \"%s\"\n", cov_term(optarg));
                return COV_EUSAGE;
            }
            break;
        case 'R': reform = optarg; break;
        case 'o': out = optarg; break;
        case 'q': quiet = true; break;
        case 'h': fputs(REGROUP_HELP, stdout); return COV_OK;
        default: fputs("Try 'covcast regroup --help'.\n", stderr); return COV_EUSAGE;
        }
    }
    if (optind != argc - 1 || !o.crosswalk || !out) {
        fputs("covcast regroup: give one population or history file, --crosswalk and --out.\n"
              "Try 'covcast regroup --help'.\n", stderr);
        return COV_EUSAGE;
    }
    if (!cov_month_parse(reform, &o.reform)) {
        fprintf(stderr, "covcast regroup: --reform must be a month written YYYY-MM, got \"%s\"\n", cov_term(reform));
        return COV_EUSAGE;
    }
    cov_diag d;
    cov_diag_init(&d);
    cov_status st = cov_regroup(argv[optind], &o, out, quiet ? NULL : stdout, NULL, &d);
    if (st != COV_OK) cov_diag_print(&d, stderr);
    return (int)st;
}

static const char *SERVE_HELP =
"Usage: covcast serve [FOLDER] [--listen 127.0.0.1:8080] [--threads N]\n"
"\n"
"Serves a page for the scenarios in FOLDER (default scenarios/): pick one or\n"
"upload a population file, edit targets and campaigns, and see the targets\n"
"table, the fan chart and the communes update; pin a baseline to see each\n"
"change on the same futures; download the edited scenario as INI. Prints the\n"
"address and runs until Ctrl-C. Nothing is fetched from outside the server.\n"
"\n"
"Options:\n"
"  -l, --listen ADDR:PORT  where to listen (default 127.0.0.1:8080; port 0: any\n"
"                          free port; IPv6 in brackets: [::1]:8080). Another\n"
"                          address than 127.x or [::1] needs the token the\n"
"                          server prints, carried by the page\n"
"  -t, --threads N         threads per run (default: all cores)\n"
"      --max-replicates N  the most replicates a run may ask (default 100000):\n"
"                          an edit or a link that asks for more is refused,\n"
"                          with the line of the scenario that asks\n"
"      --token             ask for the token on 127.x too (a machine shared\n"
"                          with other people)\n"
"  -q, --quiet             print only the address\n";

static int cmd_serve(int argc, char **argv)
{
    static const struct option opts[] = {
        { "listen", required_argument, NULL, 'l' },
        { "threads", required_argument, NULL, 't' },
        { "token", no_argument, NULL, 'k' },
        { "max-replicates", required_argument, NULL, 'R' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char *listen = "127.0.0.1:8080";
    int64_t threads = 0, max_replicates = 100000;
    bool quiet = false, token = false;
    if (argc > 1 && !strcmp(argv[1], "--job")) return cov_jobs_child(argc - 2, argv + 2);   /* a run the server started */
    if (argc > 1 && !strcmp(argv[1], "--ask")) return cov_jobs_ask_child(argc - 2, argv + 2);   /* solve or allocate, the same */
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "l:t:kqh", opts, NULL)) != -1) {
        switch (c) {
        case 'l': listen = optarg; break;
        case 't': if (!flag_int("serve", "--threads", optarg, 1, 1024, &threads)) return COV_EUSAGE; break;
        case 'k': token = true; break;
        case 'R':
            if (!flag_int("serve", "--max-replicates", optarg, 1, COV_MAX_REPLICATES, &max_replicates)) return COV_EUSAGE;
            break;
        case 'q': quiet = true; break;
        case 'h': fputs(SERVE_HELP, stdout); return COV_OK;
        default: fputs("Try 'covcast serve --help'.\n", stderr); return COV_EUSAGE;
        }
    }
    if (optind < argc - 1) {
        fputs("covcast serve: give at most one folder of scenarios.\nTry 'covcast serve --help'.\n", stderr);
        return COV_EUSAGE;
    }
    return cov_serve(optind < argc ? argv[optind] : "scenarios", listen, (int)threads, (long)max_replicates, token, quiet);
}

static int dispatch(int argc, char **argv);

int cov_cli_main(int argc, char **argv)
{
    cov_dist_init(&argc, &argv);
    int rc = dispatch(argc, argv);
    cov_dist_finalize();
    return rc;
}

static int dispatch(int argc, char **argv)
{
    gsl_set_error_handler_off();
    signal(SIGXFSZ, SIG_IGN);   /* over a file-size limit: a write error we report, not a kill */
    if (argc < 2) {
        fputs(MAIN_HELP, stderr);
        return COV_EUSAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(MAIN_HELP, stdout);
        return COV_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("covcast %s\n", COV_VERSION);
        return COV_OK;
    }
    /* Spread over MPI ranks: every rank runs the same sequence of runs and
     * holds every result (dist.h), so the commands that only simulate and
     * decide work unchanged; rank 0 writes. */
    if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "compare")) return cmd_compare(argc - 1, argv + 1);
    if (!strcmp(cmd, "sweep")) return cmd_sweep(argc - 1, argv + 1);
    if (!strcmp(cmd, "solve")) return cmd_solve(argc - 1, argv + 1);
    if (!strcmp(cmd, "allocate")) return cmd_allocate(argc - 1, argv + 1);
    if (cov_dist_size() > 1) {
        fprintf(stderr, "covcast: '%s' is not spread over MPI ranks (run, compare, sweep, solve and allocate are); "
                        "run it without mpirun\n", cov_term(cmd));
        return COV_EUSAGE;
    }
    if (!strcmp(cmd, "plot")) return cmd_plot(argc - 1, argv + 1, false);
    if (!strcmp(cmd, "gap")) return cmd_gap(argc - 1, argv + 1);
    if (!strcmp(cmd, "regroup")) return cmd_regroup(argc - 1, argv + 1);
    if (!strcmp(cmd, "calibrate")) return cmd_calibrate(argc - 1, argv + 1);
    if (!strcmp(cmd, "backtest")) return cmd_backtest(argc - 1, argv + 1);
    if (!strcmp(cmd, "report")) return cmd_plot(argc - 1, argv + 1, true);
    if (!strcmp(cmd, "serve")) return cmd_serve(argc - 1, argv + 1);
    fprintf(stderr, "covcast: unknown command '%s'\nTry 'covcast --help'.\n", cov_term(cmd));
    return COV_EUSAGE;
}
