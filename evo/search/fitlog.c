/* fitlog.c -- fitness.jsonl: the engine appends one line per committed candidate; the CLI
 * reads it back for `evo log`, `evo log --csv` and `evo plot`.
 *
 * The engine builds each line's object with its keys in the order fitlog.h documents, and
 * this file writes it as given. The store is the source of truth, so the log only has to
 * survive a crash well enough to be checked and cut back: a torn last line (a crash in the
 * middle of a write) is never counted, and fitlog_truncate drops it. Logs reach hundreds of
 * thousands of lines, so the CSV export streams the file twice (once for the columns, once
 * for the rows) instead of holding it in memory. */
#include "fitlog.h"
#include "errbuf.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "evo.h"

#define FITLOG_NAME "fitness.jsonl"

struct evo_fitlog {
    FILE *f;
    char *path;
};

#define set_err(err, errlen, ...) errbuf_set(err, errlen, 0, __VA_ARGS__)

static char *log_path(const char *run_dir)
{
    size_t n = strlen(run_dir) + sizeof FITLOG_NAME + 2;
    char *p = malloc(n);
    if (p) snprintf(p, n, "%s/%s", run_dir, FITLOG_NAME);
    return p;
}

/* Byte offset just past the last '\n' of f (0 when there is none); -1 on a read error. */
static long complete_length(FILE *f)
{
    char buf[65536];
    long pos = 0, end = 0;
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < got; i++)
            if (buf[i] == '\n') end = pos + (long)i + 1;
        pos += (long)got;
    }
    return ferror(f) ? -1 : end;
}

/* A crash mid-write leaves a torn line; appending after it would glue two records. */
static int drop_torn_tail(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return errno == ENOENT ? 0 : -1;
    long end = complete_length(f);
    long size = ftell(f);
    fclose(f);
    if (end < 0) return -1;
    if (end == size) return 0;
    return truncate(path, (off_t)end);
}

