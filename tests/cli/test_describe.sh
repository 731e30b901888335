#!/bin/sh
# pkh describe from the command line: values against awk, formats, exit codes, messages.
set -u
: "${PKH:?}" "${PKH_SOURCE_DIR:?}"
SAMPLE="$PKH_SOURCE_DIR/examples/data/sample-households.csv"
BAD="$PKH_SOURCE_DIR/tests/data/csv/bad"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { printf 'ok   %s\n' "$1"; }
no() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else no "$1"; fi; }

# -- values: pcexp count/min/max/mean and distinct provinces, computed independently by awk
"$PKH" describe "$SAMPLE" --format csv > "$T/out.csv"; rc=$?
check "describe exits 0" '[ $rc -eq 0 ]'
want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "pcexp") c = i; next }
                { n++; s += $c; if (n == 1 || $c < mn) mn = $c; if (n == 1 || $c > mx) mx = $c }
                END { printf "%d,0,%s,%.6f,%s", n, mn, s / n, mx }' "$SAMPLE")
got=$(awk -F, '$1 == "pcexp" { printf "%s,%s,%s,%.6f,%s", $3, $4, $5, $6, $7 }' "$T/out.csv")
check "pcexp count,missing,min,mean,max = awk ($want)" '[ "$got" = "$want" ]'
dist=$(awk -F, 'NR > 1 { print $2 }' "$SAMPLE" | sort -u | wc -l)
got=$(awk -F, '$1 == "province" { print $2 "," $8 }' "$T/out.csv")
check "province is a string with $dist distinct values" '[ "$got" = "string,$dist" ]'
check "hhid is int64" 'grep -q "^hhid,int64,3000,0,1,1500.5,3000,$" "$T/out.csv"'

# -- the same through gzip, standard input, column selection, JSON, a table
gzip -c "$SAMPLE" > "$T/s.csv.gz"
"$PKH" describe "$T/s.csv.gz" --format csv > "$T/gz.csv"
check "gzip input gives the same result" 'cmp -s "$T/out.csv" "$T/gz.csv"'
"$PKH" describe - --format csv < "$SAMPLE" > "$T/stdin.csv"
check "standard input gives the same result" 'cmp -s "$T/out.csv" "$T/stdin.csv"'
"$PKH" describe "$SAMPLE" --columns pcexp,hhid --format csv > "$T/cols.csv"
check "--columns keeps the asked order" '[ "$(cut -d, -f1 "$T/cols.csv" | tr "\n" " ")" = "column pcexp hhid " ]'
"$PKH" describe "$SAMPLE" --format json > "$T/out.json"
check "json has meta and results" 'grep -q "\"meta\"" "$T/out.json" && grep -q "\"results\"" "$T/out.json"'
check "json rows are 3000" 'grep -q "\"rows\": 3000" "$T/out.json"'
check "json uses null for a string column's mean" 'grep -q "\"column\": \"province\", \"type\": \"string\", \"count\": 3000, \"missing\": 0, \"min\": null" "$T/out.json"'
"$PKH" describe "$SAMPLE" --format table > "$T/out.txt"
check "table has a title with the row count" 'head -1 "$T/out.txt" | grep -q "3000 rows, 29 columns"'
"$PKH" describe "$SAMPLE" --types hhid:string --format csv > "$T/types.csv"
check "--types forces a string" 'grep -q "^hhid,string,3000,0,,,,3000$" "$T/types.csv"'
"$PKH" describe "$SAMPLE" --output "$T/o.json" --format json
check "--output writes the file" '[ -s "$T/o.json" ] && ! ls "$T" | grep -q tmp'
printf 'a;b\n1,5;2\n' > "$T/dc.csv"
"$PKH" describe "$T/dc.csv" --decimal , --format csv > "$T/dc.out"
check "--decimal , reads 1,5 as 1.5" 'grep -q "^a,float64,1,0,1.5,1.5,1.5,$" "$T/dc.out"'

# -- exit codes and messages
"$PKH" describe "$T/missing.csv" 2> "$T/err"; rc=$?
check "a missing file exits 1" '[ $rc -eq 1 ]'
check "and says which file" 'grep -q "missing.csv: cannot open: No such file or directory" "$T/err"'
"$PKH" describe "$BAD/too_many_fields.csv" 2> "$T/err"; rc=$?
check "a malformed row exits 1 naming line and column" '[ $rc -eq 1 ] && grep -q "too_many_fields.csv:3:3: expected 2 fields" "$T/err"'
"$PKH" describe "$SAMPLE" --columns nope 2> "$T/err"; rc=$?
check "an unknown column exits 1 and lists the columns" '[ $rc -eq 1 ] && grep -q "no column \"nope\" in the header (the columns are: hhid, province" "$T/err"'
"$PKH" describe 2> /dev/null; rc=$?
check "no file is a usage error (2)" '[ $rc -eq 2 ]'
"$PKH" describe "$SAMPLE" --bogus 2> "$T/err"; rc=$?
check "an unknown flag is a usage error (2)" '[ $rc -eq 2 ] && grep -q "pkh describe --help" "$T/err"'
"$PKH" describe "$SAMPLE" --format xml 2> /dev/null; rc=$?
check "a bad --format is a usage error (2)" '[ $rc -eq 2 ]'
"$PKH" frobnicate 2> /dev/null; rc=$?
check "an unknown command exits 2" '[ $rc -eq 2 ]'
"$PKH" describe --help > "$T/help"; rc=$?
check "describe --help exits 0 and explains every option" '[ $rc -eq 0 ] && for o in --delim --decimal --na --columns --types --threads --format --output; do grep -q -- "$o" "$T/help" || exit 1; done'
"$PKH" --help | grep -q describe
check "pkh --help lists describe" '[ $? -eq 0 ]'
"$PKH" --version | grep -q "^pkh [0-9]"
check "pkh --version" '[ $? -eq 0 ]'

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
