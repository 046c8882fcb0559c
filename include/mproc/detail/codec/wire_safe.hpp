/// The one rule for what may cross to another process, shared by the codec
/// (dumps, loads, Connection::send/recv) and by the spawn argument check
/// (crossable.hpp): pointers never cross.
///
/// A type is wire-safe unless it is, or holds, something that refers to
/// memory of the sending process:
///  - a raw pointer, member pointer or nullptr_t (a C string is a pointer too);
///  - a reference (std::reference_wrapper);
///  - a view (std::string_view, std::span);
///  - a smart pointer (std::unique_ptr, std::shared_ptr, std::weak_ptr);
///  - a standard container, pair, tuple, optional, variant or array of one;
///  - a trivially copyable struct whose bytes hold one (its members are
///    checked, bases included, when it is an aggregate).
/// A class with a Boost.Serialization serialize() is wire-safe whatever it
/// holds: what crosses is what serialize() writes, and mproc's archives refuse
/// a pointer, view or reference written there at compile time. A trivially
/// copyable class that is not an aggregate and has no serialize() cannot be
/// seen into, so it does not cross either (give it a serialize()). Limits of
/// the member check: a union member is checked by its first alternative only,
/// and a member of a class type with an explicit copy constructor stops it.
#pragma once

#include <boost/serialization/serialization.hpp>

#include <array>
#include <bitset>
#include <chrono>
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

/// True when T has a Boost.Serialization serialize() (member, private member
/// or free function).
template <class T>
inline constexpr bool has_serialize_v =
    std::is_class_v<T> && (serialization_probe::member_serialize<T> || serialization_probe::free_serialize<T>);

enum class wire_problem {
    none,
    pointer,         // a raw or smart pointer
    c_string,        // const char* and friends
    reference,       // std::reference_wrapper, a reference
    view,            // std::string_view, std::span
    holds_pointer,   // a trivially copyable aggregate with such a member (or base)
    opaque,          // a trivially copyable non-aggregate without serialize()
};

template <class T>
struct wire_rule;

/// Whether the bytes of a T, copied as they are, mean the same in another
/// process (the codec's memcpy fast path).
template <class T>
struct layout_safe;
template <class T>
inline constexpr bool layout_safe_v = layout_safe<std::remove_cv_t<T>>::value;

namespace aggregate_probe {

// Members are probed flattened: both probes below refuse to become a
// (non-empty) aggregate class, so brace elision spreads them over the members
// of every member (and base) that is one, in the same way for both -- their
// positions line up, and a pointer nested anywhere meets one of them. (A
// union member is seen by its first alternative only.)
template <class U>
concept aggregate_class = std::is_class_v<U> && std::is_aggregate_v<U> && !std::is_empty_v<U>;

// Becomes any member: counts the flattened members. By reference, so that
// reference members count too.
struct any_member {
    template <class U>
        requires(!aggregate_class<U>)
    operator U&() const&& noexcept;
};

// Becomes only a member whose bytes may cross; by value, so that a
// reference member cannot bind to it.
struct safe_member {
    template <class U>
        requires(!aggregate_class<U> && layout_safe_v<U>)
    operator U() const&& noexcept;
};

template <class T, class Member, std::size_t... I>
constexpr bool takes(std::index_sequence<I...>) {
    return requires { T{(static_cast<void>(I), Member{})...}; };
}

template <class T, class Member, std::size_t N>
inline constexpr bool takes_v = takes<T, Member>(std::make_index_sequence<N>{});

// The largest N in [lo, hi] with T{any_member x N} well-formed (it is for
// every N up to the flattened member count, and for none above).
template <class T, std::size_t lo, std::size_t hi>
constexpr std::size_t member_count() {
    if constexpr (lo == hi) {
        return lo;
    } else {
        constexpr std::size_t mid = lo + (hi - lo + 1) / 2;
        if constexpr (takes_v<T, any_member, mid>)
            return member_count<T, mid, hi>();
        else
            return member_count<T, lo, mid - 1>();
    }
}

/// True when every flattened member of the aggregate T takes safe_member
/// (and a non-empty T has members the count could see at all).
template <class T>
constexpr bool members_safe() {
    constexpr std::size_t n = member_count<T, 0, sizeof(T) * 8>();
    return (n > 0 || std::is_empty_v<T>) && takes_v<T, safe_member, n>;
}

}  // namespace aggregate_probe

