/* html.h -- writing HTML safely: every text that reaches the page (a candidate's source, an
 * error, a model's plan or lesson, a name from a config) goes through html_text, which
 * escapes the five characters that can open markup or end an attribute, drops control
 * characters and replaces bytes that are not UTF-8 with U+FFFD, so no text can become a tag,
 * an attribute or a script. */
#ifndef EVO_HTML_H
#define EVO_HTML_H
#include <stddef.h>
#include <stdio.h>

/* s escaped for element content or a quoted attribute value (& < > " ' as references);
 * NULL writes nothing. Newlines and tabs are kept. */
void html_text(FILE *out, const char *s);
/* The first max bytes of s (cut at a character boundary), escaped; returns 1 when cut. */
int html_text_cut(FILE *out, const char *s, size_t max);
/* printf, with the result escaped. */
void html_textf(FILE *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A number for a table: "1.23", "12.3k", "-" when not finite. digits as for %.*f. */
void html_number(FILE *out, double v, int digits);
/* "3h05m", "12m08s", "41s", "0.52s". */
void html_duration(char *buf, size_t n, double s);
#endif
