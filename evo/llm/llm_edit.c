/* llm_edit.c -- parse a model's reply into a new source (see llm_edit.h).
 *
 * Everything works on arrays of lines: the reply is scanned once for SEARCH/REPLACE blocks
 * and fences, and SEARCH text is located in the parent's lines. Whole-line matching keeps
 * the whitespace-tolerant pass simple and predictable (a line matches when its
 * blank-collapsed, trimmed form is equal). */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "llm_edit.h"

typedef struct lines {
    int n, cap;
    char **v;
} lines;

static void lines_free(lines *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int lines_push(lines *l, const char *s, size_t len)
{
    if (l->n == l->cap) {
        int cap = l->cap ? l->cap * 2 : 64;
        char **v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v) return -1;
        l->v = v;
        l->cap = cap;
    }
    if (len && s[len - 1] == '\r') len--;
    char *c = malloc(len + 1);
    if (!c) return -1;
    memcpy(c, s, len);
    c[len] = 0;
    l->v[l->n++] = c;
    return 0;
}

static int split_lines(const char *text, lines *out)
{
    memset(out, 0, sizeof *out);
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (lines_push(out, p, len) != 0) return -1;
        if (!e) break;
        p = e + 1;
    }
    return 0;
}

static char *join_lines(char **v, int n)
{
    size_t len = 1;
    for (int i = 0; i < n; i++)
        len += strlen(v[i]) + 1;
    char *s = malloc(len), *q = s;
    if (!s) return NULL;
    for (int i = 0; i < n; i++) {
        size_t k = strlen(v[i]);
        memcpy(q, v[i], k);
        q += k;
        *q++ = '\n';
    }
    *q = 0;
    return s;
}

static void say(char *reason, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, cap, fmt, ap);
    va_end(ap);
}

/* A line's text with leading/trailing blanks removed and inner runs collapsed to one. */
static void squash(const char *s, char *out, size_t cap)
{
    size_t k = 0;
    int space = 0;
    while (*s && isspace((unsigned char)*s))
        s++;
    for (; *s && k + 1 < cap; s++) {
        if (isspace((unsigned char)*s)) {
            space = 1;
            continue;
        }
        if (space && k + 2 < cap) out[k++] = ' ';
        space = 0;
        out[k++] = *s;
    }
    out[k] = 0;
}

