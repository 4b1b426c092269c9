#!/usr/bin/env bash
# Builds the libFuzzer harnesses over lake/ and runs each for N seconds.
#
#   bash test/fuzz/run.sh [seconds] [harness...]
#
# seconds defaults to 60 (0: only replay the saved crashes and the seeds).
# Harnesses default to every test/fuzz/fuzz_*.c.  Needs clang 14 with
# libclang-rt-14-dev; independent of the top-level Makefile and PostgreSQL.
#
# Layout (build/ is not committed):
#   build/fuzz/<harness>               the binary
#   build/fuzz/seeds/<harness>/        seeds: test/**/*.parquet (up to 1 MiB),
#                                      their footers, and DuckDB-made files
#   build/fuzz/corpus/<harness>/       the growing corpus, kept between runs
#   test/fuzz/crashes/<harness>-*      crashes, leaks, timeouts, OOMs (committed
#                                      as reproducers: replayed on every run)
#
# Reproduce one crash:  build/fuzz/<harness> test/fuzz/crashes/<file>
# Exits non-zero if any harness crashed (new or replayed).
set -uo pipefail

cd "$(dirname "$0")/../.."
ROOT=$(pwd)
SECONDS_EACH=${1:-60}
shift || true
CLANG=${CLANG:-$(command -v clang-14 || command -v clang)}
OUT=build/fuzz
CRASHES=test/fuzz/crashes
SEED_MAX_BYTES=$((1024 * 1024))

[ -n "$CLANG" ] || { echo "fuzz: clang not found (apt-get install clang-14 libclang-rt-14-dev)"; exit 2; }
case "$SECONDS_EACH" in
	'' | *[!0-9]*) echo "usage: bash test/fuzz/run.sh [seconds] [harness...]"; exit 2 ;;
esac

