// Code references for re-executed children: (module, offset), checked
// against the module's identity.
#define BOOST_TEST_MODULE code_ref
#include <boost/test/unit_test.hpp>

#include <mproc/detail/start/code_ref.hpp>
#include <mproc/errors.hpp>

#include <cmath>
#include <unistd.h>

namespace detail = mproc::detail;

namespace {
int answer() { return 42; }
int data_in_the_program = 7;
}  // namespace

BOOST_AUTO_TEST_CASE(a_function_of_the_program_round_trips) {
    detail::code_ref ref = detail::locate_function(&answer);
    BOOST_TEST(ref.module.empty());  // the main executable: its path differs in a child
    BOOST_TEST(!ref.module_id.empty());
    auto f = detail::resolve_function<int (*)()>(ref);
    BOOST_TEST(f == &answer);
    BOOST_TEST(f() == 42);
}

BOOST_AUTO_TEST_CASE(a_function_of_a_shared_library_round_trips) {
    detail::code_ref ref = detail::locate_function(&::getpid);
    BOOST_TEST(!ref.module.empty());  // libc, found again by its path
    BOOST_TEST(ref.module.find("libc") != std::string::npos, ref.module);
    BOOST_TEST(detail::resolve_function<pid_t (*)()>(ref) == &::getpid);
}

BOOST_AUTO_TEST_CASE(a_replaced_module_is_refused) {
    detail::code_ref ref = detail::locate_function(&answer);
    ref.module_id = "build-id:not the same build";
    try {
        detail::resolve_code(ref);
        BOOST_FAIL("resolve_code should have thrown");
    } catch (const mproc::ProcessError& e) {
        BOOST_TEST(std::string(e.what()).find("replaced on disk") != std::string::npos, e.what());
    }
}

BOOST_AUTO_TEST_CASE(references_outside_code_or_modules_are_refused) {
    detail::code_ref data = detail::locate_code(&data_in_the_program);  // data, not code
    BOOST_CHECK_THROW(detail::resolve_code(data), mproc::ProcessError);
    detail::code_ref ref = detail::locate_function(&answer);
    ref.offset = ~std::uint64_t{0} >> 4;
    BOOST_CHECK_THROW(detail::resolve_code(ref), mproc::ProcessError);
    ref.module = "/no/such/library.so";
    BOOST_CHECK_THROW(detail::resolve_code(ref), mproc::ProcessError);
    int on_the_stack = 0;
    BOOST_CHECK_THROW(detail::locate_code(&on_the_stack), mproc::ProcessError);
}
