// CZooThreads: a small pool of persistent worker threads for the compute core's parallel
// loops (one per layer, each a few hundred microseconds at batch 1).
//
// Why not Dispatch: waking a sleeping Dispatch worker costs tens of microseconds per parallel
// loop, and ResNet50 at batch 1 runs about 60 of them per image. The pool's workers spin for a
// short while (about 0.2 ms) after each loop before they sleep, so back-to-back layers start at
// once, while an idle pool costs nothing.
#ifndef ZOO_THREADS_H
#define ZOO_THREADS_H

#ifdef __cplusplus
extern "C" {
#endif

/// The body of a parallel loop: called once with every index in [0, n).
typedef void (*zoo_pool_body)(void *context, int index);

/// Runs body(context, i) for every i in [0, n), index 0 on the calling thread and the others on
/// pool workers (n - 1 of them, started on first use; at most 63). Returns when every call has
/// returned, and 1. Returns 0 without calling body when the pool is in use by another thread or
/// n is out of range: the caller then runs the loop some other way. Safe to call from any
/// thread; calls from inside a body (nested loops) get 0.
int zoo_pool_run(int n, zoo_pool_body body, void *context);

#ifdef __cplusplus
}
#endif

#endif
