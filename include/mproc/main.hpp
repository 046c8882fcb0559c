/// MPROC_MAIN(argc, argv): the spawn entry hook. Put it first in main():
///
///     int main(int argc, char** argv) {
///         MPROC_MAIN(argc, argv);
///         ...
///     }
///
/// In the program itself it returns at once. In a child started by the spawn
/// or forkserver start method (the same program, re-executed), it runs the
/// child's task and exits: the rest of main never runs there. Without it, the
/// spawn and forkserver start methods refuse to start (ProcessError); a
/// spawned child whose main returns, or starts a process, before reaching it
/// exits with status 1 and a message saying so.
///
/// A real child is told by more than its argv: it holds the task descriptor
/// its arguments name. A program run by hand with --mproc-spawn or
/// --mproc-forkserver as its first argument (reserved by mproc) exits here
/// with status 1 and a message saying it was not started by mproc.
#pragma once

#define MPROC_MAIN(argc, argv) ::mproc::detail::main_hook((argc), (argv))

namespace mproc::detail {

/// Records that the program calls MPROC_MAIN (run before main, by the
/// initialisation of main_hook_present).
bool note_main_hook() noexcept;

template <class = void>
inline const bool main_hook_present = note_main_hook();

/// Runs this process's task and exits if it is a spawned child or the fork
/// server; returns otherwise.
void run_if_child(int argc, char** argv);

template <class Tag = void>
inline void main_hook(int argc, char** argv) {
    static_cast<void>(&main_hook_present<Tag>);
    run_if_child(argc, argv);
}

}  // namespace mproc::detail
