/* output.c — writes a finished run: trajectories.csv and targets.csv through
 * libcsv, run.json with the inputs' SHA-256, all into a temporary folder
 * beside the output folder that is swapped into place only when complete.
 * A failure leaves the earlier results exactly as they were. */
#include "stats.h"
#include "text.h"
#include "types.h"
#include "outdir.h"
#include "history.h"
#include "csvwrite.h"
#include "fmt.h"
#include "input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ",%.Nf" of x at p; returns the end. */
static char *add_fixed(char *p, double x, int decimals)
{
    *p++ = ',';
    return p + cov_fmt_fixed(p, x, decimals);
}

/* The fields of unit u that begin its lines (level, name, ",") or, with
 * tail, end them (",code\n"), as cov_csv_text writes them, into f. */
static void put_unit_fields(FILE *f, const cov_results *res, const cov_scenario *s, int u, bool tail)
{
    if (tail) {
        cov_csv_text(f, res->unit_code[u], false);
        fputc('\n', f);
    } else {
        cov_csv_text(f, cov_level_name(s, res->unit_level[u]), true);
        cov_csv_text(f, res->unit_name[u], false);
        fputc(',', f);
    }
}

/* Those fields as text (malloc'd, *n bytes); NULL when out of memory. */
static char *unit_fields(const cov_results *res, const cov_scenario *s, int u, bool tail, size_t *n)
{
    char *text = NULL;
    FILE *m = open_memstream(&text, n);
    if (!m) return NULL;
    put_unit_fields(m, res, s, u, tail);
    if (fclose(m) != 0) { free(text); return NULL; }
    return text;
}

/* Every unit and month. The fields that are the same on all of a unit's
 * lines are quoted once per unit and a line is made in memory, then
 * written at once: the file holds hundreds of thousands of numbers,
 * written by one thread after the run. */
static void write_trajectories(FILE *f, const cov_results *res, const cov_scenario *s)
{
    fputs("level,unit,month,population,insured_mean,coverage_mean,coverage_p05,coverage_p25,"
          "coverage_p50,coverage_p75,coverage_p95,unit_code\n", f);
    for (int u = 0; u < res->nunits; u++) {
        size_t nhead = 0, ntail = 0;
        char *head = unit_fields(res, s, u, false, &nhead), *tail = unit_fields(res, s, u, true, &ntail);
        for (int m = 0; m <= res->months; m++) {
            const cov_month_stats *ms = &res->ms[(long)u * (res->months + 1) + m];
            char line[8 * (COV_FMT_SIZE + 1) + 8], *p = line;
            cov_month_format(s->start + m, p);
            p += strlen(p);
            p = add_fixed(p, ms->pop_mean, ms->pop_fixed ? 0 : 2);
            p = add_fixed(p, ms->ins_mean, 2);
            p = add_fixed(p, ms->cov_mean, 4);
            for (int k = 0; k < 5; k++) p = add_fixed(p, ms->q[k], 4);
            if (head) fwrite(head, 1, nhead, f);
            else put_unit_fields(f, res, s, u, false);   /* out of memory for the text: written here */
            fwrite(line, 1, (size_t)(p - line), f);
            if (tail) fwrite(tail, 1, ntail, f);
            else put_unit_fields(f, res, s, u, true);
        }
        free(head);
        free(tail);
    }
}

static void write_targets(FILE *f, const cov_results *res, const cov_scenario *s)
{
    fputs("target,level,unit,group,threshold,deadline,probability,probability_lo,probability_hi,"
          "probability_by_deadline,coverage_p05,coverage_p50,coverage_p95,cards_needed_now,"
          "shortfall_p50,unit_code,label\n", f);
    for (int t = 0; t < s->ntargets; t++) {
        const cov_target *tg = &s->targets[t];
        char dl[8];
        cov_month_format(tg->deadline, dl);
        for (int u = 0; u < res->nunits; u++) {
            if (res->unit_level[u] != tg->level) continue;
            const cov_target_stats *ts = &res->ts[t][u];
            double lo, hi;
            cov_wilson(ts->reached, res->replicates, &lo, &hi);
            cov_csv_text(f, tg->name, true);
            cov_csv_text(f, cov_level_name(s, tg->level), false);
            cov_csv_text(f, res->unit_name[u], false);
            cov_csv_text(f, tg->group < 0 ? "all" : s->model->g[tg->group].name, false);
            if (ts->no_people)   /* no one to cover: no probability, no coverage (README) */
                fprintf(f, ",%d.%02d,%s,,,,,,,,%lld,%.1f", tg->threshold / 100, tg->threshold % 100, dl,
                        (long long)ts->cards_now, ts->shortfall_p50);
            else
                fprintf(f, ",%d.%02d,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%lld,%.1f",
                        tg->threshold / 100, tg->threshold % 100, dl,
                        (double)ts->reached / (double)res->replicates, lo, hi,
                        (double)ts->reached_by / (double)res->replicates,
                        ts->cov_q[0], ts->cov_q[1], ts->cov_q[2], (long long)ts->cards_now,
                        ts->shortfall_p50);
            cov_csv_text(f, res->unit_code[u], false);
            cov_csv_text(f, tg->label, false);   /* last: the columns before keep their places */
            fputc('\n', f);
        }
    }
}

