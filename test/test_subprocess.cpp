// mproc::subprocess behaviour, modelled on what CPython's test_subprocess
// checks: return codes, check_* errors, timeouts, large data both ways,
// redirections, environment, working directory, descriptors, exec errors,
// sessions, signal defaults, the PATH rule, and abandoned children.
#define BOOST_TEST_MODULE subprocess
#include <boost/test/unit_test.hpp>

#include <mproc/subprocess.hpp>

#include "support/clock.hpp"
#include "support/eintr.hpp"
#include "support/procfs.hpp"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <limits>
#include <future>
#include <pthread.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace sp = mproc::subprocess;
namespace fs = std::filesystem;
using test_support::seconds_since;
using namespace std::chrono_literals;
using Env = std::map<std::string, std::string>;

namespace {

// These tests check default dispositions in children: a runner started in the
// background by a non-interactive shell inherits SIGINT and SIGQUIT ignored
// (and would pass them on, as it should), so the suite starts from defaults.
struct default_dispositions {
    default_dispositions() {
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGQUIT, SIG_DFL);
    }
};
BOOST_TEST_GLOBAL_FIXTURE(default_dispositions);

// A fresh directory, removed at the end of the test.
struct temp_dir {
    fs::path path;
    temp_dir() {
        std::string pattern = (fs::temp_directory_path() / "mproc-sp-XXXXXX").string();
        BOOST_REQUIRE(::mkdtemp(pattern.data()));
        path = pattern;
    }
    ~temp_dir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    fs::path write(const std::string& name, const std::string& text, fs::perms perms = fs::perms::owner_read |
                                                                                        fs::perms::owner_write) {
        fs::path file = path / name;
        std::ofstream(file) << text;
        fs::permissions(file, perms);
        return file;
    }
};

constexpr fs::perms executable = fs::perms::owner_all;

std::string slurp(const fs::path& file) {
    std::ifstream in(file);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// A line "Name:\tvalue" of /proc/PID/status as printed by `cat /proc/self/status`.
std::string status_field(const std::string& status, const std::string& name) {
    std::istringstream lines(status);
    for (std::string line; std::getline(lines, line);)
        if (line.rfind(name + ":", 0) == 0) return line.substr(line.find_first_not_of(" \t", name.size() + 1));
    return "";
}

// Waits up to `limit` for `pid` to be dead: gone, or a zombie of someone else's.
bool dies_within(pid_t pid, std::chrono::duration<double> limit) {
    auto start = std::chrono::steady_clock::now();
    for (;;) {
        char state = test_support::process_state(pid);
        if (state == 0 || state == 'Z') return true;
        if (seconds_since(start) > limit.count()) return false;
        std::this_thread::sleep_for(10ms);
    }
}

}  // namespace

// ---- return codes ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(return_codes_are_exit_statuses_or_negative_signals) {
    BOOST_TEST(sp::call({"true"}) == 0);
    BOOST_TEST(sp::call({"false"}) == 1);
    BOOST_TEST(sp::call({"sh", "-c", "exit 7"}) == 7);
    BOOST_TEST(sp::call({"sh", "-c", "kill -9 $$"}) == -SIGKILL);

    sp::Popen term({"sleep", "30"});
    term.terminate();
    BOOST_TEST(term.wait() == -SIGTERM);
    sp::Popen killed({"sleep", "30"});
    killed.kill();
    BOOST_TEST(killed.wait() == -SIGKILL);
    sp::Popen interrupted({"sleep", "30"});
    interrupted.send_signal(SIGINT);
    BOOST_TEST(interrupted.wait() == -SIGINT);
    BOOST_TEST(interrupted.returncode().value() == -SIGINT);
    interrupted.kill();  // already reaped: nothing happens
}

BOOST_AUTO_TEST_CASE(returncode_is_unset_until_the_child_is_seen_to_end) {
    sp::Popen p({"sh", "-c", "sleep 0.3; exit 5"});
    BOOST_TEST(p.pid() > 0);
    BOOST_TEST(!p.returncode().has_value());
    BOOST_TEST(!p.poll().has_value());
    BOOST_CHECK_THROW(p.wait(50ms), sp::TimeoutExpired);
    BOOST_TEST(!p.returncode().has_value());
    BOOST_TEST(p.wait(10s) == 5);
    BOOST_TEST(p.poll().value() == 5);
    BOOST_TEST(p.returncode().value() == 5);
}

BOOST_AUTO_TEST_CASE(wait_timeout_carries_the_command_and_the_timeout) {
    sp::Popen p({"sleep", "30"});
    try {
        p.wait(0.1s);
        BOOST_FAIL("wait did not time out");
    } catch (const sp::TimeoutExpired& e) {
        BOOST_TEST(e.cmd == (std::vector<std::string>{"sleep", "30"}));
        BOOST_TEST(e.timeout.count() == 0.1);
        BOOST_TEST(std::string(e.what()).find("timed out after 0.1 seconds") != std::string::npos);
    }
    p.kill();
    p.wait();
}

// ---- check_* ---------------------------------------------------------------

