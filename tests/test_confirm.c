/* test_confirm.c -- the winner's curse (CPU suite). With a noisy measurement (the synthetic
 * evaluator's noise: one lucky draw per candidate) a plain search crowns candidates that only
 * measured well: some new best is truly worse than the best it displaced. With the re-timing
 * against the incumbent (evaluator.confirm_rounds) every new best is truly better than the
 * last, those that were not are kept at no more than the incumbent's fitness, and their
 * records say why (confirm_ratio, confirm_noise, confirmed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "check.h"
#include "config.h"
#include "evo.h"
#include "scratch.h"
#include "synthetic.h"

static const char *root;

static evo_config *config(int rounds)
{
    char text[1024], err[2048];
    snprintf(text, sizeof text,
             "{\"seed\": 11, \"islands\": {\"count\": 2, \"population\": 30}, \"store\": "
             "{\"sync\": \"none\"},"
             " \"evaluator\": {\"kind\": \"synthetic\", \"confirm_rounds\": %d,"
             " \"synthetic\": {\"dims\": 4, \"levels\": 16, \"noise\": 0.6}},"
             " \"stop\": {\"max_evaluations\": 400}}",
             rounds);
    evo_config *cfg = NULL;
    if (evo_config_parse(text, "confirm-test", &cfg, err, sizeof err) != EVO_OK)
        fprintf(stderr, "%s\n", err);
    return cfg;
}

typedef struct outcome {
    int bests, worse, unconfirmed;
} outcome;

/* Run a search; then walk its candidates in order and judge each change of best by the true
 * (noiseless) fitness. */
static outcome search(int rounds)
{
    outcome o = {0, 0, 0};
    char dir[600];
    snprintf(dir, sizeof dir, "%s/r%d", root, rounds);
    evo_config *cfg = config(rounds);
    evo_engine *e = NULL;
    CHECK(cfg && evo_engine_open(&e, dir, cfg) == EVO_OK);
    /* The engine gets the config's synthetic evaluator and seed (and frees them when it
     * closes); a second instance from the same section only answers the true fitness. */
    synthetic_evaluator *syn = synthetic_new(config_get(cfg, "evaluator"));
    evo_config_free(cfg);
    CHECK_MSG(evo_engine_configure(e) == EVO_OK, "%s", evo_errmsg(e));
    CHECK_MSG(evo_engine_run(e) == EVO_OK, "%s", evo_errmsg(e));
    evo_engine_close(e);
    evo_run *run = NULL;
    CHECK(evo_run_open(&run, dir) == EVO_OK);
    double best = -1, best_true = -1;
    for (int64_t id = 1; run && id <= evo_run_count(run); id++) {
        evo_candidate *c = NULL;
        if (evo_run_candidate(run, id, &c) != EVO_OK) continue;
        json_t *rec = json_loads(evo_candidate_json(c), 0, NULL);
        json_t *m = json_object_get(rec, "metrics");
        if (json_object_get(m, "confirmed") &&
            json_number_value(json_object_get(m, "confirmed")) == 0)
            o.unconfirmed++;
        json_decref(rec);
        double f = evo_candidate_fitness(c);
        if (evo_candidate_status(c) == EVO_STATUS_PASSED && f > best) {
            double t = synthetic_true_fitness(syn, evo_candidate_genome(c));
            if (best_true >= 0 && t < best_true) o.worse++;
            if (best_true >= 0) o.bests++;
            best = f;
            best_true = t;
        }
        evo_candidate_free(c);
    }
    evo_run_close(run);
    synthetic_free(syn);
    return o;
}

int main(void)
{
    root = scratch_dir("confirm");
    outcome plain = search(0), confirmed = search(3);
    printf("without re-timing: %d new bests, %d truly worse than the one they displaced\n",
           plain.bests, plain.worse);
    printf("with re-timing: %d new bests, %d truly worse; %d candidates kept below the incumbent\n",
           confirmed.bests, confirmed.worse, confirmed.unconfirmed);
    /* The curse is real here (else this test could not fail)... */
    CHECK(plain.worse > 0);
    CHECK(plain.unconfirmed == 0);
    /* ...and the re-timing lifts it. */
    CHECK(confirmed.bests > 0);
    CHECK(confirmed.worse == 0);
    CHECK(confirmed.unconfirmed > 0);
    if (scratch_remove() != 0) fprintf(stderr, "could not remove %s\n", root);
    return CHECK_DONE();
}
