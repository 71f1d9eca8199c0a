/* cli_trace.c -- `evo trace DIR [CANDIDATE]`: a candidate's lineage, from the seed it grew
 * from down to it, with each step's operator, parameter changes, outcome, plan and lesson,
 * so a user can read how the search got where it is. Without CANDIDATE, the best. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "cli_args.h"
#include "evo.h"

#define TRACE_MAX_DEPTH 10000
#define USAGE "usage: evo trace DIR [CANDIDATE]\n"

static void print_text_block(const char *title, const char *text, int max_lines)
{
    if (!text || !*text) return;
    printf("    %s:\n", title);
    int lines = 0;
    for (const char *p = text; *p && lines < max_lines; lines++) {
        const char *nl = strchr(p, '\n');
        int len = nl ? (int)(nl - p) : (int)strlen(p);
        printf("      | %.*s\n", len, p);
        p = nl ? nl + 1 : p + len;
        if (lines + 1 == max_lines && *p) printf("      | ...\n");
    }
}

static void print_step(const json_t *rec)
{
    printf("#%lld  %-10s %-18s island %lld  %-20s fitness %.4f  [%s]\n",
           (long long)json_integer_value(json_object_get(rec, "id")),
           json_string_value(json_object_get(rec, "operator")),
           json_string_value(json_object_get(rec, "template")),
           (long long)json_integer_value(json_object_get(rec, "island")),
           json_string_value(json_object_get(rec, "status")),
           json_number_value(json_object_get(rec, "fitness")),
           json_string_value(json_object_get(rec, "label")));
    const char *insight = json_string_value(json_object_get(rec, "insight"));
    if (insight) printf("    insight: %s\n", insight);
    const char *err = json_string_value(json_object_get(rec, "error"));
    if (err) print_text_block("error", err, 4);
    json_t *notes = json_object_get(rec, "notes");
    const char *key;
    json_t *v;
    json_object_foreach(notes, key, v)
    {
        /* Prompts are long; plans and lessons are what a reader follows. */
        int lines = strncmp(key, "prompt", 6) == 0 || strncmp(key, "reply", 5) == 0 ? 6 : 20;
        print_text_block(key, json_string_value(v), lines);
    }
    const char *wl;
    json_object_foreach(json_object_get(rec, "workloads"), wl, v)
    {
        json_t *lat = json_object_get(v, "latency_us");
        if (lat)
            printf("    %-22s %10.2f us  speedup %.2fx\n", wl, json_number_value(lat),
                   json_number_value(json_object_get(v, "speedup")));
    }
}

json_t *cli_lineage(evo_run *r, evo_candidate *c)
{
    /* Walk up through first parents (and the failed attempts a repair replaced). */
    json_t *chain = json_array();
    for (int depth = 0; c && depth < TRACE_MAX_DEPTH; depth++) {
        json_t *rec = json_loads(evo_candidate_json(c), 0, NULL);
        evo_candidate_free(c);
        c = NULL;
        if (!rec) break;
        json_array_insert_new(chain, 0, rec);
        json_t *up = json_object_get(rec, "repair_of");
        if (!json_is_integer(up)) up = json_array_get(json_object_get(rec, "parents"), 0);
        long long pid = json_integer_value(up);
        if (pid > 0 && evo_run_candidate(r, pid, &c) != EVO_OK) c = NULL;
    }
    evo_candidate_free(c);
    return chain;
}

int cli_trace(int argc, char **argv)
{
    const char *dir = NULL, *cand = NULL;
    long long want = 0; /* 0: the best */
    if (cli_wants_help(argc, argv)) return cli_help(USAGE);
    for (int i = 1; i < argc; i++) {
        if (!cli_is_operand(argv[i]) || (dir && cand))
            return cli_bad_argument("trace", USAGE, argv[i]);
        if (!dir)
            dir = argv[i];
        else
            cand = argv[i];
    }
    if (!dir) return cli_usage_error("trace", USAGE, "no run directory DIR given");
    if (cand && cli_parse_candidate("trace", "CANDIDATE", cand, &want) != EVO_OK) return EXIT_USAGE;
    evo_run *r;
    int rc = evo_run_open(&r, dir);
    if (rc != EVO_OK) {
        fprintf(stderr, "evo trace: %s\n", evo_run_errmsg(r));
        evo_run_close(r);
        return cli_exit_code(rc);
    }
    if (want > 0 && (rc = cli_candidate_exists("trace", "CANDIDATE", r, dir, want)) != EXIT_OK) {
        evo_run_close(r);
        return rc;
    }
    evo_candidate *c;
    rc = want > 0 ? evo_run_candidate(r, want, &c) : evo_run_best(r, &c);
    if (rc != EVO_OK) {
        if (want > 0)
            fprintf(stderr, "evo trace: cannot read candidate #%lld: %s\n", want,
                    evo_run_errmsg(r));
        else
            fprintf(stderr, "evo trace: no candidate has passed yet\n");
        evo_run_close(r);
        return want > 0 ? cli_exit_code(rc) : EXIT_ERROR;
    }
    json_t *chain = cli_lineage(r, c);
    printf("lineage of #%lld (%zu steps, seed first)\n\n",
           (long long)json_integer_value(
               json_object_get(json_array_get(chain, json_array_size(chain) - 1), "id")),
           json_array_size(chain));
    size_t i;
    json_t *rec;
    json_array_foreach(chain, i, rec)
    {
        print_step(rec);
        printf("\n");
    }
    json_decref(chain);
    evo_run_close(r);
    return EXIT_OK;
}
