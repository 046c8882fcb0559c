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
/// included. Pointers, views and references never cross.
///
/// A target crosses when it is a function pointer, a stateless function object
/// (a captureless lambda), or a serializable function object.
#pragma once

#include <mproc/detail/type_name.hpp>
#include <mproc/errors.hpp>

#include <boost/serialization/serialization.hpp>

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

namespace serialization_probe {

// A free serialize(ar, t, version) other than Boost's catch-all (which only
// forwards to a member) makes this more specialised overload ambiguous; with
// only the catch-all around, this one is chosen and returns `chosen`.
struct archive {};
struct chosen {};
template <class T>
chosen serialize(archive&, T&, const unsigned int);

template <class T>
concept free_serialize = !requires(archive& ar, T& t, const boost::serialization::version_type& v) {
    { serialize(ar, t, v) } -> std::same_as<chosen>;
};

// A member named `serialize` of any access (Boost lets it be private) makes
// the name ambiguous in a class deriving from T and from `named`.
struct named {
    void serialize();
};
template <class T>
struct derived : T, named {};

template <class T>
concept member_serialize =
    std::is_class_v<T> && (std::is_final_v<T> ? requires(T& t, archive& ar) { t.serialize(ar, 0u); }
                                              : !requires { &derived<T>::serialize; });

}  // namespace serialization_probe

enum class cross_problem { none, pointer, c_string, reference, view, no_serialize, not_default_constructible };

template <class T>
constexpr cross_problem classify_crossing() {
    using P = std::remove_cv_t<std::remove_pointer_t<T>>;
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>)
        return cross_problem::none;
    else if constexpr (std::is_pointer_v<T> && (std::is_same_v<P, char> || std::is_same_v<P, wchar_t> ||
                                                std::is_same_v<P, char8_t> || std::is_same_v<P, char16_t> ||
                                                std::is_same_v<P, char32_t>))
        return cross_problem::c_string;
    else if constexpr (std::is_pointer_v<T> || std::is_member_pointer_v<T> || std::is_null_pointer_v<T>)
        return cross_problem::pointer;
    else if constexpr (std::is_reference_v<T>)
        return cross_problem::reference;
    else if constexpr (std::is_class_v<T>) {
        if constexpr (!(serialization_probe::member_serialize<T> || serialization_probe::free_serialize<T>))
            return cross_problem::no_serialize;
        else if constexpr (!std::is_default_constructible_v<T>)
            return cross_problem::not_default_constructible;
        else
            return cross_problem::none;
    } else
        return cross_problem::no_serialize;
}

/// crossing<T>::problem says whether T crosses; crossing<T>::culprit is the
/// innermost type to blame (T itself, or an element type).
template <class T>
struct crossing {
    static constexpr cross_problem problem = classify_crossing<T>();
    using culprit = T;
};

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
template <class T>
struct blocked {
    static constexpr cross_problem problem = cross_problem::view;
    using culprit = T;
};

template <class C, class Tr, class A>
struct crossing<std::basic_string<C, Tr, A>> : crosses {};
template <class C, class Tr>
struct crossing<std::basic_string_view<C, Tr>> : blocked<std::basic_string_view<C, Tr>> {};
template <class T, std::size_t N>
struct crossing<std::span<T, N>> : blocked<std::span<T, N>> {};
template <class T>
struct crossing<std::reference_wrapper<T>> {
    static constexpr cross_problem problem = cross_problem::reference;
    using culprit = std::reference_wrapper<T>;
};
template <class T, class D>
struct crossing<std::unique_ptr<T, D>> {
    static constexpr cross_problem problem = cross_problem::pointer;
    using culprit = std::unique_ptr<T, D>;
};
template <class T>
struct crossing<std::shared_ptr<T>> {
    static constexpr cross_problem problem = cross_problem::pointer;
    using culprit = std::shared_ptr<T>;
};
template <class T>
struct crossing<std::weak_ptr<T>> {
    static constexpr cross_problem problem = cross_problem::pointer;
    using culprit = std::weak_ptr<T>;
};
template <class T, class A>
struct crossing<std::vector<T, A>> : first_problem<T> {};
template <class T, class A>
struct crossing<std::list<T, A>> : first_problem<T> {};
template <class T, class A>
struct crossing<std::deque<T, A>> : first_problem<T> {};
template <class T, class A>
struct crossing<std::forward_list<T, A>> : first_problem<T> {};
template <class T, std::size_t N>
struct crossing<std::array<T, N>> : first_problem<T> {};
template <class K, class C, class A>
struct crossing<std::set<K, C, A>> : first_problem<K> {};
template <class K, class C, class A>
struct crossing<std::multiset<K, C, A>> : first_problem<K> {};
template <class K, class V, class C, class A>
struct crossing<std::map<K, V, C, A>> : first_problem<K, V> {};
template <class K, class V, class C, class A>
struct crossing<std::multimap<K, V, C, A>> : first_problem<K, V> {};
template <class K, class H, class E, class A>
struct crossing<std::unordered_set<K, H, E, A>> : first_problem<K> {};
template <class K, class H, class E, class A>
struct crossing<std::unordered_multiset<K, H, E, A>> : first_problem<K> {};
template <class K, class V, class H, class E, class A>
struct crossing<std::unordered_map<K, V, H, E, A>> : first_problem<K, V> {};
template <class K, class V, class H, class E, class A>
struct crossing<std::unordered_multimap<K, V, H, E, A>> : first_problem<K, V> {};
template <class A, class B>
struct crossing<std::pair<A, B>> : first_problem<A, B> {};
template <class... Ts>
struct crossing<std::tuple<Ts...>> : first_problem<Ts...> {};
template <class T>
struct crossing<std::optional<T>> : first_problem<T> {};
template <class... Ts>
struct crossing<std::variant<Ts...>> : first_problem<Ts...> {};
template <>
struct crossing<std::monostate> : crosses {};
template <class T>
struct crossing<std::complex<T>> : first_problem<T> {};
template <std::size_t N>
struct crossing<std::bitset<N>> : crosses {};

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
        case cross_problem::pointer:
            return "a pointer cannot cross to another process (it would point into the parent's memory): pass "
                   "the value";
        case cross_problem::c_string: return "a C string (const char*) cannot cross to another process: pass a std::string";
        case cross_problem::reference: return "a reference (std::ref) cannot cross to another process: pass the value";
        case cross_problem::view:
            return "a view (std::string_view, std::span) cannot cross to another process: pass an owning "
                   "std::string or std::vector";
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
    constexpr cross_problem p = crossing<std::remove_cv_t<T>>::problem;
    static_assert(p != cross_problem::c_string,
                  "mproc: a C string (const char*) argument cannot cross to a spawned process: pass std::string");
    static_assert(p != cross_problem::pointer,
                  "mproc: a pointer (or smart pointer) argument cannot cross to a spawned process: pass the value");
    static_assert(p != cross_problem::reference,
                  "mproc: a reference (std::ref) argument cannot cross to a spawned process: pass the value");
    static_assert(p != cross_problem::view,
                  "mproc: a view (std::string_view, std::span) argument cannot cross to a spawned process: pass an "
                  "owning std::string or std::vector");
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
