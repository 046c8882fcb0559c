/// Which targets and arguments can cross to a child that re-executes the
/// program (spawn, forkserver). Decided at compile time without instantiating
/// any serialization code, so a Process whose arguments cannot cross still
/// compiles (and runs under fork); start() under spawn then raises
/// ProcessError with the reason, and a context typed at compile time turns it
/// into a static_assert.
///
/// An argument crosses when it is arithmetic or an enum, a standard string or
/// container/pair/tuple/optional/variant of crossing types, or a
/// default-constructible class with a Boost.Serialization `serialize` (member,
/// private member with `friend class boost::serialization::access`, or free
/// function found by ADL or in namespace boost::serialization) — Connection
/// included. Pointers, views and references never cross: that part is the
/// codec's rule (wire_safe.hpp), shared with dumps, loads and Connection.
///
/// A target crosses when it is a function pointer, a stateless function object
/// (a captureless lambda), or a serializable function object.
#pragma once

#include <mproc/detail/codec/type_name.hpp>
#include <mproc/detail/codec/wire_safe.hpp>
#include <mproc/errors.hpp>

#include <array>
#include <bitset>
#include <complex>
#include <concepts>
#include <cstddef>
#include <deque>
#include <forward_list>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace mproc::detail {


enum class cross_problem {
    none,
    pointer,
    c_string,
    reference,
    view,
    holds_pointer,
    no_serialize,
    not_default_constructible
};

// What the shared wire rule says, as a cross_problem (none: ask serializability).
constexpr cross_problem from_wire(wire_problem p) {
    switch (p) {
        case wire_problem::pointer: return cross_problem::pointer;
        case wire_problem::c_string: return cross_problem::c_string;
        case wire_problem::reference: return cross_problem::reference;
        case wire_problem::view: return cross_problem::view;
        case wire_problem::holds_pointer: return cross_problem::holds_pointer;
        case wire_problem::opaque:  // it has no serialize(): say so below
        case wire_problem::none: return cross_problem::none;
    }
    return cross_problem::none;
}

// Serializability, for a type the wire rule lets cross.
template <class T>
constexpr cross_problem classify_crossing() {
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>)
        return cross_problem::none;
    else if constexpr (std::is_class_v<T>) {
        if constexpr (!has_serialize_v<T>)
            return cross_problem::no_serialize;
        else if constexpr (!std::is_default_constructible_v<T>)
            return cross_problem::not_default_constructible;
        else
            return cross_problem::none;
    } else
        return cross_problem::no_serialize;
}

template <class T>
struct serial_crossing {
    static constexpr cross_problem problem = classify_crossing<T>();
    using culprit = T;
};

template <class T>
struct wire_crossing {
    static constexpr cross_problem problem = from_wire(wire_rule<T>::problem);
    using culprit = typename wire_rule<T>::culprit;
};

/// crossing<T>::problem says whether T crosses; crossing<T>::culprit is the
/// innermost type to blame (T itself, or an element type). The wire rule
/// first, then serializability.
template <class T>
struct crossing : std::conditional_t<from_wire(wire_rule<T>::problem) != cross_problem::none, wire_crossing<T>,
                                     serial_crossing<T>> {};

template <class... Ts>
struct first_problem {
    static constexpr cross_problem problem = cross_problem::none;
    using culprit = void;
};
template <class T, class... Rest>
struct first_problem<T, Rest...>
    : std::conditional_t<crossing<std::remove_cv_t<T>>::problem != cross_problem::none, crossing<std::remove_cv_t<T>>,
                         first_problem<Rest...>> {};

struct crosses {
    static constexpr cross_problem problem = cross_problem::none;
    using culprit = void;
};

template <class C, class Tr, class A>
struct serial_crossing<std::basic_string<C, Tr, A>> : crosses {};
template <class T, class A>
struct serial_crossing<std::vector<T, A>> : first_problem<T> {};
template <class T, class A>
struct serial_crossing<std::list<T, A>> : first_problem<T> {};
template <class T, class A>
struct serial_crossing<std::deque<T, A>> : first_problem<T> {};
template <class T, class A>
struct serial_crossing<std::forward_list<T, A>> : first_problem<T> {};
template <class T, std::size_t N>
struct serial_crossing<std::array<T, N>> : first_problem<T> {};
template <class K, class C, class A>
struct serial_crossing<std::set<K, C, A>> : first_problem<K> {};
template <class K, class C, class A>
struct serial_crossing<std::multiset<K, C, A>> : first_problem<K> {};
template <class K, class V, class C, class A>
struct serial_crossing<std::map<K, V, C, A>> : first_problem<K, V> {};
template <class K, class V, class C, class A>
struct serial_crossing<std::multimap<K, V, C, A>> : first_problem<K, V> {};
template <class K, class H, class E, class A>
struct serial_crossing<std::unordered_set<K, H, E, A>> : first_problem<K> {};
template <class K, class H, class E, class A>
struct serial_crossing<std::unordered_multiset<K, H, E, A>> : first_problem<K> {};
template <class K, class V, class H, class E, class A>
struct serial_crossing<std::unordered_map<K, V, H, E, A>> : first_problem<K, V> {};
template <class K, class V, class H, class E, class A>
struct serial_crossing<std::unordered_multimap<K, V, H, E, A>> : first_problem<K, V> {};
template <class A, class B>
struct serial_crossing<std::pair<A, B>> : first_problem<A, B> {};
template <class... Ts>
struct serial_crossing<std::tuple<Ts...>> : first_problem<Ts...> {};
template <class T>
struct serial_crossing<std::optional<T>> : first_problem<T> {};
template <class... Ts>
struct serial_crossing<std::variant<Ts...>> : first_problem<Ts...> {};
template <>
struct serial_crossing<std::monostate> : crosses {};
template <class T>
struct serial_crossing<std::complex<T>> : first_problem<T> {};
template <std::size_t N>
struct serial_crossing<std::bitset<N>> : crosses {};

