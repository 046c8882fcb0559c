// The types fuzz_loads.cpp decodes, with one sample value of each for the seed
// corpus (make_seeds.cpp). An input's first byte picks the type; the rest is
// the payload given to mproc::loads -- or, for the byte after the last type,
// a stream of frames whose object frames are decoded as the type their tag
// names (make_seeds writes such streams too).
#pragma once

#include <mproc/codec.hpp>

#include <array>
#include <deque>
#include <list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace fuzz {

// A user type with its own serialize, nesting the standard types mproc adds.
struct record {
    int id = 0;
    std::string name;
    std::vector<std::pair<int, double>> samples;
    std::optional<std::map<std::string, int>> tags;
    std::variant<std::monostate, int, std::string> extra;

    template <class Archive>
    void serialize(Archive& ar, unsigned) {
        ar & id & name & samples & tags & extra;
    }
    bool operator==(const record&) const = default;
};

// Empty: one marker byte on the wire inside a container.
struct nothing {
    template <class Archive>
    void serialize(Archive&, unsigned) {}
    bool operator==(const nothing&) const = default;
};

using loads_types = std::tuple<
    std::string,
    std::vector<int>,
    std::map<std::string, std::vector<int>>,
    std::tuple<int, std::string, std::optional<double>>,
    std::optional<std::vector<std::string>>,
    std::variant<std::monostate, int, std::string, std::vector<double>>,
    std::vector<std::variant<int, std::optional<std::string>, std::tuple<bool, char>>>,
    std::unordered_map<std::string, int>,
    std::set<int>,
    std::list<std::string>,
    std::deque<bool>,
    std::vector<bool>,
    record,
    std::vector<record>,
    bool,
    std::array<int, 3>,
    // Trivially copyable, yet not every byte pattern is one of them.
    std::optional<int>,
    std::variant<int, double>,
    std::array<bool, 3>,
    // Boost's own length paths, and elements that take no bytes of their own.
    std::wstring,
    std::vector<std::wstring>,
    std::map<std::wstring, std::string>,
    std::vector<std::monostate>,
    std::vector<std::tuple<>>,
    std::vector<nothing>,
    std::vector<std::variant<std::monostate, nothing, int>>>;

inline loads_types loads_samples() {
    record r{7, "seven", {{1, 0.5}, {2, -1.0}}, std::map<std::string, int>{{"a", 1}}, std::string("x")};
    return {
        "hello",
        {1, 2, 3},
        {{"a", {1}}, {"b", {}}},
        {1, "one", 1.5},
        std::vector<std::string>{"x", ""},
        std::vector<double>{0.25},
        {1, std::optional<std::string>("s"), std::tuple<bool, char>{true, 'c'}},
        {{"k", 1}, {"l", 2}},
        {1, 5, 9},
        {"p", "q"},
        {true, false},
        {false, true, true},
        r,
        {r, record{}},
        true,
        {4, 5, 6},
        7,
        2.5,
        {true, false, true},
        L"wide \u00e9",
        {L"", L"ab"},
        {{L"k", "v"}},
        std::vector<std::monostate>(3),
        std::vector<std::tuple<>>(2),
        std::vector<nothing>(4),
        {std::monostate{}, nothing{}, 3},
    };
}

}  // namespace fuzz