/* The distribution of the first month in which each target's threshold is
 * met (month 0 is the snapshot), up to the deadline; "never" for the rest. */
static void write_first_reached(FILE *f, const cov_results *res, const cov_scenario *s)
{
    fputs("target,level,unit,month,probability,cumulative,unit_code,label\n", f);
    for (int t = 0; t < s->ntargets; t++) {
        const cov_target *tg = &s->targets[t];
        int d = tg->deadline - s->start;
        for (int u = 0; u < res->nunits; u++) {
            if (res->unit_level[u] != tg->level) continue;
            const long *first = res->ts[t][u].first;
            long cum = 0;
            for (int m = 0; m <= d + 1; m++) {
                long k = m <= d ? first[m] : first[res->months + 1];
                cum += k;
                char mon[8];
                cov_month_format(s->start + m, mon);
                cov_csv_text(f, tg->name, true);
                cov_csv_text(f, cov_level_name(s, tg->level), false);
                cov_csv_text(f, res->unit_name[u], false);
                if (res->ts[t][u].no_people) fprintf(f, ",%s,,", m <= d ? mon : "never");
                else fprintf(f, ",%s,%.4f,%.4f", m <= d ? mon : "never", (double)k / (double)res->replicates,
                             (double)cum / (double)res->replicates);
                cov_csv_text(f, res->unit_code[u], false);
                cov_csv_text(f, tg->label, false);
                fputc('\n', f);
            }
        }
    }
}

/* P(coverage >= threshold) at the deadline over a grid of thresholds, for
 * every target at a level above the commune: leadership reads 95.5% and 99%
 * off one curve. */
static void write_exceedance(FILE *f, const cov_results *res, const cov_scenario *s)
{
    fputs("target,level,unit,threshold,probability,label\n", f);
    for (int t = 0; t < s->ntargets; t++)
        for (int u = 0; u < res->nunits; u++) {
            if (res->unit_level[u] != s->targets[t].level) continue;
            const cov_target_stats *ts = &res->ts[t][u];
            for (int k = 0; k < ts->ex_n; k++) {
                int32_t T = ts->ex_lo + k * ts->ex_step;
                cov_csv_text(f, s->targets[t].name, true);
                cov_csv_text(f, cov_level_name(s, s->targets[t].level), false);
                cov_csv_text(f, res->unit_name[u], false);
                if (ts->no_people) fprintf(f, ",%d.%02d,", T / 100, T % 100);
                else fprintf(f, ",%d.%02d,%.4f", T / 100, T % 100, (double)ts->ex_count[k] / (double)res->replicates);
                cov_csv_text(f, s->targets[t].label, false);
                fputc('\n', f);
            }
        }
}

/* What happened before the snapshot, from [run] history, summed per unit
 * like the projections: level,unit,month,population,insured,coverage,
 * communes (those reporting that month),unit_code,complete (1 when every
 * commune of the unit reported that month: a sum over fewer is not the
 * unit's coverage, and charts do not draw it). */
