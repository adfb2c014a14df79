#!/usr/bin/env bash
# `make compat`: the whole test suite and the quick conformance run against one libwebsockets
# built from a source tarball, in folders of its own (the system libwebsockets is not touched).
#
#   Compat/run.sh TARBALL [Release|None]
#
# The build goes to .build-compat/lws-<version>-<type>/ and the Swift build to
# .build-compat/swift-<version>-<type>/; the binaries carry an rpath to that libwebsockets, and
# the script checks that they load it before running anything.
set -euo pipefail
cd "$(dirname "$0")/.."
tarball=${1:?usage: Compat/run.sh TARBALL [Release|None]}
build_type=${2:-Release}
version=$(basename "$tarball" .tar.gz | sed 's/^libwebsockets-//')
name="$version-$build_type"
prefix="$PWD/.build-compat/lws-$name"
scratch="$PWD/.build-compat/swift-$name"
SWIFT=${SWIFT:-swift}

Compat/build-libwebsockets.sh "$tarball" "$build_type" "$prefix"
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
link=(-Xlinker -rpath -Xlinker "$prefix/lib")
echo "== swift build against libwebsockets $name"
$SWIFT build --build-tests --scratch-path "$scratch" "${link[@]}"
bin="$scratch/debug"
loaded=$(ldd "$bin/echo-client" | awk '/libwebsockets/ {print $3}')
case "$loaded" in
    "$prefix"/lib/*) echo "echo-client loads $loaded" ;;
    *) echo "echo-client loads '$loaded', not the libwebsockets in $prefix" >&2; exit 1 ;;
esac
echo "== make test against libwebsockets $name"
$SWIFT test --skip-build --no-parallel --scratch-path "$scratch" "${link[@]}"
echo "== conformance (quick) against libwebsockets $name"
"$bin/echo-client" --runtime
replies=$("$bin/echo-client" --runtime | sed -n 's/^pingReplies=//p')
python3 Conformance/fuzzingserver.py --client "$bin/echo-client" --quick --ping-replies "$replies"
echo "== libwebsockets $name: tests and quick conformance passed"
