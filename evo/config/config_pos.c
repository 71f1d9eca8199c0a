/* config_pos.c -- a position-recording scan of JSON text (see config_pos.h).
 *
 * The text has already been accepted by jansson and measured (json_limits.h: at most 32
 * levels and 10,000 values), so this is a plain recursive walk, linear in the text, that
 * only needs to be exact about what jansson and the config validator see: member names are
 * decoded (escapes, \u surrogate pairs) so that paths match jansson's keys, and columns
 * count code points so they agree with jansson's own error columns. */
#include "config_pos.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "evo.h"

/* The members seen so far, by (enclosing object, name): open addressing over entry indices,
 * so finding a duplicate key costs the same for the 10,000th member as for the first. */
typedef struct keyset {
    int *slot; /* entry index, or -1 */
    size_t cap, n;
} keyset;

typedef struct scanner {
    const char *p, *end, *start;
    int line, col;
    config_posmap *m;
    int dup, first;
    keyset keys;
} scanner;

static void advance(scanner *s)
{
    unsigned char c = (unsigned char)*s->p++;
    if (c == '\n') {
        s->line++;
        s->col = 1;
    } else if ((c & 0xC0) != 0x80) {
        s->col++;
    }
}

static void skip_ws(scanner *s)
{
    while (s->p < s->end && strchr(" \t\r\n", *s->p) && *s->p)
        advance(s);
}

static int hexval(const char *p, const char *end, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        if (p + i >= end) return -1;
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decode one \uXXXX (with its low surrogate when it is a high one); p is after "\u". */
static unsigned decode_u(const char **pp, const char *end)
{
    unsigned cp;
    if (hexval(*pp, end, &cp) < 0) return 0xFFFD;
    *pp += 4;
    if (cp >= 0xD800 && cp < 0xDC00 && *pp + 6 <= end && (*pp)[0] == '\\' && (*pp)[1] == 'u') {
        unsigned lo;
        if (hexval(*pp + 2, end, &lo) == 0 && lo >= 0xDC00 && lo < 0xE000) {
            *pp += 6;
            return 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        }
    }
    return cp;
}

/* Skip a string starting at '"'; with out, also decode it (out holds at least its length). */
static void scan_string(scanner *s, char *out)
{
    size_t n = 0;
    advance(s); /* opening quote */
    while (s->p < s->end && *s->p != '"') {
        if (*s->p != '\\') {
            if (out) out[n++] = *s->p;
            advance(s);
            continue;
        }
        const char *q = s->p + 1;
        char c = q < s->end ? *q : 0;
        const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
        const char *hit = c ? strchr(from, c) : NULL;
        if (c == 'u') {
            q++;
            unsigned cp = decode_u(&q, s->end);
            if (out) n += put_utf8(out + n, cp);
        } else {
            if (out && hit) out[n++] = to[hit - from];
            q += c ? 1 : 0;
        }
        while (s->p < q)
            advance(s);
    }
    if (s->p < s->end) advance(s); /* closing quote */
    if (out) out[n] = 0;
}

static int add_entry(scanner *s, const char *path, char *key, int parent, int kl, int kc)
{
    config_posmap *m = s->m;
    if (m->n == m->cap) {
        int cap = m->cap ? 2 * m->cap : 32;
        config_pos *v = realloc(m->v, (size_t)cap * sizeof *v);
        if (!v) return -1;
        m->v = v;
        m->cap = cap;
    }
    config_pos *e = &m->v[m->n];
    memset(e, 0, sizeof *e);
    e->path = path ? strdup(path) : NULL;
    if (path && !e->path) return -1;
    e->key = key;
    e->parent = parent;
    e->key_line = kl;
    e->key_col = kc;
    e->line = s->line;
    e->col = s->col;
    e->off = (size_t)(s->p - s->start);
    return m->n++;
}

static int scan_value(scanner *s, const char *path, char *key, int parent, int kl, int kc);

/* A child's path into *out: NULL (and EVO_OK) when the parent's path was already dropped or
 * the child's would pass CONFIG_POS_PATH_MAX. Keeping every full path cost memory quadratic
 * in the depth (9.85 GB for a 5 MB config nested 2,000 deep); the validator cuts the paths it
 * looks up at that length anyway, so a longer one would never be found. */
static int child_path(const char *path, const char *key, long index, char **out)
{
    *out = NULL;
    if (!path) return EVO_OK;
    char buf[CONFIG_POS_PATH_MAX + 1];
    int n;
    if (!key)
        n = snprintf(buf, sizeof buf, "%s[%ld]", path, index);
    else if (*path)
        n = snprintf(buf, sizeof buf, "%s.%s", path, key);
    else
        n = snprintf(buf, sizeof buf, "%s", key);
    if (n < 0 || (size_t)n >= sizeof buf) return EVO_OK;
    *out = strdup(buf);
    return *out ? EVO_OK : EVO_ENOMEM;
}

static size_t key_hash(int parent, const char *key)
{
    uint64_t h = 1469598103934665603ull ^ (uint64_t)(unsigned)parent * 0x9E3779B97F4A7C15ull;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++)
        h = (h ^ *p) * 1099511628211ull;
    return (size_t)(h ^ (h >> 29));
}

