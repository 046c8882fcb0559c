/// Boost.Serialization support for every standard type a user would send.
///
/// Boost 1.81 ships string, vector, array, list, deque, map, set, pair and
/// friends; std::tuple, std::optional, std::variant and std::monostate are
/// added here. Unordered containers are also serialized here rather than by
/// Boost's headers: Boost writes the bucket count, which a hostile input could
/// inflate into a huge allocation (do not include Boost's unordered headers
/// beside this one).
#pragma once

#include <mproc/errors.hpp>

#include <boost/serialization/array.hpp>
#include <boost/serialization/bitset.hpp>
#include <boost/serialization/complex.hpp>
#include <boost/serialization/deque.hpp>
#include <boost/serialization/forward_list.hpp>
#include <boost/serialization/list.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/set.hpp>
#include <boost/serialization/split_free.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>

namespace boost::serialization {

template <class Archive, class... Ts>
void serialize(Archive& ar, std::tuple<Ts...>& t, const unsigned /*version*/) {
    std::apply([&ar](auto&... element) { ((ar & element), ...); }, t);
}

template <class Archive>
void serialize(Archive&, std::monostate&, const unsigned) {}

template <class Archive, class T>
void save(Archive& ar, const std::optional<T>& o, const unsigned) {
    const bool engaged = o.has_value();
    ar << engaged;
    if (engaged) ar << *o;
}

template <class Archive, class T>
void load(Archive& ar, std::optional<T>& o, const unsigned) {
    bool engaged = false;
    ar >> engaged;
    if (!engaged) {
        o.reset();
        return;
    }
    T value{};
    ar >> value;
    o = std::move(value);
}

template <class Archive, class T>
void serialize(Archive& ar, std::optional<T>& o, const unsigned version) {
    split_free(ar, o, version);
}

template <class Archive, class... Ts>
void save(Archive& ar, const std::variant<Ts...>& v, const unsigned) {
    const std::uint32_t index = v.valueless_by_exception() ? UINT32_MAX : static_cast<std::uint32_t>(v.index());
    if (index == UINT32_MAX) throw mproc::Error("cannot serialize a valueless std::variant");
    ar << index;
    std::visit([&ar](const auto& alternative) { ar << alternative; }, v);
}

template <class Archive, class... Ts, std::size_t... I>
void load_variant_alternative(Archive& ar, std::variant<Ts...>& v, std::uint32_t index, std::index_sequence<I...>) {
    auto load_one = [&]<std::size_t N>(std::integral_constant<std::size_t, N>) {
        std::variant_alternative_t<N, std::variant<Ts...>> value{};
        ar >> value;
        v.template emplace<N>(std::move(value));
    };
    ((index == I ? load_one(std::integral_constant<std::size_t, I>{}) : void()), ...);
}

template <class Archive, class... Ts>
void load(Archive& ar, std::variant<Ts...>& v, const unsigned) {
    std::uint32_t index = 0;
    ar >> index;
    if (index >= sizeof...(Ts))
        throw mproc::ProtocolError("malformed payload: variant index " + std::to_string(index) + " of " +
                                   std::to_string(sizeof...(Ts)) + " alternatives");
    load_variant_alternative(ar, v, index, std::index_sequence_for<Ts...>{});
}

template <class Archive, class... Ts>
void serialize(Archive& ar, std::variant<Ts...>& v, const unsigned version) {
    split_free(ar, v, version);
}

// Unordered containers: the element count, then the elements.
template <class Archive, class Container>
void save_unordered(Archive& ar, const Container& c) {
    const collection_size_type count(c.size());
    ar << count;
    for (const auto& element : c) ar << element;
}

template <class Element, class Archive, class Container>
void load_unordered(Archive& ar, Container& c) {
    collection_size_type count;
    ar >> count;
    c.clear();
    c.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        Element element{};
        ar >> element;
        c.insert(std::move(element));
    }
}

template <class Archive, class K, class V, class H, class E, class A>
void save(Archive& ar, const std::unordered_map<K, V, H, E, A>& c, const unsigned) {
    save_unordered(ar, c);
}
template <class Archive, class K, class V, class H, class E, class A>
void load(Archive& ar, std::unordered_map<K, V, H, E, A>& c, const unsigned) {
    load_unordered<std::pair<K, V>>(ar, c);
}
template <class Archive, class K, class V, class H, class E, class A>
void serialize(Archive& ar, std::unordered_map<K, V, H, E, A>& c, const unsigned version) {
    split_free(ar, c, version);
}

template <class Archive, class K, class V, class H, class E, class A>
void save(Archive& ar, const std::unordered_multimap<K, V, H, E, A>& c, const unsigned) {
    save_unordered(ar, c);
}
template <class Archive, class K, class V, class H, class E, class A>
void load(Archive& ar, std::unordered_multimap<K, V, H, E, A>& c, const unsigned) {
    load_unordered<std::pair<K, V>>(ar, c);
}
template <class Archive, class K, class V, class H, class E, class A>
void serialize(Archive& ar, std::unordered_multimap<K, V, H, E, A>& c, const unsigned version) {
    split_free(ar, c, version);
}

template <class Archive, class K, class H, class E, class A>
void save(Archive& ar, const std::unordered_set<K, H, E, A>& c, const unsigned) {
    save_unordered(ar, c);
}
template <class Archive, class K, class H, class E, class A>
void load(Archive& ar, std::unordered_set<K, H, E, A>& c, const unsigned) {
    load_unordered<K>(ar, c);
}
template <class Archive, class K, class H, class E, class A>
void serialize(Archive& ar, std::unordered_set<K, H, E, A>& c, const unsigned version) {
    split_free(ar, c, version);
}

template <class Archive, class K, class H, class E, class A>
void save(Archive& ar, const std::unordered_multiset<K, H, E, A>& c, const unsigned) {
    save_unordered(ar, c);
}
template <class Archive, class K, class H, class E, class A>
void load(Archive& ar, std::unordered_multiset<K, H, E, A>& c, const unsigned) {
    load_unordered<K>(ar, c);
}
template <class Archive, class K, class H, class E, class A>
void serialize(Archive& ar, std::unordered_multiset<K, H, E, A>& c, const unsigned version) {
    split_free(ar, c, version);
}

}  // namespace boost::serialization
