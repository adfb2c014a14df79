#!/usr/bin/env bash
# Builds one libwebsockets source tarball into a folder of its own (never over the system
# package), with the configure flags that match a distribution (`None`, as Debian and Ubuntu
# build it: INFO logs and asserts compiled in) or a CMake `Release` (upstream's default and
# Homebrew's: -DNDEBUG, no INFO logs, no asserts).
#
#   Compat/build-libwebsockets.sh TARBALL BUILD_TYPE PREFIX
#
# Skips the build when PREFIX already holds a finished install of the same tarball and type.
set -euo pipefail
tarball=$(realpath "$1"); build_type=$2; prefix=$3
stamp="$prefix/.built-from"
want="$(sha256sum "$tarball" | cut -c1-64) $build_type"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "libwebsockets already built in $prefix"; exit 0
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
src=$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)
extra=()
case "$(basename "$tarball")" in
    libwebsockets-4.0.*) extra+=(-DCMAKE_C_FLAGS=-Wno-error=deprecated-declarations) ;;
    libwebsockets-5.*) extra+=(-DLWS_WITH_HTTP3=OFF) ;;   # HTTP/3 switches to GnuTLS
esac
mkdir -p "$src/build" "$prefix"
( cd "$src/build" && cmake .. -DCMAKE_BUILD_TYPE="$build_type" \
    -DLWS_WITH_SSL=ON -DLWS_WITHOUT_EXTENSIONS=OFF -DLWS_WITH_HTTP2=ON -DLWS_IPV6=ON \
    -DLWS_WITHOUT_TESTAPPS=ON -DLWS_WITH_MINIMAL_EXAMPLES=OFF \
    -DLWS_WITHOUT_TEST_SERVER=ON -DLWS_WITHOUT_TEST_CLIENT=ON \
    -DCMAKE_INSTALL_PREFIX="$prefix" "${extra[@]}" >"$work/configure.log" 2>&1 \
    || { cat "$work/configure.log"; exit 1; }
  make -j"$(nproc)" >"$work/make.log" 2>&1 || { tail -50 "$work/make.log"; exit 1; }
  make install >/dev/null )
echo "$want" >"$stamp"
echo "libwebsockets $(basename "$tarball") ($build_type) installed in $prefix"
