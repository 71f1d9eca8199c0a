/* export_text.c -- the growing string of export's generators (see export_text.h). */
#include "export_text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (m < 0 || b->oom) return;
    if (b->n + (size_t)m + 1 > b->cap) {
        size_t cap = (b->cap + (size_t)m + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) {
            b->oom = 1;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->n, b->cap - b->n, fmt, ap);
    va_end(ap);
    b->n += (size_t)m;
}

const task_tensor *export_tensor(const evo_task *t, int index)
{
    const task_definition *d = &t->def;
    return index < d->ninputs ? &d->inputs[index] : &d->outputs[index - d->ninputs];
}

/* evo compiles for sm_90a on Hopper; FlashInfer-Bench's builders compile for the device's
 * sm_90 unless told otherwise, where these instructions do not exist. */
int export_needs_sm90a(const char *rendered)
{
    return strstr(rendered, "wgmma") || strstr(rendered, "setmaxnreg");
}
