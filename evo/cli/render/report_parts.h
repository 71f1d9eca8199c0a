/* report_parts.h -- what the files of the HTML report share (report.h is the entry): one
 * function per section, and small readers and writers they all use. Internal to render/. */
#ifndef EVO_REPORT_PARTS_H
#define EVO_REPORT_PARTS_H
#include <jansson.h>
#include <stdio.h>

#include "report.h"

/* ---- sections (report_summary.c, report_best.c, report_lineage.c, report_failures.c,
 * report_stats.c, report_page.c for the plots) ---- */
void report_summary(FILE *out, const report_input *in);
void report_config(FILE *out, const report_input *in);
void report_plots(FILE *out, const report_input *in);
void report_best(FILE *out, const report_input *in);
void report_lineage(FILE *out, const report_input *in);
void report_failures(FILE *out, const report_input *in);
void report_islands(FILE *out, const report_input *in);
void report_operators(FILE *out, const report_input *in);
void report_models(FILE *out, const report_input *in);

/* What the run searched: "gemm (kernels/gemm)", "synthetic: 6 parameters of 16 levels". */
void report_task_text(const json_t *status, char *buf, size_t n);

/* The page's stylesheet and script (report_assets.c). */
extern const char report_css[];
extern const char report_js[];

/* ---- reading the run's JSON (report_util.c) ---- */
/* The string at key, or NULL when absent or not a string. */
const char *rj_str(const json_t *o, const char *key);
/* The number at key, or NAN when absent or not a number. */
double rj_num(const json_t *o, const char *key);
/* The integer at key, or 0. */
long long rj_int(const json_t *o, const char *key);
/* o[a][b]. */
json_t *rj_get2(const json_t *o, const char *a, const char *b);

/* ---- writing (report_util.c) ---- */
void section_open(FILE *out, const char *id, const char *title);
void section_close(FILE *out);
/* <tr><th>key</th><td>value escaped</td></tr>; value NULL writes "-". */
void kv_row(FILE *out, const char *key, const char *value);
void kv_rowf(FILE *out, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* <pre class="cls">text escaped, cut past max bytes with a note</pre>. */
void pre_block(FILE *out, const char *cls, const char *text, size_t max);
/* A number cell with its value in data-v for sorting: <td class="num" data-v="..">..</td>. */
void num_cell(FILE *out, double v, const char *fmt);
/* "#12", linked to the candidate's step in the lineage when it is one of them. */
void candidate_ref(FILE *out, long long id, int linked);
/* A short note in grey. */
void note_line(FILE *out, const char *text);
#endif
