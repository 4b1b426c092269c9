#!/usr/bin/env bash
# The pipeline run by pg_cron alone (Debian's postgresql-15-cron): a throwaway
# cluster with shared_preload_libraries = 'iot_lakehouse,pg_cron' and the
# pipeline's own worker off (lakehouse.worker_enabled = off), a cron job
# `SELECT * FROM lakehouse.refresh()`, CSV files dropped into the drop
# directory, and the medallion tables checked once cron has run the stages:
# Bronze every line, Silver deduplicated, the quarantine, Gold's hourly rows,
# the files moved to _processed/, and cron.job_run_details reporting
# succeeded runs.  Two drops, so that two cron runs are needed: the second
# one's duplicate is dropped by Silver and Gold's touched hour recomputed.
#
# pg_cron 1.5+ takes '5 seconds' schedules; the 1.4 of Debian 12 only cron
# syntax, so the job runs every minute there and a wait can last a minute.
#
# Prints TAP-like "ok N - ..." / "not ok N - ..." lines and ends with
# "N passed, M failed"; exit status 0 only when nothing failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
testdir=$(cd "$here/.." && pwd)
source "$testdir/lib/cluster.sh"

passed=0
failed=0
n=0
ok() {
	n=$((n + 1))
	passed=$((passed + 1))
	echo "ok $n - $1"
}
not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $1"
	shift
	for line in "$@"; do echo "#   $line"; done
}
# check DESCRIPTION GOT EXPECTED
check() {
	if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1" "got:      $2" "expected: $3"; fi
}
finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

if [ ! -f "$("$PG_BIN/pg_config" --pkglibdir)/pg_cron.so" ]; then
	not_ok "pg_cron is installed (postgresql-15-cron: scripts/install-deps.sh)"
	finish
	exit 1
fi

CLUSTER_PRELOAD='iot_lakehouse,pg_cron'
if ! cluster_start "cron.database_name = 'postgres'" "lakehouse.worker_enabled = off" "lakehouse.settle_ms = 0"; then
	not_ok "a cluster with iot_lakehouse and pg_cron preloaded starts"
	finish
	exit 1
fi
on_exit() {
	status=$?
	if [ $status -ne 0 ] && [ -f "$CLUSTER_DIR/server.log" ]; then
		echo "---- last lines of the server log"
		tail -n 40 "$CLUSTER_DIR/server.log"
	fi
	cluster_stop
	exit $status
}
trap on_exit EXIT

q() { psql -qAtX -v ON_ERROR_STOP=1 "$@"; }

# pg_cron connects to the server with libpq: by its socket (there is no TCP listener)
q -c "ALTER SYSTEM SET cron.host = '$PGHOST'" >/dev/null
as_cluster_user "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w restart >/dev/null ||
	{ not_ok "the cluster restarts with cron.host"; finish; exit 1; }

if out=$(q -c "CREATE EXTENSION iot_lakehouse" -c "CREATE EXTENSION pg_cron" 2>&1); then
	ok "CREATE EXTENSION iot_lakehouse, pg_cron ($(q -c "SELECT string_agg(extname || ' ' || extversion, ', ' ORDER BY extname) FROM pg_extension WHERE extname IN ('iot_lakehouse', 'pg_cron')"))"
else
	not_ok "CREATE EXTENSION iot_lakehouse, pg_cron" "$out"
	finish
	exit 1
fi

root=$(q -c "SELECT lakehouse.pipeline_root()")	# creates the drop directory
drop=$(q -c "SELECT current_setting('lakehouse.drop_dir')")
[ -n "$drop" ] || drop="$root/incoming"
staging="$CLUSTER_DIR/files"

# drop NAME: the CSV on stdin, written beside the drop directory, owned by the server's user, renamed in
drop_file() {
	cat >"$staging/$1.part"
	chmod 644 "$staging/$1.part"
	[ "$(id -u)" -eq 0 ] && chown "$CLUSTER_USER" "$staging/$1.part"
	mv "$staging/$1.part" "$drop/$1"
}

