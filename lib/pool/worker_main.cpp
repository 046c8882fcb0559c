#include "pool/worker_main.hpp"

#include "pool/code_registry.hpp"
#include "pool/describe_exception.hpp"
#include "pool/protocol.hpp"

#include <mproc/errors.hpp>

#include <cstdint>
#include <string_view>
#include <system_error>
#include <unistd.h>

namespace mproc::detail::pool {

namespace {

// Applies one 'D' record; a code that cannot be resolved makes the tasks
// using it fail, saying why.
void apply_defines(reader& in) {
    const std::uint32_t id = in.u32();
    std::string_view ref = protocol::get_text(in);
    define(id, ref);
}

void put_failure(std::string& out, std::size_t status_at, protocol::status s) {
    auto [type, what] = describe_current_exception();
    out.resize(status_at + 1);
    out[status_at] = static_cast<char>(s);
    protocol::put_text(out, type);
    protocol::put_text(out, what);
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

}  // namespace

void run_worker(Connection parent, std::string config_bytes) {
    const auto config = protocol::worker_config::decode(config_bytes);
    const std::int32_t pid = ::getpid();

    std::string hello(1, 'H');
    hello.append(reinterpret_cast<const char*>(&pid), sizeof pid);
    hello.push_back(1);
    try {
        reader defs(config.initializer_defs);
        while (!defs.empty()) {
            defs.fixed<char>();
            apply_defines(defs);
        }
        if (config.initializer_entry) {
            auto entry = reinterpret_cast<entry_fn>(const_cast<void*>(code_address(config.initializer_entry)));
            std::string ignored;
            entry(config.initializer_payload, ignored);
        }
    } catch (...) {
        put_failure(hello, 1 + sizeof pid, protocol::status::raised);
        hello[1 + sizeof pid] = 0;
        send(parent, hello);
        return;
    }
    if (!send(parent, hello)) return;

    long done = 0;
    std::string frame, out;
    for (;;) {
        try {
            parent.recv_bytes_into(frame);
        } catch (const std::exception&) {
            return;  // the parent closed (or is gone)
        }
        reader in(frame);
        while (!in.empty()) {
            const char kind = in.fixed<char>();
            if (kind == 'Q') return;
            if (kind == 'D') {
                apply_defines(in);
                continue;
            }
            if (kind != 'T') throw ProtocolError("malformed pool request");
            const std::uint64_t task = in.u64();
            const std::uint32_t entry = in.u32();
            std::string_view payload = in.bytes(in.u64());
            out.assign(1, 'R');
            put_u64(out, task);
            const std::size_t status_at = out.size();
            out.push_back(static_cast<char>(protocol::status::ok));
            try {
                auto fn = reinterpret_cast<entry_fn>(const_cast<void*>(code_address(entry)));
                fn(payload, out);
            } catch (const result_not_sent&) {
                put_failure(out, status_at, protocol::status::not_sent);
            } catch (...) {
                put_failure(out, status_at, protocol::status::raised);
            }
            if (!send(parent, out)) return;
            if (config.maxtasks > 0 && ++done >= config.maxtasks) return;
        }
    }
}

}  // namespace mproc::detail::pool
