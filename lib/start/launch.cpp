#include "start/launch.hpp"

#include "start/fork.hpp"
#include "start/forkserver.hpp"
#include "start/spawn.hpp"

#include <cstdio>
#include <iostream>

namespace mproc::start {

std::unique_ptr<lifecycle::child> launch(start_method method, detail::process_target& target, self::child_context context) {
    refuse_to_start_without_hook();
    switch (method) {
        case start_method::fork: return launch_fork(target, std::move(context));
        case start_method::spawn:
        case start_method::forkserver: {
            // Output buffered before start() appears before the child's.
            std::cout.flush();
            std::fflush(stdout);
            return method == start_method::spawn ? launch_spawn(target, context) : forkserver::launch(target, context);
        }
    }
    throw std::logic_error("unknown start method");
}

}  // namespace mproc::start
