/* report_util.c -- readers of the run's JSON and small HTML writers shared by the report's
 * sections (report_parts.h). */
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "html.h"
#include "report_parts.h"

const char *rj_str(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

double rj_num(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

long long rj_int(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

json_t *rj_get2(const json_t *o, const char *a, const char *b)
{
    return json_object_get(json_object_get(o, a), b);
}

void section_open(FILE *out, const char *id, const char *title)
{
    fprintf(out, "<section id=\"%s\">\n<h2>", id);
    html_text(out, title);
    fputs("</h2>\n", out);
}

void section_close(FILE *out)
{
    fputs("</section>\n", out);
}

void kv_row(FILE *out, const char *key, const char *value)
{
    fputs("<tr><th>", out);
    html_text(out, key);
    fputs("</th><td>", out);
    html_text(out, value ? value : "-");
    fputs("</td></tr>\n", out);
}

void kv_rowf(FILE *out, const char *key, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    kv_row(out, key, buf);
}

void pre_block(FILE *out, const char *cls, const char *text, size_t max)
{
    fprintf(out, "<pre class=\"%s\">", cls);
    size_t n = text ? strlen(text) : 0;
    if (html_text_cut(out, text, max))
        fprintf(out, "</pre>\n<p class=\"note\">(cut: %zu of %zu bytes shown)</p>\n", max, n);
    else
        fputs("</pre>\n", out);
}

void num_cell(FILE *out, double v, const char *fmt)
{
    if (!isfinite(v)) {
        fputs("<td class=\"num\" data-v=\"\">-</td>", out);
        return;
    }
    fprintf(out, "<td class=\"num\" data-v=\"%.17g\">", v);
    fprintf(out, fmt, v);
    fputs("</td>", out);
}

void candidate_ref(FILE *out, long long id, int linked)
{
    if (linked)
        fprintf(out, "<a class=\"cand\" href=\"#c%lld\">#%lld</a>", id, id);
    else
        fprintf(out, "<span class=\"cand\">#%lld</span>", id);
}

void note_line(FILE *out, const char *text)
{
    fputs("<p class=\"note\">", out);
    html_text(out, text);
    fputs("</p>\n", out);
}
