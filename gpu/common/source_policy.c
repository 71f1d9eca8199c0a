/* source_policy.c -- the checks a candidate source passes before NVRTC opens it, and the
 * scrubbing of compile logs (source_policy.h says what and why). */
#include "source_policy.h"
#include "errbuf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const exact_headers[] = {"cuda_fp16.h",
                                            "cuda_fp16.hpp",
                                            "cuda_bf16.h",
                                            "cuda_bf16.hpp",
                                            "cuda_fp8.h",
                                            "cuda_fp8.hpp",
                                            "cuda_fp6.h",
                                            "cuda_fp6.hpp",
                                            "cuda_fp4.h",
                                            "cuda_fp4.hpp",
                                            "mma.h",
                                            "cuda_pipeline.h",
                                            "cuda_pipeline_primitives.h",
                                            "cuda_pipeline_helpers.h",
                                            "cuda_awbarrier.h",
                                            "cuda_awbarrier_primitives.h",
                                            "cuda_awbarrier_helpers.h",
                                            "cooperative_groups.h",
                                            "cuda_stdint.h",
                                            "vector_types.h",
                                            "vector_functions.h",
                                            "math_constants.h",
                                            "device_types.h",
                                            NULL};
static const char *const header_dirs[] = {"cooperative_groups/", "cuda/", "cub/", "nv/", NULL};

int source_policy_header_allowed(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 200 || name[0] == '/' || strstr(name, "..") || strstr(name, "//")) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '/' || c == '-'))
            return 0;
    }
    for (int i = 0; exact_headers[i]; i++)
        if (strcmp(name, exact_headers[i]) == 0) return 1;
    for (int i = 0; header_dirs[i]; i++) {
        size_t d = strlen(header_dirs[i]);
        if (n > d && strncmp(name, header_dirs[i], d) == 0) return 1;
    }
    return 0;
}

/* The source with every line splice removed: backslash (or the trigraph ??/), optional blanks,
 * then a newline. Trigraph splices are removed too even where the compiler would not read
 * trigraphs: the scan below looks everywhere, so joining more lines can only find more. Each
 * kept byte remembers its source line for messages. */
typedef struct spliced {
    char *text;
    int *line;
    size_t n;
} spliced;

static size_t newline_at(const char *s, size_t i)
{
    if (s[i] == '\n') return 1;
    if (s[i] == '\r') return s[i + 1] == '\n' ? 2 : 1;
    return 0;
}

static int splice(const char *src, size_t len, spliced *out)
{
    out->text = malloc(len + 1);
    out->line = malloc((len + 1) * sizeof *out->line);
    if (!out->text || !out->line) return -1;
    size_t k = 0;
    int line = 1;
    for (size_t i = 0; i < len;) {
        size_t esc = src[i] == '\\'                                              ? 1
                     : (src[i] == '?' && src[i + 1] == '?' && src[i + 2] == '/') ? 3
                                                                                 : 0;
        if (esc) {
            size_t j = i + esc;
            while (src[j] == ' ' || src[j] == '\t')
                j++;
            size_t nl = newline_at(src, j);
            if (nl) {
                i = j + nl;
                line++;
                continue;
            }
        }
        size_t nl = newline_at(src, i);
        out->text[k] = nl ? '\n' : src[i];
        out->line[k++] = line;
        if (nl) {
            i += nl;
            line++;
        } else {
            i++;
        }
    }
    out->text[k] = 0;
    out->line[k] = line;
    out->n = k;
    return 0;
}

/* Skip blanks and block comments (which may span lines: a comment is one space). */
static size_t skip_blank(const char *t, size_t i)
{
    for (;;) {
        char c = t[i];
        if (c == ' ' || c == '\t' || c == '\f' || c == '\v') {
            i++;
        } else if (c == '/' && t[i + 1] == '*') {
            const char *end = strstr(t + i + 2, "*/");
            if (!end) return strlen(t);
            i = (size_t)(end - t) + 2;
        } else {
            return i;
        }
    }
}

static int is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* The length of a directive introducer at i: '#', the digraph '%:' or the trigraph '??='. */
static size_t introducer(const char *t, size_t i)
{
    if (t[i] == '#') return 1;
    if (t[i] == '%' && t[i + 1] == ':') return 2;
    if (t[i] == '?' && t[i + 1] == '?' && t[i + 2] == '=') return 3;
    return 0;
}

