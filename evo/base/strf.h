/* strf.h -- formatted text in a fresh allocation. */
#ifndef EVO_STRF_H
#define EVO_STRF_H

/* printf into a malloc'd string the caller frees; NULL when out of memory. */
char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
