\echo Use "ALTER EXTENSION iot_lakehouse UPDATE TO '0.2.0'" to load this file. \quit

/*
 * iot_lakehouse 0.2.0: the streaming medallion pipeline.  CSV files
 * dropped into lakehouse.drop_dir flow into bronze.sensor_logs, then
 * silver.sensor_logs (validated, deduplicated; bad rows in
 * silver.sensor_logs_quarantine), then gold.sensor_hourly_avg, run by the
 * background worker or by lakehouse.refresh().  Also
 * lakehouse.table_changes() and lakehouse.create_delta_table().
 */

/* ---------------------------------------------------- table_changes */

/*
 * The rows that versions from_version..to_version (NULL: the latest) of a
 * Delta foreign table appended, as Databricks' table_changes for inserts:
 *   SELECT * FROM lakehouse.table_changes(NULL::bronze.sensor_logs, 5);
 */
CREATE FUNCTION lakehouse.table_changes(rel anyelement, from_version pg_catalog.int8,
										to_version pg_catalog.int8 DEFAULT NULL)
RETURNS SETOF anyelement
AS 'MODULE_PATHNAME', 'lakehouse_table_changes'
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION lakehouse.table_changes(anyelement, pg_catalog.int8, pg_catalog.int8) IS
	'the rows a range of versions of a Delta foreign table appended';

/* ----------------------------------------------- create_delta_table */

