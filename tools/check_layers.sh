#!/usr/bin/env bash
# Keeps the layers of ../shared/DESIGN.md honest (run by ./build.sh test):
#  - every source under lib/ sits in a layer folder, every public header has a layer;
#  - an include never runs up a layer, and layers of one rank (sync, subprocess)
#    do not include each other;
#  - system headers that make system calls are included only under lib/posix/
#    (exempt: the loader's <dlfcn.h>, <link.h>, <elf.h> in lib/start/code_ref.cpp);
#  - a .cpp under lib/ declares no function that another file defines: it includes
#    the header that declares it (a hand-made declaration hides the dependency);
#  - in the built objects (nm): no object uses a symbol that only a higher (or
#    sideways) layer defines, and no layer defines members of another layer's class.
#
#   tools/check_layers.sh [--variant NAME | --objects DIR]
#
# The symbol checks read the objects b2 built for the variant NAME (debug, asan,
# tsan, release), or those in DIR, by default the variant built last. Objects that
# are missing or older than their source are left out and counted; with none at all
# (nothing built yet) only the symbol checks are skipped, and it says so.
# Prints each violation as file:line: reason, and exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

variant="" objects=""
case "${1:-}" in
    "") ;;
    --variant) variant=${2:?--variant needs a name} ;;
    --objects) objects=${2:?--objects needs a directory} ;;
    *) echo "usage: tools/check_layers.sh [--variant NAME | --objects DIR]" >&2; exit 2 ;;
esac

# Rank of each lib/ folder: posix -> codec -> transport -> lifecycle -> start
# -> sync | subprocess -> api -> pool -> mpi.
declare -A rank=([posix]=0 [codec]=1 [transport]=2 [lifecycle]=3 [start]=4 [sync]=5 [subprocess]=5
                 [api]=6 [pool]=7 [mpi]=8)

# A header under include/mproc/detail/<layer>/ is of that layer: its folder says it.
# The top-level public headers (the API a user includes) each have a row here.
declare -A header_layer=(
    [unique_fd.hpp]=posix [errors.hpp]=posix
    [codec.hpp]=codec
    [connection.hpp]=transport
    [start_method.hpp]=start [main.hpp]=start
    [subprocess.hpp]=subprocess
    [process.hpp]=api [context.hpp]=api [os.hpp]=api [wait.hpp]=api [queue.hpp]=api
    [synchronize.hpp]=api [shared_value.hpp]=api
    [pool.hpp]=pool [mproc.hpp]=pool
)

# System headers whose functions are system calls.
syscall_headers='unistd\.h|fcntl\.h|poll\.h|signal\.h|spawn\.h|pthread\.h|sched\.h|dirent\.h|termios\.h|sys/(mman|socket|wait|syscall|prctl|stat|uio|ioctl|resource|epoll|eventfd|signalfd|un|ptrace|pidfd|select|sendfile|file|time|timerfd)\.h|linux/[a-z_/]+\.h|dlfcn\.h|link\.h|elf\.h'
loader_headers='dlfcn\.h|link\.h|elf\.h'
loader_exempt='lib/start/code_ref.cpp'

violations=0
report() { echo "$1: $2"; violations=$((violations + 1)); }

