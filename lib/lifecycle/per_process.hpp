// State that belongs to one process: a forked child must not use its parent's
// copy (the children listed there are not its own, a helper thread there does
// not exist, a mutex there may have been locked by another parent thread).
// per_process<T>::get() gives each process its own T, created on first use.
// The parent's copy stays reachable (never used, never freed) so leak
// checkers do not flag it.
#pragma once

#include "posix/process_id.hpp"

#include <atomic>
#include <sys/types.h>

namespace mproc {

template <class T>
class per_process {
public:
    T& get() {
        const pid_t me = posix::current_pid();
        node* current = current_.load(std::memory_order_acquire);
        for (;;) {
            if (current && current->owner == me) return current->value;
            node* fresh = new node{T{}, me, current};
            if (current_.compare_exchange_strong(current, fresh, std::memory_order_acq_rel)) return fresh->value;
            delete fresh;  // another thread of this process won; `current` now holds its node
        }
    }

    /// This process's T if get() made it already, else nullptr.
    T* find() noexcept {
        node* current = current_.load(std::memory_order_acquire);
        return current && current->owner == posix::current_pid() ? &current->value : nullptr;
    }

private:
    struct node {
        T value;
        pid_t owner;
        node* inherited;  // the parent's copy, kept reachable
    };
    std::atomic<node*> current_{nullptr};
};

}  // namespace mproc
