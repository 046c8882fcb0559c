#!/usr/bin/env bash
# Builds and runs mproc's libFuzzer harnesses (called by `./build.sh fuzz SECONDS`).
#
#   fuzz_frame   the frame decoder (lib/codec/frame.cpp)
#   fuzz_loads   mproc::loads<T> over the types in loads_types.hpp, and typed
#                frames decoded as the type their tag names
#
# Both harnesses run at once, one per core, each for SECONDS (so the whole run
# takes about SECONDS plus the build). Builds go to bin/fuzz/; the corpus there
# grows from run to run, starting from seeds make_seeds.cpp writes. A finding
# is saved as bin/fuzz/artifacts/<harness>-crash-*; reproduce it with
# `bin/fuzz/<harness> FILE`. Exits non-zero when a harness finds anything.
set -euo pipefail
seconds=${1:-60}
[[ "$seconds" =~ ^[0-9]+$ ]] && [ "$seconds" -gt 0 ] || { echo "usage: test/fuzz/run.sh SECONDS" >&2; exit 2; }
cd "$(dirname "$(readlink -f "$0")")/../.."

out=bin/fuzz
mkdir -p "$out/seeds/frame" "$out/seeds/loads" "$out/corpus/frame" "$out/corpus/loads" "$out/artifacts"

cxx=(clang++ -std=c++20 -g -O1 -Iinclude -Ilib -Itest/fuzz -Wno-deprecated-declarations)
# Any UB report is fatal, so libFuzzer keeps the input that caused it.
sanitize=(-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)

echo "fuzz: building harnesses with clang" >&2
"${cxx[@]}" test/fuzz/make_seeds.cpp lib/codec/frame.cpp lib/codec/codec.cpp -lboost_serialization -o "$out/make_seeds"
"${cxx[@]}" "${sanitize[@]}" test/fuzz/fuzz_frame.cpp lib/codec/frame.cpp -o "$out/fuzz_frame" &
"${cxx[@]}" "${sanitize[@]}" test/fuzz/fuzz_loads.cpp lib/codec/codec.cpp lib/codec/frame.cpp -lboost_serialization \
    -o "$out/fuzz_loads"
wait $!
"$out/make_seeds" "$out/seeds/frame" "$out/seeds/loads"

# -max_len: frame headers are 12 to 24 bytes, so 256 leaves room for streams
# of several frames; 2048 bytes hold every nesting of loads_types.hpp and a
# stream of typed frames.
# -malloc_limit_mb: a small input must never justify a big allocation.
run_harness() {
    local name=$1 max_len=$2
    "$out/fuzz_$name" "$out/corpus/$name" "$out/seeds/$name" \
        -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -malloc_limit_mb=64 \
        -use_value_profile=1 -print_final_stats=1 -artifact_prefix="$out/artifacts/$name-" \
        >"$out/$name.log" 2>&1
}

echo "fuzz: running fuzz_frame and fuzz_loads for ${seconds}s each" >&2
rc=0
run_harness frame 256 & frame_pid=$!
run_harness loads 2048 & loads_pid=$!
wait "$frame_pid" || { rc=1; echo "fuzz: fuzz_frame FOUND A PROBLEM:" >&2; tail -n 40 "$out/frame.log" >&2; }
wait "$loads_pid" || { rc=1; echo "fuzz: fuzz_loads FOUND A PROBLEM:" >&2; tail -n 40 "$out/loads.log" >&2; }

for name in frame loads; do
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log")
    echo "fuzz: fuzz_$name: ${runs:-?} runs in ${seconds}s, corpus $(ls "$out/corpus/$name" | wc -l) inputs"
done
exit $rc
