// The README's examples, as a user would write them: test_readme_snippets
// compiles this file with -Wall -Wextra -Werror (an option aggregate
// initialised with only some fields must not warn).
#include <mproc/mproc.hpp>

#include <mutex>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <system_error>

namespace mp = mproc;
namespace sp = mproc::subprocess;
using namespace std::chrono_literals;

// "Handles in globals, set by an initializer"
std::optional<mp::Queue<std::string>> results;  // empty until the initializer runs
std::optional<mp::Lock> results_lock;

void init(mp::Queue<std::string> q, mp::Lock l) {
    results = std::move(q);
    results_lock = std::move(l);
}
void work(int x) {
    std::lock_guard guard(*results_lock);
    results->put(std::to_string(x));
}

// "A task's exception"
namespace app {
struct BadFile : std::runtime_error {
    using std::runtime_error::runtime_error;
};
static const bool registered = mp::register_exception<BadFile>();
}  // namespace app

int parse(std::string path) { throw app::BadFile(path + " is not UTF-8"); }
void skip(const std::string&, const char*) {}
void retry_later(std::error_code) {}
void no_arguments() {}
int square(int x) { return x * x; }

int main(int argc, char** argv) {
    MPROC_MAIN(argc, argv);
    mp::Queue<std::string> q;
    mp::Lock lock;
    mp::Pool pool(mp::PoolOptions{.processes = 2, .initializer = mp::initializer(init, q, lock)});
    pool.map(work, std::views::iota(0, 4));

    mp::Pool other(mp::PoolOptions{.processes = 2, .initializer = no_arguments});
    mp::Pool third(mp::PoolOptions{.processes = 4, .initializer = mp::initializer(init, q, lock), .maxtasksperchild = 10});
    auto r = other.apply_async(square, 3);
    r.get(60s);

    const std::string path = "data.csv";
    try {
        pool.apply(parse, path);
    } catch (const mp::RemoteError& e) {
        if (const app::BadFile* bad = e.original<app::BadFile>()) skip(path, bad->what());
        else if (auto* os = e.original<std::system_error>()) retry_later(os->code());
        else throw;
    }

    auto done = sp::run({"true"}, {.input = "x", .capture_output = true, .check = true, .timeout = 5s});
    sp::Popen p({"cat"}, {.std_in = sp::PIPE, .std_out = sp::PIPE});
    p.communicate("y", 2s);
    return done.returncode;
}
