/* test_genome.c -- genomes: source normalisation, the content hash definition, sorted
 * parameters, rendering with #define and #line, recovering points, and the evo_genome_*
 * accessors. */
#include <stdlib.h>

#include "check.h"
#include "genome.h"
#include "sha256.h"

static const char *const SRC = "/* evo:params\n"
                               " BM pow2 16..256 default 128\n"
                               " LAYOUT enum ROW COL default ROW\n"
                               " BK set 16 32 default 32\n"
                               "*/\n"
                               "__global__ void k() {}\n";

static void test_normalise(void)
{
    struct {
        const char *in, *out;
    } cases[] = {
        {"", ""},
        {"abc", "abc\n"},
        {"abc\n", "abc\n"},
        {"abc  \t\n\n  \n\n", "abc\n"},
        {"a\r\nb \r\n", "a\nb\n"},
        {"\n\nx\n", "\n\nx\n"},
        {"  lead\n  \ntrail  \n", "  lead\n\ntrail\n"},
        {"   \n\t\n", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *got = source_normalise(cases[i].in);
        CHECK_MSG(got && strcmp(got, cases[i].out) == 0, "case %zu: got \"%s\"", i,
                  got ? got : "(null)");
        free(got);
    }
}

static void test_hash_definition(void)
{
    char err[256];
    evo_space *s = space_parse(SRC, err, sizeof err);
    CHECK_MSG(s != NULL, "%s", err);
    if (!s) return;
    evo_point p = point_new(s);
    evo_genome *g = genome_new("gemm", SRC, s, &p);
    CHECK(g != NULL);
    if (!g) return;
    /* Sorted by name. */
    CHECK(g->nparams == 3);
    CHECK(strcmp(g->names[0], "BK") == 0 && strcmp(g->values[0], "32") == 0);
    CHECK(strcmp(g->names[1], "BM") == 0 && strcmp(g->values[1], "128") == 0);
    CHECK(strcmp(g->names[2], "LAYOUT") == 0 && strcmp(g->values[2], "ROW") == 0);

    /* SHA-256 of normalised source, a zero byte, then NAME=VALUE lines. */
    char *norm = source_normalise(SRC);
    size_t n = strlen(norm);
    const char *tail = "BK=32\nBM=128\nLAYOUT=ROW\n";
    char *buf = malloc(n + 1 + strlen(tail));
    memcpy(buf, norm, n + 1);
    memcpy(buf + n + 1, tail, strlen(tail));
    char want[65], want_src[65];
    sha256_hex(buf, n + 1 + strlen(tail), want);
    sha256_hex(norm, n, want_src);
    CHECK_MSG(strcmp(g->hash, want) == 0, "hash %s want %s", g->hash, want);
    CHECK(strcmp(g->source_sha, want_src) == 0);
    CHECK(strcmp(evo_genome_hash(g), want) == 0 && strlen(evo_genome_hash(g)) == 64);
    free(buf);
    free(norm);

    /* Whitespace-only edits keep the hash; a parameter change does not. */
    char *crlf = malloc(strlen(SRC) * 2 + 8);
    size_t k = 0;
    for (const char *q = SRC; *q; q++) {
        if (*q == '\n') {
            crlf[k++] = ' ';
            crlf[k++] = '\r';
        }
        crlf[k++] = *q;
    }
    strcpy(crlf + k, "\n\n");
    evo_genome *g2 = genome_new("other-name", crlf, s, &p);
    CHECK(g2 && strcmp(g2->hash, g->hash) == 0);
    genome_free(g2);
    free(crlf);
    p.idx[0] = 0;
    evo_genome *g3 = genome_new("gemm", SRC, s, &p);
    CHECK(g3 && strcmp(g3->hash, g->hash) != 0);

    /* Pairs in any order give the same genome as the point. */
    const char *names[] = {"LAYOUT", "BM", "BK"}, *values[] = {"ROW", "128", "32"};
    evo_genome *g4 = genome_from_pairs("gemm", SRC, 3, names, values);
    CHECK(g4 && strcmp(g4->hash, g->hash) == 0);
    evo_genome *g5 = genome_copy(g4);
    CHECK(g5 && strcmp(g5->hash, g->hash) == 0 && g5->names[0] != g4->names[0]);
    genome_free(g3);
    genome_free(g4);
    genome_free(g5);
    genome_free(NULL);

    /* No parameters: hash of the source and the zero byte alone. */
    evo_genome *g6 = genome_new("plain", "int x;\n", NULL, NULL);
    sha256_hex("int x;\n", 8, want);
    CHECK(g6 && g6->nparams == 0 && strcmp(g6->hash, want) == 0);
    char *r6 = g6 ? genome_render(g6) : NULL;
    CHECK(r6 && strcmp(r6, "#line 1\nint x;\n") == 0);
    free(r6);
    genome_free(g6);

    point_free(&p);
    genome_free(g);
    space_free(s);
}

static void test_render_json_point(void)
{
    char err[256];
    evo_space *s = space_parse(SRC, err, sizeof err);
    if (!s) return;
    evo_point p = point_new(s);
    p.idx[1] = 1; /* LAYOUT=COL */
    evo_genome *g = genome_new("gemm", SRC, s, &p);
    char *r = genome_render(g);
    const char *head = "#define BK 32\n#define BM 128\n#define LAYOUT COL\n#line 1\n";
    CHECK(r && strncmp(r, head, strlen(head)) == 0 && strcmp(r + strlen(head), SRC) == 0);
    free(r);
    char *j = genome_params_json(g);
    CHECK_MSG(j && strcmp(j, "{\"BK\":32,\"BM\":128,\"LAYOUT\":\"COL\"}") == 0, "%s", j);
    free(j);

    evo_point q = {0, NULL};
    CHECK(genome_point(g, s, &q) == 0);
    CHECK(q.n == 3 && q.idx[0] == 3 && q.idx[1] == 1 && q.idx[2] == 1);
    point_free(&q);

    /* Missing parameters keep defaults, unknown ones are ignored, a value outside the
     * domain is an error. */
    const char *n1[] = {"BM", "GONE"}, *v1[] = {"16", "7"};
    evo_genome *h = genome_from_pairs("gemm", SRC, 2, n1, v1);
    CHECK(genome_point(h, s, &q) == 0 && q.idx[0] == 0 && q.idx[1] == 0 && q.idx[2] == 1);
    genome_free(h);
    const char *n2[] = {"BM"}, *v2[] = {"48"};
    h = genome_from_pairs("gemm", SRC, 1, n2, v2);
    CHECK(genome_point(h, s, &q) == -1);
    CHECK(q.idx[0] == 0); /* untouched on error */
    genome_free(h);
    point_free(&q);

    /* Accessors. */
    CHECK(strcmp(evo_genome_source(g), SRC) == 0);
    CHECK(strcmp(evo_genome_template(g), "gemm") == 0);
    CHECK(evo_genome_param_count(g) == 3);
    CHECK(strcmp(evo_genome_param_name(g, 1), "BM") == 0);
    CHECK(strcmp(evo_genome_param_value(g, 2), "COL") == 0);
    CHECK(evo_genome_param_name(g, 3) == NULL && evo_genome_param_value(g, -1) == NULL);
    int64_t v = 0;
    CHECK(evo_genome_param_int(g, "BM", &v) == EVO_OK && v == 128);
    CHECK(evo_genome_param_int(g, "LAYOUT", &v) == EVO_EINVAL);
    CHECK(evo_genome_param_int(g, "NOPE", &v) == EVO_ENOTFOUND);
    const char *n3[] = {"NEG", "HUGE"}, *v3[] = {"-12", "99999999999999999999"};
    h = genome_from_pairs("t", "", 2, n3, v3);
    CHECK(evo_genome_param_int(h, "NEG", &v) == EVO_OK && v == -12);
    CHECK(evo_genome_param_int(h, "HUGE", &v) == EVO_EINVAL);
    j = genome_params_json(h);
    CHECK_MSG(j && strcmp(j, "{\"HUGE\":\"99999999999999999999\",\"NEG\":-12}") == 0, "%s", j);
    free(j);
    genome_free(h);

    point_free(&p);
    genome_free(g);
    space_free(s);
}

int main(void)
{
    test_normalise();
    test_hash_definition();
    test_render_json_point();
    return CHECK_DONE();
}
