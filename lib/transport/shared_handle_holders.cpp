#include "transport/shared_handle_holders.hpp"

#include "posix/file_lock.hpp"
#include "posix/fork.hpp"
#include "posix/robust_mutex.hpp"
#include "transport/shared_handle.hpp"
#include "transport/shared_queue.hpp"

#include <mproc/detail/transport/shared_handle.hpp>

#include <algorithm>
#include <memory>
#include <mutex>
#include <new>
#include <system_error>
#include <unordered_map>
#include <vector>

namespace mproc::transport::holders {

namespace {

// The byte of the arena file a record's owner locks: far past any size the
// file reaches (a lock is only a token; nothing is read there).
constexpr std::uint64_t lock_base = std::uint64_t{1} << 50;

// An array in the arena: its capacity, then the entries.
template <class T>
struct shared_array {
    std::uint64_t capacity;
    T* entries() noexcept { return reinterpret_cast<T*>(this + 1); }
};

struct holder_record {
    std::uint64_t key;         // 0: a free slot (written last when made, first when dropped)
    std::uint64_t lives_with;  // the key whose lock says whether this record lives (its own,
                               // or a transit's sender)
    offset_t blocks;           // shared_array<offset_t>; an entry 0 is a hole
    std::uint64_t count;       // entries in use or holes
};

struct holders_table {
    posix::robust_mutex lock;
    std::uint64_t next_key;
    offset_t records;  // shared_array<holder_record>
};

// What this process knows of itself in one arena.
struct local_arena {
    arena* a;
    std::uint64_t key = 0;  // own record, 0 = none yet
    unique_fd own;          // the description holding byte `key`
    struct entry {
        std::size_t count = 0;  // handle states here
        bool shared = false;    // in the own record
    };
    std::unordered_map<offset_t, entry> blocks;
};

// A fork being made: the child's record and the description holding its lock.
struct pending_fork {
    local_arena* la;
    std::uint64_t key;  // 0: the child could not be given a record (its blocks are pinned)
    int fd;
};

struct local_state {
    std::mutex mutex;
    std::vector<std::unique_ptr<local_arena>> arenas;
    std::vector<pending_fork> forks;
};

void prepare_fork() noexcept;
void after_fork_parent() noexcept;
void after_fork_child() noexcept;

local_state& local() {
    static local_state* s = [] {
        auto* made = new local_state;  // never destroyed: handles may outlive main's locals
        posix::at_fork({&prepare_fork, &after_fork_parent, &after_fork_child});
        return made;
    }();
    return *s;
}

local_arena* find_local(arena& a) noexcept {
    for (auto& la : local().arenas)
        if (la->a == &a) return la.get();
    return nullptr;
}

local_arena& local_for(arena& a) {
    if (local_arena* la = find_local(a)) return *la;
    local().arenas.push_back(std::make_unique<local_arena>());
    local().arenas.back()->a = &a;
    return *local().arenas.back();
}

block_head& head(arena& a, offset_t block) { return *a.at<block_head>(block); }

template <class T>
shared_array<T>* array_at(arena& a, offset_t off) {
    return off ? a.at<shared_array<T>>(off) : nullptr;
}

// A copy of `old` (or an empty array) with room for twice as many entries.
template <class T>
offset_t grown(arena& a, offset_t old, std::uint64_t used) {
    const std::uint64_t capacity = std::max<std::uint64_t>(8, old ? array_at<T>(a, old)->capacity * 2 : 0);
    auto* made = static_cast<shared_array<T>*>(a.allocate(sizeof(shared_array<T>) + capacity * sizeof(T), 8));
    made->capacity = capacity;
    std::fill_n(made->entries(), capacity, T{});
    if (old) std::copy_n(array_at<T>(a, old)->entries(), used, made->entries());
    return a.offset_of(made);
}

holders_table& table(arena& a) {
    std::atomic<offset_t>& root = a.holders_root();
    if (offset_t t = root.load(std::memory_order_acquire)) return *a.at<holders_table>(t);
    void* made = a.allocate(sizeof(holders_table), 64);
    new (made) holders_table{};
    offset_t expected = 0;
    if (!root.compare_exchange_strong(expected, a.offset_of(made), std::memory_order_acq_rel)) {
        a.deallocate(made);  // another process made it first
        return *a.at<holders_table>(expected);
    }
    return *static_cast<holders_table*>(made);
}

// The table's records while its lock is held (a death inside it only ever
// leaves counts too high: nothing to repair).
class locked_table {
public:
    explicit locked_table(arena& a) : a_(a), t_(table(a)), guard_(t_.lock) {}

    holder_record* records(std::uint64_t& n) {
        auto* r = array_at<holder_record>(a_, t_.records);
        n = r ? r->capacity : 0;
        return r ? r->entries() : nullptr;
    }
    holder_record* find(std::uint64_t key) {
        std::uint64_t n = 0;
        holder_record* r = records(n);
        for (std::uint64_t i = 0; key && i < n; ++i)
            if (r[i].key == key) return &r[i];
        return nullptr;
    }
    std::uint64_t new_key() { return ++t_.next_key; }

