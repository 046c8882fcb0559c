#define BOOST_TEST_MODULE connection
#include <boost/test/unit_test.hpp>

#include <mproc/mproc.hpp>

#include "support/child.hpp"
#include "support/eintr.hpp"

#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <map>
#include <pthread.h>
#include <string>
#include <system_error>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

namespace mp = mproc;
using namespace std::chrono_literals;
using test_support::fork_child;
using test_support::wait_child;

BOOST_AUTO_TEST_CASE(duplex_pipe_carries_objects_both_ways_with_a_child) {
    auto [a, b] = mp::Pipe();
    pid_t pid = fork_child([&, &b = b] {
        a.close();
        auto v = b.recv<std::vector<int>>();
        v.push_back(static_cast<int>(v.size()));
        b.send(v);
        b.send(std::map<std::string, int>{{"pid", mp::os::getpid()}});
    });
    b.close();
    a.send(std::vector<int>{1, 2, 3});
    BOOST_TEST((a.recv<std::vector<int>>() == std::vector<int>{1, 2, 3, 3}));
    BOOST_TEST((a.recv<std::map<std::string, int>>().at("pid") == pid));
    BOOST_TEST(wait_child(pid) == 0);
}

BOOST_AUTO_TEST_CASE(one_way_pipe_reads_first_writes_second) {
    auto [r, w] = mp::Pipe(false);
    BOOST_TEST(r.readable());
    BOOST_TEST(!r.writable());
    BOOST_TEST(w.writable());
    BOOST_TEST(!w.readable());
    pid_t pid = fork_child([&, &w = w] { w.send(std::string("from child")); });
    BOOST_TEST(r.recv<std::string>() == "from child");
    BOOST_TEST(wait_child(pid) == 0);
    BOOST_CHECK_THROW(r.send(1), mp::Error);
    BOOST_CHECK_THROW(w.recv<int>(), mp::Error);
}

BOOST_AUTO_TEST_CASE(bytes_round_trip_including_empty_messages) {
    auto [a, b] = mp::Pipe();
    a.send_bytes("");
    a.send_bytes(std::string("x\0y", 3));
    BOOST_TEST(b.recv_bytes() == "");
    BOOST_TEST(b.recv_bytes() == std::string("x\0y", 3));
    std::string reused(100, 'z');
    b.send_bytes("abc");
    BOOST_TEST(a.recv_bytes_into(reused) == 3u);
    BOOST_TEST(reused == "abc");
}

BOOST_AUTO_TEST_CASE(many_small_messages_keep_their_boundaries) {
    auto [a, b] = mp::Pipe();
    pid_t pid = fork_child([&, &b = b] {
        for (int i = 0; i < 20000; ++i) b.send(i);
        b.send_bytes(std::string(100000, 'q'));
        for (int i = 0; i < 100; ++i) b.send(std::string(static_cast<std::size_t>(i), 'a'));
    });
    for (int i = 0; i < 20000; ++i) BOOST_REQUIRE(a.recv<int>() == i);
    BOOST_TEST(a.recv_bytes() == std::string(100000, 'q'));
    for (int i = 0; i < 100; ++i) BOOST_REQUIRE(a.recv<std::string>() == std::string(static_cast<std::size_t>(i), 'a'));
    BOOST_TEST(wait_child(pid) == 0);
}

BOOST_AUTO_TEST_CASE(large_messages_cross_both_ways) {
    for (bool duplex : {true, false}) {
        auto [a, b] = mp::Pipe(duplex);
        std::string big(64 << 20, '\0');
        for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i / 4096);
        pid_t pid = fork_child([&, &b = b] {
            b.send_bytes(big);
            b.send(std::vector<char>(big.begin(), big.begin() + (8 << 20)));
        });
        BOOST_TEST((a.recv_bytes() == big));
        auto v = a.recv<std::vector<char>>();
        BOOST_TEST(v.size() == std::size_t{8 << 20});
        BOOST_TEST(std::memcmp(v.data(), big.data(), v.size()) == 0);
        BOOST_TEST(wait_child(pid) == 0);
    }
}

BOOST_AUTO_TEST_CASE(one_gibibyte_message) {
    auto [a, b] = mp::Pipe();
    const std::size_t size = std::size_t{1} << 30;
    pid_t pid = fork_child([&, &a = a] {
        std::string got = a.recv_bytes();
        bool ok = got.size() == size && got[0] == 'a' && got[size / 2] == 'm' && got[size - 1] == 'z';
        a.send(ok);
    });
    {
        std::string big(size, 'x');
        big[0] = 'a';
        big[size / 2] = 'm';
        big[size - 1] = 'z';
        b.send_bytes(big);
    }
    BOOST_TEST(b.recv<bool>());
    BOOST_TEST(wait_child(pid) == 0);
}

