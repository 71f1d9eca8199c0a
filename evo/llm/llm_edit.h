/* llm_edit.h -- turning a model's reply into a candidate source.
 *
 * A reply is either a full rewrite (a fenced code block holding the whole new source) or a
 * list of SEARCH/REPLACE blocks in the aider/OpenEvolve style applied to the parent:
 *
 *   <<<<<<< SEARCH
 *   lines copied from the parent
 *   =======
 *   the lines that replace them
 *   >>>>>>> REPLACE
 *
 * SEARCH text is matched on whole lines, exactly first and then with whitespace differences
 * ignored (indentation, runs of blanks); a block that matches nowhere or in several places is
 * rejected with a reason naming the block. The reply is only ever text: info strings or file
 * names after a fence are ignored, and nothing in it is executed or used as a path. */
#ifndef EVO_LLM_EDIT_H
#define EVO_LLM_EDIT_H
#include <stddef.h>

/* Longest source an edit may produce. */
#define LLM_EDIT_MAX_SOURCE (1u << 20)
/* Most SEARCH/REPLACE blocks in one reply (each is looked for in the whole parent). */
#define LLM_EDIT_MAX_BLOCKS 256

typedef enum { LLM_EDIT_NONE = 0, LLM_EDIT_REWRITE, LLM_EDIT_DIFF } llm_edit_kind;

/* Apply reply to parent. require_launch: the result must contain an evo:launch block.
 * Returns 0 with *out set (caller frees) and *kind, or -1 with reason set (e.g.
 * "SEARCH/REPLACE block 2: SEARCH text not found in the parent (first line: '...')"). */
int llm_edit_apply(const char *parent, const char *reply, int require_launch, char **out,
                   llm_edit_kind *kind, char *reason, size_t reason_len);

/* The reply's text with fenced blocks removed, whitespace trimmed, cut to at most max bytes
 * at a line or word end (for plans and lessons). Caller frees; NULL only without memory. */
char *llm_edit_prose(const char *text, size_t max);

/* Whether source contains a comment block whose first line is `evo:launch`. */
int llm_edit_has_launch(const char *source);
#endif
