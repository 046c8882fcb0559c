// Compiled parts of mproc's archives (as Boost's own binary_iarchive.cpp and
// binary_oarchive.cpp do for binary_iarchive and binary_oarchive).
#include <mproc/detail/codec/archive.hpp>

#include <boost/archive/impl/archive_serializer_map.ipp>
#include <boost/archive/impl/basic_binary_iarchive.ipp>
#include <boost/archive/impl/basic_binary_iprimitive.ipp>
#include <boost/archive/impl/basic_binary_oarchive.ipp>
#include <boost/archive/impl/basic_binary_oprimitive.ipp>

namespace boost::archive {
template class detail::archive_serializer_map<mproc::detail::capped_iarchive>;
template class basic_binary_iprimitive<mproc::detail::capped_iarchive, char, std::char_traits<char>>;
template class basic_binary_iarchive<mproc::detail::capped_iarchive>;
template class binary_iarchive_impl<mproc::detail::capped_iarchive, char, std::char_traits<char>>;

template class detail::archive_serializer_map<mproc::detail::wire_oarchive>;
template class basic_binary_oprimitive<mproc::detail::wire_oarchive, char, std::char_traits<char>>;
template class basic_binary_oarchive<mproc::detail::wire_oarchive>;
template class binary_oarchive_impl<mproc::detail::wire_oarchive, char, std::char_traits<char>>;
}  // namespace boost::archive
