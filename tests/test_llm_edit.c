/* test_llm_edit.c -- parsing model replies into sources (llm_edit.h) and prompt templates
 * (llm_prompt.h): full rewrites in fences, SEARCH/REPLACE blocks with exact and
 * whitespace-tolerant matching, every rejection with its exact reason, and template slots. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "llm_edit.h"
#include "llm_prompt.h"

static const char PARENT[] = "/* evo:params\n"
                             "   BM range 1..4 default 2\n"
                             "*/\n"
                             "/* evo:launch\n"
                             "   kernel k\n"
                             "     grid 1\n"
                             "     block 32\n"
                             "     args x\n"
                             "*/\n"
                             "extern \"C\" __global__ void k(float *x) {\n"
                             "    int i = threadIdx.x;\n"
                             "    x[i] = 0.0f;\n"
                             "    x[i] = 0.0f;\n"
                             "}\n";

static char *apply(const char *reply, int require_launch, llm_edit_kind *kind, char *reason)
{
    char *out = NULL;
    if (llm_edit_apply(PARENT, reply, require_launch, &out, kind, reason, 512) != 0) return NULL;
    return out;
}

static void test_rewrite(void)
{
    llm_edit_kind kind;
    char reason[512];
    const char *reason_p = reason; /* CHECK_CONTAINS tests its argument for NULL */
    char *s = apply(
        "Here is the kernel:\n```cuda kernel.cu\n/* evo:launch\n kernel k\n*/\nint a;\n```\nDone.",
        1, &kind, reason);
    CHECK_MSG(s != NULL, "%s", reason);
    CHECK(kind == LLM_EDIT_REWRITE);
    CHECK(s && strcmp(s, "/* evo:launch\n kernel k\n*/\nint a;\n") == 0);
    free(s);

    /* Several fences: the one that looks like a kernel wins over a longer shell snippet. */
    s = apply(
        "```\nnvcc -O3 -arch=sm_90 a very long command line that is not a kernel at all\n```\n"
        "```cpp\n// evo:launch\n__global__ void k(){}\n```\n",
        1, &kind, reason);
    CHECK_MSG(s && strcmp(s, "// evo:launch\n__global__ void k(){}\n") == 0, "%s", s ? s : reason);
    free(s);

    CHECK(apply("I think we should unroll the loop.", 1, &kind, reason) == NULL);
    CHECK(strcmp(reason,
                 "the reply has no code: no fenced code block and no SEARCH/REPLACE block") == 0);
    CHECK(kind == LLM_EDIT_NONE);

    CHECK(apply("```cuda\n/* evo:launch */\nint a;\n", 1, &kind, reason) == NULL);
    CHECK_CONTAINS(reason_p, "the code block opened at reply line 1 is not closed (was the reply "
                             "cut off by max_tokens?)");

    CHECK(apply("```cuda\nint a; // mentions evo:launch in prose\n```", 1, &kind, reason) == NULL);
    CHECK_CONTAINS(reason_p, "the new source has no evo:launch block");
    /* Not required: the task has no launch plans (the parent had none). */
    s = apply("```cuda\nint a;\n```", 0, &kind, reason);
    CHECK(s && strcmp(s, "int a;\n") == 0);
    free(s);

    CHECK(apply("   \n", 1, &kind, reason) == NULL);
    CHECK(strcmp(reason, "the reply is empty") == 0);
    CHECK(apply("```\n\n```", 0, &kind, reason) == NULL);
    CHECK(strcmp(reason, "the new source is empty") == 0);
}

