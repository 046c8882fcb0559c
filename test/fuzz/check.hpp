// A property check that libFuzzer reports as a crash when it fails.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace fuzz {

inline void require(bool ok, const char* property) {
    if (!ok) {
        std::fprintf(stderr, "fuzz property violated: %s\n", property);
        std::abort();
    }
}

}  // namespace fuzz
