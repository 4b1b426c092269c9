#!/usr/bin/env bash
# Runs the pgTAP suites (test/pgtap/*.sql, or the files given) with pg_prove
# against a throwaway cluster with iot_lakehouse preloaded.  Each suite gets
# the psql variables :files (a directory the server may write) and :golden
# (the shared Delta golden tables), and runs as the postgres superuser.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/cluster.sh"

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=("$here"/pgtap/*.sql)

golden=${LAKE_GOLDEN_DIR:-$(cd "$here/../.." && pwd)/shared/delta-golden}

cluster_start
trap cluster_stop EXIT
psql -qX -v ON_ERROR_STOP=1 -c "CREATE EXTENSION pgtap" >/dev/null
export PGOPTIONS="-c client_min_messages=warning"
# pg_prove passes --set to psql for each suite
pg_prove --ext .sql --set "files=$LAKE_TEST_FILES" --set "golden=$golden" \
	--set "fixtures=$here/fixtures" "${suites[@]}"
