// Messages of CalledProcessError and TimeoutExpired, worded as Python's.
#include <mproc/subprocess.hpp>

#include <csignal>
#include <cstring>
#include <sstream>

namespace mproc::subprocess {

namespace {

// The command as a shell would show it: arguments with spaces or quotes quoted.
std::string show(const std::vector<std::string>& cmd) {
    std::string text;
    for (const std::string& arg : cmd) {
        if (!text.empty()) text += ' ';
        bool plain = !arg.empty() && arg.find_first_of(" \t\n'\"\\$`;&|<>()*?[]#~") == std::string::npos;
        if (plain) {
            text += arg;
            continue;
        }
        text += '\'';
        for (char c : arg) text += c == '\'' ? std::string("'\\''") : std::string(1, c);
        text += '\'';
    }
    return text;
}

// "SIGTERM: Terminated", as Python names Signals.SIGTERM. sigabbrev_np and
// sigdescr_np read constant tables: strsignal may write a shared buffer, and
// Popens run on several threads.
std::string signal_name(int sig) {
    const char* abbrev = ::sigabbrev_np(sig);
    const char* description = ::sigdescr_np(sig);
    if (abbrev) return std::string("SIG") + abbrev + (description ? std::string(": ") + description : "");
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) return "SIGRTMIN+" + std::to_string(sig - SIGRTMIN) + ": real-time signal";
    return "unknown signal";
}

std::string called_message(int returncode, const std::vector<std::string>& cmd) {
    std::string text = "Command '" + show(cmd) + "' ";
    if (returncode < 0) return text + "died with signal " + std::to_string(-returncode) + " (" + signal_name(-returncode) + ").";
    return text + "returned non-zero exit status " + std::to_string(returncode) + ".";
}

std::string timeout_message(const std::vector<std::string>& cmd, std::chrono::duration<double> timeout) {
    std::ostringstream text;
    text << "Command '" << show(cmd) << "' timed out after " << timeout.count() << " seconds";
    return text.str();
}

}  // namespace

CalledProcessError::CalledProcessError(int returncode_, std::vector<std::string> cmd_, std::string output_,
                                       std::string std_err_)
    : SubprocessError(called_message(returncode_, cmd_)),
      returncode(returncode_), cmd(std::move(cmd_)), output(std::move(output_)), std_err(std::move(std_err_)) {}

TimeoutExpired::TimeoutExpired(std::vector<std::string> cmd_, std::chrono::duration<double> timeout_,
                               std::string output_, std::string std_err_)
    : SubprocessError(timeout_message(cmd_, timeout_)),
      cmd(std::move(cmd_)), timeout(timeout_), output(std::move(output_)), std_err(std::move(std_err_)) {}

void CompletedProcess::check_returncode() const {
    if (returncode != 0) throw CalledProcessError(returncode, args, std_out, std_err);
}

}  // namespace mproc::subprocess
