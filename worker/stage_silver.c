/*
 * stage_silver.c
 *	  Silver: the Bronze rows not processed yet, validated, deduplicated,
 *	  into silver.sensor_logs; the invalid ones, with a reason, into
 *	  silver.sensor_logs_quarantine.
 *
 * Incremental: each of the two tables records in its own log (txn action)
 * the Bronze version it has processed up to, and reads the rows Bronze's
 * later versions appended (the files those commits added: the changes
 * override of fdw_delta.c).  The two tables commit one after the other;
 * a crash between them is repaired by the next run, which brings the one
 * behind up to the same Bronze version.
 *
 * Valid: sensor_id, timestamp, temperature and humidity present and
 * parsed, temperature and humidity within lakehouse.temperature_min/_max
 * and humidity_min/_max (NaN and infinities are outside); location may be
 * null.  Deduplicated on (sensor_id, timestamp) over all of Silver: the
 * first arrival (Bronze's _ingested_at, then file, then line) wins, later
 * ones are dropped (they stay in Bronze).  Finding them reads only the
 * Silver partitions (reading_date) of the new rows, and there only the
 * files whose statistics overlap their time range: the cost follows the
 * new data, not the size of Silver.  Partitioned by reading_date, the
 * UTC date of the reading.
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "iot_lakehouse.h"
#include "pipeline.h"
#include "stage_spi.h"

/* $1..$4: temperature min/max, humidity min/max */
#define SILVER_VALID \
	"sensor_id IS NOT NULL AND \"timestamp\" IS NOT NULL" \
	" AND temperature BETWEEN $1 AND $2" \
	" AND humidity BETWEEN $3 AND $4"

/*
 * Why a Bronze row is not valid: the first failing check, column by
 * column.  A value that did not parse is in _rescued_data under its header
 * name, whose case may differ (header names match case-insensitively).
 */
#define SILVER_MISSING(col, what) \
	"WHEN b." col " IS NULL THEN CASE WHEN EXISTS (SELECT 1 FROM jsonb_object_keys(b._rescued_data) k" \
	" WHERE lower(k) = '" col "') THEN '" col " is not " what "' ELSE '" col " is missing' END "

static const char *const silver_quarantine_sql =
"INSERT INTO silver.sensor_logs_quarantine"
" (sensor_id, \"timestamp\", temperature, humidity, location, _rescued_data,"
"  _source_file, _source_line, _ingested_at, reason, _quarantined_at)"
" SELECT sensor_id, \"timestamp\", temperature, humidity, location, _rescued_data,"
"  _source_file, _source_line, _ingested_at, reason, $5"
" FROM (SELECT b.*, CASE "
SILVER_MISSING("sensor_id", "an integer")
SILVER_MISSING("timestamp", "a timestamp")
SILVER_MISSING("temperature", "a number")
"  WHEN NOT (b.temperature BETWEEN $1 AND $2)"
"   THEN format('temperature %s is outside [%s, %s]', b.temperature, $1, $2) "
SILVER_MISSING("humidity", "a number")
"  WHEN NOT (b.humidity BETWEEN $3 AND $4)"
"   THEN format('humidity %s is outside [%s, %s]', b.humidity, $3, $4)"
"  END AS reason"
"  FROM bronze.sensor_logs b) q"
" WHERE reason IS NOT NULL";

static const char *const silver_bounds_sql =
"SELECT count(*), min(\"timestamp\") FILTER (WHERE " SILVER_VALID "),"
" max(\"timestamp\") FILTER (WHERE " SILVER_VALID "),"
" array_agg(DISTINCT (\"timestamp\" AT TIME ZONE 'UTC')::date) FILTER (WHERE " SILVER_VALID ")"
" FROM bronze.sensor_logs";

/* $5, $6: the new rows' time range; $7: their dates */
static const char *const silver_insert_sql =
"INSERT INTO silver.sensor_logs"
" (sensor_id, \"timestamp\", temperature, humidity, location, reading_date,"
"  _source_file, _source_line, _ingested_at)"
" SELECT n.* FROM ("
"  SELECT DISTINCT ON (sensor_id, \"timestamp\") sensor_id, \"timestamp\", temperature, humidity,"
"   location, (\"timestamp\" AT TIME ZONE 'UTC')::date, _source_file, _source_line, _ingested_at"
"  FROM bronze.sensor_logs WHERE " SILVER_VALID
"  ORDER BY sensor_id, \"timestamp\", _ingested_at, _source_file, _source_line) n"
" WHERE NOT EXISTS (SELECT 1 FROM silver.sensor_logs s"
"  WHERE s.reading_date = ANY ($7)"
"   AND s.\"timestamp\" BETWEEN $5 AND $6"
"   AND s.sensor_id = n.sensor_id AND s.\"timestamp\" = n.\"timestamp\")";

void
stage_silver_run(const PipelineTables *t, PipelineRunResult *result)
{
	int64		bronze_version;
	int64		silver_done = pipeline_txn_version(t->silver_dir, PIPELINE_APP_SILVER, NULL);
	int64		quarantine_done = pipeline_txn_version(t->quarantine_dir, PIPELINE_APP_QUARANTINE, NULL);
	MemoryContext cxt = CurrentMemoryContext;
	StageParam	params[7];

	(void) pipeline_txn_version(t->bronze_dir, PIPELINE_APP_BRONZE, &bronze_version);
	result->source_version = Min(silver_done, quarantine_done);
	if (silver_done >= bronze_version && quarantine_done >= bronze_version)
		return;

	params[0] = stage_param_float8(lakehouse_temperature_min);
	params[1] = stage_param_float8(lakehouse_temperature_max);
	params[2] = stage_param_float8(lakehouse_humidity_min);
	params[3] = stage_param_float8(lakehouse_humidity_max);
	params[4] = stage_param_timestamptz(GetCurrentTimestamp());

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	if (quarantine_done < bronze_version)
	{
		result->rows_quarantined =
			(int64) stage_spi_exec(silver_quarantine_sql, 5, params, t->bronze,
								   quarantine_done + 1, bronze_version);
		result->version = stage_commit(t->quarantine, PIPELINE_APP_QUARANTINE, bronze_version, false);
		result->committed = true;
	}
	if (silver_done < bronze_version)
	{
		StageParam	count;

		stage_spi_exec(silver_bounds_sql, 4, params, t->bronze, silver_done + 1, bronze_version);
		count = stage_spi_param(1, cxt);
		result->rows_in = count.isnull ? 0 : DatumGetInt64(count.value);
		params[4] = stage_spi_param(2, cxt);
		params[5] = stage_spi_param(3, cxt);
		params[6] = stage_spi_param(4, cxt);
		if (!params[6].isnull)
			result->rows_out = (int64) stage_spi_exec(silver_insert_sql, 7, params, t->bronze,
													  silver_done + 1, bronze_version);
		result->version = stage_commit(t->silver, PIPELINE_APP_SILVER, bronze_version, false);
		result->committed = true;
	}
	SPI_finish();
	result->source_version = bronze_version;
}
