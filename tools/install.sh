#!/usr/bin/env bash
# Installs mproc under PREFIX (called by `./build.sh install --prefix PREFIX`):
#
#   PREFIX/include/mproc/...                  public headers
#   PREFIX/lib/libmproc.a                     the release static library, built with b2
#   PREFIX/lib/cmake/mproc/mprocConfig*.cmake find_package(mproc CONFIG) -> mproc::mproc
#   PREFIX/lib/pkgconfig/mproc.pc             pkg-config --cflags --libs mproc
set -euo pipefail
[ $# -eq 1 ] && [ -n "$1" ] || { echo "usage: tools/install.sh PREFIX" >&2; exit 2; }
cd "$(dirname "$(readlink -f "$0")")/.."

mkdir -p "$1"
prefix=$(readlink -f "$1")
# One version for the whole package: the one CMakeLists.txt declares.
version=$(sed -n 's/^project(mproc VERSION \([0-9.]*\).*/\1/p' CMakeLists.txt)
[ -n "$version" ] || { echo "install.sh: no version in CMakeLists.txt" >&2; exit 1; }
IFS=. read -r major minor _ <<<"$version"

b2 -j"$(nproc 2>/dev/null || echo 2)" variant=release lib//mproc
# b2 keeps each configuration in its own directory: take the newest release build.
library=$(find bin/lib -path '*/release/*' -name libmproc.a -printf '%T@ %p\n' | sort -n | tail -n 1 | cut -d' ' -f2-)
[ -n "$library" ] || { echo "install.sh: b2 built no release libmproc.a" >&2; exit 1; }

rm -rf "$prefix/include/mproc"
mkdir -p "$prefix/include" "$prefix/lib/cmake/mproc" "$prefix/lib/pkgconfig"
cp -R include/mproc "$prefix/include/"
install -m 644 "$library" "$prefix/lib/libmproc.a"
install -m 644 cmake/mprocConfig.cmake "$prefix/lib/cmake/mproc/mprocConfig.cmake"
sed -e "s|@VERSION@|$version|g" -e "s|@VERSION_MAJOR@|$major|g" -e "s|@VERSION_MINOR@|$minor|g" \
    cmake/mprocConfigVersion.cmake.in >"$prefix/lib/cmake/mproc/mprocConfigVersion.cmake"
sed -e "s|@PREFIX@|$prefix|g" -e "s|@VERSION@|$version|g" cmake/mproc.pc.in >"$prefix/lib/pkgconfig/mproc.pc"

echo "install.sh: mproc $version installed in $prefix"