BOOST_AUTO_TEST_CASE(recv_after_peer_closed_raises_eof) {
    auto [a, b] = mp::Pipe();
    pid_t pid = fork_child([&, &b = b] { b.send(7); });
    b.close();
    BOOST_TEST(a.recv<int>() == 7);
    BOOST_TEST(wait_child(pid) == 0);
    BOOST_CHECK_THROW(a.recv<int>(), mp::EOFError);
    BOOST_TEST(a.poll());  // EOF counts as readable, as in Python
}

BOOST_AUTO_TEST_CASE(send_to_a_vanished_peer_raises_and_never_kills_with_sigpipe) {
    // The application's SIGPIPE disposition stays the default (terminate).
    BOOST_REQUIRE(std::signal(SIGPIPE, SIG_DFL) != SIG_ERR);
    for (bool duplex : {true, false}) {
        auto [a, b] = mp::Pipe(duplex);
        a.close();
        try {
            b.send_bytes(std::string(1 << 20, 'x'));
            BOOST_FAIL("send did not throw");
        } catch (const std::system_error& e) {
            BOOST_TEST(e.code().value() == EPIPE);
        }
        BOOST_CHECK_THROW(b.send(1), std::system_error);
    }
    sigset_t pending, mask;
    sigpending(&pending);
    BOOST_TEST(!sigismember(&pending, SIGPIPE));
    // ... and the application's disposition and signal mask are as they were.
    struct sigaction now {};
    BOOST_TEST(::sigaction(SIGPIPE, nullptr, &now) == 0);
    BOOST_TEST((now.sa_handler == SIG_DFL));
    BOOST_TEST(::pthread_sigmask(SIG_SETMASK, nullptr, &mask) == 0);
    BOOST_TEST(!sigismember(&mask, SIGPIPE));
}

BOOST_AUTO_TEST_CASE(poll_honours_its_timeout) {
    auto [a, b] = mp::Pipe();
    BOOST_TEST(!a.poll());
    auto start = std::chrono::steady_clock::now();
    BOOST_TEST(!a.poll(100ms));
    BOOST_TEST((std::chrono::steady_clock::now() - start >= 100ms));
    b.send(1);
    BOOST_TEST(a.poll(5s));
    BOOST_TEST(a.recv<int>() == 1);
    pid_t pid = fork_child([&, &b = b] {
        ::usleep(50000);
        b.send(2);
    });
    BOOST_TEST(a.poll(std::nullopt));
    BOOST_TEST(a.recv<int>() == 2);
    BOOST_TEST(wait_child(pid) == 0);
}

BOOST_AUTO_TEST_CASE(signals_interrupting_poll_recv_and_send_are_retried) {
    auto [a, b] = mp::Pipe();
    const std::string big(8 << 20, 'z');
    // The child reads late and answers late.
    pid_t pid = fork_child([&, &a = a, &b = b] {
        a.close();
        ::usleep(100000);
        bool ok = b.recv_bytes() == big;
        ::usleep(100000);
        b.send(ok);
    });
    b.close();
    bool ready = true, echoed = false;
    std::chrono::steady_clock::duration waited{};
    {
        test_support::eintr_storm storm;
        auto start = std::chrono::steady_clock::now();
        ready = a.poll(50ms);
        waited = std::chrono::steady_clock::now() - start;
        a.send_bytes(big);         // blocks until the child reads
        echoed = a.recv<bool>();  // blocks until the child answers
    }
    BOOST_TEST(!ready);
    BOOST_TEST((waited >= 50ms));
    BOOST_TEST(echoed);
    BOOST_TEST(wait_child(pid) == 0);
}

