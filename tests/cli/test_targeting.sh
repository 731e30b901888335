#!/bin/sh
# pkh targeting from the command line: values against hand computations and R survey, the
# curve file, domains by --by and by --filter, formats, exit codes and messages.
set -u
: "${PKH:?}" "${PKH_SOURCE_DIR:?}"
D="$PKH_SOURCE_DIR/tests/data"
SMALL="$D/targeting/small.csv"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { printf 'ok   %s\n' "$1"; }
no() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else no "$1"; fi; }
# value of column $3 for indicator $2 (whole population: first field empty when --by) in CSV $1
val() { awk -F, -v ind="$2" -v col="$3" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["indicator"] == ind && (!("urban" in c) || $1 == "") { print $c[col]; exit }' "$1"; }
# |a - b| <= tol * max(1, |b|)
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b;
         if (m < 1) m = 1; exit !(a != "" && d <= t * m) }'; }

# -- hand computations (tests/unit/test_targeting.c derives them): small.csv, line 100
"$PKH" targeting "$SMALL" --income y --weight w --size size --recipient rec \
    --benchmark line:100 --format csv > "$T/small.csv"; rc=$?
check "targeting exits 0" '[ $rc -eq 0 ]'
check "coverage_poor = 3/5" 'near "$(val "$T/small.csv" coverage_poor estimate)" 0.6 1e-15'
check "leakage = 4/7 (over recipients)" 'near "$(val "$T/small.csv" leakage estimate)" 0.5714285714285714 1e-15'
check "inclusion_error_nonpoor = 4/11" 'near "$(val "$T/small.csv" inclusion_error_nonpoor estimate)" 0.36363636363636365 1e-15'
check "cgh = 3/7/0.4" 'near "$(val "$T/small.csv" cgh estimate)" 1.0714285714285714 1e-15'
check "coverage_q2 = 1/3" 'near "$(val "$T/small.csv" coverage_q2 estimate)" 0.3333333333333333 1e-15'
check "undercoverage_persons = 2" '[ "$(val "$T/small.csv" undercoverage_persons estimate)" = 2 ]'
check "no design: se empty" '[ -z "$(val "$T/small.csv" coverage_poor se)" ]'
check "n counts the 8 rows with a welfare" '[ "$(val "$T/small.csv" coverage n)" = 8 ]'
"$PKH" targeting "$SMALL" --income y --weight w --size size --score score --quota 0.25 \
    --benchmark line:100 --format csv > "$T/q.csv"
check "quota 0.25: ties at the cut-off not eligible (coverage_poor 2/5)" \
    'near "$(val "$T/q.csv" coverage_poor estimate)" 0.4 1e-15'
check "auc = 50.5/55" 'near "$(val "$T/q.csv" auc estimate)" 0.91818181818181821 1e-15'
"$PKH" targeting "$SMALL" --income y --weight w --size size --recipient rec \
    --benchmark line:100 --groups decile --format csv > "$T/d.csv"
check "--groups decile names _d1 .. _d10" 'grep -q "^coverage_d10," "$T/d.csv" && ! grep -q "coverage_q1" "$T/d.csv"'

# -- R survey on synth2k (scripts/r/ref_targeting.R): estimates and linearised SEs
cut -d, -f2- "$D/r/ref_targeting_scores.csv" > "$T/scores.csv"
paste -d, "$D/targeting/synth2k.csv" "$T/scores.csv" > "$T/s2k.csv"
ref() { awk -F, -v p="$1" -v ind="$2" -v g="$3" -v col="$4" \
        '$6 == ind && $7 == p && $5 == g { print $col; exit }' "$D/r/ref_targeting.csv"; }
S1="recipient=pkh;benchmark=line:povline;groups=5"
"$PKH" targeting "$T/s2k.csv" --income pcexp --weight weight --size hhsize --recipient pkh \
    --benchmark line:povline --strata prov_code --psu psu --by urban --format csv > "$T/r1.csv"
for ind in coverage_poor leakage inclusion_error_nonpoor targeting_differential cgh coverage_q1 undercoverage_families; do
    check "$ind = R (estimate, se, ci)" \
        'near "$(val "$T/r1.csv" $ind estimate)" "$(ref $S1 $ind "" 8)" 1e-12 &&
         near "$(val "$T/r1.csv" $ind se)" "$(ref $S1 $ind "" 9)" 1e-9 &&
         near "$(val "$T/r1.csv" $ind ci_low)" "$(ref $S1 $ind "" 10)" 1e-9'
done
got=$(awk -F, '$1 == "1" && $2 == "leakage" { print $3 "," $4 }' "$T/r1.csv")
check "domain urban=1 leakage = R svyby (estimate, se)" \
    'near "${got%,*}" "$(ref $S1 leakage 1 8)" 1e-12 && near "${got#*,}" "$(ref $S1 leakage 1 9)" 1e-9'
S3="score=score_tied;quota=0.2;benchmark=share:0.25;benefit=benefit;groups=5"
"$PKH" targeting "$T/s2k.csv" --income pcexp --weight weight --size hhsize --score score_tied \
    --quota 0.2 --benchmark share:0.25 --benefit benefit --strata prov_code --psu psu \
    --curve "$T/curve.csv" --format json > "$T/r3.json"; rc=$?
check "score, quota, share benchmark, benefit: exits 0" '[ $rc -eq 0 ]'
"$PKH" targeting "$T/s2k.csv" --income pcexp --weight weight --size hhsize --score score_tied \
    --quota 0.2 --benchmark share:0.25 --benefit benefit --strata prov_code --psu psu \
    --format csv > "$T/r3.csv"
