#!/usr/bin/env bash
# Shows tools/check_layers.sh catching each kind of violation (run by ./build.sh test).
# Each case copies lib/, include/ and tools/ to a temporary tree, injects one
# violation there and expects check_layers to fail naming it; the untouched copy
# must pass first (so a failure is the injection's). The symbol cases compile only
# the few small objects they inject (g++ -c) and point the checker at them with
# --objects: no build of the library. Prints one line per case; exits 1 if any
# case was not caught (or the clean copy failed).
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

# A fresh copy of the tree in $work/tree (a git repository: the checker lists
# files with git ls-files --others), objects folder $work/objects empty.
fresh_tree() {
    rm -rf "$work/tree" "$work/objects"
    mkdir -p "$work/tree" "$work/objects"
    cp -R lib include tools "$work/tree/"
    git -C "$work/tree" init -q
}

# Compiles tree/lib/<layer>/<name>.cpp to objects/<layer>/<name>.o.
compile() {
    mkdir -p "$work/objects/$(dirname "$1")"
    g++ -std=c++20 -I"$work/tree/include" -I"$work/tree/lib" -c "$work/tree/lib/$1.cpp" -o "$work/objects/$1.o"
}

# expect NAME PATTERN: the checker fails and prints a line matching PATTERN (ERE).
expect() {
    local out rc=0
    out=$(bash "$work/tree/tools/check_layers.sh" --objects "$work/objects" 2>&1) || rc=$?
    if [ "$rc" -ne 0 ] && grep -Eq -- "$2" <<<"$out"; then
        echo "check_layers_selftest: caught: $1: $(grep -E -m1 -- "$2" <<<"$out")"
    else
        echo "check_layers_selftest: NOT caught: $1 (exit $rc; wanted /$2/):"
        sed 's/^/    /' <<<"$out"
        failures=$((failures + 1))
    fi
}

# The untouched copy passes (its symbol checks are skipped: no objects).
fresh_tree
if out=$(bash "$work/tree/tools/check_layers.sh" --objects "$work/objects" 2>&1); then
    echo "check_layers_selftest: the clean tree passes"
else
    echo "check_layers_selftest: the clean tree fails:"
    sed 's/^/    /' <<<"$out"
    failures=$((failures + 1))
fi

# 1. An include that runs up: the codec including the Pool's header.
fresh_tree
sed -i '1i #include <mproc/pool.hpp>' "$work/tree/lib/codec/codec.cpp"
expect "wrong-layer include in lib/" '^lib/codec/codec\.cpp:1: codec includes <mproc/pool\.hpp> of layer pool'

# 1b. The same from a public detail header, whose layer is its folder.
fresh_tree
sed -i '/^#pragma once/a #include <mproc/detail/pool/core.hpp>' "$work/tree/include/mproc/detail/codec/wire.hpp"
expect "wrong-layer include in a detail header" \
    '^include/mproc/detail/codec/wire\.hpp:[0-9]+: codec includes <mproc/detail/pool/core\.hpp> of layer pool'

# 1c. A detail header outside a layer folder.
fresh_tree
echo '#pragma once' >"$work/tree/include/mproc/detail/stray.hpp"
expect "detail header with no layer folder" '^include/mproc/detail/stray\.hpp: detail header outside a layer folder'

# 2. A function declared by hand in a .cpp (defined elsewhere, its header skipped).
fresh_tree
printf 'namespace mproc::detail {\nint hand_declared_probe(int);\n}\n' >>"$work/tree/lib/api/process.cpp"
expect "function declared by hand in a .cpp" \
    '^lib/api/process\.cpp:[0-9]+: declares hand_declared_probe\(\), which another file defines'

# 3. A symbol the codec's object uses that only the pool's object defines. The
#    declaration sits in a codec header, so no include or hand-made declaration
#    gives it away: only the objects do.
fresh_tree
cat >"$work/tree/lib/codec/selftest_probe.hpp" <<'EOF'
#pragma once
namespace mproc::detail {
int selftest_probe();
}
EOF
cat >"$work/tree/lib/codec/selftest_user.cpp" <<'EOF'
#include "codec/selftest_probe.hpp"
namespace mproc::detail {
int selftest_user() { return selftest_probe() + 1; }
}
EOF
cat >"$work/tree/lib/pool/selftest_probe.cpp" <<'EOF'
#include "codec/selftest_probe.hpp"
namespace mproc::detail {
int selftest_probe() { return 1; }
}
EOF
compile codec/selftest_user
compile pool/selftest_probe
expect "symbol only a higher layer defines" \
    '^lib/codec/selftest_user\.cpp: codec uses mproc::detail::selftest_probe\(\), which only layer pool defines'

# 4. A member of a codec class defined in the pool (a header promising what only
#    a higher layer keeps, as Context::Pool once did).
fresh_tree
cat >"$work/tree/lib/codec/selftest_widget.hpp" <<'EOF'
#pragma once
namespace mproc::detail {
struct selftest_widget {
    int poke();
};
}
EOF
cat >"$work/tree/lib/pool/selftest_widget.cpp" <<'EOF'
#include "codec/selftest_widget.hpp"
namespace mproc::detail {
int selftest_widget::poke() { return 2; }
}
EOF
compile pool/selftest_widget
expect "member of a lower layer's class defined higher" \
    '^lib/pool/selftest_widget\.cpp: defines mproc::detail::selftest_widget::poke\(\), a member of class selftest_widget of layer codec'

if [ "$failures" -gt 0 ]; then
    echo "check_layers_selftest: $failures case(s) failed"
    exit 1
fi
echo "check_layers_selftest: ok"
