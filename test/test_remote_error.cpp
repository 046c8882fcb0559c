// A task's exception keeps its own type: RemoteError::original<T>() and
// rethrow_original() for the standard exception types, for types registered
// with mp::register_exception<T>(), and for an unregistered type as its
// nearest base; and what() for a value that is no std::exception. Under every
// start method.
#define BOOST_TEST_MODULE remote_error
#define BOOST_TEST_NO_MAIN
#include <boost/test/unit_test.hpp>

#include "support/process_test.hpp"
#include "support/spawn_main.hpp"

#include <mproc/mproc.hpp>

#include <filesystem>
#include <functional>
#include <future>
#include <ios>
#include <new>
#include <ranges>
#include <regex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace mp = mproc;
using test_support::methods;

namespace app {

struct BadFile : std::runtime_error {
    using std::runtime_error::runtime_error;
};
// Registered, derived from a registered type: it comes back as itself.
struct MissingFile : BadFile {
    using BadFile::BadFile;
};
// Not registered: it comes back as its nearest registered base, BadFile.
struct TruncatedFile : BadFile {
    using BadFile::BadFile;
};
// Its constructor composes what(): what() must still come back unchanged.
struct Prefixed : std::runtime_error {
    explicit Prefixed(const std::string& path) : std::runtime_error("cannot parse " + path) {}
};
// Not registered: it comes back as its nearest standard base.
struct RowOutOfRange : std::out_of_range {
    using std::out_of_range::out_of_range;
};
struct Point {
    int x = 1, y = 2;
};

static const bool registered = mp::register_exception<BadFile>() && mp::register_exception<MissingFile>() &&
                               mp::register_exception<Prefixed>();

}  // namespace app

namespace {

// One task throwing the exception numbered `which`; the parent builds the
// same one with `expected(which)` to compare what() and codes.
enum thrown {
    invalid_argument,
    system_error_generic,
    system_error_system,
    bad_alloc,
    filesystem_error,
    future_error,
    ios_failure,
    regex_error,
    bad_function_call,
    bad_file,
    missing_file,
    truncated_file,
    prefixed,
    row_out_of_range,
    an_int,
    a_string,
    a_c_string,
    a_point,
    a_double,
};

[[noreturn]] void throw_it(int which) {
    using std::filesystem::path;
    switch (which) {
        case invalid_argument: throw std::invalid_argument("bad row 3");
        case system_error_generic: throw std::system_error(ENOENT, std::generic_category(), "open data.csv");
        case system_error_system: throw std::system_error(EACCES, std::system_category());
        case bad_alloc: throw std::bad_alloc();
        case filesystem_error:
            throw std::filesystem::filesystem_error("cannot copy", path("/in"), path("/out"),
                                                    std::make_error_code(std::errc::io_error));
        case future_error: throw std::future_error(std::future_errc::broken_promise);
        case ios_failure: throw std::ios_base::failure("read failed");
        case regex_error: throw std::regex_error(std::regex_constants::error_brack);
        case bad_function_call: throw std::bad_function_call();
        case bad_file: throw app::BadFile("data.csv is not UTF-8");
        case missing_file: throw app::MissingFile("no data.csv");
        case truncated_file: throw app::TruncatedFile("data.csv ends mid-row");
        case prefixed: throw app::Prefixed("data.csv");
        case row_out_of_range: throw app::RowOutOfRange("row 9 of 3");
        case an_int: throw 42;
        case a_string: throw std::string("no such row");
        case a_c_string: throw "oops";
        case a_point: throw app::Point{};
        case a_double: throw 2.5;
    }
    throw std::logic_error("no such case");
}

int task(int which) {
    throw_it(which);
}

// What the task's exception said in its own process.
std::string what_in_the_worker(int which) {
    try {
        throw_it(which);
    } catch (const std::exception& e) {
        return e.what();
    }
}

mp::RemoteError remote_error_of(mp::Pool& pool, int which) {
    try {
        pool.apply(task, which);
    } catch (const mp::RemoteError& e) {
        return e;
    }
    BOOST_FAIL("the task did not throw");
    throw std::logic_error("unreachable");
}

// The RemoteError of task `which`, checked to carry an original of type T
// whose what() is the worker's.
template <class T>
const T& original_of(const mp::RemoteError& e, int which) {
    const T* original = e.original<T>();
    BOOST_TEST_REQUIRE(original != nullptr, "no original of the requested type for case " << which << ": " << e.what());
    BOOST_TEST(std::string(original->what()) == what_in_the_worker(which));
    BOOST_TEST(e.message() == what_in_the_worker(which));
    return *original;
}

// original<T>() finds one (a test case's body is a template: spelled here
// once instead of e.template original<T>() each time).
template <class T>
bool has_original(const mp::RemoteError& e) {
    return e.original<T>() != nullptr;
}

// rethrow_original() throws a T.
template <class T>
bool rethrows_as(const mp::RemoteError& e) {
    try {
        e.rethrow_original();
    } catch (const T&) {
        return true;
    } catch (...) {
    }
    return false;
}

mp::Pool make_pool(mp::start_method method) { return mp::get_context(method).Pool(1); }

}  // namespace

