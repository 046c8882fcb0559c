#include "start/task.hpp"

#include "start/code_table.hpp"
#include "start/default_method.hpp"
#include "start/run_target.hpp"
#include "transport/fd_table.hpp"

#include <mproc/codec.hpp>
#include <mproc/connection.hpp>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <system_error>

namespace mproc::start {

namespace {

constexpr std::uint32_t task_version = 3;

struct task_header {
    std::uint32_t version = 0;
    std::string name;
    std::vector<int> identity;
    bool daemon = false;
    std::int32_t parent_pid = 0;
    std::string parent_name;
    std::int32_t start_method = -1;  // the parent's default, -1 if not chosen
    std::vector<std::uint32_t> code_ids;  // the code table entries the task uses,
    std::vector<std::string> code_refs;   // and their encoded code_refs
    std::uint32_t entry = 0;
    std::string payload;

    template <class Archive>
    void serialize(Archive& ar, const unsigned) {
        ar & version & name & identity & daemon & parent_pid & parent_name & start_method & code_ids & code_refs &
            entry & payload;
    }
};

}  // namespace

encoded_task encode_task(const detail::process_target& target, const self::child_context& context) {
    encoded_task out;
    detail::spawn_task task;
    {
        transport::fd_export_scope scope(out.fds);
        task = target.encode();
    }
    // The child's own Processes use the parent's default method (Python's
    // preparation data). Passed only if chosen: passing it does not fix it.
    const std::optional<mproc::start_method> method = chosen_method();
    task_header header{task_version,         context.name,        context.identity,
                       context.daemon,       context.parent_pid,  context.parent_name,
                       method ? static_cast<std::int32_t>(*method) : -1,
                       task.code,            {},                  task.entry,
                       std::move(task.payload)};
    for (std::uint32_t id : task.code) header.code_refs.push_back(detail::definition(id));
    out.bytes = dumps(header);
    return out;
}

void send_task(posix::unique_fd pipe, const encoded_task& task, const std::vector<int>& child_fds) {
    Connection out(std::move(pipe), false, true);
    try {
        out.send_bytes(task.bytes);
        out.send(child_fds);
    } catch (const std::system_error& e) {
        if (e.code().value() != EPIPE) throw;
    }
}

void run_task_from_fds(int task_fd) noexcept {
    task_header header;
    std::vector<int> fds;
    try {
        Connection in(posix::unique_fd(task_fd), true, false);
        header = loads<task_header>(in.recv_bytes());
        if (header.version != task_version || header.code_ids.size() != header.code_refs.size())
            throw ProtocolError("task format version mismatch");
        fds = in.recv<std::vector<int>>();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "mproc: a spawned child could not read its task: %s\n", e.what());
        exit_child(1);
    }
    if (header.start_method >= 0 && header.start_method <= static_cast<std::int32_t>(mproc::start_method::forkserver))
        set_default_method(static_cast<mproc::start_method>(header.start_method), true);
    self::child_context context{std::move(header.name), std::move(header.identity), header.daemon,
                                header.parent_pid, std::move(header.parent_name)};
    self::become(context);
    exit_child(run_target([&] {
        transport::fd_import_scope scope(fds);
        for (std::size_t i = 0; i < header.code_ids.size(); ++i) detail::define(header.code_ids[i], header.code_refs[i]);
        auto entry = reinterpret_cast<detail::spawn_entry>(const_cast<void*>(detail::code_address(header.entry)));
        entry(header.payload);
    }));
}

}  // namespace mproc::start