evo_fitlog *fitlog_open(const char *run_dir, char *err, size_t errlen)
{
    evo_fitlog *l = calloc(1, sizeof *l);
    if (!l || !(l->path = log_path(run_dir))) {
        free(l);
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    if (drop_torn_tail(l->path) != 0 || !(l->f = fopen(l->path, "a"))) {
        set_err(err, errlen, "%s: %s", l->path, strerror(errno));
        free(l->path);
        free(l);
        return NULL;
    }
    return l;
}

int fitlog_append(evo_fitlog *l, const json_t *line)
{
    if (!l || !line) return EVO_EINVAL;
    char *text = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (!text) return EVO_ENOMEM;
    int bad = fputs(text, l->f) == EOF || fputc('\n', l->f) == EOF || fflush(l->f) != 0;
    free(text);
    return bad ? EVO_EIO : EVO_OK;
}

void fitlog_close(evo_fitlog *l)
{
    if (!l) return;
    if (l->f) fclose(l->f);
    free(l->path);
    free(l);
}

int64_t fitlog_count(const char *run_dir)
{
    char *path = log_path(run_dir);
    if (!path) return -1;
    FILE *f = fopen(path, "rb");
    free(path);
    if (!f) return errno == ENOENT ? 0 : -1;
    char buf[65536];
    int64_t n = 0;
    size_t got;
    while ((got = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < got; i++)
            n += buf[i] == '\n';
    int bad = ferror(f);
    fclose(f);
    return bad ? -1 : n;
}

/* Copy the first n complete lines of in to out. */
static int copy_lines(FILE *in, FILE *out, int64_t n)
{
    char buf[65536];
    size_t got;
    while (n > 0 && (got = fread(buf, 1, sizeof buf, in)) > 0) {
        size_t keep = 0;
        for (size_t i = 0; i < got && n > 0; i++)
            if (buf[i] == '\n') {
                keep = i + 1;
                n--;
            }
        /* Without a newline in this chunk, keep the bytes only if a newline follows later. */
        if (n > 0) keep = got;
        if (fwrite(buf, 1, keep, out) != keep) return -1;
    }
    return ferror(in) ? -1 : 0;
}

static int truncate_into(const char *path, const char *tmp, int64_t n)
{
    FILE *in = fopen(path, "rb");
    if (!in) return errno == ENOENT && n == 0 ? 0 : -1;
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        fclose(in);
        return -1;
    }
    int rc = copy_lines(in, out, n);
    fclose(in);
    if (fclose(out) != 0) rc = -1;
    if (rc == 0) {
        /* A file shorter than n lines may end with a torn line that copy_lines kept. */
        FILE *f = fopen(tmp, "rb");
        long end = f ? complete_length(f) : -1;
        if (f) fclose(f);
        rc = end < 0 || truncate(tmp, (off_t)end) != 0 ? -1 : 0;
    }
    if (rc == 0 && rename(tmp, path) != 0) rc = -1;
    if (rc != 0) unlink(tmp);
    return rc;
}

int fitlog_truncate(const char *run_dir, int64_t n)
{
    if (n < 0) return EVO_EINVAL;
    char *path = log_path(run_dir);
    if (!path) return EVO_ENOMEM;
    size_t tlen = strlen(path) + 5;
    char *tmp = malloc(tlen);
    if (!tmp) {
        free(path);
        return EVO_ENOMEM;
    }
    snprintf(tmp, tlen, "%s.tmp", path);
    int rc = truncate_into(path, tmp, n);
    free(tmp);
    free(path);
    return rc == 0 ? EVO_OK : EVO_EIO;
}

/* ---- CSV ---- */

static const char *const fixed_columns[] = {"index",   "t",        "island",   "id",
                                            "parents", "operator", "template", "status",
                                            "fitness", "best",     "best_id",  "label"};
#define NFIXED (sizeof fixed_columns / sizeof fixed_columns[0])

static void csv_text(FILE *out, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"') fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* Shortest of %.15g, %.16g and %.17g that reads back as the same double. */
static void format_real(char *buf, size_t n, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, n, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        return;
    }
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, n, "%.*g", digits, v);
        if (strtod(buf, NULL) == v) return;
    }
}

/* One JSON value as a CSV field: null/absent empty, arrays joined with ';'. */
static void csv_value(FILE *out, const json_t *v)
{
    char buf[64];
    switch (json_typeof(v)) {
    case JSON_STRING:
        csv_text(out, json_string_value(v));
        return;
    case JSON_INTEGER:
        fprintf(out, "%lld", (long long)json_integer_value(v));
        return;
    case JSON_REAL:
        format_real(buf, sizeof buf, json_real_value(v));
        fputs(buf, out);
        return;
    case JSON_TRUE:
        fputs("true", out);
        return;
    case JSON_FALSE:
        fputs("false", out);
        return;
    case JSON_ARRAY: {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
        {
            if (i) fputc(';', out);
            csv_value(out, x);
        }
        return;
    }
    case JSON_OBJECT: {
        char *text = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
        csv_text(out, text ? text : "");
        free(text);
        return;
    }
    default:
        return;
    }
}

/* Reads a log line by line; a last line without '\n' is torn and skipped. */
typedef struct line_reader {
    FILE *f;
    const char *path;
    char *buf;
    size_t cap;
    int64_t lineno;
} line_reader;

/* Returns 1 with *out set to the parsed line, 0 at the end, -1 on a malformed line. */
static int next_line(line_reader *r, json_t **out, char *err, size_t errlen)
{
    ssize_t len;
    while ((len = getline(&r->buf, &r->cap, r->f)) > 0) {
        r->lineno++;
        if (r->buf[len - 1] != '\n') return 0;
        if (len == 1) continue;
        json_error_t je;
        *out = json_loadb(r->buf, (size_t)len, JSON_DECODE_ANY, &je);
        if (json_is_object(*out)) return 1;
        json_decref(*out);
        set_err(err, errlen, "%s:%lld: not a JSON object: %s", r->path, (long long)r->lineno,
                je.text[0] ? je.text : "found another JSON value");
        return -1;
    }
    return 0;
}