BOOST_DATA_TEST_CASE(standard_exceptions_come_back_as_their_own_type, methods(), method) {
    auto pool = make_pool(method);

    auto e = remote_error_of(pool, invalid_argument);
    original_of<std::invalid_argument>(e, invalid_argument);
    BOOST_TEST(has_original<std::logic_error>(e));  // a base of it
    BOOST_TEST(has_original<std::exception>(e));
    BOOST_TEST(!has_original<std::runtime_error>(e));  // not a base of it
    BOOST_TEST(!has_original<std::out_of_range>(e));
    BOOST_TEST(e.type_name() == "std::invalid_argument");
    BOOST_TEST(e.pid() != ::getpid());
    BOOST_TEST(rethrows_as<std::invalid_argument>(e));
    BOOST_TEST(!rethrows_as<std::runtime_error>(e));

    e = remote_error_of(pool, system_error_generic);
    const auto& generic = original_of<std::system_error>(e, system_error_generic);
    BOOST_TEST((generic.code() == std::errc::no_such_file_or_directory));
    BOOST_TEST((&generic.code().category() == &std::generic_category()));
    BOOST_TEST(rethrows_as<std::system_error>(e));

    e = remote_error_of(pool, system_error_system);
    const auto& system = original_of<std::system_error>(e, system_error_system);
    BOOST_TEST((system.code() == std::error_code(EACCES, std::system_category())));
    BOOST_TEST((system.code() == std::errc::permission_denied));

    e = remote_error_of(pool, bad_alloc);
    original_of<std::bad_alloc>(e, bad_alloc);
    BOOST_TEST(rethrows_as<std::bad_alloc>(e));

    e = remote_error_of(pool, filesystem_error);
    const auto& fs = original_of<std::filesystem::filesystem_error>(e, filesystem_error);
    BOOST_TEST(fs.path1() == "/in");
    BOOST_TEST(fs.path2() == "/out");
    BOOST_TEST((fs.code() == std::errc::io_error));
    BOOST_TEST(has_original<std::system_error>(e));

    e = remote_error_of(pool, future_error);
    BOOST_TEST((original_of<std::future_error>(e, future_error).code() == std::future_errc::broken_promise));

    e = remote_error_of(pool, ios_failure);
    BOOST_TEST((original_of<std::ios_base::failure>(e, ios_failure).code() == std::io_errc::stream));

    e = remote_error_of(pool, regex_error);
    BOOST_TEST(original_of<std::regex_error>(e, regex_error).code() == std::regex_constants::error_brack);

    e = remote_error_of(pool, bad_function_call);
    original_of<std::bad_function_call>(e, bad_function_call);
}

BOOST_DATA_TEST_CASE(registered_types_come_back_and_others_as_their_nearest_base, methods(), method) {
    BOOST_TEST(app::registered);
    auto pool = make_pool(method);

    auto e = remote_error_of(pool, bad_file);
    original_of<app::BadFile>(e, bad_file);
    BOOST_TEST(has_original<std::runtime_error>(e));
    BOOST_TEST(!has_original<app::MissingFile>(e));
    BOOST_TEST(e.type_name() == "app::BadFile");
    BOOST_TEST(rethrows_as<app::BadFile>(e));

    // Registered, and derived from a registered type: the most derived one.
    e = remote_error_of(pool, missing_file);
    original_of<app::MissingFile>(e, missing_file);
    BOOST_TEST(has_original<app::BadFile>(e));
    BOOST_TEST(rethrows_as<app::MissingFile>(e));

    // Not registered: its nearest registered base; type_name() names it.
    e = remote_error_of(pool, truncated_file);
    original_of<app::BadFile>(e, truncated_file);
    BOOST_TEST(!has_original<app::TruncatedFile>(e));
    BOOST_TEST(!has_original<app::MissingFile>(e));
    BOOST_TEST(e.type_name() == "app::TruncatedFile");

    // A constructor that composes what(): what() is still the worker's.
    e = remote_error_of(pool, prefixed);
    original_of<app::Prefixed>(e, prefixed);
    BOOST_TEST(rethrows_as<app::Prefixed>(e));

    // Not registered: its nearest standard base.
    e = remote_error_of(pool, row_out_of_range);
    original_of<std::out_of_range>(e, row_out_of_range);
    BOOST_TEST(!has_original<app::RowOutOfRange>(e));
    BOOST_TEST(e.type_name() == "app::RowOutOfRange");

    // The same through map and imap.
    try {
        pool.map(task, std::vector<int>{bad_file, bad_file});
        BOOST_FAIL("map did not throw");
    } catch (const mp::RemoteError& failed) {
        original_of<app::BadFile>(failed, bad_file);
    }
    auto it = pool.imap(task, std::vector<int>{missing_file});
    try {
        it.next();
        BOOST_FAIL("imap's next did not throw");
    } catch (const mp::RemoteError& failed) {
        original_of<app::MissingFile>(failed, missing_file);
    }
}

BOOST_DATA_TEST_CASE(a_value_that_is_no_std_exception_is_named_with_its_value, methods(), method) {
    auto pool = make_pool(method);
    auto what_of = [&](int which) {
        const auto e = remote_error_of(pool, which);
        BOOST_TEST(!has_original<std::exception>(e));
        BOOST_TEST(e.message().empty());
        BOOST_TEST(rethrows_as<mp::RemoteError>(e));
        return std::string(e.what());
    };
    const int worker = pool.apply(+[](int) { return static_cast<int>(::getpid()); }, 0);
    const std::string in_worker = "a task in process " + std::to_string(worker) + " threw ";
    BOOST_TEST(what_of(an_int) == in_worker + "an int (42)");
    BOOST_TEST(what_of(a_string) == in_worker + "a std::string (\"no such row\")");
    BOOST_TEST(what_of(a_c_string) == in_worker + "a C string (\"oops\")");
    BOOST_TEST(what_of(a_point) == in_worker + "an app::Point");
    BOOST_TEST(what_of(a_double) == in_worker + "a double (2.5)");
    BOOST_TEST(remote_error_of(pool, an_int).type_name() == "int");

    // A std::exception keeps "type: what (in process N)".
    BOOST_TEST(std::string(remote_error_of(pool, invalid_argument).what()) ==
               "std::invalid_argument: bad row 3 (in process " + std::to_string(worker) + ")");
}