template <class T>
constexpr bool layout_safe_primary() {
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>)
        return true;
    else if constexpr (std::is_class_v<T> && !std::is_union_v<T> && std::is_aggregate_v<T> &&
                       std::is_trivially_copyable_v<T>)
        return aggregate_probe::members_safe<T>();
    else
        return false;
}

template <class T>
struct layout_safe : std::bool_constant<layout_safe_primary<T>()> {};
template <class T, std::size_t N>
struct layout_safe<T[N]> : layout_safe<std::remove_cv_t<T>> {};
template <class T, std::size_t N>
struct layout_safe<std::array<T, N>> : layout_safe<std::remove_cv_t<T>> {};
template <class T>
struct layout_safe<std::complex<T>> : layout_safe<T> {};
template <class R, class P>
struct layout_safe<std::chrono::duration<R, P>> : layout_safe<R> {};
template <class C, class D>
struct layout_safe<std::chrono::time_point<C, D>> : layout_safe<D> {};
template <std::size_t N>
struct layout_safe<std::bitset<N>> : std::true_type {};
template <>
struct layout_safe<std::monostate> : std::true_type {};
template <class T>
struct layout_safe<std::optional<T>> : layout_safe<std::remove_cv_t<T>> {};
template <class... Ts>
struct layout_safe<std::variant<Ts...>> : std::bool_constant<(layout_safe_v<Ts> && ...)> {};
template <class A, class B>
struct layout_safe<std::pair<A, B>> : std::bool_constant<layout_safe_v<A> && layout_safe_v<B>> {};
template <class... Ts>
struct layout_safe<std::tuple<Ts...>> : std::bool_constant<(layout_safe_v<Ts> && ...)> {};

template <class T>
constexpr wire_problem classify_wire() {
    using P = std::remove_cv_t<std::remove_pointer_t<T>>;
    if constexpr (std::is_arithmetic_v<T> || std::is_enum_v<T>)
        return wire_problem::none;
    else if constexpr (std::is_pointer_v<T> && (std::is_same_v<P, char> || std::is_same_v<P, wchar_t> ||
                                                std::is_same_v<P, char8_t> || std::is_same_v<P, char16_t> ||
                                                std::is_same_v<P, char32_t>))
        return wire_problem::c_string;
    else if constexpr (std::is_pointer_v<T> || std::is_member_pointer_v<T> || std::is_null_pointer_v<T>)
        return wire_problem::pointer;
    else if constexpr (std::is_reference_v<T>)
        return wire_problem::reference;
    else if constexpr (std::is_class_v<T> && std::is_trivially_copyable_v<T>) {
        if constexpr (layout_safe_v<T> || has_serialize_v<T>)
            return wire_problem::none;
        else if constexpr (std::is_aggregate_v<T> && !std::is_union_v<T>)
            return wire_problem::holds_pointer;
        else
            return wire_problem::opaque;
    } else
        // A class with serialize() (what it writes is checked by the archive),
        // or without (Boost refuses to serialize it).
        return wire_problem::none;
}

/// wire_rule<T>::problem says whether T may cross; wire_rule<T>::culprit is
/// the innermost type to blame (T itself, or an element type of it).
template <class T>
struct wire_rule {
    static constexpr wire_problem problem = classify_wire<T>();
    using culprit = T;
};