// Python raises ValueError; converted to an integer a NaN is undefined
// behaviour (it waited forever).
BOOST_AUTO_TEST_CASE(nan_timeouts_are_invalid_arguments) {
    const auto nan = std::chrono::duration<double>(std::numeric_limits<double>::quiet_NaN());
    sp::Popen p({"cat"}, {.std_in = sp::PIPE, .std_out = sp::PIPE});
    BOOST_CHECK_THROW(p.wait(nan), std::invalid_argument);
    BOOST_CHECK_THROW(p.communicate("x", nan), std::invalid_argument);
    BOOST_TEST(!p.poll());  // nothing happened to it
    BOOST_TEST(p.communicate("x", 30s).std_out == "x");
    BOOST_CHECK_THROW(sp::run({"true"}, {.timeout = nan}), std::invalid_argument);
}

// Named as Python names Signals.SIGTERM, from constant tables (not
// strsignal's buffer): the messages made on many threads at once are right.
BOOST_AUTO_TEST_CASE(called_process_error_names_the_signal_thread_safely) {
    BOOST_TEST(std::string(sp::CalledProcessError(-SIGTERM, {"x"}).what()) ==
               "Command 'x' died with signal 15 (SIGTERM: Terminated).");
    const int rt = SIGRTMIN + 3;
    BOOST_TEST(std::string(sp::CalledProcessError(-rt, {"x"}).what()).find("SIGRTMIN+3") != std::string::npos);
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 2000; ++i) {
                const int sig = i % 2 ? SIGKILL : SIGRTMIN + 1 + i % 5;
                const std::string text = sp::CalledProcessError(-sig, {"x"}).what();
                const std::string expected =
                    sig == SIGKILL ? "(SIGKILL: Killed)" : "(SIGRTMIN+" + std::to_string(sig - SIGRTMIN) + ":";
                if (text.find(expected) == std::string::npos) ++wrong;
            }
        });
    for (auto& t : threads) t.join();
    BOOST_TEST(wrong.load() == 0);
}

