#!/usr/bin/env bash
# `make compat-bench`: the benchmarks against one libwebsockets built from a source tarball, so
# the figures of libwebsockets 4.5 and 5.0 (whose client parses payloads a block at a time) can
# be set beside the system's. Both clients and both servers load that libwebsockets.
#
#   Compat/bench.sh TARBALL [Release|None] [kstlib-bench run options...]
#
# libwebsockets goes to .build-compat/lws-<version>-<type>/ (shared with Compat/run.sh) and the
# benchmark build to .build-compat/bench-<version>-<type>/.
set -euo pipefail
cd "$(dirname "$0")/.."
tarball=${1:?usage: Compat/bench.sh TARBALL [Release|None] [run options...]}
build_type=${2:-Release}
shift $(( $# >= 2 ? 2 : 1 ))
version=$(basename "$tarball" .tar.gz | sed 's/^libwebsockets-//')
name="$version-$build_type"
prefix="$PWD/.build-compat/lws-$name"
scratch="$PWD/.build-compat/bench-$name"
SWIFT=${SWIFT:-swift}

Compat/build-libwebsockets.sh "$tarball" "$build_type" "$prefix"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
echo "== benchmark build against libwebsockets $name"
# The C programs link `-lwebsockets` themselves: point their headers and library search there too.
(cd Benchmarks && $SWIFT build -c release --scratch-path "$scratch" \
    -Xcc -I"$prefix/include" -Xlinker -L"$prefix/lib" -Xlinker -rpath -Xlinker "$prefix/lib")
for program in kstlib-bench c-baseline-client c-push-server; do
    loaded=$(ldd "$scratch/release/$program" | awk '/libwebsockets/ {print $3}')
    case "$loaded" in
        "$prefix"/lib/*) ;;
        *) echo "$program loads '$loaded', not the libwebsockets in $prefix" >&2; exit 1 ;;
    esac
done
echo "== kstlib-bench run $* (libwebsockets $name)"
"$scratch/release/kstlib-bench" run "$@"
