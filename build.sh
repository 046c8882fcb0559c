#!/usr/bin/env bash
# mproc's single entry point for people and CI.
#
#   ./build.sh demo                 build and run every program under examples/
#   ./build.sh test [asan|tsan]     build and run every Boost.Test module, then print
#                                   "N passed, N failed" (test cases, all modules)
#   ./build.sh bench [--quick] [GROUP]  build release benchmarks, run them against Python,
#                                   raw syscalls and the peers (pebble, billiard, joblib,
#                                   concurrent.futures, iceoryx, Boost), print the table,
#                                   write bench/results/latest.json and its chart (a full
#                                   run; --quick or a GROUP such as pool or queue.latency
#                                   writes bin/bench/results/ instead)
#   ./build.sh fuzz SECONDS         run the libFuzzer harnesses in test/fuzz/
#   ./build.sh stress [SECONDS]     build every test/stress/*.cpp in release and run
#                                   each for SECONDS (default 60); not run by CI
#   ./build.sh install --prefix DIR install headers, library, CMake and pkg-config files
#
# Installs the Debian packages it needs (apt-get install -y) when they are missing.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")"

jobs=$(nproc 2>/dev/null || echo 2)
# A test or build step running longer than this is killed (a hang fails, not blocks).
action_limit=900

die() { echo "build.sh: $*" >&2; exit 1; }

# Installs the named Debian packages that are not installed yet.
need_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "build.sh: installing ${missing[*]}" >&2
    "${sudo[@]}" apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

base_packages=(g++ libboost1.81-all-dev libboost1.81-tools-dev)

b2_build() { b2 -j"$jobs" -l"$action_limit" "$@"; }

cmd_demo() {
    need_packages "${base_packages[@]}"
    b2_build examples//all
    local bin rc=0 work name
    work=$(mktemp -d)
    trap 'rm -rf "$work"' RETURN
    for src in examples/*.cpp; do
        name=$(basename "$src" .cpp)
        # The debug build just made (not a stale one of another variant).
        bin=$(find "$PWD/bin/examples" -type f -path '*/debug/*' -name "$name" -perm -u+x | head -n 1)
        [ -n "$bin" ] || die "no binary for $src"
        echo "=== examples/$name ==="
        (cd "$work" && "$bin") || { echo "build.sh: examples/$name failed" >&2; rc=1; }
        echo
    done
    return $rc
}

# Sums the "mproc-test-result:" lines of a test log. A module that printed no
# result (it crashed, hung or failed to build) counts as one failure. Each
# compile-fail check (test/compile_fail/*.cpp) counts as one test case.
summarise_tests() {
    local log=$1 modules=$2 compile_fail=$3
    awk -v modules="$modules" -v compile_fail="$compile_fail" '
        /^mproc-test-result:/ { seen[$2] = 1; passed += $3; failed += $5 }
        /^\*\*passed\*\*/ { n = split($2, parts, "/"); sub(/\.test$/, "", parts[n]); ok[parts[n]] = 1 }
        END {
            n = split(compile_fail, checks, " ")
            for (i = 1; i <= n; i++) if (checks[i] in ok) passed++; else { failed++; print "compile-fail check " checks[i] ": compiled, or was not run" }
            n = split(modules, names, " ")
            for (i = 1; i <= n; i++) if (!(names[i] in seen)) { failed++; print "module " names[i] ": no result (crashed or did not build)" }
            printf "%d passed, %d failed\n", passed, failed
            exit failed > 0
        }' "$log"
}