# Sets `layer` to the layer of a file (lib/<layer>/... or a public header), or "".
# (A variable, not an echo: a subshell per include made the check slow.)
set_layer_of() {
    layer=""
    case "$1" in
        lib/*/*) local f=${1#lib/}; layer=${f%%/*} ;;
        include/mproc/detail/*/*) local f=${1#include/mproc/detail/}; layer=${f%%/*} ;;
        include/mproc/detail/*) ;;  # directly in detail/: no layer folder
        include/mproc/*) layer=${header_layer[${1#include/mproc/}]:-} ;;
    esac
}

# Whether layer $1 may include layer $2.
may_include() {
    [ "$1" = "$2" ] && return 0
    [ "${rank[$2]}" -lt "${rank[$1]}" ]
}

mapfile -t files < <(git ls-files --cached --others --exclude-standard lib include |
                     while IFS= read -r f; do [ -e "$f" ] && echo "$f"; done)

# A row of the header table for a file that is not there is a stale row.
for h in "${!header_layer[@]}"; do
    [ -e "include/mproc/$h" ] || report "tools/check_layers.sh" "header_layer has a row for include/mproc/$h, which does not exist"
done

# --- Includes --------------------------------------------------------------------
declare -A file_layer=()
for file in "${files[@]}"; do
    case "$file" in
        lib/*.cpp|lib/*.hpp|include/mproc/*) ;;
        *) continue ;;
    esac
    set_layer_of "$file"
    if [ -z "$layer" ] || [ -z "${rank[$layer]:-}" ]; then
        case "$file" in
            lib/*/*) report "$file" "lib/${file#lib/} is in no layer folder of DESIGN.md" ;;
            lib/*) report "$file" "outside any layer folder (lib/<layer>/)" ;;
            include/mproc/detail/*/*) report "$file" "include/mproc/detail/${layer:-?}/ is no layer folder of DESIGN.md" ;;
            include/mproc/detail/*) report "$file" "detail header outside a layer folder (move it to include/mproc/detail/<layer>/)" ;;
            *) report "$file" "public header with no layer (add it to header_layer in tools/check_layers.sh, or move it under include/mproc/detail/<layer>/)" ;;
        esac
        continue
    fi
    file_layer[$file]=$layer
done

include_re='^[[:space:]]*#[[:space:]]*include[[:space:]]*'
while IFS= read -r hit; do
    file=${hit%%:*}
    rest=${hit#*:}
    line=${rest%%:*}
    text=${rest#*:}
    from=${file_layer[$file]:-}
    [ -n "$from" ] || continue
    if [[ $text =~ ${include_re}\"([^\"]+)\" ]]; then
        target=lib/${BASH_REMATCH[1]}
        # A header beside the file, named without its folder.
        [[ ${BASH_REMATCH[1]} == */* ]] || target=${file%/*}/${BASH_REMATCH[1]}
        set_layer_of "$target"
        if [ -z "$layer" ] || [ -z "${rank[$layer]:-}" ]; then
            report "$file:$line" "includes \"${BASH_REMATCH[1]}\", which is in no layer folder"
        elif ! may_include "$from" "$layer"; then
            report "$file:$line" "$from includes \"${BASH_REMATCH[1]}\" of layer $layer (runs up or sideways)"
        fi
    elif [[ $text =~ ${include_re}\<mproc/([^\>]+)\> ]]; then
        set_layer_of "include/mproc/${BASH_REMATCH[1]}"
        if [ -z "$layer" ]; then
            report "$file:$line" "includes <mproc/${BASH_REMATCH[1]}>, a header with no layer"
        elif ! may_include "$from" "$layer"; then
            report "$file:$line" "$from includes <mproc/${BASH_REMATCH[1]}> of layer $layer (runs up or sideways)"
        fi
    elif [[ $text =~ ${include_re}\<([^\>]+)\> ]]; then
        h=${BASH_REMATCH[1]}
        [[ $h =~ ^($syscall_headers)$ ]] || continue
        [ "$from" = posix ] && [[ $file == lib/* ]] && continue
        [[ $h =~ ^($loader_headers)$ ]] && [ "$file" = "$loader_exempt" ] && continue
        report "$file:$line" "<$h> makes system calls: only lib/posix/ may include it"
    fi
done < <(grep -Hn "$include_re" "${!file_layer[@]}" /dev/null || true)

# --- Functions declared by hand in a .cpp ------------------------------------------
# A function declared at namespace scope of a lib/ .cpp and not defined in that
# same file is defined elsewhere: the declaration belongs in (and must come from)
# that file's header.
mapfile -t sources < <(printf '%s\n' "${!file_layer[@]}" | grep '^lib/.*\.cpp$' | sort)
if [ ${#sources[@]} -gt 0 ]; then
    while IFS= read -r hit; do
        report "${hit%%|*}" "${hit#*|}"
    done < <(awk -f tools/hand_declared.awk "${sources[@]}")
fi

# --- Symbols of the built objects --------------------------------------------------
where=${objects:-bin/lib}
if [ -z "$objects" ]; then
    # The folder of the library archived last (of that variant).
    mapfile -t archives < <(find bin/lib -name libmproc.a -path "*/${variant:-*}/*" 2>/dev/null)
    [ ${#archives[@]} -gt 0 ] && objects=$(dirname "$(ls -t "${archives[@]}" | head -n 1)")
fi

symbol_note=""
if [ -z "$objects" ] || [ ! -d "$objects" ]; then
    symbol_note="no built objects${variant:+ of variant $variant} in $where (build the library first): the symbol checks were skipped"
else
    built=() left_out=0
    for src in "${sources[@]}"; do
        rel=${src#lib/}
        obj=$objects/${rel%.cpp}.o
        if [ -e "$obj" ] && [ ! "$obj" -ot "$src" ]; then built+=("$obj"); else left_out=$((left_out + 1)); fi
    done
    if [ ${#built[@]} -eq 0 ]; then
        symbol_note="no up-to-date objects in $objects: the symbol checks were skipped"
    else
        [ "$left_out" -gt 0 ] && symbol_note="$left_out source(s) with no up-to-date object in $objects were left out of the symbol checks"
        ranks=$(for l in "${!rank[@]}"; do printf '%s=%s ' "$l" "${rank[$l]}"; done)
        # The layers that define each class or struct: the layer of its file.
        classes=$(mktemp)
        trap 'rm -f "$classes"' EXIT
        grep -HEo '^[[:space:]]*(template[[:space:]]*<.*>[[:space:]]*)?(class|struct)[[:space:]]+(alignas\([^)]*\)[[:space:]]+)?[A-Za-z_][A-Za-z0-9_]*[^;]*$' \
            "${!file_layer[@]}" /dev/null |
            while IFS= read -r hit; do
                [[ ${hit#*:} =~ (class|struct)[[:space:]]+(alignas\([^\)]*\)[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*) ]] || continue
                echo "${BASH_REMATCH[3]} ${file_layer[${hit%%:*}]}"
            done >"$classes"
        while IFS= read -r hit; do
            report "${hit%%|*}" "${hit#*|}"
        done < <({ nm -A "${built[@]}"; echo "@@demangled@@"; nm -A -C --defined-only "${built[@]}"; } |
                 awk -v root="$objects/" -v ranks="$ranks" -v classes="$classes" -f tools/layer_symbols.awk |
                 c++filt)
    fi
fi

[ -n "$symbol_note" ] && echo "check_layers: note: $symbol_note"
if [ "$violations" -gt 0 ]; then
    echo "check_layers: $violations violation(s) of the layers in DESIGN.md"
    exit 1
fi
echo "check_layers: ok"
