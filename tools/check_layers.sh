#!/usr/bin/env bash
# Keeps the layers of ../shared/DESIGN.md honest (run by ./build.sh test):
#  - every source under lib/ sits in a layer folder, every public header has a layer;
#  - an include never runs up a layer, and layers of one rank (sync, subprocess)
#    do not include each other;
#  - system headers that make system calls are included only under lib/posix/
#    (exempt: the loader's <dlfcn.h>, <link.h>, <elf.h> in lib/start/code_ref.cpp).
# Prints each violation as file:line: reason, and exits 1 if there is any.
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

# Rank of each lib/ folder: posix -> codec -> transport -> lifecycle -> start
# -> sync | subprocess -> api -> pool -> mpi.
declare -A rank=([posix]=0 [codec]=1 [transport]=2 [lifecycle]=3 [start]=4 [sync]=5 [subprocess]=5
                 [api]=6 [pool]=7 [mpi]=8)

# The layer of each public header (include/mproc/...), by the code it belongs to.
declare -A header_layer=(
    [unique_fd.hpp]=posix [errors.hpp]=posix
    [codec.hpp]=codec [detail/archive.hpp]=codec [detail/serialize_std.hpp]=codec [detail/wire.hpp]=codec
    [detail/type_name.hpp]=codec [detail/wire_safe.hpp]=codec
    [connection.hpp]=transport [detail/fd_transfer.hpp]=transport [detail/shared_arena.hpp]=transport
    [start_method.hpp]=start [main.hpp]=start [detail/code_ref.hpp]=start [detail/crossable.hpp]=start
    [detail/process_target.hpp]=start [detail/task.hpp]=start
    [subprocess.hpp]=subprocess
    [process.hpp]=api [context.hpp]=api [os.hpp]=api [wait.hpp]=api [queue.hpp]=api
    [synchronize.hpp]=api [shared_value.hpp]=api [shared_memory.hpp]=api [mproc.hpp]=pool
    [pool.hpp]=pool [detail/pool_task.hpp]=pool [detail/pool_codec.hpp]=pool [detail/pool_core.hpp]=pool
    [detail/pool_jobs.hpp]=pool
)

# System headers whose functions are system calls.
syscall_headers='unistd\.h|fcntl\.h|poll\.h|signal\.h|spawn\.h|pthread\.h|sched\.h|dirent\.h|termios\.h|sys/(mman|socket|wait|syscall|prctl|stat|uio|ioctl|resource|epoll|eventfd|signalfd|un|ptrace|pidfd|select|sendfile|file|time|timerfd)\.h|linux/[a-z_/]+\.h|dlfcn\.h|link\.h|elf\.h'
loader_headers='dlfcn\.h|link\.h|elf\.h'
loader_exempt='lib/start/code_ref.cpp'

violations=0
report() { echo "$1: $2"; violations=$((violations + 1)); }

# The layer of a file (lib/<layer>/... or a public header), or "" if it has none.
layer_of() {
    case "$1" in
        lib/*/*) local f=${1#lib/}; echo "${f%%/*}" ;;
        include/mproc/*) echo "${header_layer[${1#include/mproc/}]:-}" ;;
        *) echo "" ;;
    esac
}

# Whether layer $1 may include layer $2.
may_include() {
    local from=$1 to=$2
    [ "$from" = "$to" ] && return 0
    [ "${rank[$to]}" -lt "${rank[$from]}" ]
}

while IFS= read -r file; do
    case "$file" in
        lib/*.cpp|lib/*.hpp) ;;
        include/mproc/*) ;;
        *) continue ;;
    esac
    from=$(layer_of "$file")
    if [ -z "$from" ] || [ -z "${rank[$from]:-}" ]; then
        case "$file" in
            lib/*/*) report "$file" "lib/${file#lib/} is in no layer folder of DESIGN.md" ;;
            lib/*) report "$file" "outside any layer folder (lib/<layer>/)" ;;
            *) report "$file" "public header with no layer (add it to header_layer in tools/check_layers.sh)" ;;
        esac
        continue
    fi
    while IFS=: read -r line text; do
        if [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
            target=lib/${BASH_REMATCH[1]}
            # A header beside the file, named without its folder.
            [[ ${BASH_REMATCH[1]} == */* ]] || target=$(dirname "$file")/${BASH_REMATCH[1]}
            to=$(layer_of "$target")
            if [ -z "$to" ] || [ -z "${rank[$to]:-}" ]; then
                report "$file:$line" "includes \"${BASH_REMATCH[1]}\", which is in no layer folder"
            elif ! may_include "$from" "$to"; then
                report "$file:$line" "$from includes \"${BASH_REMATCH[1]}\" of layer $to (runs up or sideways)"
            fi
        elif [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<mproc/([^\>]+)\> ]]; then
            to=${header_layer[${BASH_REMATCH[1]}]:-}
            if [ -z "$to" ]; then
                report "$file:$line" "includes <mproc/${BASH_REMATCH[1]}>, a header with no layer"
            elif ! may_include "$from" "$to"; then
                report "$file:$line" "$from includes <mproc/${BASH_REMATCH[1]}> of layer $to (runs up or sideways)"
            fi
        elif [[ $text =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<([^\>]+)\> ]]; then
            h=${BASH_REMATCH[1]}
            [[ $h =~ ^($syscall_headers)$ ]] || continue
            [ "$from" = posix ] && [[ $file == lib/* ]] && continue
            [[ $h =~ ^($loader_headers)$ ]] && [ "$file" = "$loader_exempt" ] && continue
            report "$file:$line" "<$h> makes system calls: only lib/posix/ may include it"
        fi
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$file" || true)
done < <(git ls-files --cached --others --exclude-standard lib include)

if [ "$violations" -gt 0 ]; then
    echo "check_layers: $violations violation(s) of the layers in DESIGN.md"
    exit 1
fi
echo "check_layers: ok"
