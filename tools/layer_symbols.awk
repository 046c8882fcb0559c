# The symbol checks of tools/check_layers.sh, over `nm -A` of the built objects,
# then a line "@@demangled@@", then `nm -A -C --defined-only` of the same objects.
# Variables: root (the objects' folder, with a trailing /), ranks ("layer=rank ...")
# and classes (a file of "class layer" lines: where each class is defined).
# Prints "source|reason" for each violation, symbols mangled (pipe through c++filt):
#  - an object uses a symbol that only objects of higher (or same-rank) layers define;
#  - an object defines a member of a class that another layer defines (the class's
#    header promises what only a higher layer can keep, as Context::Pool did).

BEGIN {
    n = split(ranks, pairs, " ")
    for (i = 1; i <= n; i++) {
        split(pairs[i], kv, "=")
        rank[kv[1]] = kv[2]
    }
    while ((getline entry < classes) > 0) {
        split(entry, cl, " ")
        if (index(class_layers[cl[1]], " " cl[2] " ") == 0)
            class_layers[cl[1]] = class_layers[cl[1]] " " cl[2] " "
    }
}

# The object's path under root, and the source it was built from.
function object_of(field,   path) {
    path = field
    sub(/:.*$/, "", path)
    sub("^" root, "", path)
    return path
}
function layer_of(object) { return substr(object, 1, index(object, "/") - 1) }
function source_of(object) { sub(/\.o$/, ".cpp", object); return "lib/" object }

# " api  pool " -> "s api, pool" (for "layer" + it).
function listed(layers) {
    gsub(/  +/, ", ", layers)
    sub(/^ /, "", layers)
    sub(/ $/, "", layers)
    return (layers ~ /,/ ? "s " : " ") layers
}

function may_use(from, to) { return from == to || rank[to] < rank[from] }

# The class a demangled symbol is a member of ("" for a free function).
function class_of(name,   s, depth, i, c, count, parts) {
    s = name
    sub(/( const| volatile| &| &&)+$/, "", s)
    if (substr(s, length(s)) == ")") {
        depth = 0
        for (i = length(s); i > 0; i--) {
            c = substr(s, i, 1)
            if (c == ")") depth++
            else if (c == "(" && --depth == 0) break
        }
        s = substr(s, 1, i - 1)
    }
    gsub(/\[abi:[a-z0-9]+\]/, "", s)
    sub(/operator.*$/, "operator", s)
    while (gsub(/<[^<>]*>/, "", s)) {}
    sub(/^.* /, "", s)                      # the return type of a template
    count = split(s, parts, "::")
    return count >= 2 ? parts[count - 1] : ""
}

$0 == "@@demangled@@" { demangled = 1; next }

!demangled {
    object = object_of($1)
    type = $(NF - 1)
    symbol = $NF
    if (type == "U") {
        uses[object, symbol] = 1
    } else if (type ~ /^[A-TV-Zui]$/) {
        if (index(defining_layers[symbol], " " layer_of(object) " ") == 0)
            defining_layers[symbol] = defining_layers[symbol] " " layer_of(object) " "
        if (!(symbol in first_definer)) first_definer[symbol] = object
    }
    next
}

# Demangled definitions: "path:address T name with spaces".
$2 ~ /^[TDBR]$/ {
    object = object_of($1)
    name = $0
    sub(/^[^ ]+ [TDBR] /, "", name)
    if (name !~ /^mproc::/ || name ~ / for |\{lambda|\(anonymous namespace\)/) next
    cls = class_of(name)
    if (cls == "" || !(cls in class_layers)) next
    layer = layer_of(object)
    if (index(class_layers[cls], " " layer " ") == 0)
        printf "%s|defines %s, a member of class %s of layer%s: a class's members live in its own layer\n",
            source_of(object), name, cls, listed(class_layers[cls])
}

END {
    for (key in uses) {
        split(key, parts, SUBSEP)
        object = parts[1]
        symbol = parts[2]
        if (!(symbol in defining_layers)) continue    # the C++ runtime, Boost, libc
        from = layer_of(object)
        allowed = 0
        count = split(defining_layers[symbol], layers, " ")
        for (i = 1; i <= count; i++)
            if (layers[i] != "" && may_use(from, layers[i])) allowed = 1
        if (!allowed)
            printf "%s|%s uses %s, which only layer%s defines (%s): runs up or sideways\n",
                source_of(object), from, symbol, listed(defining_layers[symbol]), source_of(first_definer[symbol])
    }
}
