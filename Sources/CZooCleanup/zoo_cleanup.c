#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include "zoo_cleanup.h"
#include "zoo_cleanup_internal.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ZOO_CLEANUP_SLOTS 256
#define ZOO_CLEANUP_PATH 4096

static char registered[ZOO_CLEANUP_SLOTS][ZOO_CLEANUP_PATH];
static int in_use[ZOO_CLEANUP_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int wake[2] = {-1, -1};
static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};

static void on_signal(int sig) {
    unsigned char byte = (unsigned char)sig;
    int saved = errno;
    if (wake[1] >= 0) { ssize_t ignored = write(wake[1], &byte, 1); (void)ignored; }
    errno = saved;
}

static int remove_entry(const char *path, const struct stat *info, int flag, struct FTW *ftw) {
    (void)info; (void)flag; (void)ftw;
    remove(path);
    return 0;
}

/// Removes every registered file or folder (the caller holds `lock`, or cannot take it).
static void remove_all_registered(void) {
    for (int i = 0; i < ZOO_CLEANUP_SLOTS; i++) {
        if (!in_use[i]) continue;
        struct stat info;
        if (lstat(registered[i], &info) == 0 && S_ISDIR(info.st_mode)) {
            nftw(registered[i], remove_entry, 16, FTW_DEPTH | FTW_PHYS);
        } else {
            unlink(registered[i]);
        }
        in_use[i] = 0;
    }
}

static void remove_registered(void) {
    pthread_mutex_lock(&lock);
    remove_all_registered();
    pthread_mutex_unlock(&lock);
}

void zoo_cleanup_remove_now(void) { remove_all_registered(); }

static void *watch(void *unused) {
    (void)unused;
    for (;;) {
        unsigned char byte = 0;
        ssize_t got = read(wake[0], &byte, 1);
        if (got < 0 && errno == EINTR) continue;
        if (got != 1) return NULL;
        remove_registered();
        signal((int)byte, SIG_DFL);
        // To the process, not this thread: the watcher blocks the stop signals, the others do not.
        kill(getpid(), (int)byte);
        // The default action of these signals ends the process; if it was blocked, go on.
    }
}

static void install(void) {
    if (pipe(wake) != 0) { wake[0] = wake[1] = -1; return; }
    fcntl(wake[0], F_SETFD, FD_CLOEXEC);
    fcntl(wake[1], F_SETFD, FD_CLOEXEC);
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    // The watcher must not take the stop signals itself (it would write to its own pipe).
    sigset_t block, previous;
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++) sigaddset(&block, stop_signals[i]);
    pthread_sigmask(SIG_BLOCK, &block, &previous);
    int failed = pthread_create(&thread, &attributes, watch, NULL);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    pthread_attr_destroy(&attributes);
    if (failed) return;
    for (size_t i = 0; i < sizeof stop_signals / sizeof stop_signals[0]; i++) {
        struct sigaction current;
        if (sigaction(stop_signals[i], NULL, &current) != 0) continue;
        if (current.sa_handler != SIG_DFL || (current.sa_flags & SA_SIGINFO)) continue;  // the application's own
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_signal;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESTART;
        sigaction(stop_signals[i], &action, NULL);
    }
}

void zoo_cleanup_install(void) { pthread_once(&once, install); }

int zoo_cleanup_register(const char *path) {
    size_t length = strlen(path);
    if (length + 1 > ZOO_CLEANUP_PATH) return -1;
    zoo_cleanup_install();
    pthread_mutex_lock(&lock);
    int slot = -1;
    for (int i = 0; i < ZOO_CLEANUP_SLOTS; i++) {
        if (!in_use[i]) {
            memcpy(registered[i], path, length + 1);
            in_use[i] = 1;
            slot = i;
            break;
        }
    }
    pthread_mutex_unlock(&lock);
    return slot;
}

void zoo_cleanup_unregister(int slot) {
    if (slot < 0 || slot >= ZOO_CLEANUP_SLOTS) return;
    pthread_mutex_lock(&lock);
    in_use[slot] = 0;
    pthread_mutex_unlock(&lock);
}
