// A test helper making blocking system calls fail with EINTR, over and over.
#pragma once

#include <csignal>
#include <sys/time.h>

namespace test_support {

/// While alive, SIGALRM arrives every millisecond at a handler installed
/// without SA_RESTART: every blocking poll, read, write or wait of this
/// process fails with EINTR again and again. Forked children do not inherit
/// the timer.
class eintr_storm {
public:
    eintr_storm() {
        struct sigaction tick {};
        tick.sa_handler = [](int) {};
        sigemptyset(&tick.sa_mask);
        ::sigaction(SIGALRM, &tick, &old_);
        const itimerval every_ms{{0, 1000}, {0, 1000}};
        ::setitimer(ITIMER_REAL, &every_ms, nullptr);
    }
    ~eintr_storm() {
        const itimerval off{};
        ::setitimer(ITIMER_REAL, &off, nullptr);
        ::sigaction(SIGALRM, &old_, nullptr);
    }
    eintr_storm(const eintr_storm&) = delete;
    eintr_storm& operator=(const eintr_storm&) = delete;

private:
    struct sigaction old_ {};
};

}  // namespace test_support
