/* serve.h — `covcast serve`: the planner's workbench in a browser. */
#ifndef COV_SERVE_H
#define COV_SERVE_H

#include <stdbool.h>

/* Serves the page and its API for the scenarios in folder on listen
 * ("ADDR:PORT"; port 0 picks a free one), runs with threads threads, until
 * SIGINT or SIGTERM. Prints the address (with the token the page must
 * carry when ADDR is not a loopback address, or when token is set: a
 * machine shared with other people) on stdout. Returns an exit
 * status (covcast.h). */
int cov_serve(const char *folder, const char *listen, int threads, long max_replicates, bool token, bool quiet);

/* The page's file name (index.html, app.js, style.css) as built into the
 * program (webfiles.c): its bytes (NUL after them) and *n, or NULL. */
#include <stddef.h>
const char *cov_web_file(const char *name, size_t *n);

#endif