static uint64_t hash_text(const char *s)
{
    uint64_t h = 14695981039346656037ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static int is_blank(const char *s)
{
    while (*s && isspace((unsigned char)*s))
        s++;
    return *s == 0;
}

/* Where the k search lines occur in hay: count of places (overlapping ones too), first at
 * *at; -1 when out of memory. Lines are compared as written, or squashed when loose. Each
 * line gets an id (equal lines, equal ids: a hash table over the two texts), then the ids of
 * the search text are found in hay's by Knuth-Morris-Pratt: time linear in the two texts, where
 * comparing at every position took hay times search lines (10 s for a SEARCH part of 2000
 * lines in a parent of 200000 repeated ones). */
static int find_block(const lines *hay, char **search, int k, int loose, int *at)
{
    int n = hay->n, total = n + k, count = -1;
    size_t cap = 2;
    while (cap < 2 * (size_t)total)
        cap *= 2;
    char **text = calloc((size_t)total, sizeof *text); /* the lines as compared */
    size_t bytes = 0;
    for (int i = 0; loose && i < total; i++)
        bytes += strlen(i < k ? search[i] : hay->v[i - k]) + 1;
    char *sq = loose ? malloc(bytes) : NULL, *q = sq; /* squashed lines, one after another */
    int *id = malloc((size_t)total * sizeof *id), *fail = malloc((size_t)k * sizeof *fail);
    int *slot = malloc(cap * sizeof *slot);
    if (!text || !id || !fail || !slot || (loose && !sq)) goto out;
    memset(slot, 0xff, cap * sizeof *slot); /* -1: empty */
    for (int i = 0; i < total; i++) {
        text[i] = i < k ? search[i] : hay->v[i - k];
        if (loose) {
            size_t n = strlen(text[i]) + 1;
            squash(text[i], q, n);
            text[i] = q;
            q += n;
        }
        size_t h = (size_t)hash_text(text[i]) & (cap - 1);
        while (slot[h] >= 0 && strcmp(text[slot[h]], text[i]))
            h = (h + 1) & (cap - 1);
        if (slot[h] < 0) slot[h] = i;
        id[i] = slot[h] == i ? i : id[slot[h]];
    }
    const int *p = id, *t = id + k;
    fail[0] = 0;
    for (int i = 1, j = 0; i < k; i++) {
        while (j && p[i] != p[j])
            j = fail[j - 1];
        if (p[i] == p[j]) j++;
        fail[i] = j;
    }
    count = 0;
    for (int i = 0, j = 0; i < n; i++) {
        while (j && t[i] != p[j])
            j = fail[j - 1];
        if (t[i] == p[j]) j++;
        if (j == k) {
            if (!count) *at = i - k + 1;
            count++;
            j = fail[j - 1];
        }
    }
out:
    free(sq);
    free(text);
    free(id);
    free(fail);
    free(slot);
    return count;
}

static int is_marker(const char *s, char ch, const char *word)
{
    while (*s == ' ' || *s == '\t')
        s++;
    int n = 0;
    while (s[n] == ch)
        n++;
    if (n < 5 || n > 9) return 0;
    s += n;
    while (*s == ' ' || *s == '\t')
        s++;
    size_t wl = strlen(word);
    if (strncmp(s, word, wl) != 0) return 0;
    return is_blank(s + wl);
}

typedef struct sr_block {
    int search_at, search_n, replace_at, replace_n; /* ranges of reply lines */
} sr_block;

/* Collect SEARCH/REPLACE blocks from the reply's lines. Returns the count, or -1 (reason). */
static int parse_blocks(const lines *r, sr_block **out, char *reason, size_t cap)
{
    *out = NULL;
    int n = 0, ncap = 0;
    for (int i = 0; i < r->n; i++) {
        if (!is_marker(r->v[i], '<', "SEARCH")) continue;
        int div = -1, end = -1;
        for (int j = i + 1; j < r->n; j++) {
            if (div < 0 && is_marker(r->v[j], '=', "")) {
                div = j;
            } else if (is_marker(r->v[j], '>', "REPLACE")) {
                end = j;
                break;
            } else if (is_marker(r->v[j], '<', "SEARCH")) {
                break;
            }
        }
        if (div < 0 || end < 0) {
            say(reason, cap,
                "SEARCH/REPLACE block %d (reply line %d) is not closed: it needs a "
                "'=======' line and then a '>>>>>>> REPLACE' line",
                n + 1, i + 1);
            free(*out);
            *out = NULL;
            return -1;
        }
        if (n == ncap) {
            ncap = ncap ? ncap * 2 : 8;
            sr_block *b = realloc(*out, (size_t)ncap * sizeof *b);
            if (!b) {
                free(*out);
                *out = NULL;
                say(reason, cap, "out of memory");
                return -1;
            }
            *out = b;
        }
        (*out)[n++] = (sr_block){i + 1, div - i - 1, div + 1, end - div - 1};
        i = end;
    }
    return n;
}

static void first_line_excerpt(char **v, int n, char *out, size_t cap)
{
    const char *s = "";
    for (int i = 0; i < n; i++)
        if (!is_blank(v[i])) {
            s = v[i];
            break;
        }
    char tmp[200];
    squash(s, tmp, sizeof tmp);
    snprintf(out, cap, "%.80s", tmp);
}

/* Apply one block to doc; returns 0 or -1 with reason. */
static int apply_block(lines *doc, const lines *r, const sr_block *b, int index, char *reason,
                       size_t cap)
{
    char **search = r->v + b->search_at;
    int k = b->search_n;
    while (k > 0 && is_blank(search[0])) {
        search++;
        k--;
    }
    while (k > 0 && is_blank(search[k - 1]))
        k--;
    if (k == 0) {
        say(reason, cap,
            "SEARCH/REPLACE block %d: the SEARCH part is empty; copy the lines to "
            "replace from the current source",
            index);
        return -1;
    }
    int at = 0, count = find_block(doc, search, k, 0, &at);
    if (count == 0) count = find_block(doc, search, k, 1, &at);
    if (count < 0) {
        say(reason, cap, "out of memory");
        return -1;
    }
    char ex[100];
    first_line_excerpt(search, k, ex, sizeof ex);
    if (count == 0) {
        say(reason, cap,
            "SEARCH/REPLACE block %d: SEARCH text not found in the parent "
            "(first line: '%s')",
            index, ex);
        return -1;
    }
    if (count > 1) {
        say(reason, cap,
            "SEARCH/REPLACE block %d: SEARCH text is ambiguous: it matches %d places "
            "in the parent (first line: '%s'); include more surrounding lines",
            index, count, ex);
        return -1;
    }
    int rn = b->replace_n, nn = doc->n - k + rn;
    char **v = malloc((size_t)(nn > 0 ? nn : 1) * sizeof *v);
    if (!v) {
        say(reason, cap, "out of memory");
        return -1;
    }
    int q = 0;
    for (int i = 0; i < at; i++)
        v[q++] = doc->v[i];
    for (int i = 0; i < rn; i++)
        v[q++] = strdup(r->v[b->replace_at + i]);
    for (int i = at; i < at + k; i++)
        free(doc->v[i]);
    for (int i = at + k; i < doc->n; i++)
        v[q++] = doc->v[i];
    for (int i = 0; i < q; i++)
        if (!v[i]) {
            say(reason, cap, "out of memory");
            free(doc->v);
            doc->v = v;
            doc->n = q;
            doc->cap = nn;
            return -1;
        }
    free(doc->v);
    doc->v = v;
    doc->n = q;
    doc->cap = nn > 0 ? nn : 1;
    return 0;
}

static int is_fence(const char *s)
{
    int ind = 0;
    while (s[ind] == ' ' && ind < 4)
        ind++;
    return ind < 4 && strncmp(s + ind, "```", 3) == 0;
}

/* The best fenced block: one that looks like a kernel source if any, else the longest. */
static int pick_fence(const lines *r, int *from, int *count, char *reason, size_t cap)
{
    int best_score = -1;
    for (int i = 0; i < r->n; i++) {
        if (!is_fence(r->v[i])) continue;
        int j = i + 1;
        while (j < r->n && !is_fence(r->v[j]))
            j++;
        if (j == r->n) {
            if (best_score >= 0) break; /* a complete block was found before it */
            say(reason, cap,
                "the code block opened at reply line %d is not closed (was the reply "
                "cut off by max_tokens?)",
                i + 1);
            return -1;
        }
        size_t len = 0;
        int looks = 0;
        for (int k = i + 1; k < j; k++) {
            len += strlen(r->v[k]) + 1;
            if (strstr(r->v[k], "evo:params") || strstr(r->v[k], "evo:launch") ||
                strstr(r->v[k], "__global__"))
                looks = 1;
        }
        int score = (looks ? 1 << 30 : 0) + (int)(len > (1u << 29) ? (1u << 29) : len);
        if (score > best_score) {
            best_score = score;
            *from = i + 1;
            *count = j - i - 1;
        }
        i = j;
    }
    if (best_score < 0) {
        say(reason, cap, "the reply has no code: no fenced code block and no SEARCH/REPLACE block");
        return -1;
    }
    return 0;
}

int llm_edit_has_launch(const char *source)
{
    for (const char *p = strstr(source, "evo:launch"); p; p = strstr(p + 1, "evo:launch")) {
        /* Must be the first word of a comment line, not a mention in prose. */
        const char *b = p;
        while (b > source && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '*' || b[-1] == '/'))
            b--;
        if (b == source || b[-1] == '\n') return 1;
    }
    return 0;
}

