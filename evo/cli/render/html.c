/* html.c -- escaping for the HTML report (see html.h). */
#include "html.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The length of the UTF-8 sequence at p (1 to 4), or 0 when it is not one: a stray
 * continuation byte, an overlong form, a surrogate, past U+10FFFF, or cut short. */
static size_t utf8_len(const unsigned char *p)
{
    unsigned c = p[0];
    if (c < 0x80) return 1;
    size_t n = c >= 0xc2 && c <= 0xdf   ? 2
               : c >= 0xe0 && c <= 0xef ? 3
               : c >= 0xf0 && c <= 0xf4 ? 4
                                        : 0;
    for (size_t i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    if (n == 3 && ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f))) return 0;
    if (n == 4 && ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))) return 0;
    return n;
}

static void escape_span(FILE *out, const unsigned char *p, size_t len)
{
    const unsigned char *end = p + len;
    while (p < end) {
        switch (*p) {
        case '&':
            fputs("&amp;", out);
            break;
        case '<':
            fputs("&lt;", out);
            break;
        case '>':
            fputs("&gt;", out);
            break;
        case '"':
            fputs("&quot;", out);
            break;
        case '\'':
            fputs("&#39;", out);
            break;
        case '\n':
        case '\t':
            fputc(*p, out);
            break;
        default:
            if (*p < 0x20 || *p == 0x7f) break; /* control characters: dropped */
            /* The text is NUL-terminated, so utf8_len never reads past it. */
            size_t n = utf8_len(p);
            if (n == 0 || n > (size_t)(end - p)) {
                fputs("\xef\xbf\xbd", out); /* U+FFFD for a byte that is not UTF-8 */
                n = 1;
            } else {
                fwrite(p, 1, n, out);
            }
            p += n;
            continue;
        }
        p++;
    }
}

void html_text(FILE *out, const char *s)
{
    if (s) escape_span(out, (const unsigned char *)s, strlen(s));
}

int html_text_cut(FILE *out, const char *s, size_t max)
{
    if (!s) return 0;
    size_t n = strlen(s);
    if (n <= max) {
        escape_span(out, (const unsigned char *)s, n);
        return 0;
    }
    while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
        max--; /* not inside a character */
    escape_span(out, (const unsigned char *)s, max);
    return 1;
}

void html_textf(FILE *out, const char *fmt, ...)
{
    char buf[1024], *big = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= sizeof buf && (big = malloc((size_t)n + 1))) {
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    html_text(out, big ? big : buf);
    free(big);
}

void html_number(FILE *out, double v, int digits)
{
    if (!isfinite(v))
        fputs("-", out);
    else
        fprintf(out, "%.*f", digits, v);
}

void html_duration(char *buf, size_t n, double s)
{
    if (!(s > 0)) s = 0;
    long long t = (long long)(s + 0.5);
    if (s < 10)
        snprintf(buf, n, "%.2fs", s);
    else if (t < 60)
        snprintf(buf, n, "%llds", t);
    else if (t < 3600)
        snprintf(buf, n, "%lldm%02llds", t / 60, t % 60);
    else
        snprintf(buf, n, "%lldh%02lldm", t / 3600, t % 3600 / 60);
}
