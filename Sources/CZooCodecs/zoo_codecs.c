#include "zoo_codecs.h"
