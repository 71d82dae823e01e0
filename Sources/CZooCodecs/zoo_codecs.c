// Shared helpers of the codec wrappers.
#include "zoo_codecs.h"
#include <stdarg.h>
#include <stdio.h>
#include "zoo_internal.h"

void zoo_set_error(char *err, size_t errlen, const char *fmt, ...) {
    if (err == NULL || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

#if defined(__GLIBC__)
#include <malloc.h>
#endif

void zoo_keep_large_buffers_in_heap(void) {
#if defined(__GLIBC__)
    // glibc maps every allocation above 128 KiB (adaptively up to 32 MiB) freshly with mmap and
    // unmaps it on free; per-image buffers of 0.5-1 MB then cost page faults and kernel zeroing
    // on every image. Recycle them from the heap instead.
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 64 << 20);
#endif
}
