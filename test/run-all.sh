#!/usr/bin/env bash
# The suites that need an installed extension: pgTAP through pg_prove, the
# DuckDB interop tests, then the pipeline under pg_cron.  (make check runs the
# C unit tests of lake/ first.)
# Runs every suite even when one fails; exits non-zero if any failed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
status=0
echo "== pgTAP suites"
bash "$here/run-pgtap.sh" || status=1
echo "== interop suites (DuckDB, node-postgres)"
bash "$here/interop/run.sh" || status=1
echo "== pg_cron suite (the pipeline run by cron jobs)"
bash "$here/cron/run.sh" || status=1
if [ $status -ne 0 ]; then
	echo "check: some suites failed"
fi
exit $status
