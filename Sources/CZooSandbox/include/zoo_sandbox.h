// Runs a helper process under limits and waits for it with a deadline: the parent side of
// zoo's HDF5 sandbox (a file of unknown origin is parsed by libhdf5 in a child first, so that
// a libhdf5 crash, hang or memory blow-up ends the child, not the caller).
#ifndef SWIFTZOO_CZOOSANDBOX_H
#define SWIFTZOO_CZOOSANDBOX_H

#include <stddef.h>

/// How a child ended.
typedef struct {
    int spawned;      ///< 1 when the child started; 0 with `error` set otherwise
    int error;        ///< errno of the failed spawn (or of the failed pipe setup)
    int exited;       ///< 1 when the child called exit; `exit_code` holds its status
    int exit_code;
    int signal;       ///< the signal that ended it (0 when it exited)
    int timed_out;    ///< 1 when it outlived the deadline and was killed with SIGKILL
    long max_rss_kb;  ///< its peak resident set, from wait4
    char *output;          ///< the child's stdout when captured (malloc'd; the caller frees it), or NULL
    size_t output_length;  ///< bytes in `output`
    int output_truncated;  ///< 1 when the child wrote more than the limit (the rest was dropped)
} zoo_child_result;

/// Starts `path` with `argv` (NULL-terminated; argv[0] included) and the caller's environment,
/// stdout captured into `result.output` when `capture_output` is 1 (at most `output_limit`
/// bytes kept, the rest read and dropped; otherwise on /dev/null), stderr on /dev/null, an empty signal mask and default signal actions; writes
/// `input` (may be NULL) to its stdin through a socket (no SIGPIPE for the caller if the child
/// dies early), then waits at most `timeout_seconds`, killing it at the deadline. Never blocks
/// past the deadline; safe to call from several threads at once.
zoo_child_result zoo_run_child(const char *path, char *const argv[],
                               const void *input, size_t input_length, double timeout_seconds,
                               int capture_output, size_t output_limit);

/// Puts limits on the calling process (the child side, before it reads anything):
/// address space `memory_bytes` above what is mapped now (0: no limit), CPU time
/// `cpu_seconds` (0: no limit), and no core dumps. Returns 0, or errno.
int zoo_limit_self(size_t memory_bytes, unsigned cpu_seconds);

#endif
