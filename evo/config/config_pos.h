/* config_pos.h -- where each key and value sits in a JSON text (internal to the config).
 *
 * jansson keeps no positions for values, so config errors would otherwise only name a key.
 * This scanner walks the raw text once (after jansson has accepted it) and records, for
 * every key path ("islands.features[1].bins"), the line:column of its key and of its value
 * and the value's source text, so messages can point into the user's file and quote what
 * they wrote. Columns count characters (UTF-8 code points) from 1, as editors do. */
#ifndef EVO_CONFIG_POS_H
#define EVO_CONFIG_POS_H
#include <stddef.h>

/* The longest path kept: the validator cuts the paths it looks up to this length. */
#define CONFIG_POS_PATH_MAX 511

typedef struct config_pos {
    char *path;            /* "" for the root; NULL when longer than CONFIG_POS_PATH_MAX */
    char *key;             /* the member name (decoded), NULL for array elements and root */
    int parent;            /* index of the enclosing object or array, -1 for the root */
    int key_line, key_col; /* 0 when there is no key */
    int line, col;         /* start of the value */
    size_t off, len;       /* the value's text: text[off, off+len) */
} config_pos;

typedef struct config_posmap {
    config_pos *v;
    int n, cap;
} config_posmap;

/* Scan text (valid JSON). Returns EVO_OK, EVO_ENOMEM, or EVO_ECONFIG when one object holds a
 * key twice: then *dup and *first are the indices of the second and first occurrence. */
int config_pos_scan(config_posmap *m, const char *text, size_t len, int *dup, int *first);
/* The entry for a path, or NULL. */
const config_pos *config_pos_find(const config_posmap *m, const char *path);
void config_pos_free(config_posmap *m);
#endif
