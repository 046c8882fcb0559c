#include "subprocess/stdio.hpp"

#include "posix/fd.hpp"
#include "posix/open.hpp"
#include "posix/spawn.hpp"

#include <stdexcept>

namespace mproc::subprocess::detail {

namespace {

const char* const stream_names[3] = {"stdin", "stdout", "stderr"};

void setup_one(stdio_setup& s, int target, const Redirect& r) {
    const bool input = target == 0;
    int& source = s.child_source[target];
    posix::unique_fd& owned = s.child_owned[target];
    switch (r.kind()) {
        case Redirect::Kind::inherit:
            source = posix::spawn_plan::inherit;
            return;
        case Redirect::Kind::stdout_:
            if (target != 2)
                throw std::invalid_argument(std::string("subprocess: STDOUT is only valid for stderr, not ") +
                                            stream_names[target]);
            source = posix::spawn_plan::same_as_stdout;
            return;
        case Redirect::Kind::pipe: {
            auto [read_end, write_end] = posix::make_pipe();
            owned = std::move(input ? read_end : write_end);
            s.parent_end[target] = std::move(input ? write_end : read_end);
            break;
        }
        case Redirect::Kind::devnull:
            owned = posix::open_file("/dev/null", input ? O_RDONLY : O_WRONLY);
            break;
        case Redirect::Kind::path:
            owned = posix::open_file(r.path().c_str(), input ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC);
            break;
        case Redirect::Kind::fd:
            if (r.fd() < 0)
                throw std::invalid_argument(std::string("subprocess: invalid descriptor for ") + stream_names[target]);
            source = r.fd();
            break;
    }
    if (owned) source = owned.get();
    // A source among 0-2 other than its own target could be overwritten by
    // an earlier dup in the child: give the child a copy above 2.
    if (source <= 2 && source != target) {
        owned = posix::dup_at_least(source, 3);
        source = owned.get();
    }
}

}  // namespace

stdio_setup make_stdio(const Redirect& in, const Redirect& out, const Redirect& err) {
    stdio_setup s;
    setup_one(s, 0, in);
    setup_one(s, 1, out);
    setup_one(s, 2, err);
    return s;
}

}  // namespace mproc::subprocess::detail
