// Shared between the cleanup and mapping-guard files of CZooCleanup (not part of its API).
#ifndef SWIFTZOO_ZOO_CLEANUP_INTERNAL_H
#define SWIFTZOO_ZOO_CLEANUP_INTERNAL_H

/// Removes every registered output from a signal handler that is about to _exit: no lock is
/// taken (the faulting thread may hold it), files are unlinked and folders removed.
void zoo_cleanup_remove_now(void);

#endif
