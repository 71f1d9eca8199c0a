/* cli_verify.c -- `evo verify DIR [--json]`: read every record of a run's store (evo_verify)
 * and say what is damaged, by name, and what can still be exported. Exit 0 when the store is
 * whole, 5 when anything is damaged or the store cannot be opened as this run's, 1 for other
 * failures (no run, I/O), 2 for bad arguments. Read-only: safe while a run goes on. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "evo.h"

#define VERIFY_USAGE "evo verify DIR [--json]"

static void print_report(const json_t *r, const char *dir)
{
    const char *store = json_string_value(json_object_get(r, "store"));
    int sums = json_is_true(json_object_get(r, "checksums"));
    printf("%s: %s, %s\n", store, json_string_value(json_object_get(r, "format")),
           sums ? "a checksum on every record"
                : "no checksums (an older store: damage to a "
                  "record's bytes cannot be seen)");
    printf("records read: %lld", (long long)json_integer_value(json_object_get(r, "records")));
    const char *db;
    json_t *n;
    const char *sep = " (";
    json_object_foreach(json_object_get(r, "by_database"), db, n)
    {
        printf("%s%s %lld", sep, db, (long long)json_integer_value(n));
        sep = ", ";
    }
    printf("%s\n", *sep == ',' ? ")" : "");
    json_t *damaged = json_object_get(r, "damaged");
    size_t i;
    json_t *d;
    if (json_array_size(damaged) == 0)
        printf("damaged: none\n");
    else
        printf("damaged: %zu\n", json_array_size(damaged));
    json_array_foreach(damaged, i, d)
        printf("  %s: %s\n", json_string_value(json_object_get(d, "name")),
               json_string_value(json_object_get(d, "why")));
    json_t *best = json_object_get(r, "best_exportable");
    printf("candidates: %lld of %lld intact; exportable: %zu of %lld passed",
           (long long)json_integer_value(json_object_get(r, "intact")),
           (long long)json_integer_value(json_object_get(r, "candidates")),
           json_array_size(json_object_get(r, "exportable")),
           (long long)json_integer_value(json_object_get(r, "passed")));
    if (json_is_integer(best))
        printf(" (the best of them: #%lld: `evo export %s --flashinfer-bench OUT --candidate "
               "%lld`)",
               (long long)json_integer_value(best), dir, (long long)json_integer_value(best));
    printf("\n");
}

int cli_verify(int argc, char **argv)
{
    const char *dir = NULL;
    int as_json = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            printf("usage: %s\n", VERIFY_USAGE);
            return EXIT_OK;
        }
        if (strcmp(argv[i], "--json") == 0) {
            as_json = 1;
        } else if (argv[i][0] == '-' || dir) {
            fprintf(stderr, "evo verify: unexpected argument '%s'\nusage: %s\n", argv[i],
                    VERIFY_USAGE);
            return EXIT_USAGE;
        } else {
            dir = argv[i];
        }
    }
    if (!dir) {
        fprintf(stderr, "evo verify: no run directory given\nusage: %s\n", VERIFY_USAGE);
        return EXIT_USAGE;
    }
    char *report = NULL, err[2048];
    int rc = evo_verify(dir, &report, err, sizeof err);
    if (!report) {
        fprintf(stderr, "evo verify: %s\n", err);
        return rc == EVO_ENOTFOUND ? EXIT_ERROR : cli_exit_code(rc);
    }
    if (as_json) {
        printf("%s\n", report);
    } else {
        json_t *r = json_loads(report, 0, NULL);
        if (r) print_report(r, dir);
        json_decref(r);
    }
    evo_free(report);
    if (rc != EVO_OK) fprintf(stderr, "evo verify: %s\n", err);
    return rc == EVO_OK ? EXIT_OK : EXIT_STORE;
}
