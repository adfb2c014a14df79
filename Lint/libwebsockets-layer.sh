#!/usr/bin/env bash
# Every libwebsockets call of the client and the embedded server lives in a folder named
# LibWebSockets (or in the shared runtime, Sources/KstlibLibWebSockets): fails, naming the
# lines, when code elsewhere imports the C modules or names a libwebsockets function, constant
# or type. Comments may name them.
set -euo pipefail
cd "$(dirname "$0")/.."
# Matched against "line-number:code", hence the import's anchor after the number.
pattern='^[0-9]+:[[:space:]]*(@[[:alnum:]_]+[[:space:]]+)?(internal |package |public )?import (CLibWebSockets|CLWSShim)\b|\b(lws_|lwss_|LWS_|LWSS_|WSI_TOKEN)[[:alnum:]_]*'
found=0
while IFS= read -r -d '' file; do
    case "$file" in */LibWebSockets/*) continue ;; esac
    # Code lines only: whole-line comments are skipped, and a trailing comment is cut off.
    hits=$(awk '
        /^[[:space:]]*\/\// { next }
        { line = $0; sub(/[[:space:]]\/\/[[:space:]].*$/, "", line); print FNR ":" line }
    ' "$file" | grep -E "$pattern" || true)
    if [ -n "$hits" ]; then
        found=1
        printf '%s\n' "$hits" | sed "s|^|$file:|"
    fi
done < <(find Sources/KstlibWebSocket Sources/KstlibWebSocketServer -name '*.swift' -print0 | sort -z)
if [ "$found" -ne 0 ]; then
    echo "libwebsockets is called outside the layer named for it (a LibWebSockets folder)" >&2
    exit 1
fi
echo "libwebsockets layer: every call is in a LibWebSockets folder"