static int check_directive(const spliced *s, size_t at, size_t len, char *err, size_t errlen)
{
    const char *t = s->text;
    size_t i = skip_blank(t, at + len);
    size_t w = i;
    while (is_ident(t[w]))
        w++;
    size_t wn = w - i;
    int line = s->line[at];
    static const char *const refused[] = {"include_next", "import", "embed", NULL};
    for (int k = 0; refused[k]; k++)
        if (wn == strlen(refused[k]) && strncmp(t + i, refused[k], wn) == 0)
            return errbuf_fail(
                err, errlen,
                "source policy: line %d: #%s is not allowed (a candidate may include "
                "only the CUDA device headers)",
                line, refused[k]);
    if (wn != 7 || strncmp(t + i, "include", 7) != 0) return 0;
    size_t o = skip_blank(t, w);
    char open = t[o];
    if (open != '<' && open != '"')
        return errbuf_fail(
            err, errlen,
            "source policy: line %d: #include must name a header in <> or \"\" (a macro "
            "is not allowed here)",
            line);
    char close = open == '<' ? '>' : '"';
    size_t e = o + 1;
    while (t[e] && t[e] != close && t[e] != '\n')
        e++;
    if (t[e] != close)
        return errbuf_fail(
            err, errlen, "source policy: line %d: #include has an unterminated header name", line);
    char name[256];
    size_t n = e - o - 1;
    if (n >= sizeof name) n = sizeof name - 1;
    memcpy(name, t + o + 1, n);
    name[n] = 0;
    if (source_policy_header_allowed(name)) return 0;
    char shown[64];
    snprintf(shown, sizeof shown, "%.63s", name);
    for (char *p = shown; *p; p++)
        if ((unsigned char)*p < 32 || (unsigned char)*p > 126) *p = '?';
    return errbuf_fail(
        err, errlen,
        "source policy: line %d: #include %c%s%c is not allowed: a candidate may include "
        "only the CUDA device headers (cuda_fp16.h, cuda_bf16.h, cuda_fp8.h, mma.h, "
        "cuda_pipeline.h, cooperative_groups.h, cuda/..., cub/..., nv/...)",
        line, open, shown, close);
}

int source_policy_check(const char *src, size_t max_bytes, char *err, size_t errlen)
{
    if (!src) return errbuf_fail(err, errlen, "source policy: no source");
    if (max_bytes == 0) max_bytes = SOURCE_DEFAULT_MAX_BYTES;
    if (max_bytes > SOURCE_HARD_MAX_BYTES) max_bytes = SOURCE_HARD_MAX_BYTES;
    size_t len = strlen(src);
    if (len > max_bytes)
        return errbuf_fail(err, errlen,
                           "source policy: the source is %zu bytes, over the limit of %zu "
                           "(evaluator.max_source_bytes)",
                           len, max_bytes);
    spliced s = {0};
    if (splice(src, len, &s)) {
        free(s.text);
        free(s.line);
        return errbuf_fail(err, errlen, "source policy: out of memory");
    }
    int rc = 0;
    static const char *const probes[] = {"__has_include", "__has_embed", NULL};
    for (int k = 0; probes[k] && rc == 0; k++) {
        const char *hit = strstr(s.text, probes[k]);
        if (hit)
            rc =
                errbuf_fail(err, errlen,
                            "source policy: line %d: %s is not allowed (it asks the compiler about "
                            "host files)",
                            s.line[hit - s.text], probes[k]);
    }
    for (size_t i = 0; i < s.n && rc == 0; i++) {
        size_t len_in = introducer(s.text, i);
        if (len_in) rc = check_directive(&s, i, len_in, err, errlen);
    }
    free(s.text);
    free(s.line);
    return rc;
}

int source_policy_param(const char *name, const char *value, char *err, size_t errlen)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 64 || (name[0] >= '0' && name[0] <= '9'))
        return errbuf_fail(err, errlen,
                           "source policy: parameter name '%.64s' is not an identifier",
                           name ? name : "");
    for (size_t i = 0; i < n; i++)
        if (!is_ident(name[i]))
            return errbuf_fail(err, errlen,
                               "source policy: parameter name '%.64s' is not an identifier", name);
    size_t m = value ? strlen(value) : 0;
    if (m == 0 || m > 128)
        return errbuf_fail(err, errlen,
                           "source policy: parameter %s has an empty or overlong value", name);
    for (size_t i = 0; i < m; i++) {
        char c = value[i];
        if (!is_ident(c) && c != '.' && c != '-' && c != '+')
            return errbuf_fail(
                err, errlen,
                "source policy: parameter %s: value has the character 0x%02x (values are "
                "numbers or identifiers)",
                name, (unsigned char)c);
    }
    return 0;
}

/* Append to a growing buffer. */
typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static int put(buf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap : 256) * 2;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

char *source_policy_scrub_log(const char *log, const char *cuda_include, size_t limit)
{
    if (!log) log = "";
    const char *home = getenv("HOME");
    size_t hn = home && strlen(home) >= 2 ? strlen(home) : 0;
    size_t vn = strlen(SOURCE_VIRTUAL_DIR), cn = cuda_include ? strlen(cuda_include) : 0;
    buf b = {0};
    if (put(&b, "", 0)) return NULL;
    for (const char *p = log; *p;) {
        int rc = 0;
        if (strncmp(p, SOURCE_VIRTUAL_DIR, vn) == 0) {
            p += vn;
        } else if (cn && strncmp(p, cuda_include, cn) == 0) {
            rc = put(&b, "<cuda>/include", 14);
            p += cn;
        } else if (hn && strncmp(p, home, hn) == 0) {
            rc = put(&b, "~", 1);
            p += hn;
        } else {
            unsigned char c = (unsigned char)*p++;
            char ch = (c == '\n' || c == '\t' || (c >= 32 && c < 127)) ? (char)c : '?';
            rc = put(&b, &ch, 1);
        }
        if (rc) {
            free(b.p);
            return NULL;
        }
    }
    if (limit >= 128 && b.n > limit) {
        char tail[96];
        int tl =
            snprintf(tail, sizeof tail, "\n[log trimmed: %zu more bytes]\n", b.n - (limit - 96));
        memcpy(b.p + limit - 96, tail, (size_t)tl + 1);
    }
    return b.p;
}
