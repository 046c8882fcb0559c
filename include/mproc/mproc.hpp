/// mproc: Python's multiprocessing, subprocess and os.fork for C++20.
/// Including this header gives the whole public API.
#pragma once

#include <mproc/codec.hpp>
#include <mproc/connection.hpp>
#include <mproc/context.hpp>
#include <mproc/errors.hpp>
#include <mproc/main.hpp>
#include <mproc/os.hpp>
#include <mproc/pool.hpp>
#include <mproc/process.hpp>
#include <mproc/queue.hpp>
#include <mproc/shared_value.hpp>
#include <mproc/synchronize.hpp>
#include <mproc/start_method.hpp>
#include <mproc/subprocess.hpp>
#include <mproc/wait.hpp>
