#include "pool/pump.hpp"

#include "posix/fd.hpp"
#include "posix/nonblocking_io.hpp"
#include "posix/poll.hpp"
#include "posix/signals.hpp"

namespace mproc::detail::pool {

pump::pump(driver& d) : driver_(d) {
    std::tie(wake_read_, wake_write_) = posix::make_pipe();
    posix::set_nonblocking(wake_read_.get());
    posix::set_nonblocking(wake_write_.get());
}

pump::~pump() { stop_progress(); }

void pump::start_progress() {
    progress_ = std::thread([this] { progress_loop(); });
}

void pump::stop_progress() {
    {
        lock_t lk(m_);
        stop_ = true;
        progress_cv_.notify_all();
        wake();
    }
    if (!progress_.joinable()) return;
    if (progress_.get_id() == std::this_thread::get_id())
        progress_.detach();  // it returns as soon as the pool is gone (progress_loop)
    else
        progress_.join();
}

bool pump::try_take(lock_t&) noexcept {
    if (pumping_) return false;
    pumping_ = true;
    return true;
}

void pump::want_role() noexcept {
    if (progress_pumping_ && !role_wanted_) {
        role_wanted_ = true;
        wake();
    }
}

bool pump::take(lock_t& lk, deadline until) {
    while (pumping_) {
        want_role();
        ++waiters_;
        if (until) {
            if (cv_.wait_until(lk, *until) == std::cv_status::timeout && pumping_) {
                --waiters_;
                return false;
            }
        } else {
            cv_.wait(lk);
        }
        --waiters_;
    }
    pumping_ = true;
    return true;
}

void pump::release(lock_t&) noexcept {
    pumping_ = false;
    notify();
}

void pump::wake() noexcept {
    if (!polling_ || woken_) return;
    woken_ = true;
    const char byte = 0;
    try {
        posix::write_nonblock(wake_write_.get(), &byte, 1);
    } catch (...) {
    }
}

void pump::work_arrived() noexcept {
    if (progress_idle_) {
        progress_idle_ = false;
        progress_cv_.notify_one();
    }
}

bool pump::drive(lock_t& lk, const std::function<bool()>& done, deadline until) {
    for (;;) {
        if (done()) return true;
        if (until && clock::now() >= *until) {
            // One look without waiting (ready(), get(0s)), if the role is free.
            if (!try_take(lk)) return false;
            {
                role r{*this, lk};
                driver_.step(lk, clock::now());
            }
            return done();
        }
        if (try_take(lk)) {
            ++activity_;
            {
                role r{*this, lk};
                while (!done() && !(until && clock::now() >= *until)) driver_.step(lk, until);
            }
            return done();
        }
        want_role();
        ++waiters_;
        if (until)
            cv_.wait_until(lk, *until);
        else
            cv_.wait(lk);
        --waiters_;
    }
}

int pump::poll(lock_t& lk, std::vector<pollfd>& fds, deadline until) {
    if (!progress_pumping_) ++activity_;
    if (notified_ != round_mark_) until = clock::now();
    fds[0] = {wake_read_.get(), POLLIN, 0};
    polling_ = true;
    woken_ = false;
    lk.unlock();
    int ready = 0;
    try {
        ready = posix::poll_until(fds.data(), fds.size(), until);
    } catch (...) {
        lk.lock();
        polling_ = false;
        throw;
    }
    lk.lock();
    polling_ = false;
    if (ready > 0 && fds[0].revents) {
        char drain[64];
        while (posix::read_nonblock(wake_read_.get(), drain, sizeof drain).bytes > 0) {
        }
        if (progress_pumping_ && role_wanted_) return 0;
    }
    return ready;
}

void pump::progress_loop() {
    posix::block_all_signals();  // signals are the application's threads' business
    lock_t lk(m_);
    std::uint64_t seen = activity_;
    while (!stop_) {
        if (!driver_.outstanding()) {
            progress_idle_ = true;
            progress_cv_.wait(lk);
            progress_idle_ = false;
            seen = activity_;
            continue;
        }
        if (pumping_ || activity_ != seen) {
            seen = activity_;
            progress_cv_.wait_for(lk, std::chrono::milliseconds(1));
            continue;
        }
        // Work is outstanding and nobody has looked for a millisecond.
        std::shared_ptr<void> keep = driver_.keep_alive();
        if (!keep) {  // being destroyed: its destructor drives the rest
            progress_cv_.wait_for(lk, std::chrono::milliseconds(1));
            continue;
        }
        pumping_ = true;
        progress_pumping_ = true;
        try {
            while (!stop_ && !role_wanted_ && driver_.outstanding()) driver_.step(lk, std::nullopt);
        } catch (...) {
        }
        progress_pumping_ = false;
        role_wanted_ = false;
        release(lk);
        seen = activity_;
        // If a callback dropped every other reference, the pool is destroyed
        // here, on this thread (stop_progress() detaches it): touch nothing after.
        lk.unlock();
        const std::weak_ptr<void> alive = keep;
        keep.reset();
        if (alive.expired()) return;
        lk.lock();
    }
}

}  // namespace mproc::detail::pool
