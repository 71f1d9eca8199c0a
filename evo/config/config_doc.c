/* config_doc.c -- the Markdown table of every configuration key, made from the schema.
 *
 * configs/README.md embeds this table between marker comments; tests/test_config.c fails
 * when the two differ and rewrites the README with `test_config --update-readme`, so the
 * documentation cannot drift from what the validator accepts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_schema.h"

/* Markdown table cells may not hold a bare '|', even inside code spans. */
static void put_cell(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '|') fputc('\\', f);
        fputc(*s, f);
    }
}

static void type_text(const config_key *k, char *buf, size_t len)
{
    char exp[256];
    config_key one = *k;
    switch (k->type) {
    case CT_INT:
    case CT_NUMBER:
        config_schema_expected(k, exp, sizeof exp);
        snprintf(buf, len, "%s", exp + (exp[1] == 'n' ? 3 : 2)); /* drop "a "/"an " */
        return;
    case CT_STRING:
        if (!k->allowed) {
            snprintf(buf, len, "%s",
                     (k->flags & CK_URL)       ? "string (http(s) URL)"
                     : (k->flags & CK_ENVNAME) ? "string (variable name)"
                                               : "string");
            return;
        }
        config_schema_expected(k, exp, sizeof exp);
        snprintf(buf, len, "%s", exp);
        return;
    case CT_INTS:
        one.type = CT_INT;
        config_schema_expected(&one, exp, sizeof exp);
        snprintf(buf, len, "array of %ss", exp + 3);
        return;
    case CT_MAP:
        snprintf(buf, len, "object: name -> %s",
                 (k->flags & CK_OPNAME) ? "number >= 0" : "integer");
        return;
    case CT_BOOL:
        snprintf(buf, len, "boolean");
        return;
    case CT_OBJECT:
        snprintf(buf, len, "object (free-form)");
        return;
    case CT_OBJECTS:
        snprintf(buf, len, "array of objects");
        return;
    case CT_STRINGS:
        snprintf(buf, len, "array of strings");
        return;
    }
    snprintf(buf, len, "?");
}

static void put_row(FILE *f, const config_key *k)
{
    char type[320];
    type_text(k, type, sizeof type);
    if ((k->type == CT_OBJECTS || k->type == CT_MAP) && k->maxlen) {
        size_t n = strlen(type);
        if (k->minlen)
            snprintf(type + n, sizeof type - n, ", %d to %d", k->minlen, k->maxlen);
        else
            snprintf(type + n, sizeof type - n, ", at most %d", k->maxlen);
    }
    fputs("| `", f);
    put_cell(f, k->path);
    fputs("` | ", f);
    put_cell(f, type);
    fputs(" | ", f);
    if (k->def) {
        fputc('`', f);
        put_cell(f, k->def);
        fputc('`', f);
    } else {
        fputs((k->flags & CK_REQUIRED) ? "required" : "(absent)", f);
    }
    fputs(" | ", f);
    put_cell(f, k->doc);
    fputs(" |\n", f);
}

char *config_schema_markdown(void)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    if (!f) return NULL;
    fputs("| Key | Type | Default | Meaning |\n|---|---|---|---|\n", f);
    int n = config_schema_count();
    for (int i = 0; i < n; i++)
        put_row(f, config_schema_at(i));
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    return out;
}
