// Compiled parts of the capped input archive (as Boost's own binary_iarchive.cpp
// does for binary_iarchive).
#include <mproc/detail/archive.hpp>

#include <boost/archive/impl/archive_serializer_map.ipp>
#include <boost/archive/impl/basic_binary_iarchive.ipp>
#include <boost/archive/impl/basic_binary_iprimitive.ipp>

namespace boost::archive {
template class detail::archive_serializer_map<mproc::detail::capped_iarchive>;
template class basic_binary_iprimitive<mproc::detail::capped_iarchive, char, std::char_traits<char>>;
template class basic_binary_iarchive<mproc::detail::capped_iarchive>;
template class binary_iarchive_impl<mproc::detail::capped_iarchive, char, std::char_traits<char>>;
}  // namespace boost::archive
