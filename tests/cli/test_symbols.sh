#!/bin/sh
# Only pkh_ names are exported by the shared library; the static library defines nothing
# outside the pkh_ / pkh__ namespaces.
set -u
: "${PKH_LIB:?}"
STATIC="$(dirname "$PKH_LIB")/libpkh.a"
bad=$(nm -D --defined-only "$PKH_LIB" | awk '$2 ~ /[TDBRVW]/ { print $3 }' \
      | grep -v '^pkh_' | grep -Ev '^(_init|_fini|_edata|_end|__bss_start)$' || true)
if [ -n "$bad" ]; then
    echo "exported symbols without the pkh_ prefix:"; echo "$bad"; exit 1
fi
n=$(nm -D --defined-only "$PKH_LIB" | grep -c ' T pkh_')
echo "ok   $n exported functions, all pkh_"
bad=$(nm -g --defined-only "$STATIC" 2>/dev/null | awk 'NF == 3 { print $3 }' | grep -v '^pkh_' || true)
if [ -n "$bad" ]; then
    echo "global symbols in libpkh.a outside pkh_/pkh__:"; echo "$bad"; exit 1
fi
echo "ok   static library globals are all pkh_ or pkh__"
