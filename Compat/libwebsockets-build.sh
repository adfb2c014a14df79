# Sourced by Compat/run.sh and Compat/bench.sh with `tarball` and `build_type` set: builds that
# libwebsockets once into .build-compat/lws-<version>-<type>/, points pkg-config at it, and sets
# `name` (<version>-<type>) and `prefix`.
version=$(basename "$tarball" .tar.gz | sed 's/^libwebsockets-//')
name="$version-$build_type"
prefix="$PWD/.build-compat/lws-$name"
Compat/build-libwebsockets.sh "$tarball" "$build_type" "$prefix"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"

# Fails unless each program given loads the libwebsockets in $prefix, not the system's.
require_built_libwebsockets() {
    local program loaded
    for program in "$@"; do
        loaded=$(ldd "$program" | awk '/libwebsockets/ {print $3}')
        case "$loaded" in
            "$prefix"/lib/*) echo "$(basename "$program") loads $loaded" ;;
            *) echo "$(basename "$program") loads '$loaded', not the libwebsockets in $prefix" >&2; exit 1 ;;
        esac
    done
}
