/* test_result.c -- evaluation results and their JSON form, text trimming and UTF-8
 * cleaning, plus the library's fixed tables (version, return codes, status names). */
#include <math.h>
#include <stdlib.h>

#include "check.h"
#include "result.h"

static void test_tables(void)
{
    CHECK(strcmp(evo_version(), EVO_VERSION) == 0);
    CHECK(strcmp(evo_strerror(EVO_OK), "success") == 0);
    CHECK(strcmp(evo_strerror(EVO_ESPACE), "invalid parameter space or no valid point") == 0);
    CHECK(strcmp(evo_strerror(EVO_EINVAL), "invalid argument") == 0);
    CHECK(strcmp(evo_strerror(99), "unknown error code") == 0);
    CHECK(strcmp(evo_strerror(-1), "unknown error code") == 0);
    for (int i = 0; i <= EVO_EINVAL; i++)
        CHECK(strcmp(evo_strerror(i), "unknown error code") != 0);
    for (int s = 0; s < EVO_STATUS_COUNT; s++)
        CHECK(evo_status_from_name(evo_status_name((evo_status)s)) == s);
    CHECK(strcmp(evo_status_name(EVO_STATUS_PASSED), "PASSED") == 0);
    CHECK(strcmp(evo_status_name(EVO_STATUS_GUARD_VIOLATION), "GUARD_VIOLATION") == 0);
    CHECK(strcmp(evo_status_name(EVO_STATUS_COUNT), "UNKNOWN") == 0);
    CHECK(evo_status_from_name("passed") == -1);
    CHECK(evo_status_from_name(NULL) == -1);
    char *p = malloc(4);
    evo_free(p);
    evo_free(NULL);
}

static void test_json_form(void)
{
    evo_result *r = result_new();
    CHECK(r && evo_result_status(r) == EVO_STATUS_PENDING);
    char *j = evo_result_json(r);
    CHECK_MSG(j && strcmp(j, "{\"status\":\"PENDING\",\"fitness\":0.0,\"error\":null,"
                             "\"metrics\":{},\"workloads\":{},\"artifacts\":{}}") == 0,
              "%s", j);
    free(j);
    evo_result_set_status(r, EVO_STATUS_PASSED);
    evo_result_set_fitness(r, 1.5);
    CHECK(evo_result_add_metric(r, NULL, "compile_ms", 12.5) == EVO_OK);
    CHECK(evo_result_add_metric(r, "M=1024", "latency_us", 3.25) == EVO_OK);
    CHECK(evo_result_add_metric(r, "M=1024", "speedup", 2) == EVO_OK);
    CHECK(evo_result_add_metric(r, "M=1024", "max_abs_err", NAN) == EVO_OK);
    CHECK(evo_result_add_metric(r, NULL, "", 1) == EVO_EINVAL);
    CHECK(evo_result_add_metric(r, NULL, NULL, 1) == EVO_EINVAL);
    CHECK(evo_result_add_artifact(r, "compile_log", "ok") == EVO_OK);
    CHECK(evo_result_add_artifact(r, "compile_log", "replaced") == EVO_OK);
    CHECK(evo_result_add_artifact(r, NULL, "x") == EVO_EINVAL);
    evo_result_set_error(r, "workload %s: %d mismatches", "M=1024", 3);
    CHECK(evo_result_status(r) == EVO_STATUS_PASSED && evo_result_fitness(r) == 1.5);
    j = evo_result_json(r);
    CHECK_MSG(j && strcmp(j, "{\"status\":\"PASSED\",\"fitness\":1.5,\"error\":\"workload "
                             "M=1024: 3 mismatches\",\"metrics\":{\"compile_ms\":12.5},"
                             "\"workloads\":{\"M=1024\":{\"latency_us\":3.25,\"speedup\":2.0,"
                             "\"max_abs_err\":null}},\"artifacts\":{\"compile_log\":"
                             "\"replaced\"}}") == 0,
              "%s", j);

    /* Round trip through the JSON form and through copy. */
    json_t *tree = result_to_json(r);
    evo_result *back = result_from_json(tree);
    CHECK(back != NULL);
    char *j2 = back ? evo_result_json(back) : NULL;
    CHECK(j2 && strcmp(j, j2) == 0);
    free(j2);
    evo_result *c = result_copy(r);
    j2 = c ? evo_result_json(c) : NULL;
    CHECK(j2 && strcmp(j, j2) == 0);
    free(j2);
    result_free(c);
    result_free(back);
    json_decref(tree);
    free(j);

    /* Clearing the error, reset. */
    evo_result_set_error(r, NULL);
    CHECK(r->error == NULL);
    result_reset(r);
    CHECK(r->status == EVO_STATUS_PENDING && r->fitness == 0 && json_object_size(r->metrics) == 0);
    result_free(r);
    result_free(NULL);

    /* Bad stored forms. */
    json_t *bad = json_pack("{s:s}", "status", "GREAT");
    CHECK(result_from_json(bad) == NULL);
    json_decref(bad);
    bad = json_array();
    CHECK(result_from_json(bad) == NULL);
    json_decref(bad);
    json_t *partial = json_pack("{s:s}", "status", "TIMEOUT");
    evo_result *pr = result_from_json(partial);
    CHECK(pr && pr->status == EVO_STATUS_TIMEOUT && pr->error == NULL && pr->fitness == 0);
    result_free(pr);
    json_decref(partial);
}

static void test_trimming(void)
{
    evo_result *r = result_new();
    char *big = malloc(10001);
    memset(big, 'e', 10000);
    big[10000] = '\0';
    evo_result_set_error(r, "%s", big);
    CHECK(strlen(r->error) == 4096);
    CHECK(strcmp(r->error + 4096 - 13, "... [trimmed]") == 0);
    CHECK(r->error[0] == 'e' && r->error[4082] == 'e');
    /* Exactly 4096 bytes is kept whole. */
    big[4096] = '\0';
    evo_result_set_error(r, "%s", big);
    CHECK(strlen(r->error) == 4096 && r->error[4095] == 'e');

    char *huge = malloc(70001);
    memset(huge, 'l', 70000);
    huge[70000] = '\0';
    CHECK(evo_result_add_artifact(r, "log", huge) == EVO_OK);
    const char *a = json_string_value(json_object_get(r->artifacts, "log"));
    CHECK(a && strlen(a) == 65536 && strcmp(a + 65536 - 13, "... [trimmed]") == 0);

    /* Invalid UTF-8 becomes '?'; a trim never splits a character. */
    CHECK(evo_result_add_artifact(r, "bytes", "ok \xff\xfe end \xc3\xa9") == EVO_OK);
    a = json_string_value(json_object_get(r->artifacts, "bytes"));
    CHECK_MSG(a && strcmp(a, "ok ?? end \xc3\xa9") == 0, "%s", a);
    memset(big, 'x', 4082);
    strcpy(big + 4082, "\xc3\xa9tail-to-be-trimmed");
    evo_result_set_error(r, "%s", big);
    CHECK_MSG(strlen(r->error) == 4095 && strcmp(r->error + 4082, "... [trimmed]") == 0, "%zu",
              strlen(r->error));
    free(big);
    free(huge);
    char *j = evo_result_json(r);
    CHECK(j != NULL);
    free(j);
    result_free(r);
}

int main(void)
{
    test_tables();
    test_json_form();
    test_trimming();
    return CHECK_DONE();
}