for ind in coverage_poor exclusion_error leakage benefit_share_q1 auc; do
    check "$ind = R ($S3)" 'near "$(val "$T/r3.csv" $ind estimate)" "$(ref $S3 $ind "" 8)" 1e-12 &&
                            near "$(val "$T/r3.csv" $ind se)" "$(ref $S3 $ind "" 9)" 1e-9'
done
check "json meta names the benchmark, the cut-off and the conventions" \
    'grep -q "\"definition\": \"the poorest 0.25 of persons" "$T/r3.json" &&
     grep -q "\"cutoff\": 13.4" "$T/r3.json" && grep -q "\"leakage\": \"inclusion error over recipients" "$T/r3.json"'
check "json meta has the design df" 'grep -q "\"df\": 172" "$T/r3.json"'
check "curve file: header, roc and 10 quota rows" \
    'head -1 "$T/curve.csv" | grep -q "^curve,quota,cutoff,eligible,tpr,fpr,precision,exclusion_error,leakage$" &&
     [ "$(grep -c "^quota," "$T/curve.csv")" -eq 10 ] && grep -q "^roc,," "$T/curve.csv"'
row=$(grep "^quota,0.2," "$T/curve.csv")
check "curve at quota 0.2 = the results' exclusion_error and leakage" \
    'near "$(echo "$row" | cut -d, -f8)" "$(val "$T/r3.csv" exclusion_error estimate)" 1e-15 &&
     near "$(echo "$row" | cut -d, -f9)" "$(val "$T/r3.csv" leakage estimate)" 1e-15'

# -- --filter is a domain: the same estimates and SEs as the --by group
"$PKH" targeting "$T/s2k.csv" --income pcexp --weight weight --size hhsize --recipient pkh \
    --benchmark line:povline --strata prov_code --psu psu --filter 'urban == 1' --format csv > "$T/f.csv"
check "--filter urban == 1 = the by-urban domain (estimate and se)" \
    '[ "$(awk -F, '\''$1 == "leakage" { print $2 "," $3 }'\'' "$T/f.csv")" = "$got" ]'
"$PKH" targeting "$T/s2k.csv" --income lpc --define 'lpc=log(pcexp)' --weight weight --size hhsize \
    --recipient pkh --benchmark share:0.1 --format csv > "$T/def.csv"; rc=$?
check "--define makes a welfare column" '[ $rc -eq 0 ] && grep -q "^coverage_poor," "$T/def.csv"'

# -- the text table
"$PKH" targeting "$SMALL" --income y --weight w --size size --recipient rec --benchmark line:100 \
    --format table > "$T/t.txt"
check "table: title names the benchmark and who receives" \
    'grep -q "^benchmark: welfare < 100" "$T/t.txt" && grep -q "^receives: rec != 0" "$T/t.txt"'

# -- errors
"$PKH" targeting "$SMALL" --income y --score score --quota 1.5 --benchmark line:100 2> "$T/err"; rc=$?
check "--quota 1.5 exits 1 with a message" '[ $rc -eq 1 ] && grep -q "between 0 and 1" "$T/err"'
printf 'y,s\n1,0.5\n2,\n' > "$T/miss.csv"
"$PKH" targeting "$T/miss.csv" --income y --score s --quota 0.5 --benchmark line:2 2> "$T/err"; rc=$?
check "a missing score exits 1 naming the row" '[ $rc -eq 1 ] && grep -q "missing score in column \"s\" at data row 2" "$T/err"'
"$PKH" targeting "$SMALL" --income y --recipient rec --benchmark poor 2> "$T/err"; rc=$?
check "a bad benchmark exits 1 listing the forms" '[ $rc -eq 1 ] && grep -q "line:NUMBER" "$T/err"'
"$PKH" targeting "$SMALL" --income y --recipient rec 2> /dev/null; rc=$?
check "no --benchmark is a usage error (2)" '[ $rc -eq 2 ]'
"$PKH" targeting "$SMALL" --income y --recipient rec --score score --quota 0.2 --benchmark line:100 2> /dev/null; rc=$?
check "both --recipient and --score is a usage error (2)" '[ $rc -eq 2 ]'
"$PKH" targeting "$SMALL" --income y --recipient rec --benchmark line:100 --curve "$T/c.csv" 2> /dev/null; rc=$?
check "--curve without --score is a usage error (2)" '[ $rc -eq 2 ] && [ ! -e "$T/c.csv" ]'
"$PKH" targeting "$SMALL" --income y --recipient nope --benchmark line:100 --output "$T/o.csv" 2> "$T/err"; rc=$?
check "an unknown column exits 1 and writes nothing" '[ $rc -eq 1 ] && [ ! -e "$T/o.csv" ] && grep -q nope "$T/err"'
"$PKH" targeting "$SMALL" --income y --recipient rec --benchmark line:100 --bogus 2> /dev/null; rc=$?
check "an unknown flag is a usage error (2)" '[ $rc -eq 2 ]'
"$PKH" targeting --help > "$T/help"; rc=$?
check "--help exits 0 and explains every option" '[ $rc -eq 0 ] && for o in --income --weight --size --by --filter --define --benchmark --recipient --score --quota --cutoff --benefit --groups --quantile-rule --strata --psu --fpc --lonely-psu --level --curve --delim --format --output; do grep -q -- "$o" "$T/help" || exit 1; done'
"$PKH" --help | grep -q targeting
check "pkh --help lists targeting" '[ $? -eq 0 ]'

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
