/* webfiles.c — the page's files (web/) built into the program, so that one
 * binary serves the page wherever it is installed: the assembler includes
 * each file's bytes (.incbin; paths from the project's root, where make
 * runs; the Makefile lists them as this object's prerequisites). `covcast
 * serve` reads $COVCAST_WEB instead when it is set (to work on the page
 * without rebuilding). */
#include "serve.h"

#include <string.h>

#define WEB_FILE(sym, path)                                                   \
    __asm__(".section .rodata\n"                                              \
            ".balign 16\n"                                                    \
            ".type " #sym ", @object\n"                                       \
            #sym ":\n"                                                        \
            ".incbin \"" path "\"\n"                                          \
            ".type " #sym "_end, @object\n"                                   \
            #sym "_end:\n"                                                    \
            ".byte 0\n"                                                       \
            ".previous\n");                                                   \
    extern const char sym[], sym##_end[];

WEB_FILE(cov_web_index, "web/index.html")
WEB_FILE(cov_web_app, "web/app.js")
WEB_FILE(cov_web_style, "web/style.css")

const char *cov_web_file(const char *name, size_t *n)
{
    static const struct { const char *name, *start, *end; } files[] = {
        { "index.html", cov_web_index, cov_web_index_end },
        { "app.js", cov_web_app, cov_web_app_end },
        { "style.css", cov_web_style, cov_web_style_end },
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        if (!strcmp(name, files[i].name)) {
            *n = (size_t)(files[i].end - files[i].start);
            return files[i].start;
        }
    return NULL;
}
