// The header holds the only function (static inline); a C target needs one source file.
#include "CPrefetch.h"
