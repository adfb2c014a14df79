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
SWIFT=${SWIFT:-swift}
. Compat/libwebsockets-build.sh
scratch="$PWD/.build-compat/bench-$name"
echo "== benchmark build against libwebsockets $name"
# The C programs link `-lwebsockets` themselves: point their headers and library search there too.
(cd Benchmarks && $SWIFT build -c release --scratch-path "$scratch" \
    -Xcc -I"$prefix/include" -Xlinker -L"$prefix/lib" -Xlinker -rpath -Xlinker "$prefix/lib")
require_built_libwebsockets "$scratch"/release/{kstlib-bench,c-baseline-client,c-push-server}
echo "== kstlib-bench run $* (libwebsockets $name)"
"$scratch/release/kstlib-bench" run "$@"
