// Removal of unfinished outputs when the process is told to stop (SIGINT, SIGTERM, SIGHUP).
//
// AtomicOutput registers each temporary file or staging folder while it exists. The signal
// handler itself only writes the signal number to a pipe (async-signal-safe); a watcher thread
// removes every registered path, then restores the default action and re-raises the signal, so
// the exit status still says which signal ended the process. Handlers are installed only for
// signals whose disposition is still the default: an application's own handlers are left alone.
#ifndef SWIFTZOO_CZOOCLEANUP_H
#define SWIFTZOO_CZOOCLEANUP_H

/// Installs the handlers and the watcher thread (once; later calls do nothing).
void zoo_cleanup_install(void);

/// Registers a file or folder to remove if a stop signal arrives; returns a slot for
/// `zoo_cleanup_unregister`, or -1 when the path is too long or all slots are taken.
int zoo_cleanup_register(const char *path);

/// Forgets a registered path (after it was renamed into place or removed).
void zoo_cleanup_unregister(int slot);

#endif
