#include "start/creator_thread.hpp"

#include "lifecycle/per_process.hpp"
#include "posix/leak_roots.hpp"
#include "posix/signals.hpp"

#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace mproc::start {

namespace {

thread_local bool on_creator_thread = false;

struct request {
    const std::function<void()>* work;
    std::exception_ptr error;
    bool done = false;
};

class creator {
public:
    void run(const std::function<void()>& work) {
        request r{&work};
        // A child forked for us on the creator thread still sees, under
        // LeakSanitizer, what our stack points to.
        const posix::stack_root_scope roots(&r);
        std::unique_lock lock(mutex_);
        if (!started_) {
            std::thread([this] { loop(); }).detach();
            started_ = true;
        }
        queue_.push_back(&r);
        wake_.notify_one();
        done_.wait(lock, [&] { return r.done; });
        if (r.error) std::rethrow_exception(r.error);
    }

private:
    void loop() {
        on_creator_thread = true;
        posix::block_all_signals();
        for (;;) {
            request* r;
            {
                std::unique_lock lock(mutex_);
                wake_.wait(lock, [&] { return !queue_.empty(); });
                r = queue_.front();
                queue_.pop_front();
            }
            try {
                (*r->work)();
            } catch (...) {
                r->error = std::current_exception();
            }
            {
                std::lock_guard lock(mutex_);
                r->done = true;
            }
            done_.notify_all();
        }
    }

    std::mutex mutex_;
    std::condition_variable wake_;
    std::condition_variable done_;
    std::deque<request*> queue_;
    bool started_ = false;
};

per_process<creator> creators;

}  // namespace

void run_on_long_lived_thread(const std::function<void()>& work) {
    // Not directly on the main thread either: it may end with pthread_exit()
    // while other threads keep the program running.
    if (on_creator_thread)
        work();
    else
        creators.get().run(work);
}

}  // namespace mproc::start
