#include "pool/remote_exception.hpp"

#include "pool/exception_registry.hpp"
#include "pool/protocol.hpp"

#include <mproc/detail/pool/codec.hpp>
#include <mproc/detail/codec/type_name.hpp>

#include <any>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <future>
#include <ios>
#include <memory>
#include <new>
#include <optional>
#include <regex>
#include <system_error>
#include <typeinfo>
#include <variant>

namespace mproc::detail::pool {

namespace {

// What the parent needs to build a standard exception again.
struct details {
    std::string what;
    std::int32_t code = 0;
    std::string category;
    std::string path1, path2;

    std::error_code error_code() const;
};

// A code whose category this process cannot name (neither generic, system,
// iostream nor future): its value is kept, its text is in what().
class foreign_category final : public std::error_category {
public:
    const char* name() const noexcept override { return "foreign"; }
    std::string message(int value) const override {
        return "error " + std::to_string(value) + " of a category from another process";
    }
};

const std::error_category& category_named(const std::string& name) {
    for (const std::error_category* c :
         {&std::generic_category(), &std::system_category(), &std::iostream_category(), &std::future_category()})
        if (name == c->name()) return *c;
    static const foreign_category foreign;
    return foreign;
}

std::error_code details::error_code() const { return {code, category_named(category)}; }

// The argument a system_error was built with: its what() less the
// ": <code's message>" the constructor appended.
std::string what_argument(const std::string& what, const std::error_code& ec) {
    const std::string suffix = ": " + ec.message();
    return what.ends_with(suffix) ? what.substr(0, what.size() - suffix.size()) : what;
}

template <class T>
std::exception_ptr from_what(const details& d) {
    return rebuild_exception<T>(d.what, d.what);
}

template <class T>
std::exception_ptr without_argument(const details& d) {
    return rebuild_exception<T>(d.what);
}

std::exception_ptr system_error(const details& d) {
    const std::error_code ec = d.error_code();
    if (d.what == ec.message()) return rebuild_exception<std::system_error>(d.what, ec);
    return rebuild_exception<std::system_error>(d.what, ec, what_argument(d.what, ec));
}

std::exception_ptr ios_failure(const details& d) {
    const std::error_code ec = d.error_code();
    return rebuild_exception<std::ios_base::failure>(d.what, what_argument(d.what, ec), ec);
}

std::exception_ptr filesystem_error(const details& d) {
    // Its what() is composed from the paths: kept as it was.
    return std::make_exception_ptr(rebuilt_exception<std::filesystem::filesystem_error>(
        d.what, d.what, std::filesystem::path(d.path1), std::filesystem::path(d.path2), d.error_code()));
}

std::exception_ptr future_error(const details& d) {
    return rebuild_exception<std::future_error>(d.what, static_cast<std::future_errc>(d.code));
}

std::exception_ptr regex_error(const details& d) {
    return rebuild_exception<std::regex_error>(d.what, static_cast<std::regex_constants::error_type>(d.code));
}

struct standard_type {
    const char* name;
    bool (*is)(const std::exception_ptr&);
    std::exception_ptr (*rebuild)(const details&);
};

// Every standard exception type, each before its bases: the first a task's
// exception is, is its nearest standard type.
const standard_type standard_types[] = {
    {"std::filesystem::filesystem_error", exception_is<std::filesystem::filesystem_error>, filesystem_error},
    {"std::ios_base::failure", exception_is<std::ios_base::failure>, ios_failure},
    {"std::system_error", exception_is<std::system_error>, system_error},
    {"std::regex_error", exception_is<std::regex_error>, regex_error},
    {"std::range_error", exception_is<std::range_error>, from_what<std::range_error>},
    {"std::overflow_error", exception_is<std::overflow_error>, from_what<std::overflow_error>},
    {"std::underflow_error", exception_is<std::underflow_error>, from_what<std::underflow_error>},
    {"std::runtime_error", exception_is<std::runtime_error>, from_what<std::runtime_error>},
    {"std::future_error", exception_is<std::future_error>, future_error},
    {"std::invalid_argument", exception_is<std::invalid_argument>, from_what<std::invalid_argument>},
    {"std::domain_error", exception_is<std::domain_error>, from_what<std::domain_error>},
    {"std::length_error", exception_is<std::length_error>, from_what<std::length_error>},
    {"std::out_of_range", exception_is<std::out_of_range>, from_what<std::out_of_range>},
    {"std::logic_error", exception_is<std::logic_error>, from_what<std::logic_error>},
    {"std::bad_array_new_length", exception_is<std::bad_array_new_length>, without_argument<std::bad_array_new_length>},
    {"std::bad_alloc", exception_is<std::bad_alloc>, without_argument<std::bad_alloc>},
    {"std::bad_any_cast", exception_is<std::bad_any_cast>, without_argument<std::bad_any_cast>},
    {"std::bad_cast", exception_is<std::bad_cast>, without_argument<std::bad_cast>},
    {"std::bad_typeid", exception_is<std::bad_typeid>, without_argument<std::bad_typeid>},
    {"std::bad_optional_access", exception_is<std::bad_optional_access>, without_argument<std::bad_optional_access>},
    {"std::bad_variant_access", exception_is<std::bad_variant_access>, without_argument<std::bad_variant_access>},
    {"std::bad_weak_ptr", exception_is<std::bad_weak_ptr>, without_argument<std::bad_weak_ptr>},
    {"std::bad_function_call", exception_is<std::bad_function_call>, without_argument<std::bad_function_call>},
    {"std::bad_exception", exception_is<std::bad_exception>, without_argument<std::bad_exception>},
    {"std::exception", exception_is<std::exception>, without_argument<std::exception>},
};

const standard_type* standard_type_of(const std::exception_ptr& e) {
    for (const standard_type& t : standard_types)
        if (t.is(e)) return &t;
    return nullptr;
}

const standard_type* standard_type_named(std::string_view name) {
    for (const standard_type& t : standard_types)
        if (name == t.name) return &t;
    return nullptr;
}

void put_code(details& d, const std::error_code& ec) {
    d.code = ec.value();
    d.category = ec.category().name();
}

// The code (and paths) of the exception types that carry one.
void read_details(const std::exception_ptr& e, details& d) {
    try {
        std::rethrow_exception(e);
    } catch (const std::filesystem::filesystem_error& x) {
        put_code(d, x.code());
        d.path1 = x.path1().string();
        d.path2 = x.path2().string();
    } catch (const std::system_error& x) {  // and ios_base::failure
        put_code(d, x.code());
    } catch (const std::future_error& x) {
        put_code(d, x.code());
    } catch (const std::regex_error& x) {
        d.code = static_cast<std::int32_t>(x.code());
    } catch (...) {
    }
}

// "a"/"an" and the name: "an int", "a std::string".
std::string with_article(const std::string& name) {
    const bool vowel = !name.empty() && std::string_view("aeiouAEIOU").find(name[0]) != std::string_view::npos;
    return (vowel ? "an " : "a ") + name;
}

std::string in_quotes(std::string_view s) {
    constexpr std::size_t limit = 200;
    std::string out = "\"";
    out.append(s.substr(0, limit));
    if (s.size() > limit) out += "...";
    return out + "\"";
}

template <class T>
std::string number(const char* format, T v) {
    char text[64];
    std::snprintf(text, sizeof text, format, v);
    return text;
}

// What a value that is no std::exception was, for RemoteError::what():
// "an int (42)", "a std::string ("no such row")", "a Point".
std::string thrown_value(const std::exception_ptr& e, const std::string& type) {
    try {
        std::rethrow_exception(e);
    } catch (bool v) {
        return std::string("a bool (") + (v ? "true" : "false") + ")";
    } catch (char v) {
        return "a char ('" + std::string(1, v) + "')";
    } catch (int v) {
        return "an int (" + std::to_string(v) + ")";
    } catch (long v) {
        return "a long (" + std::to_string(v) + ")";
    } catch (long long v) {
        return "a long long (" + std::to_string(v) + ")";
    } catch (unsigned v) {
        return "an unsigned int (" + std::to_string(v) + ")";
    } catch (unsigned long v) {
        return "an unsigned long (" + std::to_string(v) + ")";
    } catch (unsigned long long v) {
        return "an unsigned long long (" + std::to_string(v) + ")";
    } catch (double v) {
        return "a double (" + number("%g", v) + ")";
    } catch (float v) {
        return "a float (" + number("%g", static_cast<double>(v)) + ")";
    } catch (const char* v) {
        return "a C string (" + (v ? in_quotes(v) : std::string("null")) + ")";
    } catch (const std::string& v) {
        return "a std::string (" + in_quotes(v) + ")";
    } catch (...) {
    }
    return with_article(type);
}

}  // namespace

void put_current_exception(std::string& out) {
    const exception_description description = describe_current_exception();
    const std::exception_ptr e = std::current_exception();
    std::string original;
    const standard_type* standard = standard_type_of(e);
    original.push_back(standard ? 1 : 0);
    protocol::put_text(original, standard ? std::string() : thrown_value(e, description.type));
    protocol::put_text(original, standard ? registered_type_of(e) : std::string());
    protocol::put_text(original, standard ? standard->name : "");
    details d;
    if (standard) read_details(e, d);
    put_u32(original, static_cast<std::uint32_t>(d.code));
    protocol::put_text(original, d.category);
    protocol::put_text(original, d.path1);
    protocol::put_text(original, d.path2);

    protocol::put_text(out, description.type);
    protocol::put_text(out, description.what);
    protocol::put_text(out, original);
}

RemoteError remote_error(std::string_view failure, pid_t pid, bool result_not_sent) {
    reader in(failure);
    detail::remote_error_parts parts;
    parts.type_name = std::string(protocol::get_text(in));
    parts.message = std::string(protocol::get_text(in));
    parts.pid = pid;
    if (result_not_sent) {
        parts.message = "the task's result could not be sent back: " + parts.message;
        parts.what = remote_error_what(parts.type_name, parts.message, pid);
        return RemoteError(std::move(parts));
    }
    reader original(protocol::get_text(in));
    const bool is_std_exception = original.fixed<char>() != 0;
    const std::string value(protocol::get_text(original));
    const std::string registered(protocol::get_text(original));
    const std::string_view standard = protocol::get_text(original);
    details d;
    d.what = parts.message;
    d.code = static_cast<std::int32_t>(original.u32());
    d.category = std::string(protocol::get_text(original));
    d.path1 = std::string(protocol::get_text(original));
    d.path2 = std::string(protocol::get_text(original));
    if (!is_std_exception) {
        parts.what = "a task in process " + std::to_string(pid) + " threw " + value;
        return RemoteError(std::move(parts));
    }
    parts.what = remote_error_what(parts.type_name, parts.message, pid);
    if (!registered.empty()) parts.original = rebuild_registered(registered, d.what);
    if (!parts.original) {
        if (const standard_type* t = standard_type_named(standard)) {
            try {
                parts.original = t->rebuild(d);
            } catch (...) {  // out of memory: the RemoteError alone
            }
        }
    }
    return RemoteError(std::move(parts));
}

}  // namespace mproc::detail::pool
