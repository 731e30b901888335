#!/bin/sh
# pkh simulate from the command line: hand-computed benefits and poverty changes, the budget
# search, comparisons, rosters, formats, exit codes and messages for bad rules and bad data.
set -u
: "${PKH:?}" "${PKH_SOURCE_DIR:?}"
D="$PKH_SOURCE_DIR/tests/data/program"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { printf 'ok   %s\n' "$1"; }
no() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else no "$1"; fi; }
# value of an indicator in CSV results: the first row (the whole population comes first)
val() { awk -F, -v ind="$2" 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "indicator") c = i; if ($i == "estimate") e = i } }
                             NR > 1 && $c == ind { print $e; exit }' "$1"; }
# column of a per-household CSV, row r (1-based data row)
col() { awk -F, -v name="$2" -v r="$3" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i }
                                      NR == r + 1 { print $c }' "$1"; }
near() { awk -v a="$1" -v b="$2" -v t="${3:-1e-9}" 'BEGIN { d = a - b; if (d < 0) d = -d; s = b < 0 ? -b : b; exit !(d <= t * (s > 1 ? s : 1)) }'; }

HH="$D/hand_households.csv"
COMMON="--income pcexp --weight weight --size hhsize --line povline"

# -- PKH 2019 by hand: the cap binds (pregnant, elderly, SMP, one SD: 7,200,000 + 550,000)
"$PKH" simulate "$HH" --program pkh-2019 $COMMON --akses remote --id hhid --out "$T/ph.csv" --format csv > "$T/r.csv"; rc=$?
check "simulate exits 0" '[ $rc -eq 0 ]'
check "family 1: 7,750,000 a year" '[ "$(col "$T/ph.csv" benefit 1)" = 7750000 ]'
check "family 1: four paid of five counted (SD 2 counted, 1 paid)" '[ "$(col "$T/ph.csv" count_sd 1),$(col "$T/ph.csv" paid_sd 1)" = 2,1 ]'
check "family 1: the flat benefit in the first stage only" '[ "$(col "$T/ph.csv" benefit_stage1 1),$(col "$T/ph.csv" benefit_stage2 1)" = 2350000,1800000 ]'
check "family 2 (no component): nothing, not eligible" '[ "$(col "$T/ph.csv" benefit 2),$(col "$T/ph.csv" eligible 2)" = 0,false ]'
check "family 3 (Akses, SMA): 3,000,000" '[ "$(col "$T/ph.csv" benefit 3)" = 3000000 ]'
check "families = 1 + 2 (the family with no component is not counted)" '[ "$(val "$T/r.csv" families)" = 3 ]'
check "budget = 7,750,000 + 2 x 3,000,000" '[ "$(val "$T/r.csv" budget)" = 13750000 ]'
# everyone poor before; after, family 2 only (10 of 22 persons); lifted 6 + 6
check "fgt0 before 1, after 10/22" 'near "$(val "$T/r.csv" fgt0_before)" 1 && near "$(val "$T/r.csv" fgt0_after)" "$(awk "BEGIN { print 10 / 22 }")" 1e-6'
check "lifted 12 persons" '[ "$(val "$T/r.csv" lifted)" = 12 ]'
check "welfare after = before + 7,750,000 / 12 / 6" 'near "$(col "$T/ph.csv" welfare_after 1)" "$(awk "BEGIN { printf \"%.10f\", 300000 + 7750000 / 12 / 6 }")"'

# -- the same from the member roster (one member row matches no household: a warning)
"$PKH" simulate "$HH" --members "$D/hand_members.csv" --key hhid --program pkh-2019 $COMMON \
    --out "$T/phm.csv" --format csv > "$T/rm.csv" 2> "$T/err"; rc=$?
check "roster: exits 0 and warns about the unmatched member" '[ $rc -eq 0 ] && grep -q "1 member rows (0 without a key) match no household" "$T/err"'
check "roster: family 1 gets the same 7,750,000" '[ "$(col "$T/phm.csv" benefit 1)" = 7750000 ]'
"$PKH" simulate "$HH" --members "$D/hand_members.csv" --key hhid --strict --program pkh-2019 $COMMON 2> "$T/err" > /dev/null; rc=$?
check "--strict: unmatched members exit 1 naming the row" '[ $rc -eq 1 ] && grep -q "the first is data row 11 of the members" "$T/err"'

# -- the 2020 top-up: 3 months at the January rates, 9 at the April-December ones
"$PKH" simulate "$HH" --program pkh-2020 --weight weight --size hhsize --out "$T/p20.csv" --format csv > /dev/null
# family 1: pregnant 3,562,500, elderly 2,400,000 x 3/12 + 3,000,000 x 9/12 = 2,850,000,
# SMP 1,500,000 x 3/12 + 1,875,000 x 9/12 = 1,781,250, SD 225,000 + 843,750 = 1,068,750
check "pkh-2020: family 1 gets 9,262,500, no flat benefit" 'near "$(col "$T/p20.csv" benefit 1)" 9262500 && [ "$(col "$T/p20.csv" flat 1)" = 0 ]'