/// True when a value of type T can be sent to a spawned child.
template <class T>
inline constexpr bool crossable_v = crossing<std::remove_cv_t<T>>::problem == cross_problem::none;

enum class target_kind { function_pointer, stateless, serializable, none };

template <class F>
constexpr target_kind classify_target() {
    if constexpr (std::is_pointer_v<F> && std::is_function_v<std::remove_pointer_t<F>>)
        return target_kind::function_pointer;
    else if constexpr (std::is_class_v<F> && std::is_empty_v<F> && std::is_default_constructible_v<F>)
        return target_kind::stateless;
    else if constexpr (std::is_class_v<F> && crossable_v<F>)
        return target_kind::serializable;
    else
        return target_kind::none;
}

/// True when a target of type F can be called in a spawned child.
template <class F>
inline constexpr bool crossable_target_v = classify_target<F>() != target_kind::none;

inline const char* describe(cross_problem problem) noexcept {
    switch (problem) {
        case cross_problem::none: return "crosses";
        case cross_problem::pointer: return describe(wire_problem::pointer);
        case cross_problem::c_string: return describe(wire_problem::c_string);
        case cross_problem::reference: return describe(wire_problem::reference);
        case cross_problem::view: return describe(wire_problem::view);
        case cross_problem::holds_pointer: return describe(wire_problem::holds_pointer);
        case cross_problem::no_serialize:
            return "it has no Boost.Serialization serialize() (member or free function): add one, or use the "
                   "fork start method";
        case cross_problem::not_default_constructible:
            return "it is not default-constructible: the child default-constructs it before loading its value";
    }
    return "?";
}

/// Why argument `index` of type T cannot cross (T must not be crossable).
template <class T>
std::string argument_problem(std::size_t index) {
    using info = crossing<std::remove_cv_t<T>>;
    std::string text = "argument " + std::to_string(index + 1) + " (" + type_name<T>() + ") cannot cross: ";
    if constexpr (!std::is_same_v<typename info::culprit, T> && !std::is_void_v<typename info::culprit>)
        text += "its element type " + type_name<typename info::culprit>() + ": ";
    return text + describe(info::problem);
}

template <class F>
std::string target_problem() {
    return "the target (" + type_name<F>() +
           ") cannot cross to another process: under spawn and forkserver it must be a free function, a "
           "captureless lambda or a serializable function object (capturing lambdas, std::function and member "
           "function pointers work only with the fork start method)";
}

/// The reasons a target F with arguments Args cannot run in a spawned child,
/// one per line; empty when it can.
template <class F, class... Args>
std::string crossing_problems() {
    std::string out;
    if constexpr (!crossable_target_v<F>) out += target_problem<F>();
    std::size_t index = 0;
    [[maybe_unused]] auto one = [&]<class T>(std::type_identity<T>) {
        if constexpr (!crossable_v<T>) out += (out.empty() ? "" : "; ") + argument_problem<T>(index);
        ++index;
    };
    (one(std::type_identity<Args>{}), ...);
    return out;
}

/// static_asserts with a readable message for each way an argument type can
/// fail to cross (the instantiation trace names the type).
template <class T>
constexpr bool assert_argument_crosses() {
    using info = crossing<std::remove_cv_t<T>>;
    constexpr cross_problem p = info::problem;
    // Pointers, views, references: the codec's rule and its messages.
    using wire = wire_rule<std::remove_cv_t<T>>;
    if constexpr (from_wire(wire::problem) != cross_problem::none)
        assert_wire_problem<T, typename wire::culprit, wire::problem>();
    static_assert(p != cross_problem::no_serialize,
                  "mproc: an argument type (or an element type of it) has no Boost.Serialization serialize(), so it "
                  "cannot cross to a spawned process: add serialize() or use the fork start method");
    static_assert(p != cross_problem::not_default_constructible,
                  "mproc: an argument type is not default-constructible, so a spawned child cannot rebuild it");
    return true;
}

template <class F, class... Args>
constexpr bool assert_crosses() {
    static_assert(crossable_target_v<F>,
                  "mproc: under spawn/forkserver the target must be a free function, a captureless lambda or a "
                  "serializable function object; capturing lambdas and std::function work only with the fork "
                  "start method");
    return (assert_argument_crosses<Args>() && ... && true);
}

}  // namespace mproc::detail
