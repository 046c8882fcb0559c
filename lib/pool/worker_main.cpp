#include "pool/worker_main.hpp"

#include "start/code_table.hpp"
#include "pool/protocol.hpp"
#include "pool/remote_exception.hpp"
#include "posix/fd_passing.hpp"
#include "transport/fd_table.hpp"

#include <mproc/errors.hpp>
#include <mproc/os.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace mproc::detail::pool {

namespace {

// Applies one 'D' record; a code that cannot be resolved makes the tasks
// using it fail, saying why.
void apply_defines(reader& in) {
    const std::uint32_t id = in.u32();
    std::string_view ref = protocol::get_text(in);
    define(id, ref);
}

// A grouped frame's results are sent when this many bytes are waiting...
constexpr std::size_t flush_bytes = 64 * 1024;
// ...or this long after the last ones went.
constexpr auto flush_interval = std::chrono::milliseconds(1);
constexpr std::size_t entry_header = protocol::entry_header_size;

// Replaces whatever the entry appended after `payload_at` with the current
// exception (remote_exception.hpp).
void put_failure(std::string& out, std::size_t payload_at) {
    out.resize(payload_at);
    put_current_exception(out);
}

// Sends `message`; false when the parent is gone (the worker then exits).
bool send(Connection& parent, const std::string& message) {
    try {
        parent.send_bytes(message);
        return true;
    } catch (const std::system_error&) {
        return false;
    }
}

// The next message on the descriptor channel, which must carry `count`
// descriptors (the parent sent it before the frame announcing them).
std::vector<int> receive_fds(Connection& channel, std::uint32_t count) {
    std::vector<posix::unique_fd> fds;
    char byte = 0;
    const std::optional<std::size_t> n = posix::recv_with_fds(channel.fileno(), &byte, 1, fds);
    if (!n || *n == 0) throw ProtocolError("malformed pool request: the descriptors it announced never came");
    if (fds.size() != count)
        throw ProtocolError("malformed pool request: " + std::to_string(count) + " descriptors announced, " +
                            std::to_string(fds.size()) + " came");
    std::vector<int> out;
    for (auto& fd : fds) out.push_back(fd.release());
    return out;
}

entry_fn entry_at(std::uint32_t id) { return reinterpret_cast<entry_fn>(const_cast<void*>(code_address(id))); }

// Runs entry `id`; descriptors that came with it are handed to the handles
// its arguments decode (those no handle takes are closed, whatever happens).
void run(std::uint32_t id, std::string_view payload, std::string& out, std::vector<int> fds) {
    if (fds.empty()) return entry_at(id)(payload, out, false);
    transport::fd_import_scope handles(std::move(fds));
    entry_at(id)(payload, out, true);
}

}  // namespace

void run_worker(Connection parent, Connection descriptors, std::string config_bytes) {
    const auto config = protocol::worker_config::decode(config_bytes);
    const std::int32_t pid = os::getpid();

    try {
        reader defs(config.initializer_defs);
        while (!defs.empty()) {
            defs.fixed<char>();
            apply_defines(defs);
        }
        if (config.initializer_entry) {
            std::vector<int> fds;
            if (config.initializer_fds) fds = receive_fds(descriptors, config.initializer_fds);
            std::string ignored;
            run(config.initializer_entry, config.initializer_payload, ignored, std::move(fds));
        }
    } catch (...) {
        const exception_description e = describe_current_exception();
        send(parent, protocol::hello_failed(pid, e.type, e.what));
        return;
    }
    if (!send(parent, protocol::hello(pid))) return;

    long done = 0;
    std::string frame;
    std::vector<int> next_fds;  // from an 'F' record, for the next task
    std::string out;  // results not sent yet: 'R', u32 count, entries
    std::uint32_t count = 0;
    auto flush = [&] {
        if (count == 0) return true;
        std::memcpy(out.data() + 1, &count, sizeof count);
        count = 0;
        const bool ok = send(parent, out);
        out.resize(1 + sizeof count);
        return ok;
    };
    out.assign(1 + sizeof count, 'R');
    for (;;) {
        try {
            parent.recv_bytes_into(frame);
        } catch (const std::exception&) {
            return;  // the parent closed (or is gone)
        }
        reader in(frame);
        // A grouped frame's results go back together (tasks the parent knows
        // are quick); otherwise each as soon as it is known.
        bool grouped = false;
        auto last_flush = std::chrono::steady_clock::now();
        while (!in.empty()) {
            const char kind = in.fixed<char>();
            if (kind == 'Q') return;
            if (kind == 'G') {
                grouped = true;
                continue;
            }
            if (kind == 'D') {
                apply_defines(in);
                continue;
            }
            if (kind == 'F') {
                next_fds = receive_fds(descriptors, in.u32());
                continue;
            }
            if (kind != 'T') throw ProtocolError("malformed pool request");
            const std::uint64_t task = in.u64();
            const std::uint32_t entry = in.u32();
            std::string_view payload = in.bytes(in.u64());
            std::vector<int> fds = std::exchange(next_fds, {});
            const std::size_t at = out.size();
            out.resize(at + entry_header);
            auto status = protocol::status::ok;
            const auto started = std::chrono::steady_clock::now();
            try {
                run(entry, payload, out, std::move(fds));
            } catch (const result_not_sent&) {
                status = protocol::status::not_sent;
                put_failure(out, at + entry_header);
            } catch (...) {
                status = protocol::status::raised;
                put_failure(out, at + entry_header);
            }
            const auto now = std::chrono::steady_clock::now();
            const auto us = static_cast<std::uint32_t>(
                std::min<std::int64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now - started).count(),
                                       UINT32_MAX));
            protocol::put_entry_header(out.data() + at, task, status, us, out.size() - at - entry_header);
            ++count;
            if (config.maxtasks > 0 && ++done >= config.maxtasks) {
                flush();
                return;
            }
            if (!grouped || out.size() >= flush_bytes || now - last_flush >= flush_interval) {
                if (!flush()) return;
                last_flush = now;
            }
        }
        if (!flush()) return;
    }
}

}  // namespace mproc::detail::pool
