// Feature macros of the posix layer, in one place.
#pragma once

#include <sys/syscall.h>

// close_range(2) (Linux 5.9); without it descriptors are closed one by one.
#if defined(SYS_close_range)
#define MPROC_HAVE_CLOSE_RANGE 1
#else
#define MPROC_HAVE_CLOSE_RANGE 0
#endif

// Code that runs in a CLONE_VM child shares the parent's memory: it must not
// be instrumented by sanitizers (whose bookkeeping belongs to the parent's
// thread) and may only make raw system calls (no libc wrapper that could be
// intercepted, take a lock or touch the parent's state).
#define MPROC_CHILD_CODE __attribute__((noinline, no_sanitize("address", "thread", "undefined")))
