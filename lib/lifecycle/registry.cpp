#include "lifecycle/registry.hpp"

#include "lifecycle/abandoned.hpp"
#include "lifecycle/per_process.hpp"

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <mutex>

namespace mproc::lifecycle {

namespace {

struct registry {
    std::mutex mutex;
    std::vector<std::shared_ptr<child_record>> children;
    bool exit_handler_installed = false;
};

per_process<registry> registries;

}  // namespace

void finish_children() noexcept {
    if (!registries.find()) return;  // no child started here (a forked child then touches no heap)
    try {
        std::vector<std::shared_ptr<child_record>> children = running_children();
        for (auto& child : children) {
            if (!child->daemon()) continue;
            try {
                child->send_signal(SIGTERM);
            } catch (...) {
            }
        }
        for (auto& child : children) {
            try {
                child->wait(std::nullopt);
            } catch (...) {
            }
        }
    } catch (...) {
    }
}

void track(std::shared_ptr<child_record> child) {
    registry& r = registries.get();
    std::lock_guard lock(r.mutex);
    if (!r.exit_handler_installed) {
        std::atexit(finish_children);
        r.exit_handler_installed = true;
    }
    r.children.push_back(std::move(child));
}

std::vector<std::shared_ptr<child_record>> running_children() {
    reap_abandoned();
    registry& r = registries.get();
    std::vector<std::shared_ptr<child_record>> snapshot;
    {
        std::lock_guard lock(r.mutex);
        snapshot = r.children;
    }
    std::vector<std::shared_ptr<child_record>> running;
    for (auto& child : snapshot) {
        bool ended = true;
        try {
            ended = child->poll().has_value();
        } catch (...) {
        }
        if (!ended) running.push_back(child);
    }
    std::lock_guard lock(r.mutex);
    std::erase_if(r.children, [&](const std::shared_ptr<child_record>& child) {
        return std::find(snapshot.begin(), snapshot.end(), child) != snapshot.end() &&
               std::find(running.begin(), running.end(), child) == running.end();
    });
    return running;
}

}  // namespace mproc::lifecycle
