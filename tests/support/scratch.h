/* scratch.h -- the tests' scratch directories: one fresh folder under /tmp per suite, removed
 * at the end (kept when a check failed, for a look at what it holds). */
#ifndef EVO_TEST_SCRATCH_H
#define EVO_TEST_SCRATCH_H

/* Make /tmp/evo-test-NAME-XXXXXX (mkdtemp) and return its path (static, one per process);
 * exits the suite with a message when it cannot. */
const char *scratch_dir(const char *name);
/* NAME under the scratch directory (a ring of 8 static buffers: valid for a few calls). */
const char *scratch_path(const char *name);
/* Remove the scratch directory and everything in it, unless a check failed. 0 when done. */
int scratch_remove(void);
#endif