static void test_diff(void)
{
    llm_edit_kind kind;
    char reason[512];
    const char *reason_p = reason; /* CHECK_CONTAINS tests its argument for NULL */
    char *s = apply("Change the init:\n<<<<<<< SEARCH\n    int i = threadIdx.x;\n=======\n"
                    "    int i = blockIdx.x * 32 + threadIdx.x;\n>>>>>>> REPLACE\n",
                    1, &kind, reason);
    CHECK_MSG(s != NULL, "%s", reason);
    CHECK(kind == LLM_EDIT_DIFF);
    CHECK_CONTAINS(s, "    int i = blockIdx.x * 32 + threadIdx.x;\n    x[i] = 0.0f;\n");
    CHECK(s && !strstr(s, "int i = threadIdx.x;"));
    free(s);

    /* Whitespace differences (indentation, runs of blanks, CRLF) still match; blocks may sit
     * inside fences; two blocks apply in order. */
    s = apply("```\n<<<<<<< SEARCH\nint   i =  threadIdx.x;\r\n=======\nint i = 7;\n>>>>>>> "
              "REPLACE\n```\n"
              "<<<<<<<  SEARCH\n   BM range 1..4 default 2\n=======\n   BM range 1..8 default 4\n"
              "   BN range 1..8 default 1\n>>>>>>> REPLACE",
              1, &kind, reason);
    CHECK_MSG(s != NULL, "%s", reason);
    CHECK_CONTAINS(s, "\nint i = 7;\n");
    CHECK_CONTAINS(s, "   BM range 1..8 default 4\n   BN range 1..8 default 1\n*/\n");
    free(s);

    /* Deleting lines: an empty REPLACE. */
    s = apply("<<<<<<< SEARCH\n    int i = threadIdx.x;\n=======\n>>>>>>> REPLACE", 1, &kind,
              reason);
    CHECK(s && !strstr(s, "threadIdx"));
    free(s);

    CHECK(apply("<<<<<<< SEARCH\n    y[i] = 1.0f;\n=======\n    y[i] = 2.0f;\n>>>>>>> REPLACE", 1,
                &kind, reason) == NULL);
    CHECK(strcmp(reason, "SEARCH/REPLACE block 1: SEARCH text not found in the parent (first line: "
                         "'y[i] = 1.0f;')") == 0);

    CHECK(apply("<<<<<<< SEARCH\n    x[i] = 0.0f;\n=======\n    x[i] = 1.0f;\n>>>>>>> REPLACE", 1,
                &kind, reason) == NULL);
    CHECK(strcmp(reason,
                 "SEARCH/REPLACE block 1: SEARCH text is ambiguous: it matches 2 places in the "
                 "parent (first line: 'x[i] = 0.0f;'); include more surrounding lines") == 0);

    CHECK(
        apply("<<<<<<< SEARCH\n    int i = threadIdx.x;\n=======\n    int i = 1;\n>>>>>>> REPLACE\n"
              "<<<<<<< SEARCH\n  int i = threadIdx.x;\n=======\n    int i = 2;\n>>>>>>> REPLACE",
              1, &kind, reason) == NULL);
    CHECK(strcmp(reason, "SEARCH/REPLACE block 2: SEARCH text not found in the parent (first line: "
                         "'int i = threadIdx.x;')") == 0);

    CHECK(apply("<<<<<<< SEARCH\n\n=======\nint j;\n>>>>>>> REPLACE", 1, &kind, reason) == NULL);
    CHECK(strcmp(reason, "SEARCH/REPLACE block 1: the SEARCH part is empty; copy the lines to "
                         "replace from the current source") == 0);

    CHECK(apply("<<<<<<< SEARCH\n    int i = threadIdx.x;\n=======\n    int i = 1;\n", 1, &kind,
                reason) == NULL);
    CHECK(strcmp(reason,
                 "SEARCH/REPLACE block 1 (reply line 1) is not closed: it needs a '=======' line "
                 "and then a '>>>>>>> REPLACE' line") == 0);

    /* A diff that removes the launch block is rejected. */
    CHECK(apply("<<<<<<< SEARCH\n/* evo:launch\n=======\n/* launch removed\n>>>>>>> REPLACE", 1,
                &kind, reason) == NULL);
    CHECK_CONTAINS(reason_p, "the new source has no evo:launch block");
}

static void test_prose(void)
{
    char *p = llm_edit_prose("  Plan: tile it.\n```cuda\nint x;\n```\nThen unroll.  \n", 100);
    CHECK(p && strcmp(p, "Plan: tile it.\nThen unroll.") == 0);
    free(p);
    p = llm_edit_prose("one two three four five six", 12);
    CHECK_MSG(p && strcmp(p, "one two") == 0, "'%s'", p ? p : "");
    free(p);
}

static void test_prompts(void)
{
    char err[512];
    const char *err_p = err;
    CHECK(llm_prompt_check("a {{task}} b {{ plan }} c", "t.txt", err, sizeof err) == 0);
    CHECK(llm_prompt_check("line one\nline {{taks}}", "planner.txt", err, sizeof err) != 0);
    CHECK_CONTAINS(err_p, "planner.txt line 2: unknown slot {{taks}} (known slots: task, ");
    CHECK(llm_prompt_check("x {{ 1 + 2", "e.txt", err, sizeof err) != 0);
    CHECK(strcmp(err, "e.txt line 1: '{{' does not start a slot like {{task}}") == 0);
    prompt_slot slots[] = {{"task", "T{{plan}}"}, {"plan", "P"}};
    char *s = llm_prompt_render_text("[{{task}}|{{ plan }}|{{error}}]", slots, 2);
    /* Values are pasted verbatim: a "{{" inside a value is not a slot. */
    CHECK(s && strcmp(s, "[T{{plan}}|P|]") == 0);
    free(s);

    llm_prompts p;
    CHECK_MSG(llm_prompts_load("configs/prompts", &p, err, sizeof err) == 0, "%s", err);
    CHECK(p.text[PROMPT_PLANNER] && strstr(p.text[PROMPT_PLANNER], "## Role: planner"));
    llm_prompts_free(&p);
    CHECK(llm_prompts_load("/nonexistent/prompts", &p, err, sizeof err) != 0);
    CHECK(strcmp(err, "cannot read prompt template /nonexistent/prompts/system.txt: No such file "
                      "or directory") == 0);
}

int main(void)
{
    test_rewrite();
    test_diff();
    test_prose();
    test_prompts();
    return CHECK_DONE();
}
