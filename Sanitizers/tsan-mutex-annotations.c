// Tells ThreadSanitizer about the contended path of Swift's Synchronization.Mutex on Linux, so
// that `make sanitize` reports real races instead of every contended lock hand-over.
//
// Why: Mutex.withLock's fast path (an acquiring / releasing compare-exchange) is inlined into
// our instrumented code and TSan sees it. When the lock is contended, the Swift runtime's
// `_MutexHandle._lockSlow`, `_tryLockSlow` and `_unlockSlow` (libswiftSynchronization.so, not
// instrumented) hand the lock over through a FUTEX_LOCK_PI / FUTEX_UNLOCK_PI system call that
// TSan cannot see, so it misses the happens-before edge and reports the next access to the
// protected value as a data race. These reports belong to the Swift runtime, not to us, and
// they cannot be suppressed by name: the locking code is inlined into our own functions, so a
// name-based suppression would hide our real races too.
//
// How: this library is LD_PRELOADed into the test processes of the TSan run. It interposes
// the three slow-path functions (the calls from our code go through the PLT), calls the
// runtime's own implementation, and adds __tsan_acquire after taking the lock and
// __tsan_release before giving it back, on the lock word itself (the same address the inlined
// fast path's atomics synchronise on). `__tsan_*` are weak: in a process without TSan (the
// `swift` driver, python3) the wrappers only forward.
//
// The functions use Swift's calling convention: `self` (the lock word's address) travels in the
// swiftself register, which clang names `swift_context`.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdbool.h>
#include <stdint.h>

extern void __tsan_acquire(void *addr) __attribute__((weak));
extern void __tsan_release(void *addr) __attribute__((weak));

#define SWIFTCALL __attribute__((swiftcall))
#define SELF __attribute__((swift_context))

#define LOCK_SLOW "$s15Synchronization12_MutexHandleV9_lockSlowyys6UInt32VF"
#define TRY_LOCK_SLOW "$s15Synchronization12_MutexHandleV12_tryLockSlowSbyF"
#define UNLOCK_SLOW "$s15Synchronization12_MutexHandleV11_unlockSlowyyF"

typedef SWIFTCALL void (*lock_slow_fn)(uint32_t self_id, void *SELF handle);
typedef SWIFTCALL bool (*try_lock_slow_fn)(void *SELF handle);
typedef SWIFTCALL void (*unlock_slow_fn)(void *SELF handle);

static lock_slow_fn real_lock_slow;
static try_lock_slow_fn real_try_lock_slow;
static unlock_slow_fn real_unlock_slow;

// Resolved before main: the runtime library is a load-time dependency of every Swift program
// that can call these functions.
__attribute__((constructor)) static void resolve(void) {
    real_lock_slow = (lock_slow_fn)dlsym(RTLD_NEXT, LOCK_SLOW);
    real_try_lock_slow = (try_lock_slow_fn)dlsym(RTLD_NEXT, TRY_LOCK_SLOW);
    real_unlock_slow = (unlock_slow_fn)dlsym(RTLD_NEXT, UNLOCK_SLOW);
}

SWIFTCALL void lock_slow(uint32_t self_id, void *SELF handle) __asm__(LOCK_SLOW);
SWIFTCALL void lock_slow(uint32_t self_id, void *SELF handle) {
    real_lock_slow(self_id, handle);
    if (__tsan_acquire)
        __tsan_acquire(handle);
}

SWIFTCALL bool try_lock_slow(void *SELF handle) __asm__(TRY_LOCK_SLOW);
SWIFTCALL bool try_lock_slow(void *SELF handle) {
    bool locked = real_try_lock_slow(handle);
    if (locked && __tsan_acquire)
        __tsan_acquire(handle);
    return locked;
}

SWIFTCALL void unlock_slow(void *SELF handle) __asm__(UNLOCK_SLOW);
SWIFTCALL void unlock_slow(void *SELF handle) {
    if (__tsan_release)
        __tsan_release(handle);
    real_unlock_slow(handle);
}
