// LeakSanitizer and children forked on another thread's behalf. A child
// forked by the creator thread has only that thread: the stack of the thread
// that asked for it (the main thread, say) is gone from LeakSanitizer's view,
// so what only that stack pointed to looks leaked when the child calls exit().
// Registering that stack as a root region while the fork happens makes the
// child see what a child forked by the asking thread itself would see.
#pragma once

#include <cstddef>

namespace mproc::posix {

/// Under AddressSanitizer: while alive, the calling thread's stack from
/// `low` (an address in the current frame) up to its top is a LeakSanitizer
/// root region (inherited by a child forked meanwhile). Otherwise nothing.
class stack_root_scope {
public:
    explicit stack_root_scope(const void* low) noexcept;
    ~stack_root_scope();
    stack_root_scope(const stack_root_scope&) = delete;
    stack_root_scope& operator=(const stack_root_scope&) = delete;

private:
    const void* low_ = nullptr;
    std::size_t size_ = 0;
};

}  // namespace mproc::posix
