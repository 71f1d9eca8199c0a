/* config_validate.h -- checking a parsed configuration against the schema (internal).
 *
 * config.c parses the text with jansson, scans positions (config_pos.h), then calls
 * config_validate() on the user's tree, fills defaults, and calls config_check_rules() for
 * the rules that span keys. Every failure writes "NAME:LINE:COL: message" into the context's
 * err buffer and returns EVO_ECONFIG. */
#ifndef EVO_CONFIG_VALIDATE_H
#define EVO_CONFIG_VALIDATE_H
#include <jansson.h>
#include <stddef.h>

#include "config_pos.h"

typedef struct config_ctx {
    const char *name; /* the file, or the name given to evo_config_parse */
    const char *text; /* the source text the positions refer to */
    config_posmap pos;
    char *err;
    size_t errlen;
} config_ctx;

/* Write "NAME:LINE:COL: <fmt>" for the key (at_key) or the value at path; EVO_ECONFIG. */
int config_fail(config_ctx *c, const char *path, int at_key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Types, bounds, allowed values, names, unknown keys (with a suggestion), required keys,
 * and the ban on API keys, over the tree as the user wrote it. */
int config_validate(config_ctx *c, json_t *root);
/* Rules across keys, checked on the tree with defaults filled in. */
int config_check_rules(config_ctx *c, json_t *root);
/* The user's text for the value at path, for "found ..." (quoted, cut to 48 chars). */
void config_found(const config_ctx *c, const char *path, const json_t *v, char *buf, size_t len);
#endif
