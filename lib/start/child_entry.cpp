#include "start/child_entry.hpp"

#include "lifecycle.hpp"
#include "posix/parent_death.hpp"

#include <mproc/process.hpp>

#include <boost/core/demangle.hpp>

#include <cstdio>
#include <cxxabi.h>
#include <exception>
#include <iostream>
#include <string>
#include <typeinfo>
#include <unistd.h>

namespace mproc::start {

namespace {

void report_escaped_exception() noexcept {
    try {
        const std::type_info* type = abi::__cxa_current_exception_type();
        std::string type_name = type ? boost::core::demangle(type->name()) : "unknown exception";
        std::string what;
        try {
            throw;
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        std::string text = "Process " + current_process().name() + ":\n" + type_name;
        if (!what.empty()) text += ": " + what;
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
    try {
        std::cout.flush();
        std::cerr.flush();
        std::clog.flush();
    } catch (...) {
    }
    std::fflush(nullptr);
    posix::exit_now(code);
}

}  // namespace mproc::start
