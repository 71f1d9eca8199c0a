/* test_embed_example.c -- an example of a research tool embedding libevo with its own
 * evaluator, using only the public header. It tunes a CPU matrix multiply: the genome's
 * parameters pick the loop order, the cache tile and the unroll factor; the evaluator checks
 * the product against a plain triple loop on fresh random inputs (correctness gates the
 * fitness) and scores speed as plain time / tuned time. README.md shows this program. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <evo/evo.h>

#define N 192

/* The template: a description of the tunables in an evo:params block. A GPU search would
 * put CUDA code here; this evaluator reads only the parameters. */
static const char *matmul_template = "/* evo:params\n"
                                     "   TILE    pow2 4..128      default 8\n"
                                     "   UNROLL  set 1 2 4        default 1\n"
                                     "   ORDER   enum IJK IKJ     default IJK\n"
                                     "   require TILE % UNROLL == 0\n"
                                     "*/\n";

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void plain(const float *a, const float *b, float *c)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            float s = 0;
            for (int k = 0; k < N; k++)
                s += a[i * N + k] * b[k * N + j];
            c[i * N + j] = s;
        }
}

static void tuned(const float *a, const float *b, float *c, int tile, int unroll, int ikj)
{
    memset(c, 0, sizeof(float) * N * N);
    for (int i0 = 0; i0 < N; i0 += tile)
        for (int k0 = 0; k0 < N; k0 += tile) {
            int i1 = i0 + tile < N ? i0 + tile : N, k1 = k0 + tile < N ? k0 + tile : N;
            for (int i = i0; i < i1; i++) {
                if (!ikj) {
                    /* i-j-k inside the tile: a dot product per output, strided reads of b. */
                    for (int j = 0; j < N; j++) {
                        float s = 0;
                        for (int k = k0; k < k1; k++)
                            s += a[i * N + k] * b[k * N + j];
                        c[i * N + j] += s;
                    }
                    continue;
                }
                /* i-k-j: rows of b streamed, unrolled over j. */
                for (int k = k0; k < k1; k++) {
                    float aik = a[i * N + k];
                    int j = 0;
                    for (; j + unroll <= N; j += unroll)
                        for (int u = 0; u < unroll; u++)
                            c[i * N + j + u] += aik * b[k * N + j + u];
                    for (; j < N; j++)
                        c[i * N + j] += aik * b[k * N + j];
                }
            }
        }
}

static int evaluate(void *user, int slot, const evo_genome *g, evo_result *out)
{
    (void)user;
    (void)slot;
    int64_t tile = 8, unroll = 1;
    evo_genome_param_int(g, "TILE", &tile);
    evo_genome_param_int(g, "UNROLL", &unroll);
    int ikj = 0;
    for (int i = 0; i < evo_genome_param_count(g); i++)
        if (strcmp(evo_genome_param_name(g, i), "ORDER") == 0)
            ikj = strcmp(evo_genome_param_value(g, i), "IKJ") == 0;
    float *a = malloc(sizeof(float) * N * N), *b = malloc(sizeof(float) * N * N);
    float *want = malloc(sizeof(float) * N * N), *got = malloc(sizeof(float) * N * N);
    unsigned seed = (unsigned)time(NULL);
    for (int i = 0; i < N * N; i++) {
        a[i] = (float)rand_r(&seed) / RAND_MAX - 0.5f;
        b[i] = (float)rand_r(&seed) / RAND_MAX - 0.5f;
    }
    double t0 = seconds();
    plain(a, b, want);
    double t_plain = seconds() - t0;
    t0 = seconds();
    tuned(a, b, got, (int)tile, (int)unroll, ikj);
    double t_tuned = seconds() - t0;
    double max_err = 0;
    for (int i = 0; i < N * N; i++) {
        double d = got[i] > want[i] ? got[i] - want[i] : want[i] - got[i];
        if (d > max_err) max_err = d;
    }
    evo_result_add_metric(out, "n=192", "latency_us", t_tuned * 1e6);
    evo_result_add_metric(out, "n=192", "baseline_us", t_plain * 1e6);
    evo_result_add_metric(out, "n=192", "max_abs_err", max_err);
    if (max_err > 1e-3) {
        evo_result_set_status(out, EVO_STATUS_INCORRECT_NUMERICAL);
        evo_result_set_error(out, "max abs error %g", max_err);
    } else {
        evo_result_set_status(out, EVO_STATUS_PASSED);
        evo_result_set_fitness(out, t_plain / t_tuned);
    }
    free(a);
    free(b);
    free(want);
    free(got);
    return EVO_OK;
}

int main(void)
{
    const char *json =
        "{\"name\": \"embed-example\", \"islands\": {\"count\": 2},"
        " \"evaluator\": {\"kind\": \"custom\"}, \"stop\": {\"max_evaluations\": 30}}";
    char err[1024], dir[128];
    evo_config *cfg;
    if (evo_config_parse(json, "example", &cfg, err, sizeof err) != EVO_OK) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    snprintf(dir, sizeof dir, "/tmp/evo-embed-example-%ld", (long)time(NULL));

    evo_engine *e;
    int rc = evo_engine_open(&e, dir, cfg);
    evo_config_free(cfg);
    evo_evaluator ev = {.name = "cpu-matmul", .evaluate = evaluate};
    if (rc == EVO_OK) rc = evo_engine_set_evaluator(e, &ev);
    if (rc == EVO_OK) rc = evo_engine_add_seed(e, "matmul", matmul_template);
    if (rc == EVO_OK) rc = evo_engine_run(e);
    if (rc != EVO_OK) {
        fprintf(stderr, "search failed: %s\n", evo_errmsg(e));
        evo_engine_close(e);
        return 1;
    }
    evo_engine_close(e);

    evo_run *r;
    evo_candidate *best;
    if (evo_run_open(&r, dir) != EVO_OK || evo_run_best(r, &best) != EVO_OK) {
        fprintf(stderr, "no best candidate\n");
        return 1;
    }
    const evo_genome *g = evo_candidate_genome(best);
    printf("best of %lld: #%lld, %.2fx the plain loop with", (long long)evo_run_count(r),
           (long long)evo_candidate_id(best), evo_candidate_fitness(best));
    for (int i = 0; i < evo_genome_param_count(g); i++)
        printf(" %s=%s", evo_genome_param_name(g, i), evo_genome_param_value(g, i));
    printf("\n");
    int ok = evo_run_count(r) == 30 && evo_candidate_status(best) == EVO_STATUS_PASSED;
    evo_candidate_free(best);
    evo_run_close(r);
    printf("%d passed, %d failed\n", ok, !ok);
    return ok ? 0 : 1;
}