/* Column set in first-seen order: key "workload\x1ffigure" -> column number. */
static int collect_columns(line_reader *r, json_t *cols, char *err, size_t errlen)
{
    json_t *line;
    int rc;
    while ((rc = next_line(r, &line, err, errlen)) == 1) {
        const char *wname, *fname;
        json_t *w, *fig;
        json_object_foreach(json_object_get(line, "workloads"), wname, w)
        {
            json_object_foreach(w, fname, fig)
            {
                char key[512];
                snprintf(key, sizeof key, "%s\x1f%s", wname, fname);
                if (!json_object_get(cols, key))
                    json_object_set_new(cols, key,
                                        json_integer((json_int_t)json_object_size(cols)));
            }
        }
        json_decref(line);
    }
    return rc;
}

static void write_header(FILE *out, const json_t *cols)
{
    for (size_t i = 0; i < NFIXED; i++)
        fprintf(out, "%s%s", i ? "," : "", fixed_columns[i]);
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)cols, key, v)
    {
        char name[512];
        snprintf(name, sizeof name, "%s", key);
        char *sep = strchr(name, '\x1f');
        if (sep) *sep = '.';
        fputc(',', out);
        csv_text(out, name);
    }
    fputc('\n', out);
}

static void write_row(FILE *out, const json_t *line, const json_t *cols, const json_t **cells)
{
    for (size_t i = 0; i < NFIXED; i++) {
        if (i) fputc(',', out);
        csv_value(out, json_object_get(line, fixed_columns[i]));
    }
    size_t ncols = json_object_size(cols);
    for (size_t i = 0; i < ncols; i++)
        cells[i] = NULL;
    const char *wname, *fname;
    json_t *w, *fig;
    json_object_foreach(json_object_get(line, "workloads"), wname, w)
    {
        json_object_foreach(w, fname, fig)
        {
            char key[512];
            snprintf(key, sizeof key, "%s\x1f%s", wname, fname);
            json_t *col = json_object_get(cols, key);
            if (col) cells[json_integer_value(col)] = fig;
        }
    }
    for (size_t i = 0; i < ncols; i++) {
        fputc(',', out);
        if (cells[i]) csv_value(out, cells[i]);
    }
    fputc('\n', out);
}

static int write_rows(line_reader *r, FILE *out, const json_t *cols, char *err, size_t errlen)
{
    const json_t **cells = calloc(json_object_size(cols) + 1, sizeof *cells);
    if (!cells) {
        set_err(err, errlen, "out of memory");
        return -1;
    }
    json_t *line;
    int rc;
    while ((rc = next_line(r, &line, err, errlen)) == 1) {
        write_row(out, line, cols, cells);
        json_decref(line);
    }
    free(cells);
    return rc;
}

int fitlog_to_csv(const char *jsonl_path, FILE *out, char *err, size_t errlen)
{
    line_reader r = {.path = jsonl_path};
    if (!(r.f = fopen(jsonl_path, "rb"))) {
        set_err(err, errlen, "%s: %s", jsonl_path, strerror(errno));
        return -1;
    }
    json_t *cols = json_object();
    int rc = cols ? collect_columns(&r, cols, err, errlen) : -1;
    if (!cols) set_err(err, errlen, "out of memory");
    if (rc == 0) {
        rewind(r.f);
        r.lineno = 0;
        write_header(out, cols);
        rc = write_rows(&r, out, cols, err, errlen);
    }
    if (rc == 0 && (fflush(out) != 0 || ferror(out))) {
        set_err(err, errlen, "writing CSV: %s", strerror(errno));
        rc = -1;
    }
    json_decref(cols);
    free(r.buf);
    fclose(r.f);
    return rc < 0 ? -1 : 0;
}