static void write_history(FILE *f, const cov_results *res, const cov_scenario *s)
{
    const cov_history *h = s->history;
    int M = s->start - h->first + 1, U = res->nunits, nl = s->pop->nlevels;
    if (M <= 0) return;
    int64_t *N = calloc((size_t)U * (size_t)M, sizeof *N), *I = calloc((size_t)U * (size_t)M, sizeof *I);
    int *n = calloc((size_t)U * (size_t)M, sizeof *n);
    int *last = calloc((size_t)U * (size_t)M, sizeof *last);   /* avoids counting a commune twice (its groups) */
    int *size = calloc((size_t)U, sizeof *size);                 /* communes in each unit */
    for (int c = 0; size && c < s->pop->ncommunes; c++) {
        int off = res->ncommunes;
        size[c]++;
        for (int l = 0; l < nl; l++) { size[off + s->pop->c[c].parent[l]]++; off += s->pop->levels[l].nunits; }
        size[U - 1]++;
    }
    fputs("level,unit,month,population,insured,coverage,communes,unit_code,complete\n", f);
    for (int k = 0; N && I && n && last && size && k < h->nseries; k++) {
        const cov_hseries *hs = &h->s[k];
        int c = -1;
        for (int q = 0; q < s->pop->ncommunes && c < 0; q++) {
            const cov_commune *cm = &s->pop->c[q];
            if (hs->code && cm->code ? !strcmp(hs->code, cm->code) : !strcmp(hs->commune, cm->name)) c = q;
        }
        if (c < 0) continue;   /* not in the population: nothing to compare with */
        int units[COV_MAX_LEVELS + 2], nu = 0, off = res->ncommunes;
        units[nu++] = c;
        for (int l = 0; l < nl; l++) { units[nu++] = off + s->pop->c[c].parent[l]; off += s->pop->levels[l].nunits; }
        units[nu++] = U - 1;
        for (int j = 0; j < hs->n; j++) {
            int m = hs->month[j] - h->first;
            if (m < 0 || m >= M) continue;
            for (int v = 0; v < nu; v++) {
                long at = (long)units[v] * M + m;
                N[at] += hs->N[j];
                I[at] += hs->I[j];
                if (last[at] != c + 1) { n[at]++; last[at] = c + 1; }
            }
        }
    }
    for (int u = 0; N && I && n && size && u < U; u++)
        for (int m = 0; m < M; m++) {
            long at = (long)u * M + m;
            if (!n[at]) continue;
            char mon[8];
            cov_month_format(h->first + m, mon);
            cov_csv_text(f, cov_level_name(s, res->unit_level[u]), true);
            cov_csv_text(f, res->unit_name[u], false);
            fprintf(f, ",%s,%lld,%lld,%.4f,%d", mon, (long long)N[at], (long long)I[at],
                    N[at] ? 100.0 * (double)I[at] / (double)N[at] : 0.0, n[at]);
            cov_csv_text(f, res->unit_code[u], false);
            fprintf(f, ",%d\n", n[at] == size[u]);
        }
    free(N); free(I); free(n); free(last); free(size);
}

/* Every replicate's trajectory (only with --keep-replicates). */
static void write_replicates(FILE *f, const cov_results *res, const cov_scenario *s)
{
    fputs("level,unit,replicate,month,population,insured,unit_code\n", f);
    long R = res->replicates;
    for (int u = 0; u < res->nunits; u++)
        for (long r = 0; r < R; r++)
            for (int m = 0; m <= res->months; m++) {
                char mon[8];
                cov_month_format(s->start + m, mon);
                cov_csv_text(f, cov_level_name(s, res->unit_level[u]), true);
                cov_csv_text(f, res->unit_name[u], false);
                fprintf(f, ",%ld,%s,%lld,%lld", r + 1, mon, (long long)res->rep_N[cov_rep_at(res, u, m, 0, r)],
                        (long long)res->rep_I[cov_rep_at(res, u, m, 0, r)]);
                cov_csv_text(f, res->unit_code[u], false);
                fputc('\n', f);
            }
}

/* v as a JSON string: quotes, backslashes and control characters escaped,
 * a byte that is not UTF-8 (a --set typed in another code page) as U+FFFD. */
static void json_string(FILE *f, const char *v)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        size_t bad = 0, k = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : 4;
        if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == 0x7f) fprintf(f, "\\u%04x", *p);
        else if (*p < 0x80) fputc(*p, f);
        else if (strnlen((const char *)p, k) == k && cov_utf8_valid((const char *)p, k, &bad)) {
            fwrite(p, 1, k, f);
            p += k - 1;
        } else fputs("\\ufffd", f);
    }
    fputc('"', f);
}