# -- a rules file, poverty by hand (tests/unit/test_program.c has the arithmetic)
K="$D/kid_households.csv"
KC="--income y --weight w --size size --line 100"
"$PKH" simulate "$K" --program "$D/kid.json" $KC --format csv > "$T/k.csv"; rc=$?
check "rules file: exits 0" '[ $rc -eq 0 ]'
check "fgt0 change -2/14, fgt1 change -1.4/14" 'near "$(val "$T/k.csv" fgt0_change)" "$(awk "BEGIN { printf \"%.17g\", -2 / 14 }")" && near "$(val "$T/k.csv" fgt1_change)" "$(awk "BEGIN { printf \"%.17g\", -1.4 / 14 }")"'
check "gap closed per unit spent 0.28; budget to the poor 0.6" 'near "$(val "$T/k.csv" gap_reduction_per_unit)" 0.28 && near "$(val "$T/k.csv" budget_share_poor)" 0.6'
check "Gini before 8480/33600" 'near "$(val "$T/k.csv" gini_before)" "$(awk "BEGIN { printf \"%.17g\", 8480 / 33600 }")"'
"$PKH" simulate "$K" --program "$D/kid.json" $KC --period year --line 1200 --format csv > "$T/ky.csv"
check "--period year adds benefit / size (lifted 2)" '[ "$(val "$T/ky.csv" lifted)" = 2 ]'
"$PKH" simulate "$K" --program "$D/kid.json" $KC --format json > "$T/k.json"
check "json: meta and results, indicator names" 'grep -q "\"meta\"" "$T/k.json" && grep -q "\"results\"" "$T/k.json" && grep -q "\"indicator\": \"gap_reduction_per_unit\"" "$T/k.json"'
check "json: the programme and its notes in the meta" 'grep -q "\"currency\": \"X\"" "$T/k.json" && grep -q "Hand computations" "$T/k.json"'

# -- the budget search spends no more than the budget
for B in 1200 3599 3600 5999 6000 100000; do
    "$PKH" simulate "$K" --program "$D/kid.json" $KC --score score --budget $B --format csv > "$T/b.csv"
    spent=$(val "$T/b.csv" budget)
    check "--budget $B spends $spent <= $B" 'awk -v s="$spent" -v b="$B" "BEGIN { exit !(s <= b && s > 0) }"'
done
"$PKH" simulate "$K" --program "$D/kid.json" $KC --score score --budget 1199 2> "$T/err" > /dev/null; rc=$?
check "a budget smaller than one benefit exits 1" '[ $rc -eq 1 ] && grep -q "a budget of 1199 X pays for no family" "$T/err"'
"$PKH" simulate "$K" --program "$D/kid.json" $KC --score score --families 3 --format json > "$T/f.json"
check "--families 3 pays 3 families, cut-off 3" 'grep -q "\"cutoff\": 3.0" "$T/f.json" && grep -q "\"families\": 3.0" "$T/f.json"'
"$PKH" simulate "$K" --program "$D/kid.json" $KC --score score --quota 1.5 2> "$T/err" > /dev/null; rc=$?
check "--quota 1.5 exits 1" '[ $rc -eq 1 ] && grep -q "quota" "$T/err"'

# -- two programmes side by side: doubling the amount
"$PKH" simulate "$K" --program "$D/kid.json" --compare "$D/kid.json" --compare-amount kid=2400 $KC --format csv > "$T/c.csv"
check "compare: a difference row for the budget (+6000)" 'grep -q "^difference,budget,6000," "$T/c.csv"'
check "compare: the second programme is named" 'grep -q "^kid (compare),budget,12000," "$T/c.csv"'

# -- --show-program gives rules that read back to the same results
"$PKH" simulate --show-program pkh-2019 > "$T/pkh.json"; rc=$?
check "--show-program prints the preset" '[ $rc -eq 0 ] && grep -q "\"name\": \"pkh-2019\"" "$T/pkh.json"'
"$PKH" simulate "$HH" --program "$T/pkh.json" $COMMON --akses remote --format csv > "$T/r2.csv"
check "the printed rules give the preset's results" 'cmp -s "$T/r.csv" "$T/r2.csv"'

# -- gzip by name, no partial output on failure
"$PKH" simulate "$HH" --program pkh-2019 $COMMON --id hhid --out "$T/ph.csv.gz" --format csv > /dev/null
check "--out FILE.csv.gz is gzip" '[ "$(gzip -dc "$T/ph.csv.gz" | head -1 | cut -d, -f1-2)" = "hhid,eligible" ]'
"$PKH" simulate "$K" --program "$D/kid.json" $KC --score score --budget 1 --out "$T/none.csv" 2> /dev/null > /dev/null
check "a failed run writes no --out file" '[ ! -e "$T/none.csv" ] && ! ls "$T" | grep -q tmp'

