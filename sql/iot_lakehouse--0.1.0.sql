\echo Use "CREATE EXTENSION iot_lakehouse" to load this file. \quit

/* iot_lakehouse 0.1.0: the Parquet and Delta foreign data wrapper, time travel, write_parquet */

/* the schema comes from the control file; what is in it is granted per object */
GRANT USAGE ON SCHEMA lakehouse TO PUBLIC;

/* ---------------------------------------------------------------- FDW */

CREATE FUNCTION lakehouse.fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME', 'lakehouse_fdw_handler'
LANGUAGE C STRICT
SET search_path = pg_catalog, pg_temp;

CREATE FUNCTION lakehouse.fdw_validator(pg_catalog.text[], pg_catalog.oid)
RETURNS void
AS 'MODULE_PATHNAME', 'lakehouse_fdw_validator'
LANGUAGE C STRICT
SET search_path = pg_catalog, pg_temp;

CREATE FOREIGN DATA WRAPPER iot_lakehouse_fdw
	HANDLER lakehouse.fdw_handler
	VALIDATOR lakehouse.fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER iot_lakehouse_fdw IS
	'Delta Lake tables, and Parquet files (one file or a directory of *.parquet), as foreign tables';

/* ---------------------------------------------------------- Delta tables */

/* DESCRIBE HISTORY of a Delta foreign table, newest first (needs SELECT on it) */
CREATE FUNCTION lakehouse.history(rel pg_catalog.regclass)
RETURNS TABLE (version pg_catalog.int8, "timestamp" pg_catalog.timestamptz,
			   operation pg_catalog.text, operation_parameters pg_catalog.jsonb,
			   operation_metrics pg_catalog.jsonb, engine pg_catalog.text)
AS 'MODULE_PATHNAME', 'lakehouse_history'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION lakehouse.history(pg_catalog.regclass) IS
	'the commits of a Delta foreign table, newest first';

/*
 * The rows of a Delta foreign table at a version, or as of an instant (its
 * latest commit at or before it):
 *   SELECT * FROM lakehouse.as_of(NULL::s.t, version => 3);
 *   SELECT * FROM lakehouse.as_of(NULL::s.t, "timestamp" => '2024-05-01 12:00+00');
 * The table is read with the caller's privileges.
 */
CREATE FUNCTION lakehouse.as_of(rel anyelement, version pg_catalog.int8 DEFAULT NULL,
								"timestamp" pg_catalog.timestamptz DEFAULT NULL)
RETURNS SETOF anyelement
AS 'MODULE_PATHNAME', 'lakehouse_as_of'
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION lakehouse.as_of(anyelement, pg_catalog.int8, pg_catalog.timestamptz) IS
	'the rows of a Delta foreign table at a version or as of an instant';

/* -------------------------------------------------------- write_parquet */

/*
 * Runs query and writes its rows to one Parquet file at path (replaced
 * atomically).  No SET search_path here: the query is the caller's and
 * must resolve names with the caller's search_path.  The C code checks
 * that the caller has the privileges of pg_write_server_files, like COPY
 * TO a file; EXECUTE is also limited to that role.
 */
CREATE FUNCTION lakehouse.write_parquet(query pg_catalog.text, path pg_catalog.text,
										compression pg_catalog.text DEFAULT 'snappy')
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'lakehouse_write_parquet'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE SECURITY INVOKER;

REVOKE ALL ON FUNCTION lakehouse.write_parquet(pg_catalog.text, pg_catalog.text, pg_catalog.text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lakehouse.write_parquet(pg_catalog.text, pg_catalog.text, pg_catalog.text)
	TO pg_write_server_files;

COMMENT ON FUNCTION lakehouse.write_parquet(pg_catalog.text, pg_catalog.text, pg_catalog.text) IS
	'write the rows of a query to a Parquet file; returns the number of rows';

/* ------------------------------------------------------------ ingest_csv */

/*
 * Appends every row of a CSV file on the server to a Delta foreign table,
 * in the transaction's commit of that table.  Columns are matched by the
 * header's names (case-insensitive), or by position without a header.  A
 * row that does not fit is an error naming its line, unless the table has
 * a column _rescued_data (text or jsonb), where it is kept as JSON.  The C
 * code checks pg_read_server_files (the file), pg_write_server_files (the
 * table) and INSERT on the table.
 */
CREATE FUNCTION lakehouse.ingest_csv(target pg_catalog.regclass, path pg_catalog.text,
									 delimiter pg_catalog.text DEFAULT ',',
									 header pg_catalog.bool DEFAULT true,
									 null_string pg_catalog.text DEFAULT '',
									 source_timezone pg_catalog.text DEFAULT 'UTC')
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'lakehouse_ingest_csv'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION lakehouse.ingest_csv(pg_catalog.regclass, pg_catalog.text, pg_catalog.text,
											pg_catalog.bool, pg_catalog.text, pg_catalog.text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lakehouse.ingest_csv(pg_catalog.regclass, pg_catalog.text, pg_catalog.text,
											   pg_catalog.bool, pg_catalog.text, pg_catalog.text)
	TO pg_read_server_files;

COMMENT ON FUNCTION lakehouse.ingest_csv(pg_catalog.regclass, pg_catalog.text, pg_catalog.text,
										 pg_catalog.bool, pg_catalog.text, pg_catalog.text) IS
	'append the rows of a CSV file to a Delta foreign table; returns the number of rows';
