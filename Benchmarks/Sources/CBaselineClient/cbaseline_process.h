// cbaseline_process: the process facts the workloads measure: a monotonic clock, RSS from
// /proc/self/status, malloc's live heap, and the fd limit (private).
#ifndef CBASELINE_PROCESS_H
#define CBASELINE_PROCESS_H

/// Seconds on CLOCK_MONOTONIC.
double cb_now(void);

/// A "Vm...:" field of /proc/self/status in kB (e.g. "VmRSS:"), or -1.
long cb_status_kb(const char *field);

/// Bytes in use in malloc's heap (all arenas, mmapped blocks included), in kB.
long cb_heap_in_use_kb(void);

/// Raises the soft RLIMIT_NOFILE to min(hard, 1 Mi), as KstlibWebSocket's transport does, and
/// returns the resulting limit for fd_limit_per_thread.
unsigned int cb_raise_fd_limit(void);

#endif