static int keyset_grow(scanner *s)
{
    keyset *k = &s->keys;
    size_t cap = k->cap ? 2 * k->cap : 64;
    int *slot = malloc(cap * sizeof *slot);
    if (!slot) return EVO_ENOMEM;
    for (size_t i = 0; i < cap; i++)
        slot[i] = -1;
    for (size_t i = 0; i < k->cap; i++) {
        if (k->slot[i] < 0) continue;
        const config_pos *e = &s->m->v[k->slot[i]];
        size_t j = key_hash(e->parent, e->key) & (cap - 1);
        while (slot[j] >= 0)
            j = (j + 1) & (cap - 1);
        slot[j] = k->slot[i];
    }
    free(k->slot);
    k->slot = slot;
    k->cap = cap;
    return EVO_OK;
}

/* The earlier member of parent named key into *first (-1 if none); a new name is recorded
 * as the entry the scan adds next. */
static int keyset_add(scanner *s, int parent, const char *key, int *first)
{
    keyset *k = &s->keys;
    *first = -1;
    if (2 * (k->n + 1) > k->cap && keyset_grow(s) != EVO_OK) return EVO_ENOMEM;
    size_t j = key_hash(parent, key) & (k->cap - 1);
    for (; k->slot[j] >= 0; j = (j + 1) & (k->cap - 1)) {
        const config_pos *e = &s->m->v[k->slot[j]];
        if (e->parent == parent && strcmp(e->key, key) == 0) {
            *first = k->slot[j];
            return EVO_OK;
        }
    }
    k->slot[j] = s->m->n;
    k->n++;
    return EVO_OK;
}

static int scan_member(scanner *s, const char *path, int self)
{
    int kl = s->line, kc = s->col;
    const char *q = s->p;
    scanner probe = *s;
    scan_string(&probe, NULL); /* measure the raw string to size the decoded key */
    char *key = malloc((size_t)(probe.p - q) + 4);
    if (!key) return EVO_ENOMEM;
    scan_string(s, key);
    int first;
    char *cp;
    if (keyset_add(s, self, key, &first) != EVO_OK || child_path(path, key, 0, &cp) != EVO_OK) {
        free(key);
        return EVO_ENOMEM;
    }
    skip_ws(s);
    if (s->p < s->end && *s->p == ':') advance(s);
    skip_ws(s);
    if (first >= 0 && s->dup < 0) {
        s->dup = s->m->n; /* the entry scan_value is about to add */
        s->first = first;
    }
    int rc = scan_value(s, cp, key, self, kl, kc);
    free(cp);
    return rc;
}

static int scan_container(scanner *s, const char *path, int self, char close)
{
    long index = 0;
    advance(s);
    skip_ws(s);
    while (s->p < s->end && *s->p != close) {
        int rc;
        if (close == '}') {
            rc = scan_member(s, path, self);
        } else {
            char *cp;
            if (child_path(path, NULL, index++, &cp) != EVO_OK) return EVO_ENOMEM;
            rc = scan_value(s, cp, NULL, self, 0, 0);
            free(cp);
        }
        if (rc != EVO_OK) return rc;
        skip_ws(s);
        if (s->p < s->end && *s->p == ',') advance(s);
        skip_ws(s);
    }
    if (s->p < s->end) advance(s);
    return EVO_OK;
}

static int scan_value(scanner *s, const char *path, char *key, int parent, int kl, int kc)
{
    int self = add_entry(s, path, key, parent, kl, kc);
    if (self < 0) {
        free(key);
        return EVO_ENOMEM;
    }
    int rc = EVO_OK;
    char c = s->p < s->end ? *s->p : 0;
    if (c == '{' || c == '[')
        rc = scan_container(s, path, self, c == '{' ? '}' : ']');
    else if (c == '"')
        scan_string(s, NULL);
    else
        while (s->p < s->end && *s->p && !strchr(" \t\r\n,]}", *s->p))
            advance(s);
    s->m->v[self].len = (size_t)(s->p - s->start) - s->m->v[self].off;
    return rc;
}

int config_pos_scan(config_posmap *m, const char *text, size_t len, int *dup, int *first)
{
    scanner s = {.p = text,
                 .end = text + len,
                 .start = text,
                 .line = 1,
                 .col = 1,
                 .m = m,
                 .dup = -1,
                 .first = -1};
    memset(m, 0, sizeof *m);
    skip_ws(&s);
    int rc = scan_value(&s, "", NULL, -1, 0, 0);
    free(s.keys.slot);
    if (rc != EVO_OK) return rc;
    if (s.dup >= 0) {
        *dup = s.dup;
        *first = s.first;
        return EVO_ECONFIG;
    }
    return EVO_OK;
}

const config_pos *config_pos_find(const config_posmap *m, const char *path)
{
    for (int i = 0; i < m->n; i++)
        if (m->v[i].path && strcmp(m->v[i].path, path) == 0) return &m->v[i];
    return NULL;
}

void config_pos_free(config_posmap *m)
{
    for (int i = 0; i < m->n; i++) {
        free(m->v[i].path);
        free(m->v[i].key);
    }
    free(m->v);
    memset(m, 0, sizeof *m);
}
