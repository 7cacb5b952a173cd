/* test_outdir.c — output folders and files: the list of files in the
 * marker, refusals of inputs and of files covcast did not write, and an
 * interrupt before the swap that leaves the earlier results untouched. */
#include "testutil.h"
#include "outdir.h"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

static void write_hello(FILE *f, const void *ctx)
{
    fputs(ctx, f);
}

/* Does the folder dir hold an entry whose name contains part? */
static bool holds(const char *dir, const char *part)
{
    DIR *dd = opendir(dir);
    if (!dd) return false;
    struct dirent *e;
    bool found = false;
    while (!found && (e = readdir(dd))) found = strstr(e->d_name, part) != NULL;
    closedir(dd);
    return found;
}

/* Writes folder out with one file name holding text; the status of the commit. */
static cov_status write_folder(const char *out, const char *name, const char *text, cov_diag *d)
{
    cov_outdir *o = cov_outdir_begin(out, d);
    if (!o) return d->status;
    if (!cov_outdir_mkdir(o, "sub", d) || !cov_outdir_file(o, name, write_hello, text, d)) {
        cov_outdir_abort(o);
        return COV_EIO;
    }
    return cov_outdir_commit(o, d);
}

static void test_manifest_lists_what_was_written(void **st)
{
    (void)st;
    cov_diag d;
    cov_diag_init(&d);
    mkdir(TMP, 0777);
    system("rm -rf " TMP "/od");
    assert_int_equal(write_folder(TMP "/od/a", "one.csv", "1\n", &d), COV_OK);
    char *mark = slurp(TMP "/od/a/.covcast");
    assert_non_null(mark);
    assert_non_null(strstr(mark, "\none.csv\n"));
    assert_non_null(strstr(mark, "\nsub/\n"));
    free(mark);
    /* a rerun replaces it; a file of the user's inside stops the next one */
    assert_int_equal(write_folder(TMP "/od/a", "two.csv", "2\n", &d), COV_OK);
    assert_int_equal(access(TMP "/od/a/one.csv", F_OK), -1);
    write_text(TMP "/od/a/notes.txt", "mine\n");
    assert_int_equal(write_folder(TMP "/od/a", "three.csv", "3\n", &d), COV_EIO);
    assert_non_null(strstr(d.e[0].msg, "notes.txt"));
    assert_int_equal(access(TMP "/od/a/two.csv", F_OK), 0);
    assert_int_equal(access(TMP "/od/a/notes.txt", F_OK), 0);
    /* a file added later by covcast (the report) may be claimed */
    cov_diag_init(&d);
    unlink(TMP "/od/a/notes.txt");
    write_text(TMP "/od/a/report.html", "<!DOCTYPE html>\n");
    assert_true(cov_outdir_claim(TMP "/od/a", "report.html"));
    assert_int_equal(write_folder(TMP "/od/a", "four.csv", "4\n", &d), COV_OK);
    assert_false(holds(TMP "/od", ".covcast-tmp-"));
}

static void test_inputs_are_never_replaced(void **st)
{
    (void)st;
    cov_diag d;
    cov_diag_init(&d);
    assert_int_equal(write_folder(TMP "/od/b", "x.csv", "x\n", &d), COV_OK);
    /* the command read a file inside the folder: the folder may not be replaced */
    int fd = open(TMP "/od/b/x.csv", O_RDONLY);
    assert_true(fd >= 0);
    cov_inputs_note(&d, fd);
    close(fd);
    assert_false(cov_outdir_check(TMP "/od/b", &d));
    assert_non_null(strstr(d.e[0].msg, "an input of this command"));
    cov_diag_init(&d);
    fd = open(TMP "/od/b/x.csv", O_RDONLY);
    cov_inputs_note(&d, fd);
    close(fd);
    assert_int_equal(write_folder(TMP "/od/b", "y.csv", "y\n", &d), COV_EIO);
    char *x = slurp(TMP "/od/b/x.csv");
    assert_string_equal(x, "x\n");
    free(x);
    /* single files: never onto an input, never onto a file without the signature */
    write_text(TMP "/od/in.csv", "level,unit\nmine\n");
    cov_diag_init(&d);
    fd = open(TMP "/od/in.csv", O_RDONLY);
    cov_inputs_note(&d, fd);
    close(fd);
    assert_null(cov_outfile_begin(TMP "/od/in.csv", "level,unit\n", &d));
    cov_diag_init(&d);
    assert_null(cov_outfile_begin(TMP "/od/in.csv", "level,unit,population\n", &d));
    assert_non_null(strstr(d.e[0].msg, "not written by covcast"));
    cov_diag_init(&d);
    cov_outfile *f = cov_outfile_begin(TMP "/od/in.csv", "level,unit\n", &d);   /* its own kind: replaced */
    assert_non_null(f);
    fputs("level,unit\nnew\n", cov_outfile_stream(f));
    assert_int_equal(cov_outfile_commit(f, &d), COV_OK);
    x = slurp(TMP "/od/in.csv");
    assert_string_equal(x, "level,unit\nnew\n");
    free(x);
    assert_false(holds(TMP "/od", "covcast-tmp"));
}

/* Runs last: the interrupt flag stays set. */
static void test_interrupt_before_the_swap(void **st)
{
    (void)st;
    cov_diag d;
    cov_diag_init(&d);
    assert_int_equal(write_folder(TMP "/od/c", "old.csv", "old\n", &d), COV_OK);
    cov_outdir *o = cov_outdir_begin(TMP "/od/c", &d);
    assert_non_null(o);
    assert_true(cov_outdir_file(o, "new.csv", write_hello, "new\n", &d));
    cov_interrupt();   /* as SIGINT does, while the files are being written */
    assert_int_equal(cov_outdir_commit(o, &d), COV_EINTR);
    char *old = slurp(TMP "/od/c/old.csv");
    assert_string_equal(old, "old\n");
    free(old);
    assert_int_equal(access(TMP "/od/c/new.csv", F_OK), -1);
    assert_false(holds(TMP "/od", ".covcast-tmp-"));
    cov_outfile *f = cov_outfile_begin(TMP "/od/c.csv", "x", &d);
    assert_non_null(f);
    fputs("x\n", cov_outfile_stream(f));
    assert_int_equal(cov_outfile_commit(f, &d), COV_EINTR);
    assert_int_equal(access(TMP "/od/c.csv", F_OK), -1);
    assert_false(holds(TMP "/od", "covcast-tmp"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest_lists_what_was_written),
        cmocka_unit_test(test_inputs_are_never_replaced),
        cmocka_unit_test(test_interrupt_before_the_swap),
    };
    return cmocka_run_group_tests_name("output folders and files", tests, NULL, NULL);
}
