#!/usr/bin/env bash
# How long a user's translation unit takes to compile because of mproc's headers
# (the goal: under 3 s for one that includes <mproc/mproc.hpp>).
#
#   tools/compile_time.sh             two TUs: one including <mproc/mproc.hpp> only,
#                                     one also sending and receiving over a Pipe
#   tools/compile_time.sh --headers   also each public header alone, costliest first
#
# Flags are those of the project's debug build (b2's default variant). Each
# figure is the median of 3 compiles, in seconds of wall time.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

flags=(-std=c++20 -pthread -O0 -fno-inline -Wall -g -Wno-deprecated-declarations -Iinclude)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints the median wall time of 3 compiles of the file $1.
median_compile() {
    local times=() i start end
    for i in 1 2 3; do
        start=$(date +%s.%N)
        g++ "${flags[@]}" -c "$1" -o "$work/out.o"
        end=$(date +%s.%N)
        times+=("$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')")
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n 2p | xargs printf '%.2f'
}

cat >"$work/include_only.cpp" <<'CPP'
#include <mproc/mproc.hpp>
int main() {}
CPP

cat >"$work/pipe_send_recv.cpp" <<'CPP'
#include <mproc/mproc.hpp>
#include <map>
#include <string>
#include <vector>
int main() {
    auto [a, b] = mproc::Pipe();
    b.send(std::map<std::string, std::vector<int>>{{"xs", {1, 2, 3}}});
    auto m = a.recv<std::map<std::string, std::vector<int>>>();
    b.send(42);
    return a.recv<int>() == 42 && m.size() == 1 ? 0 : 1;
}
CPP

echo "include <mproc/mproc.hpp> only: $(median_compile "$work/include_only.cpp") s"
echo "Pipe + send/recv of a map:      $(median_compile "$work/pipe_send_recv.cpp") s"

if [ "${1:-}" = "--headers" ]; then
    echo "each public header alone:"
    for header in $(cd include && find mproc -name '*.hpp' | sort); do
        printf '#include <%s>\n' "$header" >"$work/one_header.cpp"
        printf '  %s s  %s\n' "$(median_compile "$work/one_header.cpp")" "$header"
    done | sort -rn
fi
