\echo Use "CREATE EXTENSION iot_lakehouse" to load this file. \quit

/* iot_lakehouse 0.1.0: the Parquet foreign data wrapper and write_parquet */

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
	'Parquet files (one file or a directory of *.parquet) as foreign tables';

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
