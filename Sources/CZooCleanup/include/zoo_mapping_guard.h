// Turns SIGBUS from a mapped file that shrank under the process (another program truncated a
// `.zoo`, `.npy` or `.keras` while zoo had it mapped) into one error line naming the file and
// exit status 1, after removing unfinished outputs, instead of a crash.
//
// MappedFile registers every mapping it makes; the handler is installed only by programs that
// ask (the zoo CLI): a library must not end its host process on its own.
#ifndef SWIFTZOO_ZOO_MAPPING_GUARD_H
#define SWIFTZOO_ZOO_MAPPING_GUARD_H

#include <stddef.h>

/// Records a mapping of `length` bytes at `start` of the file `path`; returns a slot for
/// `zoo_mapping_unregister`, or -1 when all slots are taken (the mapping is then unguarded).
int zoo_mapping_register(const void *start, size_t length, const char *path);

/// Forgets a mapping before it is unmapped.
void zoo_mapping_unregister(int slot);

/// Installs the SIGBUS handler (once). On a fault inside a registered mapping it writes
/// "<prefix>: error: PATH: ..." and one newline to stderr, removes the outputs registered with
/// zoo_cleanup_register, and calls _exit(1). Other SIGBUS faults get the previous action.
void zoo_mapping_guard_install(const char *prefix);

#endif
