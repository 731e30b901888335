#!/bin/sh
# pkh indicators from the command line: values against awk, lines of every kind, filters,
# formats and errors.
set -u
: "${PKH:?}" "${PKH_SOURCE_DIR:?}"
S="$PKH_SOURCE_DIR/examples/data/sample-households.csv"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { printf 'ok   %s\n' "$1"; }
no() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else no "$1"; fi; }
col() { awk -F, -v name="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) print i }' "$1"; }
# estimate of an indicator (and optional group) from CSV results
est() { awk -F, -v ind="$2" -v grp="${3:-}" 'NR > 1 && $(NF-6) == ind && (grp == "" && NF == 7 || $1 == grp) { print $(NF-5) }' "$1"; }
close() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; exit !(d <= 1e-9 * m + 1e-12) }'; }

# -- headcount, mean and population against awk, person-weighted
I=$(col "$S" pcexp); W=$(col "$S" weight); N=$(col "$S" hhsize); Z=$(col "$S" povline)
set -- $(awk -F, -v i="$I" -v w="$W" -v n="$N" -v z="$Z" 'NR > 1 { p = $w * $n; P += p; Y += p * $i; if ($i < $z) Q += p }
          END { printf "%.17g %.17g %.17g", Q / P, Y / P, P }' "$S")
want_fgt0=$1 want_mean=$2 want_pop=$3
"$PKH" indicators "$S" --income pcexp --weight weight --size hhsize --line povline --format csv > "$T/a.csv"; rc=$?
check "exits 0" '[ $rc -eq 0 ]'
check "fgt0 = awk ($want_fgt0)" 'close "$(est "$T/a.csv" fgt0)" "$want_fgt0"'
check "mean = awk" 'close "$(est "$T/a.csv" mean)" "$want_mean"'
check "population = awk" 'close "$(est "$T/a.csv" population)" "$want_pop"'
check "default set: fgt0 fgt1 fgt2 poor gini mean median population" '[ "$(cut -d, -f1 "$T/a.csv" | tail -n +2 | tr "\n" " ")" = "fgt0 fgt1 fgt2 poor gini mean median population " ]'

# -- the same lines from a lookup table keyed by province and urban
P=$(col "$S" province); U=$(col "$S" urban)
{ echo "province,urban,line"; awk -F, -v p="$P" -v u="$U" -v z="$Z" 'NR > 1 { print $p "," $u "," $z }' "$S" | sort -u; } > "$T/lines.csv"
"$PKH" indicators "$S" --income pcexp --weight weight --size hhsize --lines "$T/lines.csv" --line-keys province,urban --format csv > "$T/b.csv"
check "--lines lookup equals the line column" 'cmp -s "$T/a.csv" "$T/b.csv"'
head -3 "$T/lines.csv" > "$T/few.csv"
"$PKH" indicators "$S" --income pcexp --lines "$T/few.csv" --line-keys province,urban 2> "$T/err"; rc=$?
check "a key without a line exits 1 and names it" '[ $rc -eq 1 ] && grep -q "the lines table has no line for province=" "$T/err"'

# -- groups: sorted, total first
"$PKH" indicators "$S" --income pcexp --weight weight --size hhsize --line povline --by urban --indicators fgt0 --format csv > "$T/g.csv"
check "by urban: total, 0, 1" '[ "$(cut -d, -f1 "$T/g.csv" | tr "\n" " ")" = "urban  0 1 " ]'
"$PKH" indicators "$S" --income pcexp --weight weight --size hhsize --line povline --filter "urban == 1" --indicators fgt0 --format csv > "$T/f.csv"
check "--filter urban == 1 equals the urban group" '[ "$(est "$T/f.csv" fgt0)" = "$(awk -F, "\$1 == 1 { print \$3 }" "$T/g.csv")" ]'
"$PKH" indicators "$S" --income pc2 --define "pc2 = pcexp * 2" --define "z2=povline*2" --line z2 --weight weight --size hhsize --indicators fgt0 --format csv > "$T/d.csv"
check "--define: doubling income and line keeps fgt0" '[ "$(est "$T/d.csv" fgt0)" = "$(est "$T/a.csv" fgt0)" ]'
"$PKH" indicators "$S" --income pcexp --weight weight --size hhsize --line rel:0.6:median --indicators line,median --format csv > "$T/r.csv"
check "rel:0.6:median is 0.6 x the median" 'close "$(est "$T/r.csv" line)" "$(awk -v m="$(est "$T/r.csv" median)" "BEGIN { printf \"%.17g\", 0.6 * m }")"'

# -- formats
"$PKH" indicators "$S" --income pcexp --weight weight --line povline --by urban --format json > "$T/o.json"
check "json has meta.quantile_rule and results" 'grep -q "\"quantile_rule\": \"gt\"" "$T/o.json" && grep -q "\"results\"" "$T/o.json"'
check "json total row has a null group" 'grep -q "{\"urban\": null, \"indicator\": \"fgt0\"" "$T/o.json"'
"$PKH" indicators "$S" --income pcexp --weight weight --line 500000.1 --se linearized --format json > "$T/r.json"
check "json meta reals in their shortest form, still reals" 'grep -q "\"line\": 500000.1,$" "$T/r.json" && grep -q "\"level\": 0.95,$" "$T/r.json" && ! grep -q "0000000000[0-9]" "$T/r.json"'
"$PKH" indicators "$S" --income pcexp --weight weight --line 500000 --se none --format json > "$T/i.json"
check "json meta: a whole-number line stays a real" 'grep -q "\"line\": 500000.0,$" "$T/i.json"'
"$PKH" indicators "$S" --income pcexp --line povline --by province --se none --format table > "$T/o.txt"
check "table: one line per group, indicators as columns" 'head -2 "$T/o.txt" | tail -1 | grep -q "province  *fgt0  *fgt1"'

# -- errors
"$PKH" indicators "$S" --income nope 2> "$T/err"; rc=$?
check "unknown column: exit 1, lists the columns" '[ $rc -eq 1 ] && grep -q "no column \"nope\" in the header" "$T/err"'
"$PKH" indicators "$S" --income pcexp --indicators fgt0 2> "$T/err"; rc=$?
check "poverty measure without a line: exit 1" '[ $rc -eq 1 ] && grep -q "fgt0 needs a poverty line" "$T/err"'
"$PKH" indicators "$S" --income pcexp --indicators ginni 2> "$T/err"; rc=$?
check "unknown indicator: exit 1, lists the names" '[ $rc -eq 1 ] && grep -q "unknown indicator \"ginni\"; the indicators are:" "$T/err"'
"$PKH" indicators "$S" --income province 2> "$T/err"; rc=$?
check "a text income column: exit 1" '[ $rc -eq 1 ] && grep -q "holds text, not numbers" "$T/err"'
"$PKH" indicators "$S" --income pcexp --line rel:0.6:mode 2> "$T/err"; rc=$?
check "a malformed relative line: exit 1" '[ $rc -eq 1 ] && grep -q "rel:F:median" "$T/err"'
"$PKH" indicators "$S" 2> "$T/err"; rc=$?
check "no --income: usage error 2" '[ $rc -eq 2 ] && grep -q "income COL is required" "$T/err"'
"$PKH" indicators "$S" --income pcexp --filter "urban = 1" 2> "$T/err"; rc=$?
check "a malformed filter: exit 1 with the position" '[ $rc -eq 1 ] && grep -q "in expression" "$T/err"'
"$PKH" indicators --help > "$T/help"
check "--help explains the options" 'for o in --income --weight --size --line --lines --line-keys --by --no-total --line-by-group --indicators --filter --define --format --output --quantile-rule; do grep -q -- "$o" "$T/help" || exit 1; done'

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
