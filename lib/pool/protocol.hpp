// The messages between a Pool's parent and its workers, one Connection per
// worker (send_bytes frames; fields little-endian, as the host).
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
// The descriptor channel: a SOCK_SEQPACKET pair beside the Connection (whose
// reads run ahead of the frame being decoded, so descriptors sent on it
// would be lost). The parent sends one message carrying a task's descriptors
// just before the frame that announces them with 'F', and at the worker's
// start one carrying the initializer's, if it has any. A task with
// descriptors is never grouped and is the only task its worker holds, so the
// channel holds at most one message at a time.
#pragma once

#include <mproc/detail/pool_codec.hpp>

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace mproc::detail::pool::protocol {

enum class status : std::uint8_t { ok = 0, raised = 1, not_sent = 2 };

inline void put_text(std::string& out, std::string_view s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out.append(s);
}
inline std::string_view get_text(reader& in) { return in.bytes(in.u32()); }

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

constexpr std::size_t entry_header_size = 8 + 1 + 4 + 8;

inline void put_entry_header(char* at, std::uint64_t task, status s, std::uint32_t us, std::uint64_t n) {
    std::memcpy(at, &task, 8);
    at[8] = static_cast<char>(s);
    std::memcpy(at + 9, &us, 4);
    std::memcpy(at + 13, &n, 8);
}

/// Writes a 'T' record header into the record room at the front of a
/// task's payload (task_spec::record_room), making the payload a record.
inline void patch_task(std::string& payload, std::uint64_t task, std::uint32_t entry) {
    const std::uint64_t n = payload.size() - task_spec::record_room;
    payload[0] = 'T';
    std::memcpy(payload.data() + 1, &task, 8);
    std::memcpy(payload.data() + 9, &entry, 4);
    std::memcpy(payload.data() + 13, &n, 8);
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
