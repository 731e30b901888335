#!/bin/sh
# pkh pmt from the command line: coefficients and SEs against R's lm and svyglm, the scores
# file, cross-validation determinism, targeting rows, exit codes and messages.
set -u
: "${PKH:?}" "${PKH_SOURCE_DIR:?}"
D="$PKH_SOURCE_DIR/tests/data"
API="$D/r/apistrat.csv"
S2K="$D/targeting/synth2k.csv"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { printf 'ok   %s\n' "$1"; }
no() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else no "$1"; fi; }
# column $3 of the row whose term or indicator is $2, in CSV $1 (no model_by column)
val() { awk -F, -v k="$2" -v col="$3" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        $c["term"] == k || $c["indicator"] == k { print $c[col]; exit }' "$1"; }
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b;
         if (m < 1) m = 1; exit !(a != "" && d <= t * m) }'; }
# R reference: dataset $1, design $2, source $3, indicator $4, param $5, field $6
ref() { awk -F, -v ds="$1" -v de="$2" -v s="$3" -v ind="$4" -v p="$5" -v f="$6" \
        '$1 == ds && $2 == de && $14 == s && $6 == ind && $7 == p { print $f; exit }' "$7"; }
RR="$D/r/ref_regression.csv"

# -- R's lm (model-based) and svyglm (design-based) on apistrat
"$PKH" pmt "$API" --target api00 --covariates ell,meals,mobility --categorical stype \
    --weight pw --format csv > "$T/lm.csv"; rc=$?
check "pmt exits 0" '[ $rc -eq 0 ]'
for t in "(Intercept)" ell meals mobility; do
    check "lm $t: estimate and se = R" \
        'near "$(val "$T/lm.csv" "$t" estimate)" "$(ref apistrat weights=pw lm coef "$t" 8 "$RR")" 1e-9 &&
         near "$(val "$T/lm.csv" "$t" se)" "$(ref apistrat weights=pw lm coef "$t" 9 "$RR")" 1e-9'
done
check "lm stype=H is R's factor(stype)H" \
    'near "$(val "$T/lm.csv" stype=H estimate)" "$(ref apistrat weights=pw lm coef "factor(stype)H" 8 "$RR")" 1e-9'
check "r2 and sigma = R" \
    'near "$(val "$T/lm.csv" r2 estimate)" "$(ref apistrat weights=pw lm r2 "" 8 "$RR")" 1e-10 &&
     near "$(val "$T/lm.csv" sigma estimate)" "$(ref apistrat weights=pw lm sigma "" 8 "$RR")" 1e-10'
DES="ids=1;strata=stype;weights=pw;fpc=fpc"
"$PKH" pmt "$API" --target api00 --covariates ell,meals,mobility --categorical stype \
    --weight pw --strata stype --fpc fpc --format csv > "$T/glm.csv"
for t in "(Intercept)" ell meals mobility; do
    check "svyglm $t: se, df and ci = R" \
        'near "$(val "$T/glm.csv" "$t" se)" "$(ref apistrat "$DES" svyglm coef "$t" 9 "$RR")" 1e-7 &&
         [ "$(val "$T/glm.csv" "$t" df)" = "$(ref apistrat "$DES" svyglm coef "$t" 12 "$RR")" ] &&
         near "$(val "$T/glm.csv" "$t" ci_high)" "$(ref apistrat "$DES" svyglm coef "$t" 11 "$RR")" 1e-7'
done
check "se_model keeps the model-based SE" \
    'near "$(val "$T/glm.csv" ell se_model)" "$(ref apistrat weights=pw lm coef ell 9 "$RR")" 1e-9'

# -- the log target, scores, cross-validation, targeting
"$PKH" pmt "$S2K" --target pcexp --log --covariates hhsize,assets,n_working \
    --categorical roof,floor,head_educ --weight weight --strata prov_code --psu psu \
    --folds 5 --seed 7 --quota 0.15 --benchmark line:povline --size hhsize --id hhid \
    --out "$T/scores.csv" --format json > "$T/p.json"; rc=$?
check "log target, folds, quota: exits 0" '[ $rc -eq 0 ]'
check "scores file: hhid, score, cv_score, eligible for 2000 rows" \
    '[ "$(head -1 "$T/scores.csv")" = "hhid,score,cv_score,eligible" ] && [ "$(wc -l < "$T/scores.csv")" -eq 2001 ]'
"$PKH" pmt "$S2K" --target pcexp --log --covariates hhsize,assets,n_working \
    --categorical roof,floor,head_educ --weight weight --strata prov_code --psu psu \
    --folds 5 --seed 7 --quota 0.15 --benchmark line:povline --size hhsize --id hhid \
    --out "$T/scores2.csv" --threads 1 --format csv > "$T/p.csv"
check "the same seed gives the same folds (and on one thread)" 'cmp -s "$T/scores.csv" "$T/scores2.csv"'
"$PKH" pmt "$S2K" --target pcexp --log --covariates hhsize,assets,n_working \
    --categorical roof,floor,head_educ --weight weight --strata prov_code --psu psu \
    --folds 5 --seed 8 --out "$T/scores3.csv" --format csv > /dev/null
check "another seed, other folds" '! cmp -s "$T/scores.csv" "$T/scores3.csv"'
RT="$D/r/ref_targeting.csv"
S4="score=score;quota=0.15;benchmark=line:povline;groups=5"
rt() { awk -F, -v p="$S4" -v ind="$1" -v f="$2" '$7 == p && $6 == ind && $5 == "" { print $f; exit }' "$RT"; }
for ind in coverage_poor leakage auc; do
    check "in-sample $ind = R (estimate, se)" \
        'near "$(val "$T/p.csv" $ind estimate)" "$(rt $ind 8)" 1e-12 && near "$(val "$T/p.csv" $ind se)" "$(rt $ind 9)" 1e-8'
