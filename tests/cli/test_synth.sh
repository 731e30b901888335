#!/bin/sh
# pkh synth from the command line: files, determinism, consistency (checked by awk), exit codes,
# and no partial files on failure.
set -u
: "${PKH:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { printf 'ok   %s\n' "$1"; }
no() { printf 'FAIL %s\n' "$1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else no "$1"; fi; }

# -- help and the files it writes
"$PKH" synth --help > "$T/help"; rc=$?
check "--help exits 0 and shows an example" '[ $rc -eq 0 ] && grep -q "pkh synth --households 50000 --out" "$T/help"'
"$PKH" --help | grep -q "synth"
check "pkh --help lists synth" '[ $? -eq 0 ]'

"$PKH" synth --households 2000 --seed 11 --out "$T/a" > "$T/out"; rc=$?
check "synth exits 0" '[ $rc -eq 0 ]'
check "it writes both gzip files" '[ -s "$T/a-households.csv.gz" ] && [ -s "$T/a-members.csv.gz" ]'
check "it says what it wrote" 'grep -q "2000 households" "$T/out"'
check "no temporary file is left" '[ "$(ls "$T" | grep -c -e tmp -e partial -e probe)" -eq 0 ]'
gzip -dc "$T/a-households.csv.gz" > "$T/a-h.csv"
gzip -dc "$T/a-members.csv.gz" > "$T/a-m.csv"
check "2000 household rows" '[ "$(($(wc -l < "$T/a-h.csv") - 1))" -eq 2000 ]'
check "the household header" 'head -1 "$T/a-h.csv" | grep -q "^hhid,province,prov_code,urban,strata,psu,weight,hhsize,pcexp,povline,roof,floor,wall,toilet,water,cooking_fuel,electricity,assets,head_educ,head_sex,n_working,pkh,n_pregnant,n_child06,n_sd,n_smp,n_sma,n_disabled_severe,n_elderly60$"'
check "the member header" 'head -1 "$T/a-m.csv" | grep -q "^hhid,line,relation,sex,age,school,attending,pregnant,disabled_severe,working$"'

# -- members agree with households (awk recomputes size, children 0-6, pupils, elderly)
awk -F, 'NR > 1 { n[$1]++; c[$1] += ($5 <= 6 && $7 == 0); sd[$1] += ($7 == 1 && $6 == 1)
                  el[$1] += ($5 >= 60) }
         END { for (h in n) print h "," n[h] "," c[h] "," sd[h] "," el[h] }' "$T/a-m.csv" \
    | sort -t, -k1,1n > "$T/from-members"
awk -F, 'NR > 1 { print $1 "," $8 "," $24 "," $25 "," $29 }' "$T/a-h.csv" \
    | sort -t, -k1,1n > "$T/from-households"
check "hhsize, n_child06, n_sd, n_elderly60 = what the members imply" 'cmp -s "$T/from-members" "$T/from-households"'
pop=$(awk -F, 'NR > 1 { s += $7 * $8 } END { printf "%.0f", s }' "$T/a-h.csv")
check "weights x hhsize add up to 268 million ($pop)" '[ "$pop" -ge 268074000 ] && [ "$pop" -le 268075200 ]'

# -- determinism: the same seed gives the same bytes, another seed other data
"$PKH" synth --households 2000 --seed 11 --threads 1 --no-gzip --quiet --out "$T/b"; rc=$?
check "--no-gzip writes .csv, --quiet prints nothing" '[ $rc -eq 0 ] && [ -s "$T/b-households.csv" ] && [ -s "$T/b-members.csv" ]'
check "same seed: identical households (1 thread vs every core)" 'cmp -s "$T/a-h.csv" "$T/b-households.csv"'
check "same seed: identical members" 'cmp -s "$T/a-m.csv" "$T/b-members.csv"'
"$PKH" synth --households 2000 --seed 12 --no-gzip --quiet --out "$T/c"
check "another seed: other data" '! cmp -s "$T/a-h.csv" "$T/c-households.csv"'
"$PKH" describe "$T/a-households.csv.gz" --format csv > "$T/desc"; rc=$?
check "pkh describe reads the output" '[ $rc -eq 0 ] && grep -q "^pkh,int64,2000,0,0," "$T/desc"'

# -- bad input: exit 1 (values) or 2 (command line), a message, and no file
: > "$T/err"
before=$(ls "$T" | wc -l)
"$PKH" synth --households 0 --out "$T/z" 2> "$T/err"; rc=$?
check "N = 0 exits 1 with a message" '[ $rc -eq 1 ] && grep -q "at least 1" "$T/err"'
"$PKH" synth --households -4 --out "$T/z" 2> /dev/null; rc=$?
check "N < 0 exits 1" '[ $rc -eq 1 ]'
"$PKH" synth --households 12x --out "$T/z" 2> /dev/null; rc=$?
check "N not a number exits 1" '[ $rc -eq 1 ]'
"$PKH" synth --households 10 --year 2018 --out "$T/z" 2> "$T/err"; rc=$?
check "an unknown year exits 1 naming the known ones" '[ $rc -eq 1 ] && grep -q "2018.*2019" "$T/err"'
"$PKH" synth --households 10 --out "$T/no/such/dir/x" 2> "$T/err"; rc=$?
check "an unwritable path exits 1 and says so" '[ $rc -eq 1 ] && grep -q "cannot write" "$T/err"'
mkdir "$T/z-members.csv.gz.partial"
"$PKH" synth --households 10 --out "$T/z" 2> "$T/err"; rc=$?
rmdir "$T/z-members.csv.gz.partial"
check "a write failing midway exits 1" '[ $rc -eq 1 ]'
check "and no file is left behind" '[ "$(ls "$T" | wc -l)" -eq "$before" ]'
"$PKH" synth --out "$T/z" 2> "$T/err"; rc=$?
check "no --households is a usage error (2)" '[ $rc -eq 2 ] && grep -q "pkh synth --help" "$T/err"'
"$PKH" synth --households 10 2> /dev/null; rc=$?
check "no --out is a usage error (2)" '[ $rc -eq 2 ]'
"$PKH" synth --households 10 --out "$T/z" --bogus 2> /dev/null; rc=$?
check "an unknown flag is a usage error (2)" '[ $rc -eq 2 ]'

[ "$fails" -eq 0 ] || { echo "$fails check(s) failed"; exit 1; }
