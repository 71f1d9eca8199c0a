/* llm_prompt.h -- prompt templates of the LLM operator: plain text files with named slots.
 *
 * A prompts folder holds system.txt, planner.txt, executor.txt, repair.txt and
 * summarizer.txt (configs/prompts/ ships the defaults; llm.prompts_dir points elsewhere).
 * A slot is written {{name}}; the known names are listed by llm_prompt_slot_names(). Loading
 * checks every slot, so a typo is an error naming the file, line and slot before a run
 * starts rather than a silently empty prompt. Rendering pastes values verbatim (they are not
 * scanned for slots again, so a kernel that happens to contain "{{" is harmless). */
#ifndef EVO_LLM_PROMPT_H
#define EVO_LLM_PROMPT_H
#include <stddef.h>

typedef enum {
    PROMPT_SYSTEM,
    PROMPT_PLANNER,
    PROMPT_EXECUTOR,
    PROMPT_REPAIR,
    PROMPT_SUMMARIZER,
    PROMPT_COUNT
} prompt_kind;

typedef struct llm_prompts {
    char *text[PROMPT_COUNT];
    char path[PROMPT_COUNT][1024];
} llm_prompts;

typedef struct prompt_slot {
    const char *name;
    const char *value; /* NULL renders as "" */
} prompt_slot;

/* The known slot names, comma separated (static). */
const char *llm_prompt_slot_names(void);
/* Load the five templates from dir. Returns 0, or -1 with err naming the file (and line and
 * slot for an unknown or unclosed slot). */
int llm_prompts_load(const char *dir, llm_prompts *out, char *err, size_t errlen);
/* Load one template text (for tests): name is used in messages. */
int llm_prompt_check(const char *text, const char *name, char *err, size_t errlen);
void llm_prompts_free(llm_prompts *p);
/* Render kind k with the given slot values (slots not given render as ""). Caller frees;
 * NULL only without memory. */
char *llm_prompt_render(const llm_prompts *p, prompt_kind k, const prompt_slot *slots, int n);
/* Same for a template text. */
char *llm_prompt_render_text(const char *text, const prompt_slot *slots, int n);
#endif
