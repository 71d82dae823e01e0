// libjpeg-turbo (Debian's libjpeg62-turbo-dev), found through pkg-config `libjpeg`.
// jpeglib.h needs stdio.h (FILE) and stddef.h (size_t) first.
#include <stdio.h>
#include <stddef.h>
#include <jpeglib.h>