    // A record `key` (fresh from new_key) living with `lives_with`.
    void make_record(std::uint64_t key, std::uint64_t lives_with) {
        std::uint64_t n = 0;
        holder_record* r = records(n);
        std::uint64_t i = 0;
        while (i < n && r[i].key) ++i;
        if (i == n) {
            const offset_t old = t_.records;
            t_.records = grown<holder_record>(a_, old, n);  // one store switches
            if (old) a_.deallocate(array_at<holder_record>(a_, old));
            r = records(n);
        }
        r[i].lives_with = lives_with;
        r[i].blocks = 0;
        r[i].count = 0;
        std::atomic_ref<std::uint64_t>(r[i].key).store(key, std::memory_order_release);
    }

    // The record `key` holds `block` too: counted first, then listed.
    void list(std::uint64_t key, offset_t block) {
        holder_record* found = find(key);
        if (!found) throw std::system_error(ESRCH, std::generic_category(), "mproc: a holder's record vanished");
        head(a_, block).holders += 1;
        try {
            holder_record& rec = *found;
            auto* arr = array_at<offset_t>(a_, rec.blocks);
            for (std::uint64_t i = 0; arr && i < rec.count; ++i)
                if (!arr->entries()[i]) {
                    arr->entries()[i] = block;
                    return;
                }
            if (!arr || rec.count == arr->capacity) {
                const offset_t old = rec.blocks;
                const offset_t made = grown<offset_t>(a_, old, rec.count);
                find(key)->blocks = made;
                if (old) a_.deallocate(array_at<offset_t>(a_, old));
                arr = array_at<offset_t>(a_, made);
            }
            holder_record& now = *find(key);
            arr->entries()[now.count] = block;
            now.count += 1;
        } catch (...) {
            head(a_, block).holders -= 1;
            throw;
        }
    }

    // The record stops listing `block`, then its count drops; a block no
    // one holds any more is gone from here on (tag cleared) and put in `freed`.
    void unlist(holder_record& rec, offset_t block, std::vector<std::pair<offset_t, std::uint32_t>>& freed) {
        auto* arr = array_at<offset_t>(a_, rec.blocks);
        for (std::uint64_t i = 0; arr && i < rec.count; ++i)
            if (arr->entries()[i] == block) {
                arr->entries()[i] = 0;
                uncount(block, freed);
                return;
            }
    }

    void uncount(offset_t block, std::vector<std::pair<offset_t, std::uint32_t>>& freed) {
        block_head& h = head(a_, block);
        if (h.holders == 0 || --h.holders != 0) return;
        freed.emplace_back(block, h.kind.load(std::memory_order_relaxed));
        h.kind.store(0, std::memory_order_release);  // a handle decoded from now on is refused
    }

    // Every block of `rec`, then the record itself.
    void drop(holder_record& rec, std::vector<std::pair<offset_t, std::uint32_t>>& freed) {
        auto* arr = array_at<offset_t>(a_, rec.blocks);
        for (std::uint64_t i = 0; arr && i < rec.count; ++i)
            if (const offset_t b = arr->entries()[i]) {
                arr->entries()[i] = 0;
                uncount(b, freed);
            }
        std::atomic_ref<std::uint64_t>(rec.key).store(0, std::memory_order_release);
        if (arr) a_.deallocate(arr);
    }

