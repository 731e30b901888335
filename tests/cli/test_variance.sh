#!/bin/sh
# pkh indicators with standard errors from the command line: design flags, intervals, design
# effects, contrasts, the bootstrap (determinism), replicate weights, the JSON metadata, and the
# errors (exit 1 with a message naming the column or the stratum).
set -u
: "${PKH:?}" "${PKH_SOURCE_DIR:?}"
S="$PKH_SOURCE_DIR/examples/data/sample-households.csv"
R="$PKH_SOURCE_DIR/tests/data/r"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { printf 'ok   %s\n' "$1"; }
no() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else no "$1"; fi; }
# field NAME of the row with indicator IND (and first column GRP, or the total row) of a CSV
get() { awk -F, -v name="$2" -v ind="$3" -v grp="${4:-}" '
    NR == 1 { for (i = 1; i <= NF; i++) { c[$i] = i }; next }
    $c["indicator"] == ind && (grp == "" ? ($1 == "" || c["indicator"] == 1) : $1 == grp) &&
    ("contrast" in c ? $c["contrast"] == "" : 1) { print $c[name]; exit }' "$1"; }
close() { awk -v a="$1" -v b="$2" -v r="${3:-1e-9}" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b; exit !(d <= r * m + 1e-12) }'; }
D="--income pcexp --weight weight --size hhsize --line povline"

# -- a design: SEs, t intervals, deff, the design in the metadata
"$PKH" indicators "$S" $D --strata strata --psu psu --lonely-psu certainty --by urban --deff --format csv > "$T/a.csv"; rc=$?
check "a design: exits 0" '[ $rc -eq 0 ]'
check "the header has se, ci_low, ci_high, deff" 'head -1 "$T/a.csv" | grep -q "^urban,indicator,estimate,se,ci_low,ci_high,deff,n,population$"'
e=$(get "$T/a.csv" estimate fgt0); se=$(get "$T/a.csv" se fgt0); lo=$(get "$T/a.csv" ci_low fgt0); hi=$(get "$T/a.csv" ci_high fgt0)
check "fgt0 has an SE ($se)" 'awk -v s="$se" "BEGIN { exit !(s > 0 && s < 0.05) }"'
check "the interval is symmetric about the estimate" 'close "$(awk -v e="$e" -v l="$lo" "BEGIN { printf \"%.17g\", e - l }")" "$(awk -v e="$e" -v h="$hi" "BEGIN { printf \"%.17g\", h - e }")" 1e-9'
check "deff of fgt0 is above 1 (a clustered sample)" 'awk -v d="$(get "$T/a.csv" deff fgt0)" "BEGIN { exit !(d > 1) }"'
"$PKH" indicators "$S" $D --strata strata --psu psu --lonely-psu certainty --format json > "$T/a.json"
check "json meta: the design, df = PSUs - strata, level" 'grep -q "\"strata\": \"strata\"" "$T/a.json" && grep -q "\"df\":" "$T/a.json" && grep -q "\"level\": 0.9[45]" "$T/a.json" && grep -q "\"method\": \"linearized\"" "$T/a.json"'
"$PKH" indicators "$S" $D --strata strata --psu psu --lonely-psu certainty --level 0.9 --format csv > "$T/l90.csv"
check "--level 0.9 narrows the interval" 'awk -v a="$(get "$T/l90.csv" ci_low fgt0)" -v b="$lo" "BEGIN { exit !(a > b) }"'
"$PKH" indicators "$S" $D --strata strata --psu psu --lonely-psu certainty --se none --format csv > "$T/n.csv"
check "--se none: no SEs" '[ -z "$(get "$T/n.csv" se fgt0)" ] && [ "$(get "$T/n.csv" estimate fgt0)" = "$e" ]'

# -- decompositions: linearised SEs by default, close to the bootstrap's
"$PKH" indicators "$S" $D --strata strata --psu psu --lonely-psu certainty --by urban --indicators fgt_decomp:0,ge_decomp:0 --format csv > "$T/dl.csv"; rc=$?
"$PKH" indicators "$S" $D --strata strata --psu psu --lonely-psu certainty --by urban --indicators fgt_decomp:0,ge_decomp:0 --se bootstrap:400 --format csv > "$T/db.csv"
check "decompositions: every part has a linearised SE" '[ $rc -eq 0 ] && [ "$(awk -F, "NR > 1 && \$4 == \"\"" "$T/dl.csv" | wc -l)" -eq 0 ]'
for part in pop_share contrib_fgt0 contrib_rel_fgt0; do
    check "decompositions: $part's SE within 25% of the bootstrap's" 'close "$(get "$T/dl.csv" se $part 1)" "$(get "$T/db.csv" se $part 1)" 0.25'
done
for part in mld_within mld_between; do
    check "decompositions: $part's SE within 25% of the bootstrap's" 'close "$(get "$T/dl.csv" se $part)" "$(get "$T/db.csv" se $part)" 0.25'
done

# -- no design: linearised SEs by default, assuming simple random sampling of rows, with a note
"$PKH" indicators "$S" $D --format json > "$T/srs.json"; rc=$?
check "no design: SRS SEs by default, and a note" '[ $rc -eq 0 ] && grep -q "simple random sampling" "$T/srs.json" && grep -q "\"method\": \"linearized\"" "$T/srs.json"'
"$PKH" indicators "$S" $D --format table > "$T/srs.txt"
check "the text table says so too" 'grep -q "simple random sampling" "$T/srs.txt"'

# -- contrasts: urban minus rural
"$PKH" indicators "$S" $D --strata strata --psu psu --lonely-psu certainty --by urban --contrast urban=1-0 --format csv > "$T/c.csv"; rc=$?
check "--contrast: exits 0, a contrast column" '[ $rc -eq 0 ] && head -1 "$T/c.csv" | grep -q "^urban,contrast,indicator"'
d=$(awk -F, '$2 == "urban=1-0" && $3 == "fgt0" { print $4 }' "$T/c.csv")
want=$(awk -v a="$(get "$T/c.csv" estimate fgt0 1)" -v b="$(get "$T/c.csv" estimate fgt0 0)" 'BEGIN { printf "%.17g", a - b }')
check "the contrast is the difference of the two groups ($d)" 'close "$d" "$want" 1e-12'
dse=$(awk -F, '$2 == "urban=1-0" && $3 == "fgt0" { print $5 }' "$T/c.csv")
check "its SE is sqrt(se1^2 + se0^2): strata nest in urban, so the groups are independent" 'close "$dse" "$(awk -v a="$(get "$T/c.csv" se fgt0 1)" -v b="$(get "$T/c.csv" se fgt0 0)" "BEGIN { printf \"%.17g\", sqrt(a * a + b * b) }")" 1e-9'

# -- the bootstrap: the same seed gives the same bytes, whatever the threads
"$PKH" indicators "$S" $D --strata strata --psu psu --lonely-psu certainty --by urban --se bootstrap:200 --seed 7 --threads 1 --format csv > "$T/b1.csv"; rc=$?
"$PKH" indicators "$S" $D --strata strata --psu psu --lonely-psu certainty --by urban --se bootstrap:200 --seed 7 --threads 2 --format csv > "$T/b2.csv"
"$PKH" indicators "$S" $D --strata strata --psu psu --lonely-psu certainty --by urban --se bootstrap:200 --seed 8 --format csv > "$T/b3.csv"
check "bootstrap: exits 0" '[ $rc -eq 0 ]'
check "same seed, 1 or 2 threads: the same bytes" 'cmp -s "$T/b1.csv" "$T/b2.csv"'
check "another seed: other SEs" '! cmp -s "$T/b1.csv" "$T/b3.csv"'
check "bootstrap and linearised SEs of fgt0 within 25% (200 replicates)" 'awk -v a="$(get "$T/b1.csv" se fgt0)" -v b="$se" "BEGIN { r = a / b; exit !(r > 0.75 && r < 1.25) }"'
"$PKH" indicators "$S" $D --strata strata --psu psu --lonely-psu certainty --se bootstrap:200 --seed 7 --ci percentile --format csv > "$T/bp.csv"
check "--ci percentile: an interval from the replicates, around the estimate" 'awk -v l="$(get "$T/bp.csv" ci_low fgt0)" -v h="$(get "$T/bp.csv" ci_high fgt0)" -v e="$e" "BEGIN { exit !(l < e && e < h) }"'
"$PKH" indicators "$S" $D --strata strata --psu psu --lonely-psu certainty --se bootstrap:20 --format json > "$T/b.json"
check "json meta: replicates and seed" 'grep -q "\"replicates\": 20" "$T/b.json" && grep -q "\"seed\": 1" "$T/b.json"'

# -- replicate weights published with the data (survey's JK1 weights of apiclus1)
"$PKH" indicators "$R/apiclus1_jk1.csv" --income api00 --weight pw --indicators mean --repweights repw --reptype jk1 --format csv > "$T/jk.csv"; rc=$?
check "--repweights jk1: R survey's SE of the mean (26.59971372209883)" '[ $rc -eq 0 ] && close "$(get "$T/jk.csv" se mean)" 26.59971372209883 1e-9'

# -- lonely PSUs and other bad designs: exit 1 naming what is wrong
"$PKH" indicators "$R/small_lonely.csv" --income y --weight weight --strata stratum --psu psu 2> "$T/err"; rc=$?
check "a lonely PSU: exit 1 naming the stratum" '[ $rc -eq 1 ] && grep -q "stratum stratum = 3 has a single PSU" "$T/err" && grep -q "lonely-psu" "$T/err"'
"$PKH" indicators "$R/small_lonely.csv" --income y --weight weight --strata stratum --psu psu --lonely-psu adjust --indicators mean --format csv > "$T/adj.csv"; rc=$?
check "--lonely-psu adjust: R survey's SE (0.54715356945544991)" '[ $rc -eq 0 ] && close "$(get "$T/adj.csv" se mean)" 0.54715356945544991 1e-9'
printf 's,p,f,y\na,1,10,1\na,2,10,2\nb,1,5,3\nb,,5,4\n' > "$T/miss.csv"
"$PKH" indicators "$T/miss.csv" --income y --strata s --psu p 2> "$T/err"; rc=$?
check "a missing PSU: exit 1 naming the column and row" '[ $rc -eq 1 ] && grep -q "the design column \"p\" has a missing value at data row 4" "$T/err"'
printf 's,p,f,y\na,1,10,1\na,2,10,2\nb,1,5,3\nb,2,6,4\n' > "$T/fpc.csv"
"$PKH" indicators "$T/fpc.csv" --income y --strata s --psu p --fpc f 2> "$T/err"; rc=$?
check "an fpc that differs within a stratum: exit 1" '[ $rc -eq 1 ] && grep -q "differs within stratum s = \"b\"" "$T/err"'
"$PKH" indicators "$S" $D --se jackknife 2> "$T/err"; rc=$?
check "an unknown --se: exit 1" '[ $rc -eq 1 ] && grep -q "se takes linearized, bootstrap:R" "$T/err"'
"$PKH" indicators "$S" $D --se bootstrap:1 2> "$T/err"; rc=$?
check "bootstrap:1: exit 1" '[ $rc -eq 1 ] && grep -q "R >= 2" "$T/err"'
"$PKH" indicators "$S" $D --level 95 2> "$T/err"; rc=$?
check "--level 95: exit 1 (a fraction)" '[ $rc -eq 1 ] && grep -q "fraction in (0, 1)" "$T/err"'
"$PKH" indicators "$S" $D --se linearized --by urban --contrast province=Aceh-Bali 2> "$T/err"; rc=$?
check "--contrast on a column not in --by: exit 1" '[ $rc -eq 1 ] && grep -q "not one of the --by columns" "$T/err"'
"$PKH" indicators "$S" $D --se linearized --by urban --contrast urban=1-7 2> "$T/err"; rc=$?
check "--contrast with a value that does not occur: exit 1" '[ $rc -eq 1 ] && grep -q "contrast urban=1-7" "$T/err"'
"$PKH" indicators "$S" $D --se replicate 2> "$T/err"; rc=$?
check "--se replicate without --repweights: exit 1" '[ $rc -eq 1 ] && grep -q "needs --repweights" "$T/err"'
"$PKH" indicators "$S" $D --se linearized --ci percentile 2> "$T/err"; rc=$?
check "--ci percentile with linearisation: exit 1" '[ $rc -eq 1 ] && grep -q "percentile intervals come from replicates" "$T/err"'

"$PKH" indicators --help > "$T/help"
check "--help explains every design option" 'for o in --strata --psu --fpc --lonely-psu --se --seed --repweights --reptype --level --ci --quantile-se --deff --contrast; do grep -q -- "$o" "$T/help" || exit 1; done'

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
