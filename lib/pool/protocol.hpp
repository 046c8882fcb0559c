// The whole wire format between a Pool's parent and its workers, one
// Connection per worker (send_bytes frames; fields little-endian, as the
// host). Nothing else in lib/pool/ writes or parses these bytes by hand.
//
// parent -> worker, one frame holding records:
//   'G'                             (first) the frame's tasks are quick: reply in batches
//   'D' u32 id, u32 n, n bytes      define code id `id` (an encoded code_ref)
//   'T' u64 task, u32 entry, u64 n, n bytes   run a task (entry's payload)
//   'F' u32 n                       the next task's n descriptors (handles among
//                                   its arguments) wait on the descriptor channel
//   'Q'                             exit
// worker -> parent, one frame per message:
//   'H' i32 pid, u8 ok [, failure]                ready (ok) or the initializer threw
//   'R' u32 count, then count entries:            tasks' outcomes, in order
//        u64 task, u8 status, u32 microseconds it ran, u64 n, n bytes:
//        status 0: the results; 1: the task threw; 2: its result could not
//        be encoded (1, 2: a failure)
// A failure: text type, text what, text original (remote_exception.hpp).
// Without a 'G', each result is sent as soon as it is known; with one, the
// worker sends them when the frame is done, 64 KiB are waiting or 1 ms has
// passed (so the parent counts every unanswered task of a grouped frame as
// possibly run). End of stream from the parent also tells the worker to exit.
//
// A 'T' record's header is 21 bytes (task_record_header); every task_spec's
// payload starts with that much room (task_spec::record_room), so a task sent
// alone is made a record in place (patch_task) and goes out without a copy.
//
// The descriptor channel: a SOCK_SEQPACKET pair beside the Connection (whose
// reads run ahead of the frame being decoded, so descriptors sent on it
// would be lost). The parent sends one message carrying a task's descriptors
// just before the frame that announces them with 'F', and at the worker's
// start one carrying the initializer's, if it has any. A task with
// descriptors is never grouped and is the only task its worker holds, so the
// channel holds at most one message at a time.
#pragma once

#include <mproc/detail/pool/codec.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace mproc::detail::pool::protocol {

enum class status : std::uint8_t { ok = 0, raised = 1, not_sent = 2 };

// 'T', u64 task, u32 entry, u64 payload size.
constexpr std::size_t task_record_header = 1 + 8 + 4 + 8;
static_assert(task_spec::record_room == task_record_header,
              "task_spec::record_room must leave room for exactly one 'T' record header");

inline void put_text(std::string& out, std::string_view s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out.append(s);
}
inline std::string_view get_text(reader& in) { return in.bytes(in.u32()); }

// ---- parent -> worker ---------------------------------------------------------

inline void put_grouped(std::string& out) { out.push_back('G'); }
inline void put_quit(std::string& out) { out.push_back('Q'); }

inline void put_define(std::string& out, std::uint32_t id, std::string_view ref) {
    out.push_back('D');
    put_u32(out, id);
    put_text(out, ref);
}

inline void put_fds(std::string& out, std::uint32_t count) {
    out.push_back('F');
    put_u32(out, count);
}

inline void put_task(std::string& out, std::uint64_t task, std::uint32_t entry, std::string_view payload) {
    out.push_back('T');
    put_u64(out, task);
    put_u32(out, entry);
    put_u64(out, payload.size());
    out.append(payload);
}

/// Writes a 'T' record header into the room at the front of a task's
/// payload, making the payload a record.
inline void patch_task(std::string& payload, std::uint64_t task, std::uint32_t entry) {
    const std::uint64_t n = payload.size() - task_record_header;
    payload[0] = 'T';
    std::memcpy(payload.data() + 1, &task, 8);
    std::memcpy(payload.data() + 9, &entry, 4);
    std::memcpy(payload.data() + 13, &n, 8);
}

// ---- worker -> parent ---------------------------------------------------------

/// 'H': ready, or the initializer threw (`type`, `what`).
inline std::string hello(pid_t pid) {
    std::string out(1, 'H');
    put_u32(out, static_cast<std::uint32_t>(pid));
    out.push_back(1);
    return out;
}
inline std::string hello_failed(pid_t pid, std::string_view type, std::string_view what) {
    std::string out = hello(pid);
    out.back() = 0;
    put_text(out, type);
    put_text(out, what);
    return out;
}

constexpr std::size_t entry_header_size = 8 + 1 + 4 + 8;

inline void put_entry_header(char* at, std::uint64_t task, status s, std::uint32_t us, std::uint64_t n) {
    std::memcpy(at, &task, 8);
    at[8] = static_cast<char>(s);
    std::memcpy(at + 9, &us, 4);
    std::memcpy(at + 13, &n, 8);
}

/// A worker's message as the parent reads it: a hello, or `count` entries
/// to read with next_entry().
struct message {
    bool is_hello = false;
    pid_t pid = 0;     // hello
    bool ok = false;   // hello: the initializer did not throw
    std::string_view type, what;  // hello, !ok
    std::uint32_t count = 0;      // results
};
struct entry {
    std::uint64_t task = 0;
    status outcome = status::ok;
    std::uint32_t us = 0;    // how long it ran
    std::string_view bytes;  // ok: the results; otherwise text type, text what
};

/// Throws ProtocolError for anything malformed.
inline message read_message(reader& in) {
    message m;
    const char kind = in.fixed<char>();
    if (kind == 'H') {
        m.is_hello = true;
        m.pid = in.fixed<std::int32_t>();
        m.ok = in.fixed<char>() != 0;
        if (!m.ok) {
            m.type = get_text(in);
            m.what = get_text(in);
        }
        return m;
    }
    if (kind != 'R') throw ProtocolError("malformed pool message: unknown kind");
    m.count = in.u32();
    return m;
}
inline entry next_entry(reader& in) {
    entry e;
    e.task = in.u64();
    e.outcome = static_cast<status>(in.fixed<char>());
    e.us = in.u32();
    e.bytes = in.bytes(in.u64());
    return e;
}

/// What a worker is told at start: its task budget, the initializer.
struct worker_config {
    long maxtasks = 0;
    std::string initializer_defs;  // 'D' records the initializer needs
    std::uint32_t initializer_entry = 0;
    std::string initializer_payload;
    std::uint32_t initializer_fds = 0;  // descriptors it waits for on the channel

    std::string encode() const {
        std::string out;
        put_u64(out, static_cast<std::uint64_t>(maxtasks));
        put_text(out, initializer_defs);
        put_u32(out, initializer_entry);
        put_text(out, initializer_payload);
        put_u32(out, initializer_fds);
        return out;
    }
    static worker_config decode(std::string_view bytes) {
        reader in(bytes);
        worker_config c;
        c.maxtasks = static_cast<long>(in.u64());
        c.initializer_defs = std::string(get_text(in));
        c.initializer_entry = in.u32();
        c.initializer_payload = std::string(get_text(in));
        c.initializer_fds = in.u32();
        return c;
    }
};

}  // namespace mproc::detail::pool::protocol
