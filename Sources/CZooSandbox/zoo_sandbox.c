#define _GNU_SOURCE
#include "zoo_sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0  /* macOS: SO_NOSIGPIPE below instead */
#endif

static double now_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void finish(zoo_child_result *result, int status, const struct rusage *usage) {
    if (WIFEXITED(status)) {
        result->exited = 1;
        result->exit_code = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        result->signal = WTERMSIG(status);
    }
#if defined(__APPLE__)
    result->max_rss_kb = usage->ru_maxrss / 1024;  /* bytes on macOS */
#else
    result->max_rss_kb = usage->ru_maxrss;
#endif
}

/* What the child wrote to its stdout: a malloc'd buffer grown up to `limit` bytes. */
typedef struct {
    char *bytes;
    size_t length, capacity, limit;
    int truncated;
} output_buffer;

/* Reads what the child wrote so far (past `limit`, or when memory runs out, the rest is read
   and dropped so the child never blocks on a full pipe). Returns 0 at end of file. */
static int drain(int fd, output_buffer *out) {
    char buffer[65536];
    for (;;) {
        ssize_t n = read(fd, buffer, sizeof buffer);
        if (n > 0) {
            size_t keep = (size_t)n;
            if (out->length + keep > out->limit) {
                keep = out->limit - out->length;
                out->truncated = 1;
            }
            if (out->length + keep > out->capacity) {
                size_t grown = out->capacity ? out->capacity : 65536;
                while (grown < out->length + keep) grown *= 2;
                if (grown > out->limit) grown = out->limit;
                char *bigger = realloc(out->bytes, grown);
                if (bigger == NULL) {
                    out->truncated = 1;
                    keep = 0;
                } else {
                    out->bytes = bigger;
                    out->capacity = grown;
                }
            }
            if (keep > 0) memcpy(out->bytes + out->length, buffer, keep);
            out->length += keep;
            continue;
        }
        if (n == 0) return 0;
        if (errno == EINTR) continue;
        return 1;  /* EAGAIN: nothing more for now */
    }
}

zoo_child_result zoo_run_child(const char *path, char *const argv[],
                               const void *input, size_t input_length, double timeout_seconds,
                               int capture_output, size_t output_limit) {
    zoo_child_result result;
    memset(&result, 0, sizeof result);
    int sockets[2] = {-1, -1};
    int pipe_fds[2] = {-1, -1};
    output_buffer out = {NULL, 0, 0, output_limit, 0};
    if (capture_output) {
        if (pipe(pipe_fds) != 0) {
            result.error = errno;
            return result;
        }
        fcntl(pipe_fds[0], F_SETFD, FD_CLOEXEC);
        fcntl(pipe_fds[1], F_SETFD, FD_CLOEXEC);
    }
    if (input != NULL) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) != 0) {
            result.error = errno;
            if (pipe_fds[0] >= 0) { close(pipe_fds[0]); close(pipe_fds[1]); }
            return result;
        }
#if defined(SO_NOSIGPIPE)
        int on = 1;
        setsockopt(sockets[0], SOL_SOCKET, SO_NOSIGPIPE, &on, sizeof on);
