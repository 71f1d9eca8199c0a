/* check.c -- counters for check.h. */
#include "check.h"
int check_passed, check_failed;
