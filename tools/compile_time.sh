#!/usr/bin/env bash
# What mproc's public headers cost a user's translation unit, against a yardstick
# of twelve common standard headers (<vector>, <string>, <map>, <ranges>,
# <filesystem>, <functional>, <memory>, <optional>, <variant>, <chrono>, <thread>,
# <iostream>). The goal: <mproc/mproc.hpp> alone within 1.3x of the yardstick, and
# a Lock-only user paying no Boost.Serialization at all.
#
#   tools/compile_time.sh [--runs N]   CPU times (g++ -std=c++20 -fsyntax-only -Iinclude,
#                                      the TUs alternating, median of N, default 5),
#                                      the ratio, preprocessed lines, what the
#                                      Boost.Serialization headers add, and the
#                                      Lock-only TU (<mproc/synchronize.hpp>)
#   tools/compile_time.sh --headers    each public header alone: lines, the
#                                      Boost.Serialization headers it pulls and the
#                                      chain of mproc headers that pulls them
#
# Times on a busy machine are noisy even as CPU time: compare figures of one run.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

runs=5 mode=times
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=${2:?--runs needs a number}; shift 2 ;;
        --headers) mode=headers; shift ;;
        *) echo "usage: tools/compile_time.sh [--runs N] [--headers]" >&2; exit 2 ;;
    esac
done

flags=(-std=c++20 -Iinclude)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
serialization_re='/boost/(archive|serialization)/'

standard_headers=(vector string map ranges filesystem functional memory optional variant chrono thread iostream)
printf '#include <%s>\n' "${standard_headers[@]}" >"$work/standard.cpp"
echo '#include <mproc/mproc.hpp>' >"$work/mproc.cpp"
echo '#include <mproc/synchronize.hpp>' >"$work/lock.cpp"

# Seconds of CPU (user + system) one -fsyntax-only compile of $1 takes: g++ is
# single-threaded, so on a quiet machine this is its wall time, and on a busy
# one it does not count the time spent waiting for a core.
compile_seconds() {
    local TIMEFORMAT='%3U %3S' spent
    spent=$( { time g++ "${flags[@]}" -fsyntax-only "$1" 2>"$work/errors"; } 2>&1 ) ||
        { cat "$work/errors" >&2; exit 1; }
    awk '{ printf "%.3f\n", $1 + $2 }' <<<"$spent"
}

median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Preprocessed lines of $1 (what g++ -E writes, line markers included).
lines_of() { g++ "${flags[@]}" -E "$1" | wc -l; }

# The Boost.Serialization headers (boost/archive, boost/serialization) $1 includes.
serialization_headers_of() {
    g++ "${flags[@]}" -M "$1" | tr ' \\' '\n\n' | grep -E "$serialization_re" | sort -u || true
}

# Lines $1 loses when every Boost.Serialization header it includes is empty: what
# they add that nothing else in the TU needs.
serialization_lines_of() {
    local shadow=$work/shadow header
    rm -rf "$shadow"
    while IFS= read -r header; do
        mkdir -p "$shadow/$(dirname "${header#*/include/}")"
        : >"$shadow/${header#*/include/}"
    done < <(serialization_headers_of "$1")
    echo $(($(lines_of "$1") - $(g++ "${flags[@]}" -I"$shadow" -E "$1" | wc -l)))
}

# "each mproc header on the way to the first Boost.Serialization header" of $1.
serialization_chain_of() {
    g++ "${flags[@]}" -H -E "$1" 2>&1 >/dev/null | awk -v re="$serialization_re" '
        !found && /^\.+ / {
            depth = index($0, " ") - 1
            path[depth] = $2
            if ($2 ~ re) {
                for (i = 1; i < depth; i++) if (path[i] ~ /\/mproc\//) {
                    p = path[i]; sub(/^(.*\/)?include\//, "", p); chain = chain p " -> "
                }
                p = $2; sub(/^(.*\/)?include\//, "", p)
                print chain p
                found = 1
            }
        }'
}

if [ "$mode" = headers ]; then
    printf '%8s %6s  %s\n' lines boost-s "header (-> the chain to the first Boost.Serialization header)"
    for header in $(cd include && find mproc -name '*.hpp' | sort); do
        echo "#include <$header>" >"$work/one.cpp"
        chain=$(serialization_chain_of "$work/one.cpp")
        printf '%8d %6d  %s%s\n' "$(lines_of "$work/one.cpp")" "$(serialization_headers_of "$work/one.cpp" | wc -l)" \
            "$header" "${chain:+   ($chain)}"
    done | sort -rn
    exit 0
fi

mproc_times=() standard_times=() lock_times=()
for _ in $(seq "$runs"); do
    mproc_times+=("$(compile_seconds "$work/mproc.cpp")")
    standard_times+=("$(compile_seconds "$work/standard.cpp")")
    lock_times+=("$(compile_seconds "$work/lock.cpp")")
done
mproc_s=$(printf '%s\n' "${mproc_times[@]}" | median)
standard_s=$(printf '%s\n' "${standard_times[@]}" | median)
lock_s=$(printf '%s\n' "${lock_times[@]}" | median)
mproc_lines=$(lines_of "$work/mproc.cpp")
serial_lines=$(serialization_lines_of "$work/mproc.cpp")
lock_headers=$(serialization_headers_of "$work/lock.cpp" | wc -l)

echo "g++ -std=c++20 -fsyntax-only -Iinclude, CPU seconds, median of $runs, the TUs alternating (load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '  <mproc/mproc.hpp> alone       %6s s  %7d lines\n' "$mproc_s" "$mproc_lines"
printf '  twelve standard headers       %6s s  %7d lines\n' "$standard_s" "$(lines_of "$work/standard.cpp")"
printf '  ratio                         %6s x  (goal: 1.3)\n' "$(awk -v a="$mproc_s" -v b="$standard_s" 'BEGIN { printf "%.2f", a / b }')"
printf '  of its lines, Boost.Serialization adds %d (%d%%): %d headers of boost/archive, boost/serialization\n' \
    "$serial_lines" "$((100 * serial_lines / mproc_lines))" "$(serialization_headers_of "$work/mproc.cpp" | wc -l)"
printf '  Lock only (<mproc/synchronize.hpp>) %6s s  %7d lines; Boost.Serialization headers: %s\n' \
    "$lock_s" "$(lines_of "$work/lock.cpp")" \
    "$([ "$lock_headers" -eq 0 ] && echo none || echo "$lock_headers, via $(serialization_chain_of "$work/lock.cpp")")"
