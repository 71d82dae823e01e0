// Persistent worker pool, see zoo_threads.h.
//
// Protocol, per worker w: the caller publishes a job (body, context) and then bumps w's
// sequence number; the worker runs body(context, w + 1) and stores that sequence number in its
// `done`. The caller runs index 0 itself and waits until every worker it used has reported, so
// the job never changes while a worker may still read it. A worker with nothing to do spins
// (with pause) for about ZP_SPIN_NS, then sleeps on its condition variable; the caller takes
// the worker's mutex before signalling, so a wake-up is never lost between the worker's last
// check and its wait.
#define _GNU_SOURCE
#include "zoo_threads.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#define ZP_MAX 63
#define ZP_SPIN_NS 200000

typedef struct {
    pthread_t thread;
    pthread_mutex_t mutex;
    pthread_cond_t cond;
    _Atomic uint64_t seq;   // job number the worker should run
    _Atomic uint64_t done;  // job number the worker finished
    _Atomic int sleeping;
    int index;
} zp_worker;

static zp_worker zp_workers[ZP_MAX];
static int zp_started;                  // workers started (guarded by zp_start_mutex)
static pthread_mutex_t zp_start_mutex = PTHREAD_MUTEX_INITIALIZER;
static _Atomic int zp_busy;             // 1 while a caller owns the pool
static zoo_pool_body zp_body;
static void *zp_context;
static _Thread_local int zp_inside;     // set on workers and on the caller while it runs a loop

static inline void zp_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ volatile("yield");
#endif
}

static uint64_t zp_now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void *zp_main(void *arg) {
    zp_worker *w = arg;
    zp_inside = 1;
    uint64_t seen = 0;
    for (;;) {
        uint64_t job = atomic_load_explicit(&w->seq, memory_order_acquire);
        if (job == seen) {
            uint64_t start = zp_now_ns();
            unsigned spins = 0;
            while ((job = atomic_load_explicit(&w->seq, memory_order_acquire)) == seen) {
                zp_pause();
                if ((++spins & 255) == 0 && zp_now_ns() - start > ZP_SPIN_NS) break;
            }
            if (job == seen) {
                pthread_mutex_lock(&w->mutex);
                atomic_store(&w->sleeping, 1);
                while ((job = atomic_load(&w->seq)) == seen) pthread_cond_wait(&w->cond, &w->mutex);
                atomic_store(&w->sleeping, 0);
                pthread_mutex_unlock(&w->mutex);
            }
        }
        seen = job;
        zp_body(zp_context, w->index + 1);
        atomic_store_explicit(&w->done, job, memory_order_release);
    }
    return NULL;
}

// Starts workers up to `count`; returns how many run.
static int zp_ensure(int count) {
    pthread_mutex_lock(&zp_start_mutex);
    while (zp_started < count) {
        zp_worker *w = &zp_workers[zp_started];
        w->index = zp_started;
        pthread_mutex_init(&w->mutex, NULL);
        pthread_cond_init(&w->cond, NULL);
        atomic_init(&w->seq, 0);
        atomic_init(&w->done, 0);
        atomic_init(&w->sleeping, 0);
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&w->thread, &attr, zp_main, w);
        pthread_attr_destroy(&attr);
        if (failed) break;
        zp_started++;
    }
    int started = zp_started;
    pthread_mutex_unlock(&zp_start_mutex);
    return started;
}

int zoo_pool_run(int n, zoo_pool_body body, void *context) {
    if (n < 1 || n > ZP_MAX + 1 || body == NULL || zp_inside) return 0;
    if (n == 1) {
        body(context, 0);
        return 1;
    }
    int expected = 0;
    if (!atomic_compare_exchange_strong(&zp_busy, &expected, 1)) return 0;
    if (zp_ensure(n - 1) < n - 1) {
        atomic_store(&zp_busy, 0);
        return 0;
    }
    zp_body = body;
    zp_context = context;
    uint64_t job[ZP_MAX];
    for (int i = 0; i < n - 1; i++) {
        zp_worker *w = &zp_workers[i];
        job[i] = atomic_load(&w->seq) + 1;
        atomic_store_explicit(&w->seq, job[i], memory_order_seq_cst);
        if (atomic_load(&w->sleeping)) {
            pthread_mutex_lock(&w->mutex);
            pthread_cond_signal(&w->cond);
            pthread_mutex_unlock(&w->mutex);
        }
    }
    zp_inside = 1;
    body(context, 0);
    zp_inside = 0;
    for (int i = 0; i < n - 1; i++) {
        unsigned spins = 0;
        while (atomic_load_explicit(&zp_workers[i].done, memory_order_acquire) != job[i]) {
            zp_pause();
            // A worker descheduled on a busy machine: give the core away instead of spinning.
            if (++spins > 4096) sched_yield();
        }
    }
    atomic_store(&zp_busy, 0);
    return 1;
}
