// giflib 5 (Debian's libgif-dev), found through pkg-config `libgif`.
#include <gif_lib.h>