# wait_for SECONDS SQL EXPECTED: until the query's output is EXPECTED; prints the last output
wait_for() {
	local end=$((SECONDS + $1)) got=""
	while :; do
		got=$(q -c "$2" 2>&1)
		[ "$got" == "$3" ] && break
		[ $SECONDS -ge "$end" ] && break
		sleep 1
	done
	printf '%s' "$got"
}

GOLD_SQL="SELECT coalesce(string_agg(format('%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s', sensor_id, location,
	to_char(hour AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), avg_temperature, min_temperature, max_temperature,
	avg_humidity, min_humidity, max_humidity, reading_count, reading_date), ' ; ' ORDER BY sensor_id, hour), '(none)')
	FROM gold.sensor_hourly_avg"

drop_file gw1-0001.csv <<'EOF'
sensor_id,timestamp,temperature,humidity,location
1,2024-03-01T10:05:00Z,20.0,40,hall
1,2024-03-01T10:35:00Z,22.0,44,hall
1,2024-03-01T11:10:00Z,25.5,50,hall
2,2024-03-01T10:15:00Z,18.0,60,yard
2,2024-03-01T10:15:00Z,18.0,60,yard
3,2024-03-01T10:20:00Z,300,50,roof
EOF

# the worker is off: nothing takes the file until cron runs
sleep 3
check "with lakehouse.worker_enabled = off the file waits (Bronze at version 0, the file in the drop directory)" \
	"$(q -c "SELECT table_version FROM lakehouse.pipeline_status WHERE stage = 'bronze'") $(ls "$drop" | grep -c '\.csv$')" "0 1"

# '5 seconds' where pg_cron takes it (1.5+), else every minute
schedule=$(q -c "DO \$\$
BEGIN
	PERFORM cron.schedule('lakehouse-refresh', '5 seconds', 'SELECT * FROM lakehouse.refresh()');
EXCEPTION WHEN others THEN
	PERFORM cron.schedule('lakehouse-refresh', '* * * * *', 'SELECT * FROM lakehouse.refresh()');
END
\$\$" -c "SELECT schedule FROM cron.job WHERE jobname = 'lakehouse-refresh'" 2>&1)
case "$schedule" in
	'5 seconds') bound=60 ;;
	'* * * * *') bound=150 ;;
	*) not_ok "cron.schedule of lakehouse.refresh()" "$schedule"; finish; exit 1 ;;
esac
ok "cron.schedule('lakehouse-refresh', '$schedule', 'SELECT * FROM lakehouse.refresh()')"

t0=$SECONDS
expected="1|hall|2024-03-01 10:00|21|20|22|42|40|44|2|2024-03-01 ; 1|hall|2024-03-01 11:00|25.5|25.5|25.5|50|50|50|1|2024-03-01 ; 2|yard|2024-03-01 10:00|18|18|18|60|60|60|1|2024-03-01"
got=$(wait_for $bound "$GOLD_SQL" "$expected")
check "cron ran the pipeline: gold.sensor_hourly_avg has the hourly rows (after $((SECONDS - t0)) s, bound $bound s)" "$got" "$expected"
check "Bronze: every line of the file once" \
	"$(q -c "SELECT count(*), count(DISTINCT _source_line), min(_source_line), max(_source_line) FROM bronze.sensor_logs WHERE _source_file = 'gw1-0001.csv'")" "6|6|2|7"