done
check "cross-validated rows are there" '[ -n "$(val "$T/p.csv" cv_leakage estimate)" ] && [ -n "$(val "$T/p.csv" cv_rmse estimate)" ]'
elig=$(awk -F, 'NR > 1 && $4 == "true" { n++ } END { print n + 0 }' "$T/scores.csv")
cut=$(sed -n 's/.*"cutoff": \([0-9.e+-]*\).*/\1/p' "$T/p.json")
below=$(awk -F, -v c="$cut" 'NR > 1 && $2 < c + 0 { n++ } END { print n + 0 }' "$T/scores.csv")
check "eligible rows are the scores below the cut-off (= R's to 1e-12)" \
    '[ "$elig" -eq "$below" ] && [ "$elig" -gt 0 ] && near "$cut" "$(rt cutoff 8)" 1e-12'
check "json: meta with the model, the folds and the cut-off; coefficient rows with a term" \
    'grep -q "\"command\": \"pmt\"" "$T/p.json" && grep -q "\"units\": \"PSUs" "$T/p.json" &&
     grep -q "\"cutoff\": 13" "$T/p.json" && grep -q "\"indicator\": null, \"term\": \"roof=2\"" "$T/p.json" &&
     grep -q "\"indicator\": \"r2\", \"term\": null" "$T/p.json"'
"$PKH" pmt "$S2K" --target pcexp --log --covariates hhsize,assets --weight weight \
    --model-by urban --format csv > "$T/by.csv"; rc=$?
check "--model-by: a model per value, keyed by the column" \
    '[ $rc -eq 0 ] && head -1 "$T/by.csv" | grep -q "^urban,indicator,term," &&
     [ "$(grep -c "(Intercept)" "$T/by.csv")" -eq 2 ]'
printf 'y,a,b\n3,1,2\n-1,2,1\n5,3,5\n4,4,4\n7,5,2\n,6,9\n8,7,1\n' > "$T/neg.csv"
"$PKH" pmt "$T/neg.csv" --target y --log --covariates a,b --format json > "$T/neg.json"; rc=$?
check "--log leaves out and counts y <= 0 and missing rows" \
    '[ $rc -eq 0 ] && grep -q "\"nonpositive_target\": 1" "$T/neg.json" && grep -q "\"missing_values\": 1" "$T/neg.json"'

# -- errors
printf 'y,a,b,c,k,one\n1,1,2,3,5,x\n2,2,1,3,5,x\n4,3,5,8,5,x\n3,4,4,8,5,x\n6,5,2,7,5,x\n5,6,9,15,5,x\n' > "$T/bad.csv"
"$PKH" pmt "$T/bad.csv" --target y --covariates a,b,c --output "$T/o.csv" 2> "$T/err"; rc=$?
check "collinear covariates exit 1 naming the later one, no output" \
    '[ $rc -eq 1 ] && grep -q "\"c\" is constant or a linear combination" "$T/err" && [ ! -e "$T/o.csv" ]'
"$PKH" pmt "$T/bad.csv" --target y --covariates a --categorical one 2> "$T/err"; rc=$?
check "a categorical with one level exits 1" '[ $rc -eq 1 ] && grep -q "single level (x)" "$T/err"'
"$PKH" pmt "$T/bad.csv" --target y --covariates a --quota 1.5 --benchmark line:3 2> "$T/err"; rc=$?
check "a quota outside (0, 1) exits 1" '[ $rc -eq 1 ] && grep -q "between 0 and 1" "$T/err"'
"$PKH" pmt "$T/bad.csv" --target y --covariates a,b,k,c,one --categorical one 2> "$T/err"; rc=$?
check "a text covariate exits 1 pointing to --categorical" '[ $rc -eq 1 ] && grep -q "categorical" "$T/err"'
printf 'y,a,b\n1,1,2\n2,2,1\n4,3,5\n' > "$T/few.csv"
"$PKH" pmt "$T/few.csv" --target y --covariates a,b --out "$T/s.csv" 2> "$T/err"; rc=$?
check "fewer observations than parameters exits 1, no scores file" \
    '[ $rc -eq 1 ] && grep -q "observations for 3 parameters" "$T/err" && [ ! -e "$T/s.csv" ]'
"$PKH" pmt "$T/bad.csv" --covariates a 2> /dev/null; rc=$?
check "no --target is a usage error (2)" '[ $rc -eq 2 ]'
"$PKH" pmt "$T/bad.csv" --target y --covariates a --quota 0.2 2> /dev/null; rc=$?
check "--quota without --benchmark is a usage error (2)" '[ $rc -eq 2 ]'
"$PKH" pmt "$T/bad.csv" --target y --covariates a --folds 1 2> "$T/err"; rc=$?
check "--folds 1 exits 1" '[ $rc -eq 1 ]'
"$PKH" pmt --help > "$T/help"; rc=$?
check "--help exits 0 and explains every option" '[ $rc -eq 0 ] && for o in --target --log --covariates --categorical --weight --model-by --filter --define --strata --psu --fpc --lonely-psu --level --folds --seed --quota --benchmark --income --size --out --id --format --output --threads; do grep -q -- "$o" "$T/help" || exit 1; done'
"$PKH" --help | grep -q pmt
check "pkh --help lists pmt" '[ $? -eq 0 ]'

[ $fails -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
