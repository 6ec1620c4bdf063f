// zlib (zlib1g-dev): inflate for gzip'd logs.
#include <zlib.h>

// inflateInit2 is a macro; Swift calls this instead (windowBits 15 + 32: gzip or zlib headers, detected).
static inline int orbita_inflate_init(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}