BOOST_AUTO_TEST_CASE(garbage_on_the_wire_is_a_protocol_error) {
    auto [a, b] = mp::Pipe();
    const char junk[] = "GET / HTTP/1.1\r\n\r\n";
    BOOST_REQUIRE(::write(b.fileno(), junk, sizeof junk) == static_cast<ssize_t>(sizeof junk));
    try {
        a.recv<int>();
        BOOST_FAIL("no exception");
    } catch (const mp::ProtocolError& e) {
        BOOST_TEST(std::string(e.what()).find("magic") != std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(corrupt_header_and_truncated_frames_are_protocol_errors) {
    {   // a valid frame with one header byte flipped
        auto [a, b] = mp::Pipe();
        std::string wire;
        {
            auto [x, y] = mp::Pipe();
            x.send_bytes("hello");
            y.poll(1s);
            char buf[64];
            wire.assign(buf, static_cast<std::size_t>(::read(y.fileno(), buf, sizeof buf)));
        }
        BOOST_REQUIRE(wire.size() == 12 + 5);
        wire[9] ^= 0x01;  // the length
        BOOST_REQUIRE(::write(b.fileno(), wire.data(), wire.size()) == static_cast<ssize_t>(wire.size()));
        BOOST_CHECK_THROW(a.recv_bytes(), mp::ProtocolError);
    }
    {   // a frame cut short by the peer closing
        auto [a, b] = mp::Pipe();
        pid_t pid = fork_child([&, &b = b] {
            std::string whole;
            auto [x, y] = mp::Pipe();
            x.send_bytes(std::string(1000, 'x'));
            whole.resize(2000);
            whole.resize(static_cast<std::size_t>(::read(y.fileno(), whole.data(), whole.size())));
            (void)!::write(b.fileno(), whole.data(), 500);
        });
        b.close();
        BOOST_TEST(wait_child(pid) == 0);
        try {
            a.recv_bytes();
            BOOST_FAIL("no exception");
        } catch (const mp::ProtocolError& e) {
            BOOST_TEST(std::string(e.what()).find("truncated") != std::string::npos);
        }
    }
}

// Large payloads are read straight into the string returned, which is not
// zero-filled first: every byte must come from the peer, in order, and a
// frame cut short leaves recv_bytes_into's string holding only what arrived.
BOOST_AUTO_TEST_CASE(large_payloads_arrive_whole_and_a_cut_one_leaves_only_what_arrived) {
    std::string pattern(3 * 1024 * 1024 + 17, '\0');
    for (std::size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<char>('a' + (i * 7 + i / 4096) % 26);
    auto [a, b] = mp::Pipe();
    pid_t pid = fork_child([&, &b = b] {
        for (int i = 0; i < 3; ++i) b.send_bytes(pattern);
        std::string whole;
        auto [x, y] = mp::Pipe();
        x.send_bytes(std::string(100000, 'c'));  // more than the first read's 64 KiB
        whole.resize(200000);
        std::size_t n = 0;
        while (n < 80000) n += static_cast<std::size_t>(::read(y.fileno(), whole.data() + n, whole.size() - n));
        (void)!::write(b.fileno(), whole.data(), 80000);
    });
    b.close();
    BOOST_TEST((a.recv_bytes() == pattern));
    std::string small(10, 'z');
    BOOST_TEST(a.recv_bytes_into(small) == pattern.size());
    BOOST_TEST((small == pattern));
    std::string big(pattern.size() + 5000, 'z');
    BOOST_TEST(a.recv_bytes_into(big) == pattern.size());
    BOOST_TEST((big == pattern));
    std::string cut;
    BOOST_CHECK_THROW(a.recv_bytes_into(cut), mp::ProtocolError);
    BOOST_TEST(cut.size() < 80000u);
    BOOST_TEST((cut == std::string(cut.size(), 'c')));
    BOOST_TEST(wait_child(pid) == 0);
}

BOOST_AUTO_TEST_CASE(a_bad_payload_is_a_protocol_error_not_a_crash) {
    auto [a, b] = mp::Pipe();
    b.send(std::string("not a map"));
    BOOST_CHECK_THROW((a.recv<std::map<std::string, std::vector<int>>>()), mp::ProtocolError);
    b.send(1);  // the stream is still in sync after a payload error
    BOOST_TEST(a.recv<int>() == 1);
}

BOOST_AUTO_TEST_CASE(closed_connections_raise_clear_errors) {
    auto [a, b] = mp::Pipe();
    a.close();
    BOOST_TEST(a.closed());
    BOOST_CHECK_THROW(a.send(1), mp::Error);
    BOOST_CHECK_THROW(a.recv<int>(), mp::Error);
    BOOST_CHECK_THROW(a.fileno(), mp::Error);
    BOOST_CHECK_THROW(a.poll(), mp::Error);
    a.close();  // closing twice is fine
    mp::Connection moved = std::move(b);
    BOOST_TEST(b.closed());
    BOOST_TEST(!moved.closed());
}

BOOST_AUTO_TEST_CASE(descriptors_are_close_on_exec) {
    auto [a, b] = mp::Pipe();
    auto [r, w] = mp::Pipe(false);
    for (int fd : {a.fileno(), b.fileno(), r.fileno(), w.fileno()}) BOOST_TEST((::fcntl(fd, F_GETFD) & FD_CLOEXEC));
}

BOOST_AUTO_TEST_CASE(a_message_received_as_another_type_is_a_protocol_error_naming_both) {
    auto [a, b] = mp::Pipe();
    auto expect_mismatch = [&](auto receive, std::initializer_list<const char*> names) {
        try {
            receive();
            BOOST_FAIL("no exception");
        } catch (const mp::ProtocolError& e) {
            for (const char* name : names) BOOST_TEST(std::string(e.what()).find(name) != std::string::npos, name);
        }
    };
    // Same size, so only the tag can tell: a double as an int64, a vector<char> as a string.
    a.send(2.5);
    expect_mismatch([&] { return b.recv<std::int64_t>(); }, {"recv<long>", "sent as double"});
    a.send(std::vector<char>{'h', 'i'});
    expect_mismatch([&] { return b.recv<std::string>(); }, {"recv<std::__cxx11::basic_string", "sent as std::vector<char"});
    // The stream is still in sync: the mismatched message was consumed whole.
    BOOST_TEST(b.readable());
    a.send(std::int64_t{7});
    BOOST_TEST(b.recv<std::int64_t>() == 7);
    a.send(std::string("right"));
    BOOST_TEST(b.recv<std::string>() == "right");
}

BOOST_AUTO_TEST_CASE(the_frame_kind_is_checked_on_receive) {
    auto [a, b] = mp::Pipe();
    a.send_bytes(std::string(sizeof(int), '\x01'));  // four bytes: an int's size
    try {
        b.recv<int>();
        BOOST_FAIL("no exception");
    } catch (const mp::ProtocolError& e) {
        BOOST_TEST(std::string(e.what()).find("send_bytes") != std::string::npos);
    }
    a.send(9);
    BOOST_TEST(b.recv<int>() == 9);
    // recv_bytes takes a send<T> message as its serialized bytes, as Python's takes a pickle.
    a.send(std::string("obj"));
    BOOST_TEST(b.recv_bytes() == mp::dumps(std::string("obj")));
}

BOOST_AUTO_TEST_CASE(after_a_framing_error_the_connection_is_unreadable) {
    auto [a, b] = mp::Pipe();
    const char junk[] = "GET / HTTP/1.1\r\n\r\n";
    BOOST_REQUIRE(::write(a.fileno(), junk, sizeof junk) == static_cast<ssize_t>(sizeof junk));
    BOOST_CHECK_THROW(b.recv<int>(), mp::ProtocolError);
    a.send(1);  // a valid message after the junk: it cannot be found again
    BOOST_TEST(!b.readable());
    BOOST_TEST(!b.closed());
    for (int attempt = 0; attempt < 2; ++attempt) {
        try {
            b.recv<int>();
            BOOST_FAIL("no exception");
        } catch (const mp::ProtocolError& e) {
            BOOST_TEST(std::string(e.what()).find("no longer readable after") != std::string::npos);
            BOOST_TEST(std::string(e.what()).find("magic") != std::string::npos);
        }
    }
    BOOST_CHECK_THROW(b.recv_bytes(), mp::ProtocolError);
    BOOST_CHECK_THROW(b.poll(), mp::ProtocolError);
    b.send(2);  // sending is unaffected
    BOOST_TEST(a.recv<int>() == 2);
}

BOOST_AUTO_TEST_CASE(recv_bytes_with_maxlength) {
    auto [a, b] = mp::Pipe();
    a.send_bytes("hello");
    BOOST_TEST(b.recv_bytes(5) == "hello");
    a.send_bytes("");
    BOOST_TEST(b.recv_bytes(0) == "");
    a.send_bytes("too long");
    try {
        b.recv_bytes(3);
        BOOST_FAIL("no exception");
    } catch (const mp::ProtocolError& e) {
        BOOST_TEST(std::string(e.what()).find("bad message length") != std::string::npos);
    }
    // As Python: the message was not read, so the connection is no longer readable.
    BOOST_TEST(!b.readable());
    BOOST_CHECK_THROW(b.recv_bytes(), mp::ProtocolError);
    b.send_bytes("still writable");
    BOOST_TEST(a.recv_bytes() == "still writable");
}
