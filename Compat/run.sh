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
SWIFT=${SWIFT:-swift}
. Compat/libwebsockets-build.sh
scratch="$PWD/.build-compat/swift-$name"
link=(-Xlinker -rpath -Xlinker "$prefix/lib")
echo "== swift build against libwebsockets $name"
$SWIFT build --build-tests --scratch-path "$scratch" "${link[@]}"
bin="$scratch/debug"
require_built_libwebsockets "$bin/echo-client"
echo "== make test against libwebsockets $name"
$SWIFT test --skip-build --no-parallel --scratch-path "$scratch" "${link[@]}"
echo "== conformance (quick) against libwebsockets $name"
"$bin/echo-client" --runtime
replies=$("$bin/echo-client" --runtime | sed -n 's/^pingReplies=//p')
python3 Conformance/fuzzingserver.py --client "$bin/echo-client" --quick --ping-replies "$replies"
echo "== libwebsockets $name: tests and quick conformance passed"