static int check_result(const char *src, int require_launch, char *reason, size_t cap)
{
    size_t n = strlen(src);
    if (n > LLM_EDIT_MAX_SOURCE) {
        say(reason, cap, "the new source is %zu bytes, over the limit of %u", n,
            LLM_EDIT_MAX_SOURCE);
        return -1;
    }
    if (is_blank(src)) {
        say(reason, cap, "the new source is empty");
        return -1;
    }
    if (require_launch && !llm_edit_has_launch(src)) {
        say(reason, cap,
            "the new source has no evo:launch block (a comment whose first line is "
            "'evo:launch' stating the kernels and their grid, block and arguments)");
        return -1;
    }
    return 0;
}

int llm_edit_apply(const char *parent, const char *reply, int require_launch, char **out,
                   llm_edit_kind *kind, char *reason, size_t reason_len)
{
    *out = NULL;
    *kind = LLM_EDIT_NONE;
    reason[0] = 0;
    if (!reply || is_blank(reply)) {
        say(reason, reason_len, "the reply is empty");
        return -1;
    }
    lines r;
    if (split_lines(reply, &r) != 0) {
        lines_free(&r);
        say(reason, reason_len, "out of memory");
        return -1;
    }
    sr_block *blocks = NULL;
    int nb = parse_blocks(&r, &blocks, reason, reason_len);
    char *src = NULL;
    if (nb > LLM_EDIT_MAX_BLOCKS) {
        say(reason, reason_len, "the reply has %d SEARCH/REPLACE blocks, more than %d", nb,
            LLM_EDIT_MAX_BLOCKS);
    } else if (nb > 0) {
        lines doc;
        int ok = split_lines(parent ? parent : "", &doc) == 0;
        for (int i = 0; ok && i < nb; i++)
            ok = apply_block(&doc, &r, &blocks[i], i + 1, reason, reason_len) == 0;
        if (ok) src = join_lines(doc.v, doc.n);
        lines_free(&doc);
        *kind = LLM_EDIT_DIFF;
    } else if (nb == 0) {
        int from = 0, count = 0;
        if (pick_fence(&r, &from, &count, reason, reason_len) == 0)
            src = join_lines(r.v + from, count);
        *kind = LLM_EDIT_REWRITE;
    }
    free(blocks);
    lines_free(&r);
    if (!src) {
        if (!reason[0]) say(reason, reason_len, "out of memory");
        *kind = LLM_EDIT_NONE;
        return -1;
    }
    if (check_result(src, require_launch, reason, reason_len) != 0) {
        free(src);
        *kind = LLM_EDIT_NONE;
        return -1;
    }
    *out = src;
    return 0;
}

