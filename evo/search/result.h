/* result.h -- the internal form of an evaluation result (see evo_result_* in evo.h). */
#ifndef EVO_RESULT_H
#define EVO_RESULT_H
#include "evo.h"
#include <jansson.h>

struct evo_result {
    evo_status status;
    double fitness;
    char *error;       /* trimmed excerpt, or NULL */
    json_t *metrics;   /* {"compile_ms": 12.5, ...} candidate-level figures */
    json_t *workloads; /* {"M=1024": {"latency_us": ..., ...}, ...} per-workload figures */
    json_t *artifacts; /* {"compile_log": "...", ...} */
};

evo_result *result_new(void);
void result_free(evo_result *r);
void result_reset(evo_result *r);
evo_result *result_copy(const evo_result *r);
/* Build a result from its JSON form (evo_result_json), e.g. a cached result in the store. */
evo_result *result_from_json(const json_t *j);
/* JSON form (new reference). */
json_t *result_to_json(const evo_result *r);
#endif