static void write_run_json(FILE *f, const cov_results *res, const cov_scenario *s, double wall)
{
    char start[8], now[32];
    cov_month_format(s->start, start);
    time_t t = time(NULL);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    fputs("{\n  \"program\": \"covcast\",\n  \"version\": ", f);
    json_string(f, COV_VERSION);
    fputs(",\n  \"scenario\": ", f);
    json_string(f, s->name);
    if (s->label) {   /* the display name, when the scenario gives one */
        fputs(",\n  \"label\": ", f);
        json_string(f, s->label);
    }
    fprintf(f, ",\n  \"seed\": %llu,\n  \"replicates\": %ld,\n  \"threads\": %d,\n",
            (unsigned long long)s->seed, res->replicates, res->threads);
    fprintf(f, "  \"start\": \"%s\",\n  \"months\": %d,\n  \"wall_seconds\": %.3f,\n  \"created\": \"%s\",\n",
            start, s->months, wall, now);
    if (s->precision > 0)
        fprintf(f, "  \"precision\": %.6f,\n  \"max_half_width\": %.6f,\n  \"precision_reached\": %s,\n",
                s->precision, s->half_width, s->half_width <= s->precision ? "true" : "false");
    fputs("  \"inputs\": [\n", f);
    int n = 3 + s->nbases;   /* the scenario, its base files (nearest first), model, population */
    for (int i = 0; i < n; i++) {
        int b = i - 1;
        const char *role = i == 0 ? "scenario" : b < s->nbases ? "base" : i == n - 2 ? "model" : "population";
        const char *path = i == 0 ? s->path : b < s->nbases ? s->bases[b] : i == n - 2 ? s->model_path
                         : s->population_path;
        char hex[65] = "";
        cov_input_sha256(path, hex);   /* of the text read: a pipe cannot be read twice */
        fprintf(f, "    {\"role\": \"%s\", \"path\": ", role);
        json_string(f, path);
        fputs(", \"sha256\": ", f);
        json_string(f, hex);
        fputs(i < n - 1 ? "},\n" : "}\n", f);
    }
    fputs("  ],\n  \"overrides\": [", f);   /* the --set assignments, as given */
    for (int k = 0; k < s->nsets; k++) {
        fputs(k ? ", " : "", f);
        json_string(f, s->sets[k]);
    }
    fputs("]\n}\n", f);
}

typedef struct { const cov_results *res; const cov_scenario *s; double wall; } run_ctx;

#define WRAP(fn) static void fn##_w(FILE *f, const void *c) \
    { const run_ctx *x = c; fn(f, x->res, x->s); }
WRAP(write_trajectories)
WRAP(write_targets)
WRAP(write_first_reached)
WRAP(write_replicates)
WRAP(write_exceedance)
WRAP(write_history)
static void write_run_json_w(FILE *f, const void *c)
{
    const run_ctx *x = c;
    write_run_json(f, x->res, x->s, x->wall);
}

bool cov_results_write_into(cov_outdir *o, const char *sub, const cov_results *res,
                            const cov_scenario *s, cov_diag *d)
{
    run_ctx x = { res, s, 0 };
    char a[512], b[512], c[512];
    snprintf(a, sizeof a, "%s/trajectories.csv", sub);
    snprintf(b, sizeof b, "%s/targets.csv", sub);
    snprintf(c, sizeof c, "%s/exceedance.csv", sub);
    return cov_outdir_mkdir(o, sub, d) && cov_outdir_file(o, a, write_trajectories_w, &x, d)
        && cov_outdir_file(o, b, write_targets_w, &x, d) && cov_outdir_file(o, c, write_exceedance_w, &x, d);
}

cov_status cov_results_write(const cov_results *res, const cov_scenario *s, double wall, cov_diag *d)
{
    cov_outdir *o = cov_outdir_begin(s->out, d);
    if (!o) return COV_EIO;
    run_ctx x = { res, s, wall };
    bool ok = cov_outdir_file(o, "trajectories.csv", write_trajectories_w, &x, d)
           && cov_outdir_file(o, "targets.csv", write_targets_w, &x, d)
           && cov_outdir_file(o, "first_reached.csv", write_first_reached_w, &x, d)
           && cov_outdir_file(o, "exceedance.csv", write_exceedance_w, &x, d)
           && cov_outdir_file(o, "run.json", write_run_json_w, &x, d)
           && (!res->rep_I || cov_outdir_file(o, "replicates.csv", write_replicates_w, &x, d))
           && (!s->history || cov_outdir_file(o, "history.csv", write_history_w, &x, d));
    if (!ok) { cov_outdir_abort(o); return COV_EIO; }
    return cov_outdir_commit(o, d);
}