BOOST_AUTO_TEST_CASE(check_call_and_check_output_raise_with_the_output) {
    BOOST_TEST(sp::check_call({"true"}) == 0);
    try {
        sp::check_call({"sh", "-c", "exit 3"});
        BOOST_FAIL("check_call did not throw");
    } catch (const sp::CalledProcessError& e) {
        BOOST_TEST(e.returncode == 3);
        BOOST_TEST(std::string(e.what()) == "Command 'sh -c 'exit 3'' returned non-zero exit status 3.");
    }
    BOOST_TEST(sp::check_output({"echo", "hello"}) == "hello\n");
    try {
        sp::check_output({"sh", "-c", "echo partial; exit 2"});
        BOOST_FAIL("check_output did not throw");
    } catch (const sp::CalledProcessError& e) {
        BOOST_TEST(e.returncode == 2);
        BOOST_TEST(e.output == "partial\n");
        BOOST_TEST(e.cmd.front() == "sh");
    }
    try {
        sp::run({"sh", "-c", "echo out; echo err >&2; kill -TERM $$"}, {.capture_output = true, .check = true});
        BOOST_FAIL("run(check) did not throw");
    } catch (const sp::CalledProcessError& e) {
        BOOST_TEST(e.returncode == -SIGTERM);
        BOOST_TEST(e.output == "out\n");
        BOOST_TEST(e.std_err == "err\n");
        BOOST_TEST(std::string(e.what()).find("died with signal 15") != std::string::npos);
    }
    sp::CompletedProcess cp = sp::run({"sh", "-c", "exit 4"});
    BOOST_TEST(cp.returncode == 4);
    BOOST_CHECK_THROW(cp.check_returncode(), sp::CalledProcessError);
    BOOST_CHECK_THROW(sp::check_output({"echo"}, {.std_out = sp::DEVNULL}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(run_passes_input_and_captures_output) {
    sp::CompletedProcess cp = sp::run({"sh", "-c", "tr a-z A-Z; echo done >&2"},
                                      {.input = "shout\n", .capture_output = true});
    BOOST_TEST(cp.returncode == 0);
    BOOST_TEST(cp.std_out == "SHOUT\n");
    BOOST_TEST(cp.std_err == "done\n");
    BOOST_TEST(cp.args.front() == "sh");
    BOOST_TEST(sp::check_output({"cat"}, {.input = std::string("x\0y", 3)}) == std::string("x\0y", 3));
    BOOST_CHECK_THROW(sp::run({"cat"}, {.std_in = sp::DEVNULL, .input = "x"}), std::invalid_argument);
    BOOST_CHECK_THROW(sp::run({"cat"}, {.std_out = sp::PIPE, .capture_output = true}), std::invalid_argument);
}

// ---- timeouts --------------------------------------------------------------

BOOST_AUTO_TEST_CASE(run_timeout_kills_the_child_and_reports_the_output_so_far) {
    auto start = std::chrono::steady_clock::now();
    try {
        sp::run({"sh", "-c", "echo started; exec sleep 30"}, {.capture_output = true, .timeout = 0.5s});
        BOOST_FAIL("run did not time out");
    } catch (const sp::TimeoutExpired& e) {
        BOOST_TEST(e.output == "started\n");
        BOOST_TEST(e.timeout.count() == 0.5);
    }
    BOOST_TEST(seconds_since(start) < 10);
    BOOST_TEST(test_support::zombie_children().empty());
    BOOST_CHECK_THROW(sp::call({"sleep", "30"}, {.timeout = 0.2s}), sp::TimeoutExpired);
}

BOOST_AUTO_TEST_CASE(run_timeout_kills_the_whole_process_group_of_a_new_session) {
    // The shell starts a grandchild that keeps our stdout pipe open; only
    // killing the group ends it (and lets the pipe reach end of file).
    auto start = std::chrono::steady_clock::now();
    pid_t grandchild = 0;
    try {
        sp::run({"sh", "-c", "sleep 30 & echo $!; wait"},
                {.start_new_session = true, .capture_output = true, .timeout = 0.5s});
        BOOST_FAIL("run did not time out");
    } catch (const sp::TimeoutExpired& e) {
        grandchild = std::stoi(e.output);
    }
    BOOST_TEST(seconds_since(start) < 10);
    BOOST_REQUIRE(grandchild > 0);
    BOOST_TEST(dies_within(grandchild, 5s));
}

BOOST_AUTO_TEST_CASE(communicate_timeout_leaves_the_child_running_and_a_second_call_continues) {
    sp::Popen p({"sh", "-c", "echo first; echo err1 >&2; sleep 0.6; echo second"},
                {.std_out = sp::PIPE, .std_err = sp::PIPE});
    try {
        p.communicate({}, 0.2s);
        BOOST_FAIL("communicate did not time out");
    } catch (const sp::TimeoutExpired& e) {
        BOOST_TEST(e.output == "first\n");
        BOOST_TEST(e.std_err == "err1\n");
    }
    BOOST_TEST(!p.poll().has_value());  // not killed
    auto [out, err] = p.communicate();
    BOOST_TEST(out == "first\nsecond\n");
    BOOST_TEST(err == "err1\n");
    BOOST_TEST(p.returncode().value() == 0);
}

// A second communicate() after one that finished: CPython raises ValueError
// ("read of closed file") when one stream is piped, returns its saved output
// again when several are. mproc raises std::invalid_argument in both cases
// (it moves the output out instead of keeping a copy: no second copy of 64
// MiB), and with nothing piped returns nothing again, as CPython.
BOOST_AUTO_TEST_CASE(a_second_communicate_after_the_end_is_refused) {
    sp::Popen p({"sh", "-c", "echo out; echo err >&2"}, {.std_out = sp::PIPE, .std_err = sp::PIPE});
    auto [out, err] = p.communicate();
    BOOST_TEST(out == "out\n");
    BOOST_TEST(err == "err\n");
    BOOST_CHECK_THROW(p.communicate(), std::invalid_argument);
    sp::Popen cat({"cat"}, {.std_in = sp::PIPE, .std_out = sp::PIPE});
    BOOST_TEST(cat.communicate("hi").std_out == "hi");
    BOOST_CHECK_THROW(cat.communicate(), std::invalid_argument);
    BOOST_CHECK_THROW(cat.communicate("more"), std::invalid_argument);
    sp::Popen quiet({"true"});
    BOOST_TEST(quiet.communicate().std_out.empty());
    BOOST_TEST(quiet.communicate().std_out.empty());
}

BOOST_AUTO_TEST_CASE(communicate_resumes_sending_input_after_a_timeout) {
    // `sleep` delays the reader past the first deadline while 4 MiB of input wait.
    const std::string input(4 << 20, 'i');
    sp::Popen p({"sh", "-c", "sleep 0.5; cat"}, {.std_in = sp::PIPE, .std_out = sp::PIPE});
    BOOST_CHECK_THROW(p.communicate(input, 0.1s), sp::TimeoutExpired);
    BOOST_CHECK_THROW(p.communicate("more"), std::invalid_argument);
    auto [out, err] = p.communicate();
    BOOST_TEST(out.size() == input.size());
    BOOST_TEST((out == input));
}

BOOST_AUTO_TEST_CASE(a_timeout_after_bulk_output_keeps_all_of_it) {
    // More than fits one buffer: the output so far spans several pieces. The
    // child then waits for the end of a pipe this test holds (an event, not a
    // sleep), so a timeout can only end a call while it waits.
    int gate[2];
    BOOST_REQUIRE(::pipe2(gate, O_CLOEXEC) == 0);
    const std::string fd = std::to_string(gate[0]);
    sp::Popen p({"sh", "-c", "head -c 20000000 /dev/zero; cat <&" + fd + " >/dev/null; echo end"},
                {.std_out = sp::PIPE, .pass_fds = {gate[0]}});
    ::close(gate[0]);
    // Each timed-out call keeps everything read so far; under load the 20 MB
    // may take several calls to arrive.
    std::size_t seen = 0;
    const auto start = std::chrono::steady_clock::now();
    while (seen < 20000000u && seconds_since(start) < 10) {
        try {
            p.communicate({}, 0.2s);
            BOOST_FAIL("communicate did not time out while the child waited");
        } catch (const sp::TimeoutExpired& e) {
            BOOST_TEST(e.output.size() >= seen);
            seen = e.output.size();
        }
    }
    BOOST_TEST(seen == 20000000u);
    ::close(gate[1]);
    std::string out = p.communicate().std_out;
    BOOST_TEST(out.size() == 20000004u);
    BOOST_TEST(out.substr(20000000) == "end\n");
    BOOST_TEST(out.find_first_not_of('\0') == 20000000u);
}

BOOST_AUTO_TEST_CASE(communicate_times_out_while_output_never_stops) {
    // Four writers keep both pipes readable at every poll: the deadline must
    // still end the call (it once ran until the pipes closed, buffering
    // gigabytes). A watchdog kills the writers so a failure ends too.
    sp::Popen p({"sh", "-c", "cat /dev/zero & cat /dev/zero & cat /dev/zero >&2 & exec cat /dev/zero >&2"},
                {.std_out = sp::PIPE, .std_err = sp::PIPE, .start_new_session = true});
    auto start = std::chrono::steady_clock::now();
    auto call = std::async(std::launch::async, [&] {
        try {
            p.communicate({}, 0.1s);
        } catch (const sp::TimeoutExpired&) {
            return true;
        }
        return false;
    });
    const bool in_time = call.wait_for(1.5s) == std::future_status::ready;
    const double took = seconds_since(start);
    ::kill(-p.pid(), SIGKILL);
    BOOST_TEST(call.get());
    BOOST_TEST(in_time, "communicate(timeout = 0.1s) still ran after " << took << " s");
    BOOST_TEST(p.wait() == -SIGKILL);
}

BOOST_AUTO_TEST_CASE(signals_interrupting_communicate_and_wait_are_retried) {
    const std::string input(4 << 20, 'i');
    test_support::eintr_storm storm;
    sp::CompletedProcess cp =
        sp::run({"sh", "-c", "sleep 0.1; cat; sleep 0.1"}, {.input = input, .capture_output = true});
    BOOST_TEST(cp.returncode == 0);
    BOOST_TEST((cp.std_out == input));
    sp::Popen p({"sh", "-c", "sleep 0.2; exit 3"});
    BOOST_CHECK_THROW(p.wait(0.05s), sp::TimeoutExpired);
    BOOST_TEST(p.wait() == 3);
}

// ---- data through pipes ----------------------------------------------------

BOOST_AUTO_TEST_CASE(sixty_four_mib_through_cat) {
    std::string input(64 << 20, '\0');
    for (std::size_t i = 0; i < input.size(); ++i) input[i] = static_cast<char>(i * 7 + i / 4096);
    sp::Popen p({"cat"}, {.std_in = sp::PIPE, .std_out = sp::PIPE});
    auto [out, err] = p.communicate(input);
    BOOST_TEST(out.size() == input.size());
    BOOST_TEST((out == input));
    BOOST_TEST(err.empty());
    BOOST_TEST(p.returncode().value() == 0);
}

BOOST_AUTO_TEST_CASE(large_output_on_both_streams_before_reading_input_does_not_deadlock) {
    // The child fills stdout and stderr (far beyond the pipe buffers) before it
    // reads stdin: reading one stream at a time, or writing input first, deadlocks.
    const std::string input(8 << 20, 'q');
    sp::Popen p({"sh", "-c", "head -c 8388608 /dev/zero; head -c 8388608 /dev/zero >&2; cat"},
                {.std_in = sp::PIPE, .std_out = sp::PIPE, .std_err = sp::PIPE});
    auto [out, err] = p.communicate(input, 60s);
    BOOST_TEST(out.size() == (16u << 20));
    BOOST_TEST(err.size() == (8u << 20));
    BOOST_TEST((out.substr(8 << 20) == input));
}

BOOST_AUTO_TEST_CASE(input_to_a_child_that_does_not_read_it_is_not_an_error) {
    // The child exits without reading: the writes get EPIPE, never SIGPIPE.
    sp::Popen p({"sh", "-c", "exit 0"}, {.std_in = sp::PIPE});
    auto result = p.communicate(std::string(4 << 20, 'x'));
    BOOST_TEST(p.returncode().value() == 0);
    BOOST_TEST(result.std_out.empty());

    sp::Popen q({"true"}, {.std_in = sp::PIPE});
    q.wait();
    try {
        q.std_in().write(std::string(1 << 20, 'x'));
        BOOST_FAIL("write to a closed pipe did not throw");
    } catch (const std::system_error& e) {
        BOOST_TEST(e.code().value() == EPIPE);
    }
}

BOOST_AUTO_TEST_CASE(stderr_to_stdout_keeps_the_order_of_writes) {
    auto cp = sp::run({"sh", "-c", "echo 1; echo 2 >&2; echo 3; echo 4 >&2"},
                      {.std_out = sp::PIPE, .std_err = sp::STDOUT});
    BOOST_TEST(cp.std_out == "1\n2\n3\n4\n");
    BOOST_TEST(cp.std_err.empty());
    BOOST_CHECK_THROW(sp::Popen({"true"}, {.std_out = sp::STDOUT}), std::invalid_argument);
    BOOST_CHECK_THROW(sp::Popen({"true"}, {.std_in = sp::STDOUT}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(devnull_reads_nothing_and_swallows_output) {
    auto in = sp::run({"cat"}, {.std_in = sp::DEVNULL, .capture_output = true, .timeout = 10s});
    BOOST_TEST(in.returncode == 0);
    BOOST_TEST(in.std_out.empty());
    auto out = sp::run({"sh", "-c", "echo visible >&2; echo hidden"}, {.std_out = sp::DEVNULL, .std_err = sp::PIPE});
    BOOST_TEST(out.std_out.empty());
    BOOST_TEST(out.std_err == "visible\n");
}

BOOST_AUTO_TEST_CASE(files_descriptors_and_FILE_pointers_as_redirect_targets) {
    temp_dir dir;
    fs::path out_file = dir.write("out.txt", "a much longer previous content\n");
    fs::path in_file = dir.write("in.txt", "from a file\n");
    BOOST_TEST(sp::call({"cat"}, {.std_in = in_file, .std_out = out_file}) == 0);
    BOOST_TEST(slurp(out_file) == "from a file\n");  // truncated, not overwritten in place
    BOOST_TEST(sp::call({"echo", "by name"}, {.std_out = (dir.path / "named.txt").c_str()}) == 0);
    BOOST_TEST(slurp(dir.path / "named.txt") == "by name\n");

    std::FILE* file = std::tmpfile();
    BOOST_REQUIRE(file);
    BOOST_TEST(sp::call({"echo", "via FILE*"}, {.std_out = file}) == 0);
    std::rewind(file);
    char line[64] = {};
    BOOST_TEST(std::fgets(line, sizeof line, file) != nullptr);
    BOOST_TEST(std::string(line) == "via FILE*\n");
    std::fclose(file);

    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);
    BOOST_TEST(sp::call({"echo", "via fd"}, {.std_out = fds[1]}) == 0);
    ::close(fds[1]);
    char buf[64] = {};
    BOOST_TEST(::read(fds[0], buf, sizeof buf) == 7);
    BOOST_TEST(std::string(buf) == "via fd\n");
    ::close(fds[0]);
}

BOOST_AUTO_TEST_CASE(a_pipe_end_can_be_another_childs_stdin_or_stdout_as_in_a_shell_pipeline) {
    // Python's "replacing a shell pipeline": p1's stdout becomes p2's stdin.
    // The child gets the very pipe end we hold (the same open file): were it
    // non-blocking, its reads and writes would fail with EAGAIN.
    sp::Popen p1({"sh", "-c", "sleep 0.2; echo hello; echo world"}, {.std_out = sp::PIPE});
    sp::Popen p2({"grep", "wor"}, {.std_in = p1.std_out().fileno(), .std_out = sp::PIPE, .std_err = sp::PIPE});
    p1.std_out().close();
    auto [out, err] = p2.communicate();
    BOOST_TEST(out == "world\n");
    BOOST_TEST(err == "");
    BOOST_TEST(p2.returncode().value() == 0);
    BOOST_TEST(p1.wait() == 0);

    // The other way: a writer's stdout is a reader's stdin pipe, fed far
    // beyond the pipe's buffer before the reader starts reading.
    sp::Popen reader({"sh", "-c", "sleep 0.2; exec wc -c"}, {.std_in = sp::PIPE, .std_out = sp::PIPE});
    sp::Popen writer({"head", "-c", "1048576", "/dev/zero"}, {.std_out = reader.std_in().fileno(), .std_err = sp::PIPE});
    reader.std_in().close();
    BOOST_TEST(writer.communicate().std_err == "");
    BOOST_TEST(writer.returncode().value() == 0);
    BOOST_TEST(reader.communicate().std_out == "1048576\n");
}

BOOST_AUTO_TEST_CASE(streams_for_manual_use) {
    sp::Popen p({"sh", "-c", "while read line; do echo \"got $line\"; done; echo bye"},
                {.std_in = sp::PIPE, .std_out = sp::PIPE});
    p.std_in().write("one\n");
    BOOST_TEST(p.std_out().readline() == "got one\n");
    p.std_in().write("two\nthree\n");
    BOOST_TEST(p.std_out().readline() == "got two\n");
    p.std_in().close();
    BOOST_TEST(p.std_in().closed());
    BOOST_CHECK_THROW(p.std_in().write("x"), sp::SubprocessError);
    BOOST_TEST(p.std_out().read(4) == "got ");
    BOOST_TEST(p.std_out().read() == "three\nbye\n");
    BOOST_TEST(p.std_out().readline().empty());
    BOOST_TEST(p.wait() == 0);
    BOOST_CHECK_THROW(p.std_err(), sp::SubprocessError);  // not a PIPE

    // Bytes a reader buffered are not lost to communicate.
    sp::Popen q({"printf", "a\\nb\\nc\\n"}, {.std_out = sp::PIPE});
    BOOST_TEST(q.std_out().readline() == "a\n");
    BOOST_TEST(q.communicate().std_out == "b\nc\n");
}

// ---- environment, directory, program lookup -------------------------------

BOOST_AUTO_TEST_CASE(env_replaces_the_environment) {
    BOOST_TEST(sp::check_output({"/usr/bin/env"}, {.env = Env{{"FOO", "bar"}, {"EMPTY", ""}}}) == "EMPTY=\nFOO=bar\n");
    BOOST_TEST(sp::check_output({"/usr/bin/env"}, {.env = Env{}}).empty());
    ::setenv("MPROC_INHERITED", "yes", 1);
    BOOST_TEST(sp::check_output({"sh", "-c", "echo $MPROC_INHERITED"}) == "yes\n");
    ::unsetenv("MPROC_INHERITED");
    BOOST_CHECK_THROW(sp::run({"env"}, {.env = Env{{"A=B", "c"}}}), std::invalid_argument);
    BOOST_CHECK_THROW(sp::run({"env"}, {.env = Env{{"", "c"}}}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(cwd_is_the_childs_working_directory) {
    temp_dir dir;
    BOOST_TEST(sp::check_output({"pwd"}, {.cwd = dir.path}) == fs::canonical(dir.path).string() + "\n");
    // A relative program path is found from the new directory, as in Python.
    dir.write("hello.sh", "#!/bin/sh\necho hello from $(basename $(pwd))\n", executable);
    BOOST_TEST(sp::check_output({"./hello.sh"}, {.cwd = dir.path}) ==
               "hello from " + dir.path.filename().string() + "\n");
}

BOOST_AUTO_TEST_CASE(programs_are_looked_up_in_the_childs_PATH_as_python_does) {
    temp_dir a, b;
    a.write("mproc-prog", "#!/bin/sh\necho from a\n", executable);
    b.write("mproc-prog", "#!/bin/sh\necho from b\n", executable);
    b.write("mproc-only-b", "#!/bin/sh\necho only b\n", executable);
    const std::string both = a.path.string() + ":" + b.path.string();
    // The child's PATH decides, in order...
    BOOST_TEST(sp::check_output({"mproc-prog"}, {.env = Env{{"PATH", both}}}) == "from a\n");
    BOOST_TEST(sp::check_output({"mproc-prog"}, {.env = Env{{"PATH", b.path.string()}}}) == "from b\n");
    // ...not the parent's.
    const std::string saved = std::getenv("PATH") ? std::getenv("PATH") : "";
    ::setenv("PATH", both.c_str(), 1);
    try {
        sp::run({"mproc-only-b"}, {.env = Env{{"PATH", a.path.string()}}});
        BOOST_FAIL("found a program outside the child's PATH");
    } catch (const std::system_error& e) {
        BOOST_TEST(e.code().value() == ENOENT);
    }
    BOOST_TEST(sp::check_output({"mproc-only-b"}) == "only b\n");  // inherited environment: parent's PATH
    ::setenv("PATH", saved.c_str(), 1);
    // No PATH in the child's environment: /bin:/usr/bin.
    BOOST_TEST(sp::check_output({"env"}, {.env = Env{{"X", "1"}}}) == "X=1\n");
    // The first error that is not "not found" is reported; a later
    // directory still wins if it has an executable.
    temp_dir c;
    c.write("mproc-prog", "#!/bin/sh\necho not executable\n");
    try {
        sp::run({"mproc-prog"}, {.env = Env{{"PATH", c.path.string() + ":/nonexistent"}}});
        BOOST_FAIL("ran a file without execute permission");
    } catch (const std::system_error& e) {
        BOOST_TEST(e.code().value() == EACCES);
    }
    BOOST_TEST(sp::check_output({"mproc-prog"}, {.env = Env{{"PATH", c.path.string() + ":" + b.path.string()}}}) ==
               "from b\n");
}

BOOST_AUTO_TEST_CASE(shell_and_executable_follow_python) {
    BOOST_TEST(sp::check_output({"echo $0 $1 | tr a-z A-Z", "zero", "one"}, {.shell = true}) == "ZERO ONE\n");
    // executable replaces the program; args[0] stays argv[0].
    BOOST_TEST(sp::check_output({"custom-name", "-c", "echo $0"}, {.executable = "/bin/sh"}) == "custom-name\n");
    BOOST_TEST(sp::check_output({"echo $0"}, {.shell = true, .executable = "/bin/bash"}) == "/bin/bash\n");
}

// ---- descriptors -------------------------------------------------------------

BOOST_AUTO_TEST_CASE(pass_fds_are_kept_and_others_closed) {
    int fds[2];
    BOOST_REQUIRE(::pipe(fds) == 0);  // deliberately inheritable (no O_CLOEXEC)
    const std::string fd = std::to_string(fds[1]);
    BOOST_TEST(sp::call({"sh", "-c", "echo through >&" + fd}, {.pass_fds = {fds[1]}}) == 0);
    BOOST_TEST(sp::call({"sh", "-c", "echo lost 2>/dev/null >&" + fd}) != 0);  // close_fds: not passed
    ::close(fds[1]);
    char buf[64] = {};
    BOOST_TEST(::read(fds[0], buf, sizeof buf) == 8);
    BOOST_TEST(std::string(buf) == "through\n");
    ::close(fds[0]);
}

BOOST_AUTO_TEST_CASE(pass_fds_must_be_open_descriptors) {
    // Two free numbers a < b: the stdin pipe made for the child takes them,
    // so a pass_fds of b (not open) would hand the child the parent's end of
    // its own stdin, and `cat` would never see end of file.
    const int a = ::dup(0), b = ::dup(0);
    BOOST_REQUIRE(a >= 0 && b == a + 1);
    ::close(a);
    ::close(b);
    try {
        sp::Popen p({"cat"}, {.std_in = sp::PIPE, .std_out = sp::DEVNULL, .pass_fds = {b}});
        try {
            p.communicate("x", 2s);
        } catch (const sp::TimeoutExpired&) {
            p.kill();
        }
        p.wait();
        BOOST_FAIL("a pass_fds descriptor that is not open was accepted");
    } catch (const std::system_error& e) {
        BOOST_TEST(e.code().value() == EBADF);
        BOOST_TEST(std::string(e.what()).find(std::to_string(b)) != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(close_fds_leaves_only_stdio_and_pass_fds) {
    // Inheritable descriptors a careless program might hold.
    int leak[2];
    BOOST_REQUIRE(::pipe(leak) == 0);
    int file = ::open("/dev/null", O_RDONLY);
    BOOST_REQUIRE(file >= 0);
    int high = ::fcntl(file, F_DUPFD, 200);
    BOOST_REQUIRE(high >= 200);
    auto fds_of_child = [](sp::RunOptions o) {
        o.capture_output = true;
        std::string listing = sp::run({"sh", "-c", "ls /proc/$$/fd"}, std::move(o)).std_out;
        std::set<int> fds;
        std::istringstream in(listing);
        for (int fd; in >> fd;) fds.insert(fd);
        return fds;
    };
    BOOST_TEST((fds_of_child({}) == std::set<int>{0, 1, 2}));
    BOOST_TEST((fds_of_child({.pass_fds = {high, leak[1]}}) == std::set<int>{0, 1, 2, leak[1], high}));
    // Without close_fds the inheritable ones get through (the check can fail).
    std::set<int> open = fds_of_child({.close_fds = false});
    BOOST_TEST(open.count(high) == 1);
    BOOST_TEST(open.count(leak[0]) == 1);
    ::close(leak[0]);
    ::close(leak[1]);
    ::close(file);
    ::close(high);
}

BOOST_AUTO_TEST_CASE(redirect_sources_among_0_1_2_are_not_clobbered) {
    // The child's stdout is our stdin-numbered descriptor and vice versa:
    // naive dup2 in order would lose one of them.
    temp_dir dir;
    fs::path in_file = dir.write("in.txt", "swapped\n");
    int in_fd = ::open(in_file.c_str(), O_RDONLY);
    int out_fd = ::open((dir.path / "out.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int rc = -1;
    {
        struct restore_stdio {
            int in = ::dup(0), out = ::dup(1);
            ~restore_stdio() {
                ::dup2(in, 0);
                ::dup2(out, 1);
                ::close(in);
                ::close(out);
            }
        } restore;
        ::dup2(out_fd, 0);  // our fd 0 is now the output file
        ::dup2(in_fd, 1);   // our fd 1 is now the input file
        rc = sp::call({"cat"}, {.std_in = 1, .std_out = 0});
    }
    ::close(in_fd);
    ::close(out_fd);
    BOOST_TEST(rc == 0);
    BOOST_TEST(slurp(dir.path / "out.txt") == "swapped\n");
}

// ---- exec errors -----------------------------------------------------------

BOOST_AUTO_TEST_CASE(exec_errors_throw_system_error_with_the_childs_errno_and_leave_no_zombie) {
    temp_dir dir;
    fs::path plain = dir.write("not-executable", "#!/bin/sh\necho no\n");
    const std::set<int> fds_before = test_support::open_fds();
    auto errno_of = [](std::vector<std::string> args, sp::PopenOptions o = {}) {
        try {
            sp::Popen p(std::move(args), std::move(o));
            return 0;
        } catch (const std::system_error& e) {
            BOOST_TEST_MESSAGE(e.what());
            return e.code().value();
        }
    };
    BOOST_TEST(errno_of({"mproc-no-such-program"}) == ENOENT);
    BOOST_TEST(errno_of({"/nonexistent/program"}) == ENOENT);
    BOOST_TEST(errno_of({plain.string()}) == EACCES);
    BOOST_TEST(errno_of({dir.path.string()}) == EACCES);
    BOOST_TEST(errno_of({"true"}, {.cwd = dir.path / "missing"}) == ENOENT);
    BOOST_TEST(errno_of({"true"}, {.std_out = sp::PIPE, .std_err = sp::PIPE, .cwd = plain}) == ENOTDIR);
    try {
        sp::run({"mproc-no-such-program"}, {.capture_output = true});
        BOOST_FAIL("run did not throw");
    } catch (const std::system_error& e) {
        BOOST_TEST(std::string(e.what()).find("mproc-no-such-program") != std::string::npos);
    }
    BOOST_TEST(test_support::zombie_children().empty());
    BOOST_TEST((test_support::open_fds() == fds_before));
    BOOST_CHECK_THROW(sp::Popen({}), std::invalid_argument);
    BOOST_CHECK_THROW(sp::Popen({std::string("a\0b", 3)}), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_parent_with_its_standard_descriptors_closed_can_start_children) {
    // A daemon that closed 0-2: the first pipes it makes get those numbers.
    // (The start-report pipe's write end once landed on 1 and was kept open
    // in the parent beside its copy: Popen waited forever for end of file.)
    const pid_t pid = ::fork();
    BOOST_REQUIRE(pid >= 0);
    if (pid == 0) {
        ::alarm(10);  // a hang ends as SIGALRM
        ::close(0);
        ::close(1);
        ::close(2);
        bool ok = sp::call({"true"}) == 0;
        ok = ok && sp::check_output({"echo", "hi"}) == "hi\n";
        ok = ok && sp::run({"cat"}, {.input = "in", .capture_output = true}).std_out == "in";
        ::_exit(ok ? 0 : 1);
    }
    int status = 0;
    BOOST_REQUIRE(::waitpid(pid, &status, 0) == pid);
    BOOST_TEST(!WIFSIGNALED(status), "the child died of signal " << WTERMSIG(status));
    BOOST_TEST((WIFEXITED(status) && WEXITSTATUS(status) == 0));
}

// ---- sessions, groups, signals ---------------------------------------------

BOOST_AUTO_TEST_CASE(start_new_session_gives_a_new_session_and_group) {
    auto ids_of_child = [](sp::RunOptions o) {
        // `cat` is exec'd directly: /proc/self is the child itself.
        std::string stat = sp::check_output({"cat", "/proc/self/stat"}, std::move(o));
        auto close = stat.rfind(')');
        std::istringstream in(stat.substr(close + 2));
        std::string state;
        pid_t ppid, pgrp, session;
        in >> state >> ppid >> pgrp >> session;
        return std::make_pair(pgrp, session);
    };
    const pid_t our_session = ::getsid(0), our_group = ::getpgrp();
    auto [pgrp, session] = ids_of_child({.start_new_session = true});
    BOOST_TEST(session != our_session);
    BOOST_TEST(pgrp == session);  // the child leads both
    auto [pgrp0, session0] = ids_of_child({.process_group = 0});
    BOOST_TEST(session0 == our_session);
    BOOST_TEST(pgrp0 != our_group);
    auto [pgrp1, session1] = ids_of_child({});
    BOOST_TEST(pgrp1 == our_group);
    BOOST_TEST(session1 == our_session);
    // process_group = N joins an existing group: the one a first child leads.
    sp::Popen leader({"sleep", "30"}, {.process_group = 0});
    auto [pgrp2, session2] = ids_of_child({.process_group = leader.pid()});
    BOOST_TEST(pgrp2 == leader.pid());
    BOOST_TEST(session2 == our_session);
    leader.kill();
    leader.wait();
}

// As CPython: ignored signals stay ignored in the child (nohup works), caught
// ones are reset to default, and restore_signals (true by default) resets
// SIGPIPE and SIGXFSZ, which Python itself ignores. The mask starts empty.
BOOST_AUTO_TEST_CASE(the_child_keeps_ignored_signals_resets_caught_ones_and_restores_sigpipe) {
    struct sigaction ignore {}, handler{}, old_pipe{}, old_xfsz{}, old_usr1{}, old_usr2{};
    ignore.sa_handler = SIG_IGN;
    handler.sa_handler = [](int) {};
    ::sigaction(SIGPIPE, &ignore, &old_pipe);
    ::sigaction(SIGXFSZ, &ignore, &old_xfsz);
    ::sigaction(SIGUSR1, &ignore, &old_usr1);
    ::sigaction(SIGUSR2, &handler, &old_usr2);
    sigset_t block, old_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGHUP);
    ::pthread_sigmask(SIG_BLOCK, &block, &old_mask);

    std::string status = sp::check_output({"cat", "/proc/self/status"});
    std::string kept = sp::check_output({"cat", "/proc/self/status"}, {.restore_signals = false});
    std::string parent = sp::check_output({"cat", "/proc/" + std::to_string(::getpid()) + "/task/" +
                                                      std::to_string(::gettid()) + "/status"});

    ::pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    ::sigaction(SIGPIPE, &old_pipe, nullptr);
    ::sigaction(SIGXFSZ, &old_xfsz, nullptr);
    ::sigaction(SIGUSR1, &old_usr1, nullptr);
    ::sigaction(SIGUSR2, &old_usr2, nullptr);

    auto bit = [](int sig) { return 1ull << (sig - 1); };
    auto mask = [](const std::string& field) { return std::stoull(field, nullptr, 16); };
    BOOST_TEST(status_field(parent, "SigBlk") != "0000000000000000");  // the set-up took effect
    BOOST_TEST((mask(status_field(parent, "SigIgn")) & bit(SIGUSR1)) != 0u);
    BOOST_TEST(mask(status_field(status, "SigIgn")) == bit(SIGUSR1));
    BOOST_TEST(mask(status_field(kept, "SigIgn")) == (bit(SIGUSR1) | bit(SIGPIPE) | bit(SIGXFSZ)));
    BOOST_TEST(status_field(status, "SigBlk") == "0000000000000000");
    BOOST_TEST(status_field(status, "SigCgt") == "0000000000000000");
}

// ---- lifetime -----------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_destroyed_running_popen_neither_blocks_nor_kills_and_is_reaped_later) {
    // The child runs until it reads a line from `go`: every step waits for
    // an event, a deadline only turns a hang into a failure.
    int go[2];
    BOOST_REQUIRE(::pipe2(go, O_CLOEXEC) == 0);
    pid_t pid = 0;
    auto destroyed = std::async(std::launch::async, [&] {
        sp::Popen p({"sh", "-c", "read line"}, {.std_in = go[0], .std_out = sp::PIPE});
        pid = p.pid();
    });
    const bool blocked = destroyed.wait_for(10s) != std::future_status::ready;
    if (blocked) BOOST_REQUIRE(::write(go[1], "\n", 1) == 1);  // unblock it, then fail
    destroyed.get();
    BOOST_TEST(!blocked, "~Popen waited for the child");
    BOOST_TEST(test_support::process_state(pid) != 'Z');
    BOOST_TEST(test_support::process_state(pid) != 0);  // still running
    if (!blocked) BOOST_REQUIRE(::write(go[1], "\n", 1) == 1);
    ::close(go[0]);
    ::close(go[1]);
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (test_support::process_state(pid) != 'Z' && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(1ms);
    BOOST_TEST(test_support::process_state(pid) == 'Z');  // ended, not yet reaped
    sp::call({"true"});  // starting a child reaps abandoned ones
    BOOST_TEST(test_support::process_state(pid) == 0);
}

BOOST_AUTO_TEST_CASE(popen_is_movable) {
    std::vector<sp::Popen> procs;
    for (int i = 0; i < 3; ++i) procs.emplace_back(std::vector<std::string>{"sh", "-c", "exit " + std::to_string(i)});
    sp::Popen moved = std::move(procs[2]);
    BOOST_CHECK_THROW(procs[2].pid(), sp::SubprocessError);
    BOOST_TEST(moved.wait() == 2);
    procs[2] = std::move(procs[1]);
    BOOST_TEST(procs[2].wait() == 1);
    BOOST_TEST(procs[0].wait() == 0);
}
