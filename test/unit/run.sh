#!/usr/bin/env bash
# Runs every unit-test binary given; prints a total "N passed, N failed" line.
set -u
passed=0; failed=0; status=0
for bin in "$@"; do
	out=$("$bin" 2>&1); rc=$?
	echo "$out" | grep -v ': [0-9]* passed, [0-9]* failed$' || true
	line=$(echo "$out" | grep -E '[0-9]+ passed, [0-9]+ failed$' | tail -1)
	p=$(echo "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed$/\1/')
	f=$(echo "$line" | sed -E 's/.* ([0-9]+) passed, ([0-9]+) failed$/\2/')
	[ -n "$p" ] || { p=0; f=1; echo "$bin: no summary (exit $rc)"; }
	[ $rc -eq 0 ] || { [ "$f" -gt 0 ] || f=1; status=1; }
	echo "$(basename "$bin"): $p passed, $f failed"
	passed=$((passed + p)); failed=$((failed + f))
done
echo "unit: $passed passed, $failed failed"
exit $status
