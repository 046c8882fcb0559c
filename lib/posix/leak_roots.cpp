#include "posix/leak_roots.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <pthread.h>
#include <sanitizer/lsan_interface.h>
#endif

namespace mproc::posix {

#if defined(__SANITIZE_ADDRESS__)

namespace {

// The top of the calling thread's stack (stacks grow down), found once per
// thread: for the main thread glibc reads /proc/self/maps.
const char* stack_top() noexcept {
    thread_local const char* top = [] {
        pthread_attr_t attr;
        void* base = nullptr;
        std::size_t size = 0;
        if (::pthread_getattr_np(::pthread_self(), &attr) != 0) return static_cast<const char*>(nullptr);
        ::pthread_attr_getstack(&attr, &base, &size);
        ::pthread_attr_destroy(&attr);
        return static_cast<const char*>(base) + size;
    }();
    return top;
}

}  // namespace

stack_root_scope::stack_root_scope(const void* low) noexcept {
    const char* top = stack_top();
    if (!top || static_cast<const char*>(low) >= top) return;
    low_ = low;
    size_ = static_cast<std::size_t>(top - static_cast<const char*>(low));
    __lsan_register_root_region(low_, size_);
}

stack_root_scope::~stack_root_scope() {
    if (size_) __lsan_unregister_root_region(low_, size_);
}

#else

stack_root_scope::stack_root_scope(const void*) noexcept {}
stack_root_scope::~stack_root_scope() = default;

#endif

}  // namespace mproc::posix
