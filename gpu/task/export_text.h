/* export_text.h -- the growing string that export's generators (export_launcher.c,
 * export_binding.c) write generated C++ into, and the definition's tensors by position. */
#ifndef EVO_EXPORT_TEXT_H
#define EVO_EXPORT_TEXT_H
#include <stddef.h>

#include "task.h"

typedef struct sbuf {
    char *s;
    size_t n, cap;
    int oom; /* set on the first failed growth; later writes are dropped */
} sbuf;

void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The definition's tensor at index: inputs first, then outputs (the binding's argument order). */
const task_tensor *export_tensor(const evo_task *t, int index);

/* Whether the rendered candidate needs the sm_90a feature set (wgmma, setmaxnreg). */
int export_needs_sm90a(const char *rendered);
#endif
