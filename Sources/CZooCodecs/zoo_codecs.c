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
