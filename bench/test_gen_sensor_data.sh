#!/usr/bin/env bash
# Checks bench/gen_sensor_data: header and row count, determinism for a seed,
# a different seed giving different data, the format of clean rows, the
# fraction of dirty rows, and clean rows being identical with and without
# --dirt.  Usage: bash bench/test_gen_sensor_data.sh [path/to/gen_sensor_data]
# (builds it into build/bench/ when no path is given).  Run by bench/run.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
GEN=${1:-}
if [ -z "$GEN" ]; then
	mkdir -p build/bench
	${CC:-cc} -O2 -std=gnu11 -Wall -Wextra bench/gen_sensor_data.c -o build/bench/gen_sensor_data -lm
	GEN=build/bench/gen_sensor_data
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail=0
check() { if eval "$2"; then :; else echo "gen_sensor_data: FAILED: $1"; fail=1; fi; }

N=100000
"$GEN" --rows $N --sensors 25 --seed 7 --out "$T/a.csv"
"$GEN" --rows $N --sensors 25 --seed 7 >"$T/a2.csv"
"$GEN" --rows $N --sensors 25 --seed 8 --out "$T/b.csv"
"$GEN" --rows $N --sensors 25 --seed 7 --dirt 0.1 --out "$T/d.csv"

check "header" '[ "$(head -1 "$T/a.csv")" = "sensor_id,timestamp,temperature,humidity,location" ]'
check "row count" '[ "$(wc -l <"$T/a.csv")" -eq $((N + 1)) ]'
check "deterministic for a seed (--out and stdout alike)" 'cmp -s "$T/a.csv" "$T/a2.csv"'
check "another seed, other data" '! cmp -s "$T/a.csv" "$T/b.csv"'
check "first row" '[ "$(sed -n 2p "$T/a.csv" | cut -d, -f1,2,5)" = "1001,2025-05-01 00:00:00,Room_A" ]'
# every clean row: id 1001..1025, a timestamp, two one-decimal numbers in range, a room
bad=$(awk -F, 'NR > 1 && !($1 >= 1001 && $1 <= 1025 && $2 ~ /^20[0-9][0-9]-[01][0-9]-[0-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-5][0-9]$/ &&
	$3 ~ /^[0-9]+\.[0-9]$/ && $3 >= 50 && $3 <= 100 && $4 ~ /^[0-9]+\.[0-9]$/ && $4 >= 10 && $4 <= 90 &&
	$5 ~ /^Room_[A-Z]+$/ && NF == 5)' "$T/a.csv" | wc -l)
check "clean rows well-formed ($bad bad)" '[ "$bad" -eq 0 ]'
# timestamps step by 5 s: the last row is start + (N-1)*5 s
check "timestamps" '[ "$(tail -1 "$T/a.csv" | cut -d, -f2)" = "$(date -u -d "2025-05-01 00:00:00 UTC + $(((N - 1) * 5)) seconds" "+%Y-%m-%d %H:%M:%S")" ]'
# dirt: about 10% of rows differ from the clean file, and the rest are equal
differ=$(paste -d'|' "$T/a.csv" "$T/d.csv" | awk -F'|' '$1 != $2' | wc -l)
check "dirty fraction ~0.1 ($differ of $N differ)" '[ "$differ" -gt $((N * 8 / 100)) ] && [ "$differ" -lt $((N * 12 / 100)) ]'
check "dirty file has the same number of lines" '[ "$(wc -l <"$T/d.csv")" -eq $((N + 1)) ]'
kinds=$(awk -F, 'NR > 1 { if (NF < 5) s++; else if (NF > 5) e++; else if ($0 ~ /,,|,$|^,/) m++ } END { print (s > 0) + (e > 0) + (m > 0) }' "$T/d.csv")
check "dirt has short rows, extra columns and empty fields" '[ "$kinds" -eq 3 ]'
check "bad option refused" '! "$GEN" --rows abc >/dev/null 2>&1'

[ $fail -eq 0 ] && echo "gen_sensor_data: ok"
exit $fail
