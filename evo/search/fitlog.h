/* fitlog.h -- fitness.jsonl, the per-evaluation log in the run directory, and its CSV form.
 *
 * One JSON object per line, one line per committed candidate, in commit order:
 *   {"index":7,"t":12.53,"island":1,"id":7,"parents":[3],"operator":"point",
 *    "template":"gemm_mma","status":"PASSED","fitness":1.12,"best":1.31,"best_id":5,
 *    "label":"regression","workloads":{"M=1024":{"latency_us":61.2,"speedup":0.96,...}}}
 * index equals id (1-based); t is wall seconds since the run started (summed over resumed
 * sessions); fitness is 0 for failures; best is the best fitness so far. The store is the
 * source of truth: on resume the log is rebuilt from it when the two disagree. */
#ifndef EVO_FITLOG_H
#define EVO_FITLOG_H
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

typedef struct evo_fitlog evo_fitlog;

/* Open DIR/fitness.jsonl for appending. */
evo_fitlog *fitlog_open(const char *run_dir, char *err, size_t errlen);
/* Append one line (the object is written compactly, keys in the order above) and flush. */
int fitlog_append(evo_fitlog *l, const json_t *line);
void fitlog_close(evo_fitlog *l);
/* Count complete lines in DIR/fitness.jsonl (a torn last line is not counted). */
int64_t fitlog_count(const char *run_dir);
/* Keep only the first n complete lines (drops a torn tail). */
int fitlog_truncate(const char *run_dir, int64_t n);

/* Write the log as CSV to out: fixed columns index,t,island,id,parents,operator,template,
 * status,fitness,best,best_id,label then one column per (workload, figure) seen in the log,
 * named "<workload>.<figure>". Returns 0 or -1 with err. */
int fitlog_to_csv(const char *jsonl_path, FILE *out, char *err, size_t errlen);
#endif
