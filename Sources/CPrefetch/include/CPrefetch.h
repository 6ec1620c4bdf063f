#ifndef ORBITA_CPREFETCH_H
#define ORBITA_CPREFETCH_H

/// Asks the processor to start loading the cache line holding `address` (no fault, no wait): Swift has no prefetch of
/// its own. Inlined into Swift callers by the optimiser.
static inline __attribute__((always_inline)) void orbita_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