template <class... Ts>
struct first_wire_problem {
    static constexpr wire_problem problem = wire_problem::none;
    using culprit = void;
};
template <class T, class... Rest>
struct first_wire_problem<T, Rest...>
    : std::conditional_t<wire_rule<std::remove_cv_t<T>>::problem != wire_problem::none,
                         wire_rule<std::remove_cv_t<T>>, first_wire_problem<Rest...>> {};

template <wire_problem P, class T>
struct wire_blocked {
    static constexpr wire_problem problem = P;
    using culprit = T;
};

template <class C, class Tr, class A>
struct wire_rule<std::basic_string<C, Tr, A>> : first_wire_problem<> {};
template <class C, class Tr>
struct wire_rule<std::basic_string_view<C, Tr>> : wire_blocked<wire_problem::view, std::basic_string_view<C, Tr>> {};
template <class T, std::size_t N>
struct wire_rule<std::span<T, N>> : wire_blocked<wire_problem::view, std::span<T, N>> {};
template <class T>
struct wire_rule<std::reference_wrapper<T>> : wire_blocked<wire_problem::reference, std::reference_wrapper<T>> {};
template <class T, class D>
struct wire_rule<std::unique_ptr<T, D>> : wire_blocked<wire_problem::pointer, std::unique_ptr<T, D>> {};
template <class T>
struct wire_rule<std::shared_ptr<T>> : wire_blocked<wire_problem::pointer, std::shared_ptr<T>> {};
template <class T>
struct wire_rule<std::weak_ptr<T>> : wire_blocked<wire_problem::pointer, std::weak_ptr<T>> {};
template <class T, std::size_t N>
struct wire_rule<T[N]> : first_wire_problem<T> {};
template <class T, class A>
struct wire_rule<std::vector<T, A>> : first_wire_problem<T> {};
template <class T, class A>
struct wire_rule<std::list<T, A>> : first_wire_problem<T> {};
template <class T, class A>
struct wire_rule<std::deque<T, A>> : first_wire_problem<T> {};
template <class T, class A>
struct wire_rule<std::forward_list<T, A>> : first_wire_problem<T> {};
template <class T, std::size_t N>
struct wire_rule<std::array<T, N>> : first_wire_problem<T> {};
template <class K, class C, class A>
struct wire_rule<std::set<K, C, A>> : first_wire_problem<K> {};
template <class K, class C, class A>
struct wire_rule<std::multiset<K, C, A>> : first_wire_problem<K> {};
template <class K, class V, class C, class A>
struct wire_rule<std::map<K, V, C, A>> : first_wire_problem<K, V> {};
template <class K, class V, class C, class A>
struct wire_rule<std::multimap<K, V, C, A>> : first_wire_problem<K, V> {};
template <class K, class H, class E, class A>
struct wire_rule<std::unordered_set<K, H, E, A>> : first_wire_problem<K> {};
template <class K, class H, class E, class A>
struct wire_rule<std::unordered_multiset<K, H, E, A>> : first_wire_problem<K> {};
template <class K, class V, class H, class E, class A>
struct wire_rule<std::unordered_map<K, V, H, E, A>> : first_wire_problem<K, V> {};
template <class K, class V, class H, class E, class A>
struct wire_rule<std::unordered_multimap<K, V, H, E, A>> : first_wire_problem<K, V> {};
template <class A, class B>
struct wire_rule<std::pair<A, B>> : first_wire_problem<A, B> {};
template <class... Ts>
struct wire_rule<std::tuple<Ts...>> : first_wire_problem<Ts...> {};
template <class T>
struct wire_rule<std::optional<T>> : first_wire_problem<T> {};
template <class... Ts>
struct wire_rule<std::variant<Ts...>> : first_wire_problem<Ts...> {};
template <class T>
struct wire_rule<std::complex<T>> : first_wire_problem<T> {};

/// True when a T may be sent to another process.
template <class T>
inline constexpr bool wire_safe_v = wire_rule<std::remove_cv_t<T>>::problem == wire_problem::none;