char *llm_edit_prose(const char *text, size_t max)
{
    lines r;
    if (split_lines(text ? text : "", &r) != 0) {
        lines_free(&r);
        return NULL;
    }
    size_t cap = strlen(text ? text : "") + 2; /* a newline is added to the last line */
    char *s = malloc(cap), *q = s;
    if (!s) {
        lines_free(&r);
        return NULL;
    }
    int in_fence = 0;
    for (int i = 0; i < r.n; i++) {
        if (is_fence(r.v[i])) {
            in_fence = !in_fence;
            continue;
        }
        if (in_fence) continue;
        size_t k = strlen(r.v[i]);
        memcpy(q, r.v[i], k);
        q += k;
        *q++ = '\n';
    }
    *q = 0;
    lines_free(&r);
    /* Trim, then cut at the last line or word end within max. */
    char *b = s;
    while (*b && isspace((unsigned char)*b))
        b++;
    size_t n = strlen(b);
    while (n && isspace((unsigned char)b[n - 1]))
        n--;
    if (n > max) {
        size_t cut = max;
        while (cut > max / 2 && !isspace((unsigned char)b[cut]))
            cut--;
        if (cut <= max / 2) cut = max;
        n = cut;
        while (n && isspace((unsigned char)b[n - 1]))
            n--;
    }
    memmove(s, b, n);
    s[n] = 0;
    return s;
}
