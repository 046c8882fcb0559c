# Finds functions declared by hand in .cpp files (for tools/check_layers.sh): a
# declaration at namespace scope of a function that the same file does not
# define. Prints "file:line|reason" for each.
#
# Reads C++ a statement at a time, tracking braces: a `{` opened by `namespace`
# or `extern "C"` keeps namespace scope, any other opens a body. Comments, string
# and character literals and preprocessor lines are dropped first.

function report_file(   name) {
    for (name in declared)
        if (!(name in defined))
            printf "%s:%d|declares %s(), which another file defines: include its header instead\n",
                file, declared[name], name
    delete declared
    delete defined
}

function at_namespace_scope(   i) {
    for (i = 1; i <= depth; i++)
        if (kind[i] != "n") return 0
    return 1
}

# The name before the first "(" of a statement, if it declares a function.
function declared_name(stmt,   head) {
    gsub(/[ \t]+/, " ", stmt)
    sub(/^ /, "", stmt)
    if (stmt !~ /\(/) return ""
    if (stmt ~ /^(using|typedef|static_assert|namespace|friend|class|struct|union|enum|extern template|template (class|struct))[ (<]/) return ""
    if (stmt ~ /^template [^<]/) return ""            # an explicit instantiation
    head = substr(stmt, 1, index(stmt, "(") - 1)
    if (head ~ /=/ || head ~ /operator/) return ""       # a variable, or an operator
    sub(/^template ?<.*> ?/, "", head)
    sub(/ +$/, "", head)
    if (head !~ /[A-Za-z0-9_>*&] +[*&]*[A-Za-z_][A-Za-z0-9_:]*$/) return ""   # needs a type, then a name
    sub(/^.*[ *&]/, "", head)
    sub(/^.*::/, "", head)
    return head
}

FNR == 1 {
    if (file != "") report_file()
    file = FILENAME
    depth = 0
    stmt = ""
    in_comment = 0
}

{
    line = $0
    # Block comments, possibly over several lines.
    if (in_comment) {
        if (!sub(/^.*\*\//, "", line)) next
        in_comment = 0
    }
    gsub(/\/\*([^*]|\*+[^*\/])*\*+\//, " ", line)
    if (sub(/\/\*.*$/, "", line)) in_comment = 1
    sub(/\/\/.*$/, "", line)
    if (line ~ /^[ \t]*#/) next
    gsub(/"([^"\\]|\\.)*"/, "\"\"", line)
    gsub(/'([^'\\]|\\.)*'/, "''", line)

    n = length(line)
    for (i = 1; i <= n; i++) {
        c = substr(line, i, 1)
        if (c == "{") {
            if (stmt ~ /(^|[^A-Za-z0-9_])namespace([ \t]+[A-Za-z0-9_:]*)?[ \t]*$/ || stmt ~ /extern[ \t]*""[ \t]*$/) {
                kind[++depth] = "n"
            } else {
                if (at_namespace_scope() && stmt ~ /\(/) {
                    name = declared_name(stmt)
                    if (name == "" && stmt ~ /\)[^(]*$/) {
                        # A definition the test above refuses (e.g. a member
                        # X::f or a constructor): still record its name.
                        head = substr(stmt, 1, index(stmt, "(") - 1)
                        sub(/[ \t]+$/, "", head)
                        sub(/^.*[ \t*&:]/, "", head)
                        name = head
                    }
                    if (name != "") defined[name] = 1
                }
                kind[++depth] = "o"
            }
            stmt = ""
        } else if (c == "}") {
            if (depth > 0) depth--
            stmt = ""
        } else if (c == ";") {
            if (at_namespace_scope()) {
                name = declared_name(stmt)
                if (name != "" && !(name in declared)) declared[name] = start
            }
            stmt = ""
        } else {
            if (stmt ~ /^[ \t]*$/ && c !~ /[ \t]/) start = FNR
            stmt = stmt c
        }
    }
    stmt = stmt " "
}

END { if (file != "") report_file() }
