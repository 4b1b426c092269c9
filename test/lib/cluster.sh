#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster on a unix socket in a temp dir (no TCP).
# Source this file, then: cluster_start [extra postgresql.conf lines...];
# it exports PGHOST, PGPORT, PGUSER, PGDATABASE and CLUSTER_DIR, and
# cluster_stop removes everything.  PostgreSQL refuses to run as root, so
# when we are root the server runs as the unprivileged `postgres` user.

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
CLUSTER_USER=${CLUSTER_USER:-postgres}

as_cluster_user() {
	if [ "$(id -u)" -eq 0 ]; then
		runuser -u "$CLUSTER_USER" -- "$@"
	else
		"$@"
	fi
}

cluster_start() {
	CLUSTER_DIR=$(mktemp -d /tmp/iot_lakehouse.XXXXXX)
	chmod 755 "$CLUSTER_DIR"
	mkdir -p "$CLUSTER_DIR/data" "$CLUSTER_DIR/socket" "$CLUSTER_DIR/files"
	[ "$(id -u)" -eq 0 ] && chown -R "$CLUSTER_USER" "$CLUSTER_DIR"
	as_cluster_user "$PG_BIN/initdb" -D "$CLUSTER_DIR/data" -U postgres --auth=trust \
		--encoding=UTF8 --locale=C.UTF-8 >"$CLUSTER_DIR/initdb.log" 2>&1 ||
		{ cat "$CLUSTER_DIR/initdb.log"; return 1; }
	{
		echo "listen_addresses = ''"
		echo "unix_socket_directories = '$CLUSTER_DIR/socket'"
		echo "shared_preload_libraries = '${CLUSTER_PRELOAD-iot_lakehouse}'"
		echo "fsync = off"
		echo "log_min_messages = warning"
		for line in "$@"; do echo "$line"; done
	} >>"$CLUSTER_DIR/data/postgresql.conf"
	as_cluster_user "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -l "$CLUSTER_DIR/server.log" -w start >/dev/null ||
		{ cat "$CLUSTER_DIR/server.log"; return 1; }
	export PGHOST="$CLUSTER_DIR/socket" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres CLUSTER_DIR
	# a directory both the server and the test (root) can write
	export LAKE_TEST_FILES="$CLUSTER_DIR/files"
}

cluster_stop() {
	[ -n "${CLUSTER_DIR:-}" ] || return 0
	as_cluster_user "$PG_BIN/pg_ctl" -D "$CLUSTER_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
	if [ -n "${KEEP_CLUSTER:-}" ]; then
		echo "cluster kept in $CLUSTER_DIR"
	else
		rm -rf "$CLUSTER_DIR"
	fi
}

# True while the postmaster that cluster_start began is still the same process
# (a backend crash makes it restart every backend: tests watch for that).
cluster_postmaster_pid() {
	head -1 "$CLUSTER_DIR/data/postmaster.pid"
}
