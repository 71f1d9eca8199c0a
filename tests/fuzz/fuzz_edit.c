/* fuzz_edit.c -- the model-reply parser (evo/llm/llm_edit.c): an input is a parent source, a
 * line "%%", then a model's reply (a fenced rewrite, SEARCH/REPLACE blocks, prose, or broken
 * versions of them), applied as the LLM operator applies it (an evo:launch block required when
 * the parent has one), plus the prose a plan or lesson keeps. Checks the edit's promises: a
 * source within the limit, with a launch block when one was required, or a reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "llm_edit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    char *part[2];
    int n = fuzz_split(text, part, 2);
    const char *parent = n > 1 ? part[0] : "";
    const char *reply = n > 1 ? part[1] : part[0];
    int need_launch = llm_edit_has_launch(parent);
    char *src = NULL;
    llm_edit_kind kind = LLM_EDIT_NONE;
    char reason[512];
    int rc = llm_edit_apply(parent, reply, need_launch, &src, &kind, reason, sizeof reason);
    fuzz_note("edit: %s", rc == 0 ? (kind == LLM_EDIT_DIFF ? "diff applied" : "rewrite") : reason);
    if (rc == 0) {
        if (!src || kind == LLM_EDIT_NONE) fuzz_fail("an applied edit gave no source or kind");
        if (strlen(src) > LLM_EDIT_MAX_SOURCE) fuzz_fail("an edit gave %zu bytes", strlen(src));
        if (need_launch && !llm_edit_has_launch(src))
            fuzz_fail("an edit dropped the required evo:launch block");
        free(src);
    } else {
        if (src || kind != LLM_EDIT_NONE) fuzz_fail("a refused edit handed out a source");
        if (!reason[0]) fuzz_fail("a refused edit gave no reason");
    }
    static const size_t max[] = {0, 1, 17, 600, 4000};
    for (size_t i = 0; i < sizeof max / sizeof max[0]; i++) {
        char *prose = llm_edit_prose(reply, max[i]);
        if (!prose) fuzz_fail("llm_edit_prose failed");
        if (strlen(prose) > max[i])
            fuzz_fail("prose of %zu bytes for max %zu", strlen(prose), max[i]);
        free(prose);
    }
    free(text);
    return 0;
}