harnesses=("$@")
if [ ${#harnesses[@]} -eq 0 ]; then
	for f in test/fuzz/fuzz_*.c; do harnesses+=("$(basename "$f" .c)"); done
fi

mkdir -p "$OUT/obj" "$CRASHES"

# ---- build: lake/ instrumented for coverage + ASan + UBSan ----
SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
CFLAGS="-g -O1 -std=gnu11 -Iinclude $SAN"
rm -f "$OUT"/obj/*.o
for f in lake/*.c; do
	o="$OUT/obj/$(basename "$f" .c).o"
	if ! "$CLANG" $CFLAGS -fsanitize=fuzzer-no-link -c "$f" -o "$o" 2>"$OUT/obj/$(basename "$f" .c).log"; then
		echo "fuzz: warning: $f does not compile (skipped; see $OUT/obj/$(basename "$f" .c).log)"
		rm -f "$o"
	else
		rm -f "$OUT/obj/$(basename "$f" .c).log"
	fi
done
rm -f "$OUT/liblake_fuzz.a"
ar rcs "$OUT/liblake_fuzz.a" "$OUT"/obj/*.o

# A weak reference (the reader harness's to the nested-field reader) does not
# pull a member out of an archive: -u does, and is harmless when it is absent.
FORCE="-Wl,-u,parquet_field_reader_open"
for h in "${harnesses[@]}"; do
	"$CLANG" $CFLAGS -fsanitize=fuzzer "test/fuzz/$h.c" $FORCE "$OUT/liblake_fuzz.a" \
		-lsnappy -lzstd -lz -llz4 -lcsv -ljansson -lm -o "$OUT/$h" ||
		{ echo "fuzz: $h does not build"; exit 2; }
done

# ---- seeds ----
# the footer of a Parquet file: the <len> bytes before "<len:4 LE>PAR1"
extract_footer() {
	local f=$1 size len
	size=$(stat -c %s "$f")
	[ "$size" -ge 12 ] || return 1
	len=$(tail -c 8 "$f" | head -c 4 | od -An -tu4 | tr -d ' ')
	[ -n "$len" ] && [ "$len" -le $((size - 12)) ] || return 1
	tail -c $((len + 8)) "$f" | head -c "$len"
}

seed_files=()
while IFS= read -r f; do
	[ "$(stat -c %s "$f")" -le $SEED_MAX_BYTES ] && seed_files+=("$f")
done < <(find test -name '*.parquet' -not -path 'test/fuzz/*' -not -path '*/node_modules/*' 2>/dev/null | sort)

# more seeds from DuckDB (types, nesting, codecs, encodings), when it is installed
duck_seeds="$OUT/seeds/duckdb"
if [ ! -d "$duck_seeds" ] && [ -d test/node_modules/@duckdb/node-api ]; then
	mkdir -p "$duck_seeds"
	node test/fuzz/make_seeds.mjs "$ROOT/$duck_seeds" >/dev/null 2>&1 ||
		echo "fuzz: warning: DuckDB seed files not made (test/fuzz/make_seeds.mjs failed)"
fi
[ -d "$duck_seeds" ] && while IFS= read -r f; do seed_files+=("$f"); done < <(find "$duck_seeds" -name '*.parquet' | sort)

for h in "${harnesses[@]}"; do
	mkdir -p "$OUT/seeds/$h" "$OUT/corpus/$h"
	for f in "${seed_files[@]}"; do
		name=$(echo "$f" | tr '/' '_')
		cp "$f" "$OUT/seeds/$h/$name"
		if [ "$h" = fuzz_parquet_metadata ]; then
			extract_footer "$f" >"$OUT/seeds/$h/$name.footer" || rm -f "$OUT/seeds/$h/$name.footer"
		fi
	done
done
echo "fuzz: ${#seed_files[@]} seed files"

# ---- replay the saved crashes and the seeds, then fuzz ----
status=0
for h in "${harnesses[@]}"; do
	for c in "$CRASHES/$h"-*; do
		[ -e "$c" ] || continue
		if ! "$OUT/$h" -timeout=25 -rss_limit_mb=2048 "$c" >"$OUT/$h.replay.log" 2>&1; then
			echo "fuzz: $h still fails on $c (log: $OUT/$h.replay.log)"
			status=1
		fi
	done

	before=$(ls "$CRASHES" | grep -c "^$h-" || true)
	if [ "$SECONDS_EACH" -eq 0 ]; then
		"$OUT/$h" -runs=0 -timeout=25 -rss_limit_mb=2048 \
			-artifact_prefix="$CRASHES/$h-" "$OUT/seeds/$h" >"$OUT/$h.log" 2>&1
	else
		echo "fuzz: $h for ${SECONDS_EACH}s"
		"$OUT/$h" -max_total_time="$SECONDS_EACH" -timeout=25 -rss_limit_mb=2048 \
			-print_final_stats=1 -artifact_prefix="$CRASHES/$h-" \
			"$OUT/corpus/$h" "$OUT/seeds/$h" >"$OUT/$h.log" 2>&1
	fi
	rc=$?
	after=$(ls "$CRASHES" | grep -c "^$h-" || true)
	execs=$(grep -E '^stat::number_of_executed_units' "$OUT/$h.log" | awk '{print $2}')
	cov=$(grep -E '^#[0-9]+.*(DONE|INITED).*cov:' "$OUT/$h.log" | tail -1 | sed -E 's/.*cov: ([0-9]+).*/\1/')
	if [ $rc -ne 0 ] || [ "$after" -gt "$before" ]; then
		echo "fuzz: $h FAILED (exit $rc); new artifacts:"
		ls -t "$CRASHES" | grep "^$h-" | head -$((after - before > 0 ? after - before : 1)) | sed "s|^|  $CRASHES/|"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*contract broken|.*runtime error)' "$OUT/$h.log" | head -5 | sed 's/^/  /'
		echo "  log: $OUT/$h.log"
		status=1
	else
		if [ "$SECONDS_EACH" -eq 0 ]; then
			echo "fuzz: $h ok (seeds and saved crashes replayed)"
		else
			echo "fuzz: $h ok (${execs:-?} runs, cov ${cov:-?}, corpus $(ls "$OUT/corpus/$h" | wc -l))"
		fi
	fi
done
exit $status