    // Records whose lock is gone (their process ended, or their transit's
    // sender did), seen from `self`.
    void sweep(const local_arena& self, std::vector<std::pair<offset_t, std::uint32_t>>& freed) {
        std::uint64_t n = 0;
        holder_record* r = records(n);
        for (std::uint64_t i = 0; i < n; ++i) {
            const std::uint64_t lives = r[i].lives_with;
            if (!r[i].key || lives == self.key || lives == 0) continue;
            if (!posix::byte_locked_elsewhere(self.own.get(), lock_base + lives)) drop(r[i], freed);
        }
    }

private:
    arena& a_;
    holders_table& t_;
    posix::robust_guard guard_;
};

using freed_list = std::vector<std::pair<offset_t, std::uint32_t>>;

// Gives a block no handle names any more back to the arena (a queue's
// segments first).
void free_block(arena& a, offset_t block, std::uint32_t kind) noexcept {
    block_head& h = head(a, block);
    if (kind == static_cast<std::uint32_t>(detail::shared_kind::queue))
        shared_queue(a, block + h.payload_at).destroy();
    h.kind.store(0, std::memory_order_relaxed);
    h.generation = 0;
    a.deallocate(&h);
}

void free_all(arena& a, const freed_list& freed) noexcept {
    for (const auto& [block, kind] : freed) free_block(a, block, kind);
}

// This process's record in the table (made on first need, its lock taken
// before anyone can see it).
void ensure_own(local_arena& la, locked_table& t) {
    if (la.key) return;
    unique_fd own = posix::reopen_private(la.a->fd());
    const std::uint64_t key = t.new_key();
    if (!posix::lock_byte(own.get(), lock_base + key)) throw std::system_error(EAGAIN, std::generic_category());
    t.make_record(key, key);
    la.key = key;
    la.own = std::move(own);
}

// Every block held here listed in the own record.
void share_all(local_arena& la, locked_table& t) {
    ensure_own(la, t);
    for (auto& [block, e] : la.blocks)
        if (!e.shared) {
            t.list(la.key, block);
            e.shared = true;
        }
}

void prepare_fork() noexcept {
    local_state& s = local();
    s.mutex.lock();  // until the parent or child handler
    s.forks.clear();
    for (auto& la : s.arenas) {
        if (la->blocks.empty()) continue;
        int fd = -1;
        std::uint64_t key = 0;
        freed_list freed;
        try {
            locked_table t(*la->a);
            share_all(*la, t);
            t.sweep(*la, freed);  // the children forked before and gone (the table stays small)
            unique_fd child = posix::reopen_private(la->a->fd());
            key = t.new_key();
            if (!posix::lock_byte(child.get(), lock_base + key)) throw std::system_error(EAGAIN, std::generic_category());
            t.make_record(key, key);
            for (auto& [block, e] : la->blocks) t.list(key, block);
            fd = child.release();
        } catch (...) {
            // No record for the child: its blocks are pinned for the family's
            // life (a count no record will ever lower), never freed under it.
            try {
                locked_table t(*la->a);
                for (auto& [block, e] : la->blocks) head(*la->a, block).holders += 1;
            } catch (...) {
            }
            key = 0;
        }
        free_all(*la->a, freed);
        try {
            s.forks.push_back({la.get(), key, fd});
        } catch (...) {
        }
    }
}

void after_fork_parent() noexcept {
    local_state& s = local();
    for (const pending_fork& f : s.forks)
        if (f.fd >= 0) unique_fd closing(f.fd);  // the child's description lives on in the child
    s.forks.clear();
    s.mutex.unlock();
}

// Async-signal-safe: stores and close() only. The parent's descriptions
// and keys are not the child's.
void after_fork_child() noexcept {
    local_state& s = local();
    for (auto& la : s.arenas) {
        la->own.reset();
        la->key = 0;
    }
    for (const pending_fork& f : s.forks) {
        f.la->own.reset(f.fd);  // closes the parent's description here (the parent keeps it)
        f.la->key = f.key;      // 0: pinned blocks, released by nobody
    }
    s.mutex.unlock();
}

}  // namespace

void add_made(arena& a, offset_t block) {
    local_state& s = local();
    std::lock_guard lock(s.mutex);
    local_for(a).blocks[block].count += 1;
}

bool add_received(arena& a, offset_t block, std::uint64_t transit, const validity& valid) {
    local_state& s = local();
    std::lock_guard lock(s.mutex);
    local_arena& la = local_for(a);
    freed_list freed;
    {
        locked_table t(a);
        ensure_own(la, t);
        if (!valid.check(a, block, valid.ctx)) return false;
        local_arena::entry& e = la.blocks[block];
        if (!e.shared) {
            try {
                t.list(la.key, block);
            } catch (...) {
                if (e.count == 0) la.blocks.erase(block);
                throw;
            }
            e.shared = true;
        }
        e.count += 1;
        if (holder_record* r = t.find(transit); r && r->lives_with != r->key) t.drop(*r, freed);
    }
    free_all(a, freed);  // nothing: the block is held here now
    return true;
}

std::uint64_t cross(arena& a, offset_t block) {
    local_state& s = local();
    std::lock_guard lock(s.mutex);
    local_arena& la = local_for(a);
    freed_list freed;
    std::uint64_t key = 0;
    {
        locked_table t(a);
        share_all(la, t);
        t.sweep(la, freed);
        key = t.new_key();
        t.make_record(key, la.key);
        t.list(key, block);
    }
    free_all(a, freed);
    return key;
}

void release(arena& a, offset_t block) noexcept {
    local_state& s = local();
    freed_list freed;
    {
        std::lock_guard lock(s.mutex);
        local_arena* found = find_local(a);
        if (!found) return;
        local_arena& la = *found;
        const auto it = la.blocks.find(block);
        if (it == la.blocks.end() || --it->second.count != 0) return;
        const bool shared = it->second.shared;
        la.blocks.erase(it);
        if (!shared) {
            freed.emplace_back(block, head(a, block).kind.load(std::memory_order_relaxed));
        } else if (la.key) {
            try {
                locked_table t(a);
                if (holder_record* own = t.find(la.key)) t.unlist(*own, block, freed);
                if (freed.empty()) t.sweep(la, freed);
            } catch (...) {
                // The table could not be locked: the block stays (leaked, never freed early).
            }
        }
    }
    free_all(a, freed);
}

void collect(arena& a) noexcept {
    local_state& s = local();
    freed_list freed;
    {
        std::lock_guard lock(s.mutex);
        local_arena* la = find_local(a);
        if (!la || !la->key) return;
        try {
            locked_table t(a);
            t.sweep(*la, freed);
        } catch (...) {
        }
    }
    free_all(a, freed);
}

}  // namespace mproc::transport::holders
