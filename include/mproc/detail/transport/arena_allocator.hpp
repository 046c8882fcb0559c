/// An allocator of the process family's shared memory (the arena), so
/// Boost.Interprocess containers live there and every process of the family
/// reads and updates them:
///
///     using entry = std::pair<const int, double>;
///     using shared_map = boost::interprocess::map<int, double, std::less<int>,
///                                                 mproc::detail::arena_allocator<entry>>;
///     mproc::detail::arena_allocator<shared_map> a;  // the family's arena
///     shared_map* m = std::construct_at(a.allocate(1).get(), a);  // in the arena
///
/// Its pointers are `boost::interprocess::offset_ptr`s, relative to where
/// they are stored, so the container reads the same at any mapping address
/// (a spawned child maps the arena elsewhere). The allocator itself holds an
/// offset_ptr to the arena's base: copied into the container in shared
/// memory, it names that arena in every process.
///
/// Not synchronised: guard a container shared by processes with a robust
/// lock. The heap under it stays usable whatever instant a process is killed
/// at (docs/ARCHITECTURE.md, crash consistency); the container's own state
/// after a writer is killed mid-update is the lock holder's to judge.
#pragma once

#include <boost/interprocess/offset_ptr.hpp>

#include <cstddef>
#include <new>

namespace mproc::detail {

/// The base of this process's family arena (made on first use). Throws
/// std::system_error when the memory cannot be made.
char* family_arena_base();
/// `bytes` aligned to `align` from the arena whose base is `base` (mapped in
/// this process). Throws std::bad_alloc when the arena cannot grow,
/// mproc::Error when its heap is found corrupt, std::invalid_argument for a
/// base that is no arena's.
void* arena_allocate(const char* base, std::size_t bytes, std::size_t align);
/// Gives back a block arena_allocate gave.
void arena_deallocate(const char* base, void* p) noexcept;

template <class T>
class arena_allocator {
public:
    using value_type = T;
    using pointer = boost::interprocess::offset_ptr<T>;
    using const_pointer = boost::interprocess::offset_ptr<const T>;
    using void_pointer = boost::interprocess::offset_ptr<void>;
    using const_void_pointer = boost::interprocess::offset_ptr<const void>;
    using size_type = std::size_t;
    using difference_type = std::ptrdiff_t;
    template <class U>
    struct rebind {
        using other = arena_allocator<U>;
    };

    /// The family's arena.
    arena_allocator() : base_(family_arena_base()) {}
    template <class U>
    arena_allocator(const arena_allocator<U>& other) noexcept : base_(other.base()) {}
    arena_allocator(const arena_allocator& other) noexcept : base_(other.base()) {}
    arena_allocator& operator=(const arena_allocator& other) noexcept {
        base_ = other.base();
        return *this;
    }

    pointer allocate(size_type n) {
        if (n > static_cast<size_type>(-1) / sizeof(T)) throw std::bad_alloc();
        return pointer(static_cast<T*>(arena_allocate(base(), n * sizeof(T), alignof(T))));
    }
    void deallocate(pointer p, size_type) noexcept { arena_deallocate(base(), p.get()); }

    char* base() const noexcept { return base_.get(); }

    template <class U>
    bool operator==(const arena_allocator<U>& other) const noexcept {
        return base() == other.base();
    }

private:
    boost::interprocess::offset_ptr<char> base_;
};

}  // namespace mproc::detail
