// The arena's undo journal: what makes every heap and segment-pool operation
// done or not done, whatever instant its process is killed at.
//
// Every store to the arena's shared bookkeeping (free lists, block tags, the
// pool's head, the file size, an owner's slot) goes through set(), which
// first appends the word's offset and old value, then counts the entry, then
// stores. The operation commits by zeroing the count (one store: the instant
// it is done). A process killed before that leaves the count non-zero; the
// next holder of the arena's robust lock (EOWNERDEAD) rolls the entries back
// newest first, so the operation is not done. A rollback killed half way is
// simply done again. An operation that throws is rolled back the same way.
#pragma once

#include "transport/mapping.hpp"

#include <cstddef>
#include <cstdint>

namespace mproc::transport {

/// In the arena header.
struct journal_header {
    static constexpr std::size_t capacity = 2048;  // stores of the largest operation, with room
    struct entry {
        offset_t at;
        std::uint64_t old;
    };
    std::uint64_t count;
    entry entries[capacity];
};

class journal {
public:
    journal(const arena_mapping& m, journal_header& h) noexcept : map_(m), h_(h) {}

    /// Stores `value` into `word` (8-aligned, in the arena), recorded so it can
    /// be undone. Throws mproc::Error if the operation outgrows the journal
    /// (a bug: nothing is stored then).
    void set(std::uint64_t& word, std::uint64_t value);
    /// The operation is done.
    void commit() noexcept;
    /// Undoes the operation's stores, newest first (also those of a process
    /// that died in it). Entries outside the file are skipped.
    void roll_back() noexcept;
    /// Whether an operation is open (a dead process's, before roll_back).
    bool open() const noexcept;

private:
    const arena_mapping& map_;
    journal_header& h_;
};

}  // namespace mproc::transport