cmd_test() {
    local variant=debug
    case "${1:-}" in
        "") ;;
        asan) variant=asan; export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1 ${UBSAN_OPTIONS:-}" ;;
        tsan) variant=tsan; export TSAN_OPTIONS="die_after_fork=0 ${TSAN_OPTIONS:-}" ;;
        *) die "unknown test flavour '$1' (use asan or tsan)" ;;
    esac
    # cmake only recommends make, its default generator (test_consumer_build).
    need_packages "${base_packages[@]}" cmake make pkg-config python3
    local modules compile_fail log rc=0
    modules=$(for f in test/test_*.cpp; do basename "$f" .cpp; done | tr '\n' ' ')
    compile_fail=$(for f in test/compile_fail/*.cpp; do [ -e "$f" ] && echo "cf_$(basename "$f" .cpp)"; done | tr '\n' ' ')
    # Results that are up to date are not re-run by b2: force every module to run.
    find bin/test \( -name '*.run' -o -name 'cf_*.test' \) -path "*/$variant/*" -delete 2>/dev/null || true
    log=$(mktemp)
    trap 'rm -f "$log"' RETURN
    b2_build --verbose-test variant="$variant" test 2>&1 | tee -a "$log" || rc=1
    # The layers of DESIGN.md count as one test case: a violation fails the run.
    # After the build, so its symbol checks read this variant's fresh objects.
    if bash tools/check_layers.sh --variant "$variant"; then
        echo "mproc-test-result: check_layers 1 passed, 0 failed" >>"$log"
    else
        echo "mproc-test-result: check_layers 0 passed, 1 failed" >>"$log"
        rc=1
    fi
    # The checker itself: each kind of violation, injected in a copy of the tree, is caught.
    if bash tools/check_layers_selftest.sh; then
        echo "mproc-test-result: check_layers_selftest 1 passed, 0 failed" >>"$log"
    else
        echo "mproc-test-result: check_layers_selftest 0 passed, 1 failed" >>"$log"
        rc=1
    fi
    # bench/compare.py's table wording and grouping (its doctests; no benchmark runs).
    if /usr/bin/python3 -m doctest bench/compare.py bench/chart.py; then
        echo "bench doctests: ok"
        echo "mproc-test-result: bench_compare_doctest 1 passed, 0 failed" >>"$log"
    else
        echo "mproc-test-result: bench_compare_doctest 0 passed, 1 failed" >>"$log"
        rc=1
    fi
    summarise_tests "$log" "$modules" "$compile_fail" || rc=1
    return $rc
}

# The peers of bench/. Debian's python3-* packages import only into /usr/bin/python3.
# python3-munkres: python3-fonttools (for matplotlib) wants scipy or munkres, and
# scipy's pythran pulls Boost 1.74's headers, which conflict with 1.81's.
bench_packages=(python3 python3-pebble python3-billiard python3-joblib python3-matplotlib python3-munkres
                libiceoryx-posh-dev iceoryx)

cmd_bench() {
    local options=() partial=0 arg out
    for arg in "$@"; do
        case "$arg" in
            --quick) options+=(--quick); partial=1 ;;
            -*) die "unknown bench option '$arg' (use --quick)" ;;
            *) options+=(--group "$arg"); partial=1 ;;
        esac
    done
    need_packages "${base_packages[@]}" "${bench_packages[@]}"
    b2_build variant=release bench//all
    # Only a full run replaces the committed results and chart.
    out=bench/results
    [ $partial -eq 0 ] || out=bin/bench/results
    /usr/bin/python3 bench/compare.py "$PWD/bin/bench" "${options[@]}" --json "$out/latest.json"
    /usr/bin/python3 bench/chart.py "$out/latest.json" "$out/chart"
}

cmd_fuzz() {
    local seconds=${1:-60}
    # libFuzzer and the sanitizer runtimes: only recommended by clang's packages.
    need_packages "${base_packages[@]}" clang libclang-rt-dev
    bash test/fuzz/run.sh "$seconds"
}

cmd_stress() {
    local seconds=${1:-60} rc=0 src name bin
    need_packages "${base_packages[@]}"
    b2_build variant=release test/stress//all
    for src in test/stress/*.cpp; do
        name=$(basename "$src" .cpp)
        bin=$(find "$PWD/bin/test/stress" -type f -path '*/release/*' -name "$name" -perm -u+x | head -n 1)
        [ -n "$bin" ] || die "no binary for $src"
        echo "=== test/stress/$name $seconds"
        "$bin" "$seconds" || { echo "build.sh: test/stress/$name failed" >&2; rc=1; }
    done
    return $rc
}

cmd_install() {
    [ "${1:-}" = "--prefix" ] && [ -n "${2:-}" ] || die "usage: ./build.sh install --prefix DIR"
    need_packages "${base_packages[@]}"
    bash tools/install.sh "$2"
}

case "${1:-}" in
    demo) shift; cmd_demo "$@" ;;
    test) shift; cmd_test "$@" ;;
    bench) shift; cmd_bench "$@" ;;
    fuzz) shift; cmd_fuzz "$@" ;;
    stress) shift; cmd_stress "$@" ;;
    install) shift; cmd_install "$@" ;;
    *) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
