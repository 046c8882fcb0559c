#define BOOST_TEST_MODULE codec
#include <boost/test/unit_test.hpp>

#include <mproc/mproc.hpp>

#include <array>
#include <complex>
#include <cstdint>
#include <cstring>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <random>
#include <span>
#include <string_view>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <variant>
#include <vector>

namespace mp = mproc;

namespace {

template <class T>
T round_trip(const T& value) {
    return mp::loads<T>(mp::dumps(value));
}

struct Point {
    int x = 0;
    double y = 0;
    bool operator==(const Point&) const = default;
};

struct Named {
    std::string name;
    std::vector<int> values;
    template <class Archive>
    void serialize(Archive& ar, unsigned) {
        ar & name & values;
    }
    bool operator==(const Named&) const = default;
};

}  // namespace

BOOST_AUTO_TEST_CASE(scalars_take_the_memcpy_path) {
    BOOST_TEST(mp::dumps(42).size() == sizeof(int));
    BOOST_TEST(round_trip(42) == 42);
    BOOST_TEST(round_trip(-1.5) == -1.5);
    BOOST_TEST(round_trip('x') == 'x');
    BOOST_TEST(round_trip(true) == true);
    BOOST_TEST((round_trip(Point{3, 4.5}) == Point{3, 4.5}));
    BOOST_TEST((round_trip(std::array<int, 3>{1, 2, 3}) == std::array<int, 3>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(standard_containers_round_trip) {
    BOOST_TEST(round_trip(std::string("hello\0world", 11)) == std::string("hello\0world", 11));
    BOOST_TEST(round_trip(std::string()) == std::string());
    BOOST_TEST((round_trip(std::vector<int>{1, 2, 3}) == std::vector<int>{1, 2, 3}));
    BOOST_TEST((round_trip(std::vector<std::string>{"a", "", "ccc"}) == std::vector<std::string>{"a", "", "ccc"}));
    BOOST_TEST((round_trip(std::list<int>{4, 5}) == std::list<int>{4, 5}));
    BOOST_TEST((round_trip(std::deque<double>{1.5, 2.5}) == std::deque<double>{1.5, 2.5}));
    std::map<std::string, int> m{{"a", 1}, {"b", 2}};
    BOOST_TEST((round_trip(m) == m));
    BOOST_TEST((round_trip(std::set<int>{3, 1, 2}) == std::set<int>{1, 2, 3}));
    std::unordered_map<std::string, std::vector<int>> um{{"x", {1}}, {"y", {}}};
    BOOST_TEST((round_trip(um) == um));
    BOOST_TEST((round_trip(std::unordered_set<int>{7, 8}) == std::unordered_set<int>{7, 8}));
    BOOST_TEST((round_trip(std::pair<int, std::string>{1, "one"}) == std::pair<int, std::string>{1, "one"}));
    BOOST_TEST((round_trip(std::array<std::string, 2>{"p", "q"}) == std::array<std::string, 2>{"p", "q"}));
    BOOST_TEST((round_trip(std::complex<double>(1, 2)) == std::complex<double>(1, 2)));
    BOOST_TEST((round_trip(std::vector<bool>{true, false, true}) == std::vector<bool>{true, false, true}));
}

BOOST_AUTO_TEST_CASE(tuple_optional_variant_round_trip) {
    auto t = std::make_tuple(1, std::string("two"), 3.0);
    BOOST_TEST((round_trip(t) == t));
    BOOST_TEST((round_trip(std::tuple<>{}) == std::tuple<>{}));
    BOOST_TEST((round_trip(std::optional<std::string>("x")) == std::optional<std::string>("x")));
    BOOST_TEST((round_trip(std::optional<std::string>()) == std::nullopt));
    using V = std::variant<std::monostate, int, std::string, std::vector<int>>;
    BOOST_TEST((round_trip(V{}) == V{}));
    BOOST_TEST((round_trip(V{7}) == V{7}));
    BOOST_TEST((round_trip(V{std::string("s")}) == V{std::string("s")}));
    BOOST_TEST((round_trip(V{std::vector<int>{1, 2}}) == V{std::vector<int>{1, 2}}));
    std::map<int, std::tuple<std::optional<int>, std::variant<int, std::string>>> nested{
        {1, {std::nullopt, std::string("a")}}, {2, {5, 6}}};
    BOOST_TEST((round_trip(nested) == nested));
}

BOOST_AUTO_TEST_CASE(user_types_with_serialize_round_trip) {
    Named n{"abc", {1, 2, 3}};
    BOOST_TEST((round_trip(n) == n));
    std::vector<Named> v{n, {"", {}}};
    BOOST_TEST((round_trip(v) == v));
}

BOOST_AUTO_TEST_CASE(wrong_size_for_memcpy_types_is_a_protocol_error) {
    BOOST_CHECK_THROW(mp::loads<int>(std::string(3, 'x')), mp::ProtocolError);
    BOOST_CHECK_THROW(mp::loads<int>(std::string(5, 'x')), mp::ProtocolError);
    BOOST_CHECK_THROW(mp::loads<bool>(std::string(1, '\x02')), mp::ProtocolError);
}

BOOST_AUTO_TEST_CASE(truncated_input_is_a_protocol_error) {
    std::string bytes = mp::dumps(std::vector<std::string>{"hello", "world"});
    for (std::size_t cut = 0; cut < bytes.size(); ++cut)
        BOOST_CHECK_THROW(mp::loads<std::vector<std::string>>(bytes.substr(0, cut)), mp::ProtocolError);
}

BOOST_AUTO_TEST_CASE(trailing_bytes_are_a_protocol_error) {
    std::string bytes = mp::dumps(std::string("abc")) + "x";
    BOOST_CHECK_THROW(mp::loads<std::string>(bytes), mp::ProtocolError);
}

BOOST_AUTO_TEST_CASE(huge_lengths_are_refused_before_allocating) {
    // A string claiming 2^62 bytes, and a vector claiming 10^12 elements.
    std::string bytes(8, '\0');
    std::uint64_t huge = std::uint64_t{1} << 62;
    std::memcpy(bytes.data(), &huge, 8);
    try {
        mp::loads<std::string>(bytes);
        BOOST_FAIL("no exception");
    } catch (const mp::ProtocolError& e) {
        BOOST_TEST(std::string(e.what()).find("exceeds") != std::string::npos);
    }
    std::string vec = mp::dumps(std::vector<int>{1, 2, 3});
    std::uint64_t count = 1'000'000'000'000;
    std::memcpy(vec.data(), &count, 8);
    BOOST_CHECK_THROW(mp::loads<std::vector<int>>(vec), mp::ProtocolError);
}

BOOST_AUTO_TEST_CASE(bad_variant_index_is_a_protocol_error) {
    using V = std::variant<int, std::string>;
    std::string bytes = mp::dumps(V{1});
    std::uint32_t index = 9;
    // The index follows Boost's class header bytes; find it by patching every
    // offset and requiring that none decodes into garbage silently.
    bool caught = false;
    for (std::size_t off = 0; off + 4 <= bytes.size(); ++off) {
        std::string bad = bytes;
        std::memcpy(bad.data() + off, &index, 4);
        try {
            mp::loads<V>(bad);
        } catch (const mp::ProtocolError& e) {
            caught |= std::string(e.what()).find("variant index") != std::string::npos;
        }
    }
    BOOST_TEST(caught);
}

BOOST_AUTO_TEST_CASE(trivially_copyable_optional_variant_and_bool_arrays_are_checked) {
    // std::optional<int>, std::variant<int, double> and std::array<bool, N>
    // are trivially copyable, but not every byte pattern is a valid object of
    // them: garbage must be a ProtocolError, never an engaged flag of 0x7f or
    // a variant index of 127 (undefined behaviour, a wild jump in std::visit).
    using V = std::variant<int, double>;
    using O = std::optional<int>;
    using A = std::array<bool, 4>;
    BOOST_TEST((round_trip(V{2.5}) == V{2.5}));
    BOOST_TEST((round_trip(O{7}) == O{7}));
    BOOST_TEST((round_trip(O{}) == O{}));
    BOOST_TEST((round_trip(A{true, false, true, true}) == A{true, false, true, true}));
    for (std::string bytes : {mp::dumps(V{2.5}), mp::dumps(O{7}), mp::dumps(A{})}) {
        for (char& c : bytes) c = 0x7f;
        BOOST_CHECK_THROW(mp::loads<V>(bytes), mp::ProtocolError);
        BOOST_CHECK_THROW(mp::loads<O>(bytes), mp::ProtocolError);
        BOOST_CHECK_THROW(mp::loads<A>(bytes), mp::ProtocolError);
    }
}

BOOST_AUTO_TEST_CASE(random_corruption_never_crashes) {
    using T = std::map<std::string, std::tuple<std::vector<int>, std::optional<std::string>, std::variant<int, double>>>;
    T value{{"k1", {{1, 2, 3}, "opt", 4}}, {"k2", {{}, std::nullopt, 2.5}}};
    const std::string good = mp::dumps(value);
    std::mt19937 rng(1234);
    int errors = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string bad = good;
        int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f) bad[rng() % bad.size()] = static_cast<char>(rng());
        if (rng() % 4 == 0) bad.resize(rng() % bad.size());
        try {
            (void)mp::loads<T>(bad);
        } catch (const mp::ProtocolError&) {
            ++errors;
        }
    }
    BOOST_TEST(errors > 0);  // and nothing but ProtocolError escaped, nothing crashed
}

BOOST_AUTO_TEST_CASE(wide_strings_round_trip_and_their_length_is_capped) {
    BOOST_TEST((round_trip(std::wstring(L"h\u00e9llo")) == std::wstring(L"h\u00e9llo")));
    BOOST_TEST((round_trip(std::vector<std::wstring>{L"", L"ab"}) == std::vector<std::wstring>{L"", L"ab"}));
    // 8 bytes claiming 2^28 wide characters (1 GiB): refused before allocating.
    std::string bytes(8, '\0');
    const std::uint64_t claimed = std::uint64_t{1} << 28;
    std::memcpy(bytes.data(), &claimed, 8);
    try {
        mp::loads<std::wstring>(bytes);
        BOOST_FAIL("no exception");
    } catch (const mp::ProtocolError& e) {
        BOOST_TEST(std::string(e.what()).find("wide string length 268435456 exceeds the 0 bytes left") !=
                   std::string::npos);
    }
    // A length whose size in bytes wraps around 2^64 is refused too.
    const std::uint64_t wrapping = (std::uint64_t{1} << 62) + 1;
    std::memcpy(bytes.data(), &wrapping, 8);
    bytes += std::string(4, 'x');
    BOOST_CHECK_THROW(mp::loads<std::wstring>(bytes), mp::ProtocolError);
    // Every length: a string, and a wide string as many bytes long as there are left.
    std::string wide = mp::dumps(std::wstring(L"abcd"));
    const std::uint64_t too_long = 5;
    std::memcpy(wide.data(), &too_long, 8);
    BOOST_CHECK_THROW(mp::loads<std::wstring>(wide), mp::ProtocolError);
}

namespace {
struct Empty {
    template <class Archive>
    void serialize(Archive&, unsigned) {}
    bool operator==(const Empty&) const = default;
};
struct HoldsEmpty {
    Empty e;
    std::monostate m;
    template <class Archive>
    void serialize(Archive& ar, unsigned) {
        ar & e & m;
    }
    bool operator==(const HoldsEmpty&) const = default;
};
}  // namespace

BOOST_AUTO_TEST_CASE(containers_of_empty_elements_round_trip) {
    // More elements than the bytes of their container's header.
    BOOST_TEST((round_trip(std::vector<std::monostate>(100)) == std::vector<std::monostate>(100)));
    BOOST_TEST((round_trip(std::vector<std::tuple<>>(100)) == std::vector<std::tuple<>>(100)));
    BOOST_TEST((round_trip(std::vector<Empty>(100)) == std::vector<Empty>(100)));
    BOOST_TEST((round_trip(std::vector<HoldsEmpty>(100)) == std::vector<HoldsEmpty>(100)));
    BOOST_TEST((round_trip(std::list<std::monostate>(1000)) == std::list<std::monostate>(1000)));
    BOOST_TEST((round_trip(std::set<std::tuple<>>{{}}) == std::set<std::tuple<>>{{}}));
    using V = std::variant<std::monostate, int>;
    BOOST_TEST((round_trip(std::vector<V>{V{}, V{1}, V{}}) == std::vector<V>{V{}, V{1}, V{}}));
    BOOST_TEST((round_trip(std::vector<std::vector<std::monostate>>{{}, {{}, {}}}) ==
                std::vector<std::vector<std::monostate>>{{}, {{}, {}}}));
}

BOOST_AUTO_TEST_CASE(a_huge_count_of_empty_elements_is_refused_before_allocating) {
    // Each empty element takes a byte on the wire, so 10^12 of them cannot
    // hide in a few bytes (and must not become a 1 TB vector or a long loop).
    std::string bytes = mp::dumps(std::vector<std::monostate>(3));
    const std::uint64_t count = 1'000'000'000'000;
    std::memcpy(bytes.data(), &count, 8);
    BOOST_CHECK_THROW(mp::loads<std::vector<std::monostate>>(bytes), mp::ProtocolError);
    BOOST_CHECK_THROW(mp::loads<std::set<std::tuple<>>>(bytes), mp::ProtocolError);
    // A marker byte that is not the marker is malformed.
    std::string bad = mp::dumps(std::vector<Empty>(2));
    bad.back() = 7;
    BOOST_CHECK_THROW(mp::loads<std::vector<Empty>>(bad), mp::ProtocolError);
}

namespace {
struct Tagged {
    int id = 0;
    Point at;
    std::array<double, 2> span{};
    bool operator==(const Tagged&) const = default;
};
// Holds a pointer, but sends only what serialize() writes.
struct Cached {
    int value = 0;
    const int* cache = nullptr;
    template <class Archive>
    void serialize(Archive& ar, unsigned) {
        ar & value;
    }
};
}  // namespace

BOOST_AUTO_TEST_CASE(the_wire_rule_picks_the_path_of_a_trivially_copyable_struct) {
    // Its bytes hold no pointer: the memcpy path, as before.
    static_assert(mp::detail::memcpy_codec<Tagged>);
    BOOST_TEST(mp::dumps(Tagged{}).size() == sizeof(Tagged));
    BOOST_TEST((round_trip(Tagged{1, {2, 3.5}, {4, 5}}) == Tagged{1, {2, 3.5}, {4, 5}}));
    // Its bytes hold a pointer: never copied; it crosses through its serialize().
    static_assert(!mp::detail::memcpy_codec<Cached>);
    int local = 5;
    const int* address = &local;
    const std::string bytes = mp::dumps(Cached{7, address});
    BOOST_TEST(bytes.find(std::string(reinterpret_cast<const char*>(&address), sizeof address)) == std::string::npos);
    const Cached back = mp::loads<Cached>(bytes);
    BOOST_TEST(back.value == 7);
    BOOST_TEST(back.cache == nullptr);
    // The same rule decides what a spawned child may be given.
    static_assert(mp::detail::crossable_v<Cached>);
    static_assert(!mp::detail::crossable_v<std::vector<std::string_view>>);
    static_assert(!mp::detail::wire_safe_v<std::map<int, std::span<int>>>);
}
