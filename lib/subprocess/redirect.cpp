#include <mproc/subprocess.hpp>

namespace mproc::subprocess {

Redirect::Redirect(Special special) noexcept {
    switch (special) {
        case Special::pipe: kind_ = Kind::pipe; break;
        case Special::devnull: kind_ = Kind::devnull; break;
        case Special::stdout_: kind_ = Kind::stdout_; break;
    }
}

Redirect::Redirect(int fd) noexcept : kind_(Kind::fd), fd_(fd) {}

Redirect::Redirect(std::FILE* file) noexcept {
    if (file) {
        kind_ = Kind::fd;
        fd_ = ::fileno(file);
    }
}

Redirect::Redirect(std::filesystem::path path) : kind_(Kind::path), path_(std::move(path)) {}
Redirect::Redirect(const char* path) : Redirect(std::filesystem::path(path)) {}
Redirect::Redirect(const std::string& path) : Redirect(std::filesystem::path(path)) {}

}  // namespace mproc::subprocess
