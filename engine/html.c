/* html.c — `covcast report`: one self-contained HTML page from a run folder. */
#include "plot.h"
cov_status cov_report(const char *dir, const char *lang, void *log, cov_diag *d)
{
    (void)dir; (void)lang; (void)log;
    cov_diag_add(d, COV_EINTERNAL, NULL, 0, 0, 0, "report: not written yet");
    return COV_EINTERNAL;
}
