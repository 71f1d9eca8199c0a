/* test_plot.c -- `evo plot`: the SVG drawn from a synthetic fitness log holds one dot per
 * PASSED candidate in each panel, a best-so-far path per panel, the legend, escaped titles;
 * huge logs are thinned; bad logs give exact errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "plot.h"

static const char *str(const char *s)
{
    return s;
}

/* A plain loop: strstr under AddressSanitizer rescans the whole haystack on every call. */
static int count(const char *hay, const char *needle)
{
    int n = 0;
    size_t k = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (*p == *needle && strncmp(p, needle, k) == 0) {
            n++;
            p += k - 1;
        }
    return n;
}

static char *plot_of(const char *path, const char *title, char *err, size_t errlen, int *rc)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *out = open_memstream(&buf, &n);
    *rc = plot_svg(path, title, out, err, errlen);
    fclose(out);
    return buf;
}

static void write_line(FILE *f, int id, double t, int island, const char *status, double fit,
                       double best)
{
    fprintf(f,
            "{\"index\":%d,\"t\":%g,\"island\":%d,\"id\":%d,\"parents\":[],\"operator\":\"point\","
            "\"template\":\"g\",\"status\":\"%s\",\"fitness\":%g,\"best\":%g,\"best_id\":1,"
            "\"label\":null,\"workloads\":{}}\n",
            id, t, island, id, status, fit, best);
}

static void test_small(const char *path)
{
    FILE *f = fopen(path, "w");
    write_line(f, 1, 0.5, 0, "PASSED", 1.0, 1.0);
    write_line(f, 2, 1.5, 1, "COMPILE_ERROR", 0, 1.0);
    write_line(f, 3, 2.0, 1, "PASSED", 1.5, 1.5);
    write_line(f, 4, 2.5, 2, "TIMEOUT", 0, 1.5);
    write_line(f, 5, 3.0, 2, "PASSED", 0.7, 1.5);
    fputs("{\"index\":6,\"t\":3.2,\"isla", f); /* torn: a writer is mid-line */
    fclose(f);

    char err[256] = "";
    int rc;
    char *svg = plot_of(path, "gemm <M=1024> & \"co\"", err, sizeof err, &rc);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK(svg && strncmp(svg, "<?xml version=\"1.0\"", 19) == 0);
    CHECK_CONTAINS(svg, "<svg xmlns=\"http://www.w3.org/2000/svg\"");
    CHECK(svg && strstr(svg, "</svg>\n") && strcmp(strstr(svg, "</svg>\n"), "</svg>\n") == 0);
    CHECK_CONTAINS(svg, ">gemm &lt;M=1024&gt; &amp; &quot;co&quot;</text>");
    CHECK_CONTAINS(svg, "best 1.5, 3 passed, 2 failed, 3 islands");
    CHECK(svg && count(svg, "<circle class=\"i") == 6); /* 3 dots in each of 2 panels */
    CHECK(svg && count(svg, "<circle class=\"i0\"") == 2);
    CHECK(svg && count(svg, "<circle class=\"i1\"") == 2);
    CHECK(svg && count(svg, "<circle class=\"i2\"") == 2);
    CHECK(svg && count(svg, "<path class=\"best\"") == 2);
    CHECK(svg && count(svg, "<path class=\"failed\"") == 2);
    CHECK(svg && count(svg, "l6 6m0 -6l-6 6") == 4); /* 2 crosses in each panel */
    CHECK_CONTAINS(svg, ">island 0</text>");
    CHECK_CONTAINS(svg, ">island 2</text>");
    CHECK_CONTAINS(svg, ">failed (2)</text>");
    CHECK_CONTAINS(svg, ">best so far</text>");
    CHECK_CONTAINS(svg, ">fitness vs evaluations</text>");
    CHECK_CONTAINS(svg, ">wall time (s)</text>");
    CHECK(svg && !strstr(svg, "thinned"));
    CHECK(svg && count(svg, "<g") == count(svg, "</g>"));
    free(svg);

    svg = plot_of(path, NULL, err, sizeof err, &rc);
    CHECK_CONTAINS(svg, ">evo: fitness over 5 evaluations</text>");
    free(svg);

    /* Nothing passed: crosses only, no best line, whole-number evaluation ticks. */
    f = fopen(path, "w");
    write_line(f, 1, 0.1, 0, "COMPILE_ERROR", 0, 0);
    write_line(f, 2, 0.2, 0, "INVALID", 0, 0);
    fclose(f);
    svg = plot_of(path, NULL, err, sizeof err, &rc);
    CHECK_MSG(rc == 0, "%s", err);
    CHECK(svg && count(svg, "<circle class=\"i") == 0);
    CHECK(svg && count(svg, "<path class=\"best\"") == 0);
    CHECK_CONTAINS(svg, "nothing passed yet, 0 passed, 2 failed, 1 island</text>");
    CHECK_CONTAINS(svg, ">failed (2)</text>");
    CHECK(svg && !strstr(svg, ">0.5</text>"));
    free(svg);
}

/* More PASSED candidates than the dot cap: thinned by stride, improvements kept. */
static void test_thinning(const char *path)
{
    const int n = 45000;
    FILE *f = fopen(path, "w");
    for (int i = 1; i <= n; i++) {
        double fit = i == 40001 ? 9.0 : 1.0 + (i % 7) * 0.01;
        write_line(f, i, i * 2.0, i % 3, "PASSED", fit, i > 40000 ? 9.0 : 1.06);
    }
    fclose(f);
    char err[256] = "";
    int rc;
    char *svg = plot_of(path, NULL, err, sizeof err, &rc);
    CHECK_MSG(rc == 0, "%s", err);
    int dots = svg ? count(svg, "<circle class=\"i") : 0;
    /* stride 3: 15000 per panel, plus the improvement at 40001 (40000 % 3 != 0). */
    CHECK_MSG(dots == 2 * 15001, "dots %d", dots);
    CHECK_CONTAINS(svg, "dots thinned: every 3th passed candidate, and every improvement");
    CHECK_CONTAINS(svg, ">wall time (h)</text>");
    CHECK_CONTAINS(svg, ">40k</text>");
    CHECK(svg && strlen(svg) < 5u << 20);
    free(svg);
}

static void test_errors(const char *path)
{
    char err[256] = "";
    int rc;
    char *svg = plot_of("/nonexistent-evo/fitness.jsonl", NULL, err, sizeof err, &rc);
    CHECK(rc == -1);
    CHECK_CONTAINS(str(err), "/nonexistent-evo/fitness.jsonl: No such file or directory");
    free(svg);

    FILE *f = fopen(path, "w");
    fclose(f);
    svg = plot_of(path, NULL, err, sizeof err, &rc);
    CHECK(rc == -1);
    CHECK_CONTAINS(str(err), "fitness.jsonl: no evaluations to plot");
    free(svg);

    f = fopen(path, "w");
    fputs("{\"index\":1}\n\"oops\"\n", f);
    fclose(f);
    svg = plot_of(path, NULL, err, sizeof err, &rc);
    CHECK(rc == -1);
    CHECK_CONTAINS(str(err), "fitness.jsonl:2: not a JSON object: found another JSON value");
    free(svg);
}

int main(void)
{
    char dir[] = "/tmp/evo_test_plot_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/fitness.jsonl", dir);
    test_small(path);
    test_thinning(path);
    test_errors(path);
    unlink(path);
    rmdir(dir);
    return CHECK_DONE();
}