# -- bad rules: a clear message with file, line and column, exit 1
"$PKH" simulate "$HH" --program "$D/bad_syntax.json" $COMMON 2> "$T/err" > /dev/null; rc=$?
check "syntax error: exit 1 with jansson's line and column" '[ $rc -eq 1 ] && grep -q "bad_syntax.json:4:26: .}. expected near" "$T/err"'
"$PKH" simulate "$HH" --program "$D/bad_field.json" $COMMON 2> "$T/err" > /dev/null; rc=$?
check "unknown field: exit 1, where, and the closest name" '[ $rc -eq 1 ] && grep -q "bad_field.json:4:55: components\[0\].ammount: unknown field \"ammount\" in a component: did you mean \"amount\"?" "$T/err"'
"$PKH" simulate "$HH" --program "$D/bad_amount.json" $COMMON 2> "$T/err" > /dev/null; rc=$?
check "negative amount: exit 1 at its line and column" '[ $rc -eq 1 ] && grep -q "bad_amount.json:5:31: components\[1\].amount: a negative amount" "$T/err"'
"$PKH" simulate "$HH" --program "$D/bad_stage.json" $COMMON 2> "$T/err" > /dev/null; rc=$?
check "unknown component in a stage: exit 1" '[ $rc -eq 1 ] && grep -q "bad_stage.json:4:46: stages\[0\].amounts.smp: unknown component \"smp\"" "$T/err"'
"$PKH" simulate "$HH" --members "$D/hand_members.csv" --key hhid --program "$D/bad_member.json" $COMMON 2> "$T/err" > /dev/null; rc=$?
check "a condition naming a missing column: exit 1, the component and the column" '[ $rc -eq 1 ] && grep -q "bad_member.json:4:" "$T/err" && grep -q "component \"sd\": member condition, on the members" "$T/err" && grep -q "attend" "$T/err"'
"$PKH" simulate "$HH" --program nope-2019 $COMMON 2> "$T/err" > /dev/null; rc=$?
check "unknown programme: exit 1 listing the presets" '[ $rc -eq 1 ] && grep -q "neither a preset programme (pkh-2019, pkh-2020, pkh-2021, snt-tr) nor a rules file" "$T/err"'
"$PKH" simulate "$HH" --program "$D/kid.json" $COMMON 2> "$T/err" > /dev/null; rc=$?
check "a count column the households lack: exit 1 naming it" '[ $rc -eq 1 ] && grep -q "no column \"n_kid\" in the header" "$T/err"'
"$PKH" simulate "$HH" --program pkh-2019 $COMMON --amount smp=-5 2> "$T/err" > /dev/null; rc=$?
check "--amount smp=-5: exit 1" '[ $rc -eq 1 ]'

# -- malformed command lines: exit 2
"$PKH" simulate "$HH" $COMMON 2> /dev/null; rc=$?
check "no --program: usage (2)" '[ $rc -eq 2 ]'
"$PKH" simulate "$K" --program "$D/kid.json" $KC --budget 100 2> "$T/err"; rc=$?
check "--budget without --score: usage (2)" '[ $rc -eq 2 ] && grep -q "give it with --score COL" "$T/err"'
"$PKH" simulate "$HH" --program pkh-2019 --members "$D/hand_members.csv" $COMMON 2> /dev/null; rc=$?
check "--members without --key: usage (2)" '[ $rc -eq 2 ]'
"$PKH" simulate --help > "$T/help"; rc=$?
check "--help exits 0 and explains --budget" '[ $rc -eq 0 ] && grep -q -- "--budget AMOUNT" "$T/help"'

# -- end to end on synthetic data, by province, with the design
"$PKH" synth --households 2000 --out "$T/s" > /dev/null
"$PKH" simulate "$T/s-households.csv.gz" --program pkh-2019 --recipient pkh --income pcexp \
    --weight weight --size hhsize --line povline --by province --strata strata --psu psu \
    --lonely-psu adjust --format csv > "$T/s.csv"; rc=$?
check "synthetic survey by province with SEs: exits 0" '[ $rc -eq 0 ]'
check "35 families rows (everyone + 34 provinces) with SEs" '[ "$(awk -F, "\$2 == \"families\" && \$4 != \"\"" "$T/s.csv" | wc -l)" -eq 35 ]'
"$PKH" simulate "$T/s-households.csv.gz" --members "$T/s-members.csv.gz" --key hhid --program snt-tr \
    --all --income pcexp --weight weight --size hhsize --line povline --format table > "$T/snt.txt"; rc=$?
check "snt-tr from the roster: exits 0" '[ $rc -eq 0 ] && grep -q "snt-tr on" "$T/snt.txt"'

[ $fails -eq 0 ] && echo "all passed" || echo "$fails failed"
[ $fails -eq 0 ]
