/* cli.c — the command line: subcommands, flags, help texts, progress and
 * signals. Turns statuses into exit codes; the engine never exits. */
#include "covcast.h"
#include "text.h"

#include <getopt.h>
#include <gsl/gsl_errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cov_cli_main(int argc, char **argv);

static const char *MAIN_HELP =
"covcast — projects health-insurance (BHYT) coverage of communes month by month\n"
"and estimates the probability of reaching each coverage target by its deadline.\n"
"\n"
"Usage:\n"
"  covcast run SCENARIO.ini [options]   project a scenario (see: covcast run --help)\n"
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
"Exit codes: 0 done, 1 internal error, 2 bad command line, 3 bad input file,\n"
"4 cannot read or write a file, 5 beyond a limit (memory), 130 interrupted.\n";

static const char *RUN_HELP =
"Usage: covcast run SCENARIO.ini [options]\n"
"\n"
"Runs the scenario's replicates and writes, into the output folder:\n"
"  trajectories.csv  coverage per unit (each commune, each level such as the\n"
"                    district, and all) and month: mean and quantiles 5-95%%\n"
"  targets.csv       per target and unit: probability of reaching the threshold\n"
"                    at the deadline (with a 95%% interval), probability of\n"
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
"  -q, --quiet          no progress and no table\n"
"      --keep-replicates  also write replicates.csv: every replicate's\n"
"                       population and insured per unit and month (small runs)\n"
"  -h, --help           this text\n"
"\n"
"Monte Carlo error: a probability from R replicates is uncertain by about\n"
"1/sqrt(R) at most (2000 replicates: +-0.022 at 95%%); the interval printed\n"
"is the Wilson interval for that error alone.\n";

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

static bool flag_int(const char *name, const char *v, int64_t lo, int64_t hi, int64_t *out)
{
    if (cov_parse_int64(v, out) && *out >= lo && *out <= hi) return true;
    fprintf(stderr, "covcast run: %s must be a whole number from %lld to %lld, got \"%s\"\n",
            name, (long long)lo, (long long)hi, v);
    return false;
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        { "replicates", required_argument, NULL, 'r' },
        { "seed", required_argument, NULL, 's' },
        { "threads", required_argument, NULL, 't' },
        { "months", required_argument, NULL, 'm' },
        { "out", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "keep-replicates", no_argument, NULL, 'k' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    cov_overrides ov = { .seed = -1 };
    bool quiet = false;
    int c;
    int64_t v;
    optind = 1;
    while ((c = getopt_long(argc, argv, "r:s:t:m:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'r': if (!flag_int("--replicates", optarg, 1, 100000000, &v)) return COV_EUSAGE; ov.replicates = v; break;
        case 's': if (!flag_int("--seed", optarg, 0, INT64_MAX, &v)) return COV_EUSAGE; ov.seed = v; break;
        case 't': if (!flag_int("--threads", optarg, 1, 1024, &v)) return COV_EUSAGE; ov.threads = (int)v; break;
        case 'm': if (!flag_int("--months", optarg, 1, 1200, &v)) return COV_EUSAGE; ov.months = (int)v; break;
        case 'o': ov.out = optarg; break;
        case 'q': quiet = true; break;
        case 'k': ov.keep_replicates = 1; break;
        case 'h': printf(RUN_HELP); return COV_OK;
        default:
            fputs("Try 'covcast run --help'.\n", stderr);
            return COV_EUSAGE;
        }
    }
    if (optind != argc - 1) {
        fputs(optind >= argc ? "covcast run: which scenario? Give one SCENARIO.ini file.\n"
                             : "covcast run: give exactly one scenario file.\n", stderr);
        fputs("Try 'covcast run --help'.\n", stderr);
        return COV_EUSAGE;
    }
    cov_diag d;
    cov_diag_init(&d);
    cov_scenario *s = cov_scenario_load(argv[optind], &ov, &d);
    if (!s) {
        cov_diag_print(&d, stderr);
        return d.status ? (int)d.status : COV_EINPUT;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    progress_state ps = { 0, -1 };
    bool tty = !quiet && isatty(2);
    cov_results *res = NULL;
    cov_status st = cov_simulate(s, &res, tty ? show_progress : NULL, &ps, &d);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (st == COV_OK) st = cov_results_write(res, s, wall, &d);
    if (st == COV_EINTR) {
        if (tty) fputc('\n', stderr);
        fputs("covcast: interrupted; nothing was written, earlier results are unchanged\n", stderr);
    } else if (st != COV_OK) {
        cov_diag_print(&d, stderr);
    } else if (!quiet) {
        cov_results_print(res, s, stdout);
        printf("\nWritten to %s/ (trajectories.csv, targets.csv, first_reached.csv, run.json) in %.2f s with %d thread%s.\n",
               cov_scenario_out(s), wall, cov_scenario_threads(s), cov_scenario_threads(s) == 1 ? "" : "s");
    }
    cov_results_free(res);
    cov_scenario_free(s);
    return (int)st;
}

int cov_cli_main(int argc, char **argv)
{
    gsl_set_error_handler_off();
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
    if (!strcmp(cmd, "run")) return cmd_run(argc - 1, argv + 1);
    fprintf(stderr, "covcast: unknown command '%s'\nTry 'covcast --help'.\n", cmd);
    return COV_EUSAGE;
}