/// What to say about a wire_problem: why it cannot cross and what to send instead.
inline const char* describe(wire_problem problem) noexcept {
    switch (problem) {
        case wire_problem::none: return "crosses";
        case wire_problem::pointer:
            return "a pointer (or smart pointer) cannot cross to another process (it would point into this "
                   "process's memory): send the value";
        case wire_problem::c_string:
            return "a C string (const char*) cannot cross to another process: send a std::string";
        case wire_problem::reference: return "a reference (std::ref) cannot cross to another process: send the value";
        case wire_problem::view:
            return "a view (std::string_view, std::span) cannot cross to another process: send an owning "
                   "std::string or std::vector";
        case wire_problem::holds_pointer:
            return "its bytes hold a pointer, reference or view (a member or a base): send values (std::string, "
                   "std::vector, ...), or give it a serialize() that writes what the pointer refers to";
        case wire_problem::opaque:
            return "it is trivially copyable but not an aggregate, so mproc cannot see whether it holds a "
                   "pointer: give it a serialize()";
    }
    return "?";
}

/// A static_assert per problem, each message saying what to send instead; the
/// instantiation trace names T (the type sent) and Culprit (the part to blame).
template <class T, class Culprit, wire_problem P>
constexpr bool assert_wire_problem() {
    static_assert(P != wire_problem::pointer,
                  "mproc never sends pointers or smart pointers to another process (T, and the Culprit in it, are named in the instantiation trace): "
                  "send the value");
    static_assert(P != wire_problem::c_string,
                  "mproc never sends C strings (const char*) to another process (T, and the Culprit in it, are named in the instantiation trace): send a "
                  "std::string");
    static_assert(P != wire_problem::reference,
                  "mproc never sends references (std::ref) to another process (T, and the Culprit in it, are named in the instantiation trace): send the "
                  "value");
    static_assert(P != wire_problem::view,
                  "mproc never sends views (std::string_view, std::span) to another process (T, and the Culprit in it, are named "
                  "in the instantiation trace): send an owning std::string or std::vector");
    static_assert(P != wire_problem::holds_pointer,
                  "mproc never sends a struct whose bytes hold a pointer, reference or view (T, and the Culprit in it, are named "
                  "in the instantiation trace): send values (std::string, std::vector, ...), or give it a serialize() that writes what "
                  "the pointer refers to");
    static_assert(P != wire_problem::opaque,
                  "mproc cannot see into a trivially copyable class that is not an aggregate (T, and the Culprit in it, are named "
                  "in the instantiation trace), so it cannot tell whether it holds a pointer: give it a serialize()");
    return true;
}

/// Refuses, at compile time, a T that may not cross (send, dumps, loads, recv).
template <class T>
constexpr bool assert_wire_safe() {
    using rule = wire_rule<std::remove_cv_t<T>>;
    return assert_wire_problem<T, typename rule::culprit, rule::problem>();
}

/// The leaf check mproc's archives apply to every type serialize() writes or
/// reads: a pointer is refused by their pointer overloads, these here.
template <class T>
inline constexpr bool archive_leaf_safe_v = true;
template <class C, class Tr>
inline constexpr bool archive_leaf_safe_v<std::basic_string_view<C, Tr>> = false;
template <class T, std::size_t N>
inline constexpr bool archive_leaf_safe_v<std::span<T, N>> = false;
template <class T>
inline constexpr bool archive_leaf_safe_v<std::reference_wrapper<T>> = false;
template <class T, class D>
inline constexpr bool archive_leaf_safe_v<std::unique_ptr<T, D>> = false;
template <class T>
inline constexpr bool archive_leaf_safe_v<std::shared_ptr<T>> = false;
template <class T>
inline constexpr bool archive_leaf_safe_v<std::weak_ptr<T>> = false;

}  // namespace mproc::detail
