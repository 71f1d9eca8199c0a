/* test_fitlog.c -- fitness.jsonl: appending keeps the engine's key order, counting and
 * truncation ignore a torn last line, and the CSV export has the documented columns with
 * proper quoting and per-workload columns in first-seen order. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "evo.h"
#include "file_text.h"
#include "fitlog.h"

/* Arrays decay through a call, so CHECK_CONTAINS can test a message buffer. */
static const char *str(const char *s)
{
    return s;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

static json_t *sample_line(int id, const char *status, double fitness)
{
    return json_pack("{si sf si si s[i] ss ss ss sf sf si ss s{s{sf sf}}}", "index", id, "t",
                     0.5 * id, "island", id % 2, "id", id, "parents", id - 1, "operator", "point",
                     "template", "gemm_mma", "status", status, "fitness", fitness, "best", 1.5,
                     "best_id", 1, "label", "stale", "workloads", "M=1024", "latency_us", 61.25,
                     "speedup", 0.5);
}

static void test_append_count(const char *dir)
{
    char err[256] = "";
    evo_fitlog *l = fitlog_open(dir, err, sizeof err);
    CHECK_MSG(l != NULL, "%s", err);
    json_t *a = sample_line(1, "PASSED", 1.5), *b = sample_line(2, "COMPILE_ERROR", 0);
    CHECK(fitlog_append(l, a) == EVO_OK);
    CHECK(fitlog_append(l, b) == EVO_OK);
    fitlog_close(l);
    json_decref(a);
    json_decref(b);
    CHECK(fitlog_count(dir) == 2);

    char path[512];
    snprintf(path, sizeof path, "%s/fitness.jsonl", dir);
    char *text = file_read_text(path, 0, NULL);
    CHECK_CONTAINS(text, "{\"index\":1,\"t\":0.5,\"island\":1,\"id\":1,\"parents\":[0],"
                         "\"operator\":\"point\",\"template\":\"gemm_mma\",\"status\":\"PASSED\","
                         "\"fitness\":1.5,\"best\":1.5,\"best_id\":1,\"label\":\"stale\","
                         "\"workloads\":{\"M=1024\":{\"latency_us\":61.25,\"speedup\":0.5}}}\n");
    free(text);

    /* A torn last line: not counted, dropped by truncate, and by the next open. */
    FILE *f = fopen(path, "ab");
    fputs("{\"index\":3,\"t\":1.", f);
    fclose(f);
    CHECK(fitlog_count(dir) == 2);
    CHECK(fitlog_truncate(dir, 5) == EVO_OK);
    CHECK(fitlog_count(dir) == 2);
    text = file_read_text(path, 0, NULL);
    CHECK(text && text[strlen(text) - 1] == '\n');
    CHECK(text && !strstr(text, "\"index\":3"));
    free(text);

    f = fopen(path, "ab");
    fputs("{\"index\":3,\"t\":1.", f);
    fclose(f);
    l = fitlog_open(dir, err, sizeof err);
    json_t *c = sample_line(3, "PASSED", 1.0);
    CHECK(fitlog_append(l, c) == EVO_OK);
    fitlog_close(l);
    json_decref(c);
    CHECK(fitlog_count(dir) == 3);
    text = file_read_text(path, 0, NULL);
    CHECK(text && !strstr(text, "\"t\":1.{"));
    free(text);

    CHECK(fitlog_truncate(dir, 1) == EVO_OK);
    CHECK(fitlog_count(dir) == 1);
    text = file_read_text(path, 0, NULL);
    CHECK(text && strncmp(text, "{\"index\":1,", 11) == 0 && !strstr(text, "\"index\":2"));
    free(text);
    CHECK(fitlog_truncate(dir, 0) == EVO_OK);
    CHECK(fitlog_count(dir) == 0);
    CHECK(fitlog_truncate(dir, -1) == EVO_EINVAL);
    unlink(path);
    CHECK(fitlog_count(dir) == 0);
    CHECK(fitlog_truncate(dir, 0) == EVO_OK);
}

static void test_open_error(void)
{
    char err[256] = "";
    CHECK(fitlog_open("/nonexistent-dir-evo", err, sizeof err) == NULL);
    CHECK_CONTAINS(str(err), "/nonexistent-dir-evo/fitness.jsonl: No such file or directory");
}

static char *csv_of(const char *path, char *err, size_t errlen, int *rc)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    *rc = fitlog_to_csv(path, out, err, errlen);
    fclose(out);
    return buf;
}

static void test_csv(const char *dir)
{
    char path[512], err[256] = "";
    int rc;
    snprintf(path, sizeof path, "%s/csv.jsonl", dir);
    spit(
        path,
        "{\"index\":1,\"t\":0.25,\"island\":0,\"id\":1,\"parents\":[],\"operator\":\"seed\","
        "\"template\":\"gemm, \\\"mma\\\"\",\"status\":\"PASSED\",\"fitness\":1.1,\"best\":1.1,"
        "\"best_id\":1,\"label\":null,\"workloads\":{\"M=1\":{\"latency_us\":5.5,\"speedup\":2}}}\n"
        "\n"
        "{\"index\":2,\"t\":0.5,\"island\":1,\"id\":2,\"parents\":[1,3],\"operator\":\"cross\","
        "\"template\":\"t\",\"status\":\"TIMEOUT\",\"fitness\":0,\"best\":1.1,\"best_id\":1,"
        "\"label\":\"regression\",\"workloads\":{\"M=2\":{\"latency_us\":7},"
        "\"M=1\":{\"speedup\":0.1}}}\n"
        "{\"index\":3,\"t\":0.7");
    char *csv = csv_of(path, err, sizeof err, &rc);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK_MSG(csv && strcmp(csv, "index,t,island,id,parents,operator,template,status,fitness,best,"
                                 "best_id,label,M=1.latency_us,M=1.speedup,M=2.latency_us\n"
                                 "1,0.25,0,1,,seed,\"gemm, \"\"mma\"\"\",PASSED,1.1,1.1,1,,5.5,2,\n"
                                 "2,0.5,1,2,1;3,cross,t,TIMEOUT,0,1.1,1,regression,,0.1,7\n") == 0,
              "got:\n%s", csv ? csv : "(null)");
    free(csv);

    spit(path, "{\"index\":1}\n[1,2]\n");
    csv = csv_of(path, err, sizeof err, &rc);
    CHECK(rc == -1);
    CHECK_CONTAINS(str(err), "csv.jsonl:2: not a JSON object: found another JSON value");
    free(csv);

    spit(path, "{\"index\":1}\n{\"index\":\n");
    csv = csv_of(path, err, sizeof err, &rc);
    CHECK(rc == -1);
    CHECK_CONTAINS(str(err), "csv.jsonl:2: not a JSON object: ");
    free(csv);

    csv = csv_of("/nonexistent-evo/fitness.jsonl", err, sizeof err, &rc);
    CHECK(rc == -1);
    CHECK_CONTAINS(str(err), "/nonexistent-evo/fitness.jsonl: No such file or directory");
    free(csv);
    unlink(path);
}

int main(void)
{
    char dir[] = "/tmp/evo_test_fitlog_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_append_count(dir);
    test_open_error();
    test_csv(dir);
    rmdir(dir);
    return CHECK_DONE();
}