check "Silver: the valid readings, the duplicate line dropped (the first wins)" \
	"$(q -c "SELECT string_agg(sensor_id || '@' || to_char(\"timestamp\" AT TIME ZONE 'UTC', 'HH24:MI') || ':' || _source_line, ' ' ORDER BY sensor_id, \"timestamp\") FROM silver.sensor_logs")" \
	"1@10:05:2 1@10:35:3 1@11:10:4 2@10:15:5"
check "the quarantine: the out-of-range line with its reason" \
	"$(q -c "SELECT string_agg(_source_line || ' ' || reason, '; ') FROM silver.sensor_logs_quarantine")" \
	"7 temperature 300 is outside [-50, 150]"
check "the file moved to _processed/" "$(ls "$drop" | grep -c '\.csv$') $(ls "$drop/_processed" 2>/dev/null)" "0 gw1-0001.csv"

# a second drop: a copy of an earlier reading (Silver drops it), a new reading in a touched hour, a new hour
drop_file gw2-0002.csv <<'EOF'
sensor_id,timestamp,temperature,humidity,location
1,2024-03-01T10:35:00Z,22.0,44,hall
1,2024-03-01T10:50:00Z,24.0,46,hall
2,2024-03-02T00:30:00Z,-5.5,80,yard
EOF
t0=$SECONDS
expected="1|hall|2024-03-01 10:00|22|20|24|43.333333333333336|40|46|3|2024-03-01 ; 1|hall|2024-03-01 11:00|25.5|25.5|25.5|50|50|50|1|2024-03-01 ; 2|yard|2024-03-01 10:00|18|18|18|60|60|60|1|2024-03-01 ; 2|yard|2024-03-02 00:00|-5.5|-5.5|-5.5|80|80|80|1|2024-03-02"
got=$(wait_for $bound "$GOLD_SQL" "$expected")
check "a later cron run: Gold's touched hour recomputed, the new hour added (after $((SECONDS - t0)) s)" "$got" "$expected"
check "Silver: the copy of an earlier reading is not added again" \
	"$(q -c "SELECT count(*), count(DISTINCT (sensor_id, \"timestamp\")), count(*) FILTER (WHERE _source_file = 'gw2-0002.csv') FROM silver.sensor_logs")" "6|6|2"
check "Bronze: 9 lines, the second file in a commit of its own" \
	"$(q -c "SELECT count(*), count(DISTINCT _ingested_at) FROM bronze.sensor_logs")" "9|2"
check "lakehouse.pipeline_status: nothing pending, Silver and Gold at their sources' versions" \
	"$(q -c "SELECT bool_and(s.files_pending = 0), bool_and(s.source_version = src.table_version)
		FROM lakehouse.pipeline_status s
		LEFT JOIN lakehouse.pipeline_status src ON src.stage = CASE s.stage WHEN 'silver' THEN 'bronze' WHEN 'gold' THEN 'silver' END")" "t|t"

# what pg_cron says about its runs
runs=$(q -c "SELECT count(*) FILTER (WHERE d.status = 'succeeded'), count(*) FILTER (WHERE d.status = 'failed'),
	coalesce(string_agg(DISTINCT d.return_message, ', ') FILTER (WHERE d.status = 'succeeded'), '')
	FROM cron.job_run_details d JOIN cron.job j USING (jobid) WHERE j.jobname = 'lakehouse-refresh'")
IFS='|' read -r succeeded failed_runs messages <<<"$runs"
# the message of a run is the command's tag ("SELECT 3") or, in pg_cron 1.4, "3 rows": one row per stage
if [ "${succeeded:-0}" -ge 2 ] && [ "${failed_runs:-1}" -eq 0 ] && [[ "$messages" =~ ^(SELECT\ 3|3\ rows)$ ]]; then
	ok "cron.job_run_details: $succeeded succeeded runs ($messages: one row per stage), none failed"
else
	not_ok "cron.job_run_details: at least 2 succeeded runs of 3 rows (one per stage), none failed" "got: $runs" \
		"$(q -c "SELECT string_agg(status || ': ' || coalesce(return_message, ''), E'\n') FROM (SELECT * FROM cron.job_run_details ORDER BY runid DESC LIMIT 5) d")"
fi

q -c "SELECT cron.unschedule('lakehouse-refresh')" >/dev/null
finish