/* version 0 (schema, no data) of a foreign table's Delta table; NULL when it exists */
CREATE FUNCTION lakehouse.create_delta_table(target pg_catalog.regclass)
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'lakehouse_create_delta_table'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION lakehouse.create_delta_table(pg_catalog.regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lakehouse.create_delta_table(pg_catalog.regclass) TO pg_write_server_files;

COMMENT ON FUNCTION lakehouse.create_delta_table(pg_catalog.regclass) IS
	'create the (empty) Delta table of a foreign table that has none yet';

/* ---------------------------------------------------------- pipeline */

CREATE FUNCTION lakehouse.pipeline_root()
RETURNS pg_catalog.text
AS 'MODULE_PATHNAME', 'lakehouse_pipeline_root'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION lakehouse.pipeline_root() FROM PUBLIC;

COMMENT ON FUNCTION lakehouse.pipeline_root() IS
	'the directory lakehouse.root names, created when missing';

/* the pipeline's tables live under lakehouse.root, through this server */
DO $$
BEGIN
	EXECUTE pg_catalog.format('CREATE SERVER lakehouse FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root %L)',
							  lakehouse.pipeline_root());
END
$$;

COMMENT ON SERVER lakehouse IS 'the medallion tables of the streaming pipeline, under lakehouse.root';

CREATE SCHEMA bronze;
CREATE SCHEMA silver;
CREATE SCHEMA gold;
COMMENT ON SCHEMA bronze IS 'raw sensor readings as dropped, every line';
COMMENT ON SCHEMA silver IS 'validated, deduplicated sensor readings, and the quarantine';
COMMENT ON SCHEMA gold IS 'hourly aggregates per sensor';

CREATE FOREIGN TABLE bronze.sensor_logs (
	sensor_id pg_catalog.int4,
	"timestamp" pg_catalog.timestamptz,
	temperature pg_catalog.float8,
	humidity pg_catalog.float8,
	location pg_catalog.text,
	_rescued_data pg_catalog.jsonb,
	_source_file pg_catalog.text,
	_source_line pg_catalog.int8,
	_ingested_at pg_catalog.timestamptz
) SERVER lakehouse OPTIONS (path 'bronze/sensor_logs');

CREATE FOREIGN TABLE silver.sensor_logs (
	sensor_id pg_catalog.int4,
	"timestamp" pg_catalog.timestamptz,
	temperature pg_catalog.float8,
	humidity pg_catalog.float8,
	location pg_catalog.text,
	reading_date pg_catalog.date,
	_source_file pg_catalog.text,
	_source_line pg_catalog.int8,
	_ingested_at pg_catalog.timestamptz
) SERVER lakehouse OPTIONS (path 'silver/sensor_logs', partition_by 'reading_date');

CREATE FOREIGN TABLE silver.sensor_logs_quarantine (
	sensor_id pg_catalog.int4,
	"timestamp" pg_catalog.timestamptz,
	temperature pg_catalog.float8,
	humidity pg_catalog.float8,
	location pg_catalog.text,
	_rescued_data pg_catalog.jsonb,
	_source_file pg_catalog.text,
	_source_line pg_catalog.int8,
	_ingested_at pg_catalog.timestamptz,
	reason pg_catalog.text,
	_quarantined_at pg_catalog.timestamptz
) SERVER lakehouse OPTIONS (path 'silver/sensor_logs_quarantine');

CREATE FOREIGN TABLE gold.sensor_hourly_avg (
	sensor_id pg_catalog.int4,
	location pg_catalog.text,
	hour pg_catalog.timestamptz,
	avg_temperature pg_catalog.float8,
	min_temperature pg_catalog.float8,
	max_temperature pg_catalog.float8,
	avg_humidity pg_catalog.float8,
	min_humidity pg_catalog.float8,
	max_humidity pg_catalog.float8,
	reading_count pg_catalog.int8,
	reading_date pg_catalog.date
) SERVER lakehouse OPTIONS (path 'gold/sensor_hourly_avg', partition_by 'reading_date');

COMMENT ON FOREIGN TABLE bronze.sensor_logs IS
	'every line of every accepted drop: typed where it parses, the rest in _rescued_data';
COMMENT ON FOREIGN TABLE silver.sensor_logs IS
	'valid readings, deduplicated on (sensor_id, timestamp): the first arrival wins';
COMMENT ON FOREIGN TABLE silver.sensor_logs_quarantine IS
	'invalid readings from Bronze, with the reason';
COMMENT ON FOREIGN TABLE gold.sensor_hourly_avg IS
	'per sensor, location and hour (UTC): temperature and humidity average, minimum, maximum, count';

/* the Delta tables exist (empty) before the first drop */
SELECT lakehouse.create_delta_table('bronze.sensor_logs');
SELECT lakehouse.create_delta_table('silver.sensor_logs');
SELECT lakehouse.create_delta_table('silver.sensor_logs_quarantine');
SELECT lakehouse.create_delta_table('gold.sensor_hourly_avg');

/*
 * For BI tools whose navigator lists only tables and views (older Npgsql in
 * Power BI's PostgreSQL connector): a view over each layer.
 */
CREATE VIEW bronze.sensor_logs_view AS SELECT * FROM bronze.sensor_logs;
CREATE VIEW silver.sensor_logs_view AS SELECT * FROM silver.sensor_logs;
CREATE VIEW silver.sensor_logs_quarantine_view AS SELECT * FROM silver.sensor_logs_quarantine;
CREATE VIEW gold.sensor_hourly_avg_view AS SELECT * FROM gold.sensor_hourly_avg;
COMMENT ON VIEW bronze.sensor_logs_view IS 'bronze.sensor_logs, for tools that list only tables and views';
COMMENT ON VIEW silver.sensor_logs_view IS 'silver.sensor_logs, for tools that list only tables and views';
COMMENT ON VIEW silver.sensor_logs_quarantine_view IS 'silver.sensor_logs_quarantine, for tools that list only tables and views';
COMMENT ON VIEW gold.sensor_hourly_avg_view IS 'gold.sensor_hourly_avg, for tools that list only tables and views';

/*
 * Runs stages of the pipeline now, in this session ('bronze', 'silver',
 * 'gold' or 'all'), serialized with the worker; one row per stage run.
 * Each stage commits to its Delta table when it finishes.
 */
CREATE FUNCTION lakehouse.refresh(stage pg_catalog.text DEFAULT 'all')
RETURNS TABLE (stage_name pg_catalog.text, committed pg_catalog.bool, version pg_catalog.int8,
			   source_version pg_catalog.int8, rows_in pg_catalog.int8, rows_out pg_catalog.int8,
			   rows_quarantined pg_catalog.int8, files pg_catalog.int4, files_rejected pg_catalog.int4)
AS 'MODULE_PATHNAME', 'lakehouse_refresh'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION lakehouse.refresh(pg_catalog.text) FROM PUBLIC;

COMMENT ON FUNCTION lakehouse.refresh(pg_catalog.text) IS
	'run pipeline stages now: bronze, silver, gold or all';

CREATE FUNCTION lakehouse.pipeline_status()
RETURNS TABLE (stage pg_catalog.text, table_name pg_catalog.text, table_version pg_catalog.int8,
			   source_version pg_catalog.int8, files_pending pg_catalog.int8,
			   rows_in pg_catalog.int8, rows_out pg_catalog.int8, rows_quarantined pg_catalog.int8,
			   files pg_catalog.int8, files_rejected pg_catalog.int8, runs pg_catalog.int8,
			   commits pg_catalog.int8, errors pg_catalog.int8, last_run pg_catalog.timestamptz,
			   last_commit pg_catalog.timestamptz, last_error pg_catalog.text,
			   last_error_at pg_catalog.timestamptz, worker_pid pg_catalog.int4)
AS 'MODULE_PATHNAME', 'lakehouse_pipeline_status'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

REVOKE ALL ON FUNCTION lakehouse.pipeline_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION lakehouse.pipeline_status() TO pg_monitor, pg_read_server_files;

CREATE VIEW lakehouse.pipeline_status AS SELECT * FROM lakehouse.pipeline_status();
REVOKE ALL ON lakehouse.pipeline_status FROM PUBLIC;
GRANT SELECT ON lakehouse.pipeline_status TO pg_monitor, pg_read_server_files;

COMMENT ON VIEW lakehouse.pipeline_status IS
	'per stage of the pipeline: versions, what is pending, counters since start, last run and error';

/* ---------------------------------------------------------- maintenance */

/* the Z-order key of coordinates in [0, 1] (bits interleaved); NULL counts as 1 */
CREATE FUNCTION lakehouse.zorder_key(coords pg_catalog.float8[])
RETURNS pg_catalog.int8
AS 'MODULE_PATHNAME', 'lakehouse_zorder_key'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION lakehouse.zorder_key(pg_catalog.float8[]) IS
	'Z-order (Morton) key of coordinates in [0, 1]';

/*
 * OPTIMIZE: compacts small files into files of about
 * lakehouse.target_file_size, or with zorder_by rewrites every file in
 * scope in Z-order of those columns; "where" selects partitions.  One
 * commit (OPTIMIZE, dataChange false) that concurrent appends do not
 * conflict with.  Needs ownership of the table and pg_write_server_files.
 */
CREATE FUNCTION lakehouse.optimize(target pg_catalog.regclass, zorder_by pg_catalog.text[] DEFAULT NULL,
								   "where" pg_catalog.text DEFAULT NULL)
RETURNS TABLE (version pg_catalog.int8, files_removed pg_catalog.int8, files_added pg_catalog.int8,
			   bytes_removed pg_catalog.int8, bytes_added pg_catalog.int8, rows pg_catalog.int8,
			   partitions pg_catalog.int8)
AS 'MODULE_PATHNAME', 'lakehouse_optimize'
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION lakehouse.optimize(pg_catalog.regclass, pg_catalog.text[], pg_catalog.text) IS
	'compact a Delta table''s small files, or rewrite it in Z-order';

/*
 * VACUUM: deletes the data files no version inside the retention needs
 * (and none younger than it); returns them (with dry_run: lists them).  A
 * retention shorter than the table's delta.deletedFileRetentionDuration
 * (default 1 week) is refused unless retention_check => false.
 */
CREATE FUNCTION lakehouse.vacuum(target pg_catalog.regclass, retain pg_catalog.interval DEFAULT '7 days',
								 dry_run pg_catalog.bool DEFAULT false,
								 retention_check pg_catalog.bool DEFAULT true)
RETURNS TABLE (path pg_catalog.text, size pg_catalog.int8, modified pg_catalog.timestamptz)
AS 'MODULE_PATHNAME', 'lakehouse_vacuum'
LANGUAGE C STRICT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION lakehouse.vacuum(pg_catalog.regclass, pg_catalog.interval, pg_catalog.bool, pg_catalog.bool) IS
	'delete the data files of a Delta table that no version inside the retention needs';

/* RESTORE: one commit that makes the table equal to a version (or the version as of an instant) */
CREATE FUNCTION lakehouse.restore(target pg_catalog.regclass, version pg_catalog.int8 DEFAULT NULL,
								  "timestamp" pg_catalog.timestamptz DEFAULT NULL)
RETURNS TABLE (committed_version pg_catalog.int8, restored_version pg_catalog.int8, files_removed pg_catalog.int8,
			   files_restored pg_catalog.int8, bytes_removed pg_catalog.int8, bytes_restored pg_catalog.int8)
AS 'MODULE_PATHNAME', 'lakehouse_restore'
LANGUAGE C CALLED ON NULL INPUT VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp;

COMMENT ON FUNCTION lakehouse.restore(pg_catalog.regclass, pg_catalog.int8, pg_catalog.timestamptz) IS
	'make a Delta table equal to one of its versions, in one new commit';