#endif
    }
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
    if (input != NULL) {
        posix_spawn_file_actions_adddup2(&actions, sockets[1], 0);
    } else {
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    }
    if (pipe_fds[1] >= 0) {
        posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
    } else {
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    }
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    posix_spawnattr_setsigmask(&attributes, &empty);
    posix_spawnattr_setsigdefault(&attributes, &all);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = 0;
    int spawn_status = posix_spawn(&pid, path, &actions, &attributes, argv, environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (input != NULL) close(sockets[1]);
    if (pipe_fds[1] >= 0) close(pipe_fds[1]);
    if (spawn_status != 0) {
        result.error = spawn_status;
        if (input != NULL) close(sockets[0]);
        if (pipe_fds[0] >= 0) close(pipe_fds[0]);
        return result;
    }
    result.spawned = 1;
    if (input != NULL) fcntl(sockets[0], F_SETFL, fcntl(sockets[0], F_GETFL) | O_NONBLOCK);
    int reading = pipe_fds[0] >= 0;
    if (reading) fcntl(pipe_fds[0], F_SETFL, fcntl(pipe_fds[0], F_GETFL) | O_NONBLOCK);

    const unsigned char *bytes = input;
    size_t sent = 0;
    int writing = input != NULL;
    double deadline = now_seconds() + (timeout_seconds > 0 ? timeout_seconds : 1e9);
    long pause_us = 50;
    for (;;) {
        int status = 0;
        struct rusage usage;
        pid_t done = wait4(pid, &status, WNOHANG, &usage);
        if (done == pid) {
            finish(&result, status, &usage);
            break;
        }
        if (done < 0 && errno != EINTR) {
            result.error = errno;
            break;
        }
        if (now_seconds() >= deadline) {
            kill(pid, SIGKILL);
            while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {}
            finish(&result, status, &usage);
            result.timed_out = 1;
            break;
        }
        struct pollfd ready[2];
        int count = 0, write_slot = -1, read_slot = -1;
        if (writing) { ready[count] = (struct pollfd){sockets[0], POLLOUT, 0}; write_slot = count++; }
        if (reading) { ready[count] = (struct pollfd){pipe_fds[0], POLLIN, 0}; read_slot = count++; }
        if (count > 0 && poll(ready, (nfds_t)count, writing ? 5 : (int)(pause_us / 1000) + 1) > 0) {
            if (read_slot >= 0 && (ready[read_slot].revents & (POLLIN | POLLHUP | POLLERR))) {
                if (drain(pipe_fds[0], &out) == 0) reading = 0;
            }
            if (write_slot >= 0) {
                if (ready[write_slot].revents & (POLLERR | POLLHUP)) {
                    writing = 0;
                } else if (ready[write_slot].revents & POLLOUT) {
                    ssize_t n = send(sockets[0], bytes + sent, input_length - sent, MSG_NOSIGNAL);
                    if (n > 0) sent += (size_t)n;
                    else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) writing = 0;
                }
            }
            if (sent == input_length && writing) {
                shutdown(sockets[0], SHUT_WR);
                writing = 0;
            }
        } else if (count == 0) {
            struct timespec pause = {0, pause_us * 1000};
            nanosleep(&pause, NULL);
        }
        if (pause_us < 5000) pause_us *= 2;
    }
    if (input != NULL) close(sockets[0]);
    if (pipe_fds[0] >= 0) {
        /* The child has ended: whatever it wrote is in the pipe (a grandchild holding the
           write end open would only leave EAGAIN, not block). */
        drain(pipe_fds[0], &out);
        close(pipe_fds[0]);
        result.output = out.bytes;
        result.output_length = out.length;
        result.output_truncated = out.truncated;
    }
    return result;
}

static size_t mapped_now(void) {
#if defined(__linux__)
    FILE *status = fopen("/proc/self/status", "r");
    if (status == NULL) return 0;
    char line[256];
    size_t kb = 0;
    while (fgets(line, sizeof line, status) != NULL) {
        if (strncmp(line, "VmSize:", 7) == 0) {
            kb = (size_t)strtoull(line + 7, NULL, 10);
            break;
        }
    }
    fclose(status);
    return kb * 1024;
#else
    return 0;
#endif
}

int zoo_limit_self(size_t memory_bytes, unsigned cpu_seconds) {
    struct rlimit none = {0, 0};
    setrlimit(RLIMIT_CORE, &none);
    if (cpu_seconds > 0) {
        struct rlimit cpu = {cpu_seconds, cpu_seconds + 1};
        if (setrlimit(RLIMIT_CPU, &cpu) != 0) return errno;
    }
#if defined(__linux__)
    if (memory_bytes > 0) {
        size_t base = mapped_now();
        struct rlimit space = {base + memory_bytes, base + memory_bytes};
        if (setrlimit(RLIMIT_AS, &space) != 0) return errno;
    }
#endif
    return 0;
}
