// mproc::Pool's members that are not templates.
#include <mproc/pool.hpp>

#include <mproc/context.hpp>
#include <mproc/process.hpp>

#include <stdexcept>

namespace mproc {

namespace {

detail::pool::config make_config(const PoolOptions& options, start_method method) {
    detail::pool::config cfg;
    cfg.processes = options.processes ? *options.processes : cpu_count();
    if (cfg.processes < 1) throw std::invalid_argument("mproc::Pool: the number of processes must be at least 1");
    if (options.maxtasksperchild && *options.maxtasksperchild < 1)
        throw std::invalid_argument("mproc::Pool: maxtasksperchild must be at least 1");
    cfg.method = method;
    cfg.initializer = options.initializer.task();
    cfg.maxtasksperchild = options.maxtasksperchild.value_or(0);
    return cfg;
}

}  // namespace

Pool::Pool() : Pool(PoolOptions{}) {}
Pool::Pool(int processes) : Pool(PoolOptions{.processes = processes}) {}
Pool::Pool(PoolOptions options) : Pool(std::move(options), get_context().method()) {}
Pool::Pool(PoolOptions options, start_method method)
    : core_(detail::pool::core::create(make_config(options, method))) {}

Pool::Pool(Pool&&) noexcept = default;
Pool& Pool::operator=(Pool&& other) noexcept {
    if (this != &other) {
        if (core_) {
            core_->terminate();
            try {
                core_->join();
            } catch (...) {
            }
        }
        core_ = std::move(other.core_);
    }
    return *this;
}

Pool::~Pool() {
    if (!core_) return;
    core_->terminate();
    try {
        core_->join();
    } catch (...) {
    }
}

detail::pool::core& Pool::core() const {
    if (!core_) throw ProcessError("Pool not running (moved from)");
    return *core_;
}

void Pool::close() { core().close(); }
void Pool::terminate() { core().terminate(); }
void Pool::join() { core().join(); }
int Pool::processes() const { return core().processes(); }

std::size_t Pool::default_chunksize(std::size_t n) const {
    // Python: chunksize, extra = divmod(len, len(pool) * 4); if extra: chunksize += 1
    const std::size_t per = 4 * static_cast<std::size_t>(core().processes());
    return n == 0 ? 1 : (n + per - 1) / per;
}

}  // namespace mproc
