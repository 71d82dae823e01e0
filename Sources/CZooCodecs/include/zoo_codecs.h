// C side of ZooImages' decoders: libjpeg-turbo, libpng and giflib report errors by longjmp,
// which Swift cannot catch, so each decoder runs here behind setjmp and returns a status code.
#ifndef SWIFTZOO_CZOOCODECS_H
#define SWIFTZOO_CZOOCODECS_H
#include <stddef.h>
#include <stdint.h>

#endif
