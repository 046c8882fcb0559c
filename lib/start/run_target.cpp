#include "start/run_target.hpp"

#include "lifecycle/registry.hpp"
#include "lifecycle/self.hpp"
#include "posix/fork.hpp"
#include "posix/parent_death.hpp"

#include <mproc/detail/codec/type_name.hpp>

#include <cstdio>
#include <iostream>
#include <string>

namespace mproc::start {

namespace {

void report_escaped_exception() noexcept {
    try {
        const detail::exception_description escaped = detail::describe_current_exception();
        std::string text = "Process " + self::who_am_i().name + ":\n" + escaped.type;
        if (!escaped.what.empty()) text += ": " + escaped.what;
        text += '\n';
        std::cout.flush();
        std::fflush(stdout);
        std::fputs(text.c_str(), stderr);
        std::fflush(stderr);
    } catch (...) {
        std::fputs("Process: an exception escaped the target\n", stderr);
    }
}

}  // namespace

int run_target(const std::function<void()>& target) noexcept {
    try {
        target();
        return 0;
    } catch (...) {
        report_escaped_exception();
        return 1;
    }
}

void exit_child(int code) noexcept {
    lifecycle::finish_children();
    posix::flush_standard_streams();
    posix::exit_now(code);
}

}  // namespace mproc::start
