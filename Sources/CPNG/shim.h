// libpng 1.6 (Debian's libpng-dev), found through pkg-config `libpng`.
#include <png.h>
