#include "start/code_table.hpp"

#include <mproc/codec.hpp>
#include <mproc/detail/start/code_ref.hpp>
#include <mproc/detail/start/task.hpp>

#include <mutex>
#include <unordered_map>
#include <vector>

namespace mproc::detail {

namespace {

// The sender's side: address -> id, id -> encoded code_ref.
struct registry {
    std::mutex mutex;
    std::unordered_map<const void*, std::uint32_t> ids;
    std::vector<std::string> refs{std::string()};  // id 0: none
};

registry& sender_side() {
    static registry* r = new registry;  // never destroyed: used until the very end
    return *r;
}

// The receiver's side: id -> address, or why it could not be resolved. Only
// the receiver's one thread uses it (a worker's, a re-executed child's
// before its target runs).
struct resolved {
    const void* address = nullptr;
    std::string error;
};
std::vector<resolved>& receiver_side() {
    static std::vector<resolved>* table = new std::vector<resolved>;
    return *table;
}

}  // namespace

std::uint32_t code_id(const void* address) {
    registry& r = sender_side();
    std::lock_guard lock(r.mutex);
    auto it = r.ids.find(address);
    if (it != r.ids.end()) return it->second;
    std::string ref = dumps(locate_code(address));
    const auto id = static_cast<std::uint32_t>(r.refs.size());
    r.refs.push_back(std::move(ref));
    r.ids.emplace(address, id);
    return id;
}

std::string definition(std::uint32_t id) {
    registry& r = sender_side();
    std::lock_guard lock(r.mutex);
    return id < r.refs.size() ? r.refs[id] : std::string();
}

void define(std::uint32_t id, std::string_view ref) {
    auto& table = receiver_side();
    if (id >= table.size()) table.resize(id + 1);
    try {
        table[id] = {resolve_code(loads<code_ref>(ref)), {}};
    } catch (const std::exception& e) {
        table[id] = {nullptr, e.what()};
    }
}

const void* code_address(std::uint32_t id) {
    auto& table = receiver_side();
    if (id == 0 || id >= table.size() || (!table[id].address && table[id].error.empty()))
        throw ProtocolError("malformed task: code id " + std::to_string(id) + " was never defined");
    if (!table[id].address) throw ProcessError("the task's code cannot be found in this process: " + table[id].error);
    return table[id].address;
}

}  // namespace mproc::detail
