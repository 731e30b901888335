#!/bin/sh
# make install, then build a small outside program against the installed library, once with
# find_package(pkh) and once with pkg-config, and run both.
set -eu
: "${PKH_SOURCE_DIR:?}" "${PKH_BINARY_DIR:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
cmake --install "$PKH_BINARY_DIR" --prefix "$T/prefix" > "$T/install.log"
mkdir -p "$T/app"
cat > "$T/app/main.c" <<'C'
#include <pkh/pkh.h>
#include <stdio.h>
#include <string.h>
int main(void)
{
    const char csv[] = "a,b\n1,x\n2,y\n";
    pkh_table *t = NULL;
    pkh_error err;
    if (pkh_csv_read_memory(csv, strlen(csv), NULL, NULL, &t, NULL, &err) != PKH_OK) {
        fprintf(stderr, "%s\n", err.message);
        return 1;
    }
    printf("pkh %s: %lld rows\n", pkh_version_string(), (long long)pkh_table_num_rows(t));
    pkh_table_free(t);
    return 0;
}
C
cat > "$T/app/CMakeLists.txt" <<'C'
cmake_minimum_required(VERSION 3.25)
project(app C)
find_package(pkh REQUIRED)
add_executable(app main.c)
target_link_libraries(app PRIVATE pkh::pkh)
C
cmake -S "$T/app" -B "$T/app/build" -DCMAKE_PREFIX_PATH="$T/prefix" > "$T/app.log"
cmake --build "$T/app/build" >> "$T/app.log"
LD_LIBRARY_PATH="$T/prefix/lib:$T/prefix/lib/$(gcc -print-multiarch 2>/dev/null || true)" \
    "$T/app/build/app" | grep -q "2 rows"
echo "ok   find_package(pkh) builds and runs"
PKG_CONFIG_PATH=$(find "$T/prefix" -name pkh.pc -exec dirname {} \;)
export PKG_CONFIG_PATH
# shellcheck disable=SC2046
cc -o "$T/app2" "$T/app/main.c" $(pkg-config --cflags --libs pkh)
LIBDIR=$(pkg-config --variable=libdir pkh)
LD_LIBRARY_PATH="$LIBDIR" "$T/app2" | grep -q "2 rows"
echo "ok   pkg-config builds and runs"
test -x "$T/prefix/bin/pkh"
echo "ok   the pkh tool is installed"
