/* fuzz_config.c -- the run configuration (evo/config): any text through the JSON parser, the
 * position scan, the schema's validation, the defaults and the struct, as `evo run` reads a
 * config file. A config that is accepted must be accepted again from its own filled-in JSON
 * (evo resume re-reads the stored copy) and give the same text, and the typed lookups must
 * answer for the paths the plug-ins read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    char err[1024];
    err[0] = '\0';
    evo_config *cfg = NULL;
    int rc = evo_config_parse(text, "fuzz.json", &cfg, err, sizeof err);
    fuzz_note("config: %s", rc == EVO_OK ? "accepted" : err);
    if (rc != EVO_OK) {
        if (cfg) fuzz_fail("evo_config_parse failed (%d) but handed out a config", rc);
        if (!err[0] && rc != EVO_ENOMEM)
            fuzz_fail("evo_config_parse failed (%d) without a message", rc);
        free(text);
        return 0;
    }
    const char *json = evo_config_json(cfg);
    if (!json) fuzz_fail("an accepted config has no JSON");
    evo_config *again = NULL;
    char err2[1024] = "";
    if (evo_config_parse(json, "stored.json", &again, err2, sizeof err2) != EVO_OK)
        fuzz_fail("a config's own filled-in JSON is refused: %s\n%s", err2, json);
    if (strcmp(evo_config_json(again), json))
        fuzz_fail("re-reading a config's JSON changes it:\n%s\n%s", json, evo_config_json(again));
    evo_config_free(again);

    static const char *const paths[] = {"name",
                                        "seed",
                                        "evaluator.kind",
                                        "evaluator.task",
                                        "evaluator.dataset",
                                        "evaluator.definition",
                                        "evaluator.options",
                                        "llm.models",
                                        "llm.models[0].name",
                                        "islands.features[0].kind",
                                        "constants",
                                        "stop",
                                        "[0]",
                                        "a.b.c"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        (void)config_get(cfg, paths[i]);
        (void)config_get_string(cfg, paths[i], NULL);
        (void)config_get_int(cfg, paths[i], 0);
        (void)config_get_double(cfg, paths[i], 0);
        (void)config_get_bool(cfg, paths[i], 0);
    }
    const char *task = config_get_string(cfg, "evaluator.task", NULL);
    if (task) free(config_resolve_path(cfg, task));
    (void)config_operator_weight(cfg, "point");
    (void)config_operator_weight(cfg, "llm");
    if (cfg->nfeatures < 0 || cfg->nfeatures > EVO_MAX_FEATURES)
        fuzz_fail("%d features", cfg->nfeatures);
    evo_config_free(cfg);
    free(text);
    return 0;
}
