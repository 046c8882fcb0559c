# find_package(mproc CONFIG) for an installed mproc (tools/install.sh puts this
# file in PREFIX/lib/cmake/mproc/). Gives the imported target mproc::mproc,
# carrying the include path, C++20 and every library mproc needs.
# Paths are found relative to this file, so the installed tree can be moved.
include(CMakeFindDependencyMacro)
find_dependency(Boost 1.81 COMPONENTS serialization filesystem)
set(THREADS_PREFER_PTHREAD_FLAG ON)
find_dependency(Threads)

get_filename_component(_mproc_prefix "${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)

if(NOT TARGET mproc::mproc)
    add_library(mproc::mproc STATIC IMPORTED)
    set_target_properties(mproc::mproc PROPERTIES
        IMPORTED_LOCATION "${_mproc_prefix}/lib/libmproc.a"
        INTERFACE_INCLUDE_DIRECTORIES "${_mproc_prefix}/include"
        INTERFACE_COMPILE_FEATURES cxx_std_20
        INTERFACE_LINK_LIBRARIES "Boost::serialization;Boost::filesystem;Threads::Threads;${CMAKE_DL_LIBS}")
endif()

unset(_mproc_prefix)
