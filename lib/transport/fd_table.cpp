#include "transport/fd_table.hpp"

#include "posix/open.hpp"

#include <mproc/detail/transport/fd_transfer.hpp>
#include <mproc/errors.hpp>

#include <algorithm>
#include <string>

namespace mproc {

namespace {

thread_local std::vector<int>* exporting = nullptr;

struct import_table {
    std::vector<int> fds;
    std::vector<bool> taken;
    bool finished = false;
};
thread_local import_table* importing = nullptr;

void close_leftovers(import_table& table) noexcept {
    for (std::size_t i = 0; i < table.taken.size(); ++i)
        if (!table.taken[i]) posix::unique_fd{table.fds[i]};  // closed here
    table.taken.assign(table.taken.size(), true);
}

}  // namespace

namespace transport {

fd_export_scope::fd_export_scope(std::vector<int>& out) noexcept : previous_(exporting) { exporting = &out; }
fd_export_scope::~fd_export_scope() { exporting = previous_; }

fd_import_scope::fd_import_scope(std::vector<int> fds) noexcept {
    const std::size_t count = fds.size();
    importing = new import_table{std::move(fds), std::vector<bool>(count, false)};
}

fd_import_scope::~fd_import_scope() {
    if (!importing) return;
    close_leftovers(*importing);
    delete importing;
    importing = nullptr;
}

}  // namespace transport

namespace detail {

std::uint32_t export_fd(int fd) {
    if (!exporting)
        throw ProcessError(
            "a handle (Connection, Queue, lock, value) crosses to another process only as an argument of a Process "
            "or of a Pool task (or of a Pool's initializer); not as a Pool task's result, nor by dumps()");
    auto found = std::find(exporting->begin(), exporting->end(), fd);
    if (found != exporting->end()) return static_cast<std::uint32_t>(found - exporting->begin());
    if (exporting->size() >= transport::max_exported_fds)
        throw ProcessError("too many handles (Connections, Queues, ...) among the arguments (at most " +
                           std::to_string(transport::max_exported_fds) + ")");
    exporting->push_back(fd);
    return static_cast<std::uint32_t>(exporting->size() - 1);
}

fd_capture::fd_capture() noexcept : previous_(exporting) { exporting = &fds_; }
fd_capture::~fd_capture() { exporting = previous_; }

task_fds fd_capture::duplicates() const {
    if (fds_.empty()) return nullptr;
    auto out = std::make_shared<std::vector<posix::unique_fd>>();
    out->reserve(fds_.size());
    for (int fd : fds_) out->push_back(posix::dup_at_least(fd, 3));
    return out;
}

posix::unique_fd import_fd(std::uint32_t index) {
    if (!importing)
        throw ProcessError(
            "a handle (Connection, Queue, lock, value) can only be received as an argument of a Process or a Pool task");
    if (index >= importing->taken.size() || importing->taken[index])
        throw ProtocolError("task refers to descriptor #" + std::to_string(index) + ", which was not passed");
    importing->taken[index] = true;
    return posix::unique_fd(importing->fds[index]);
}

void finish_import() noexcept {
    if (!importing) return;
    close_leftovers(*importing);
    importing->finished = true;
}

int passed_descriptor(std::uint32_t index) noexcept {
    if (!decoding_task() || index >= importing->fds.size()) return -1;
    return importing->fds[index];
}

bool decoding_task() noexcept { return importing && !importing->finished; }

}  // namespace detail

}  // namespace mproc
