/* input.h — every input file (scenario, model, population, history, lists
 * of communes) is read once, whole, into memory, under a size limit. The
 * texts read stay registered by path for the rest of the command, so a
 * diagnostic can quote the line at fault and run.json can give a file's
 * SHA-256 without opening it again: a pipe, a FIFO or /dev/stdin can be
 * read only once. Not thread-safe: inputs are read before the replicates
 * start. */
#ifndef COV_INPUT_H
#define COV_INPUT_H

#include <stdbool.h>
#include <stddef.h>
#include "covcast.h"

/* Reads path whole. A regular file is read again at each call (a file
 * rewritten since is seen as it is now); anything else (a pipe, a FIFO,
 * /dev/stdin) is read at the first call only, and later calls get the same
 * text. kind names the file for the message when it holds more than
 * max_bytes ("an INI file (scenario or model)"). Returns the text, NUL-
 * terminated, *len its length in bytes (it may hold NUL bytes); the
 * registry owns it until path is read again with other bytes, or
 * cov_input_forget_all, so a reader is done with it before it returns.
 * NULL with d filled when the file cannot be opened or read, or is larger
 * than max_bytes. Notes the file as an input of the command
 * (cov_inputs_note). */
const char *cov_input_read(const char *path, size_t max_bytes, const char *kind, size_t *len, cov_diag *d);

/* The text last read from path, or NULL when none was read. */
const char *cov_input_text(const char *path, size_t *len);

/* The SHA-256 of the text last read from path, in hex; when path was not
 * read through cov_input_read, of the regular file as it is now. false
 * (hex empty) when neither can be had. */
bool cov_input_sha256(const char *path, char hex[65]);

/* Frees every registered text. */
void cov_input_forget_all(void);

#endif
