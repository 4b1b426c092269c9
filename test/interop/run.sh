#!/usr/bin/env bash
# Runs the interop suites (test/interop/*.test.mjs, or the files given) with
# node's test runner against a throwaway cluster with iot_lakehouse
# installed: DuckDB (@duckdb/node-api) is the independent oracle, node-postgres
# the client.  Installs the node dependencies of test/ first when missing.
# Exit status: the test runner's.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
testdir=$(cd "$here/.." && pwd)
source "$testdir/lib/cluster.sh"

if [ ! -d "$testdir/node_modules/@duckdb/node-api" ] || [ ! -d "$testdir/node_modules/pg" ]; then
	echo "installing the node dependencies of test/"
	(cd "$testdir" && { npm ci --no-audit --no-fund --loglevel=error ||
		npm install --no-audit --no-fund --loglevel=error; })
fi

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=("$here"/*.test.mjs)

export LAKE_GOLDEN_DIR=${LAKE_GOLDEN_DIR:-$(cd "$testdir/../.." && pwd)/shared/delta-golden}

cluster_start
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
psql -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION iot_lakehouse" >/dev/null

# one file at a time: the corruption suite watches the server as a whole
node --test --test-concurrency=1 "${suites[@]}"
