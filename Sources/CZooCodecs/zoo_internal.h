// Internal helpers of CZooCodecs (not part of the module's public header).
#ifndef SWIFTZOO_CZOOCODECS_INTERNAL_H
#define SWIFTZOO_CZOOCODECS_INTERNAL_H
#include <stddef.h>
void zoo_set_error(char *err, size_t errlen, const char *fmt, ...);
#endif
