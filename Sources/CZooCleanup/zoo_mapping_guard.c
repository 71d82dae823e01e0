#define _XOPEN_SOURCE 700
#define _DEFAULT_SOURCE
#include "zoo_mapping_guard.h"
#include "zoo_cleanup_internal.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define ZOO_MAPPING_SLOTS 1024
#define ZOO_MAPPING_PATH 1024

typedef struct {
    _Atomic int active;
    uintptr_t start;
    uintptr_t end;
    char path[ZOO_MAPPING_PATH];
} zoo_mapping;

static zoo_mapping mappings[ZOO_MAPPING_SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct sigaction previous;
static char prefix_text[64] = "zoo";

int zoo_mapping_register(const void *start, size_t length, const char *path) {
    int slot = -1;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < ZOO_MAPPING_SLOTS; i++) {
        if (atomic_load(&mappings[i].active)) continue;
        mappings[i].start = (uintptr_t)start;
        mappings[i].end = (uintptr_t)start + length;
        size_t n = strlen(path);
        if (n >= ZOO_MAPPING_PATH) n = ZOO_MAPPING_PATH - 1;
        memcpy(mappings[i].path, path, n);
        mappings[i].path[n] = 0;
        atomic_store(&mappings[i].active, 1);
        slot = i;
        break;
    }
    pthread_mutex_unlock(&lock);
    return slot;
}

void zoo_mapping_unregister(int slot) {
    if (slot < 0 || slot >= ZOO_MAPPING_SLOTS) return;
    atomic_store(&mappings[slot].active, 0);
}

// Async-signal-safe output: write(2) only, control bytes shown as '?'.
static void put(const char *text) {
    char buffer[256];
    size_t used = 0;
    for (const char *p = text; *p; p++) {
        unsigned char c = (unsigned char)*p;
        buffer[used++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
        if (used == sizeof buffer) {
            ssize_t ignored = write(2, buffer, used); (void)ignored;
            used = 0;
        }
    }
    if (used) { ssize_t ignored = write(2, buffer, used); (void)ignored; }
}

static void put_number(uintptr_t value) {
    char digits[32];
    int n = 0;
    do { digits[n++] = (char)('0' + value % 10); value /= 10; } while (value && n < 31);
    char out[32];
    for (int i = 0; i < n; i++) out[i] = digits[n - 1 - i];
    out[n] = 0;
    put(out);
}

static void on_bus(int sig, siginfo_t *info, void *context) {
    uintptr_t address = (uintptr_t)info->si_addr;
    for (int i = 0; i < ZOO_MAPPING_SLOTS; i++) {
        if (!atomic_load(&mappings[i].active)) continue;
        if (address < mappings[i].start || address >= mappings[i].end) continue;
        put(prefix_text);
        put(": error: ");
        put(mappings[i].path);
        put(": the file shrank while it was being read (another program truncated or replaced it in place; byte ");
        put_number(address - mappings[i].start);
        put(" is gone); nothing was written. Keep the file unchanged while zoo runs, and write new versions to another name then rename.");
        { ssize_t ignored = write(2, "\n", 1); (void)ignored; }
        zoo_cleanup_remove_now();
        _exit(1);
    }
    // Not a mapping of ours: what the process would have done without this handler.
    if (previous.sa_flags & SA_SIGINFO) {
        if (previous.sa_sigaction) { previous.sa_sigaction(sig, info, context); return; }
    } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
        previous.sa_handler(sig);
        return;
    }
    signal(SIGBUS, SIG_DFL);  // returning re-runs the faulting access, which now ends the process
}

static void install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_bus;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigaction(SIGBUS, &action, &previous);
}

void zoo_mapping_guard_install(const char *prefix) {
    if (prefix) {
        size_t n = strlen(prefix);
        if (n >= sizeof prefix_text) n = sizeof prefix_text - 1;
        memcpy(prefix_text, prefix, n);
        prefix_text[n] = 0;
    }
    pthread_once(&once, install);
}
