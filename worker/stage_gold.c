/*
 * stage_gold.c
 *	  Gold: gold.sensor_hourly_avg, per sensor, location and hour (UTC),
 *	  the average, minimum and maximum temperature and humidity and the
 *	  count of Silver readings.
 *
 * Incremental: Gold records in its log (txn action) the Silver version it
 * has processed up to.  A run reads the rows Silver's later versions
 * appended, takes the hours they touch, recomputes exactly those hours
 * from Silver (its partitions and files pruned to them), and replaces
 * them in one commit: Gold is partitioned by reading_date (the hour's UTC
 * date) and the commit overwrites the touched dates' partitions with
 * their untouched hours (read back from Gold) and the recomputed ones.
 * The cost follows the touched hours and days, not the size of Silver.
 */
#include "postgres.h"

#include "pipeline.h"
#include "stage_spi.h"

#define GOLD_HOUR "date_trunc('hour', \"timestamp\" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"

static const char *const gold_touched_sql =
"SELECT count(*), array_agg(DISTINCT " GOLD_HOUR "), array_agg(DISTINCT reading_date),"
" min(" GOLD_HOUR "), max(" GOLD_HOUR ") + interval '1 hour'"
" FROM silver.sensor_logs";

/* $1: touched hours, $2: their dates, $3 .. $4: the time range */
static const char *const gold_replace_sql =
"INSERT INTO gold.sensor_hourly_avg"
" (sensor_id, location, hour, avg_temperature, min_temperature, max_temperature,"
"  avg_humidity, min_humidity, max_humidity, reading_count, reading_date)"
" SELECT sensor_id, location, hour, avg_temperature, min_temperature, max_temperature,"
"  avg_humidity, min_humidity, max_humidity, reading_count, reading_date"
" FROM gold.sensor_hourly_avg"
" WHERE reading_date = ANY ($2) AND NOT (hour = ANY ($1))"
" UNION ALL"
" SELECT sensor_id, location, hour, avg(temperature), min(temperature), max(temperature),"
"  avg(humidity), min(humidity), max(humidity), count(*), reading_date"
" FROM (SELECT sensor_id, location, temperature, humidity, reading_date, " GOLD_HOUR " AS hour"
"  FROM silver.sensor_logs"
"  WHERE reading_date = ANY ($2)"
"   AND \"timestamp\" >= $3 AND \"timestamp\" < $4) s"
" WHERE hour = ANY ($1)"
" GROUP BY sensor_id, location, hour, reading_date";

void
stage_gold_run(const PipelineTables *t, PipelineRunResult *result)
{
	int64		silver_version;
	int64		gold_done = pipeline_txn_version(t->gold_dir, PIPELINE_APP_GOLD, NULL);
	MemoryContext cxt = CurrentMemoryContext;
	StageParam	params[4];
	StageParam	count;

	(void) pipeline_txn_version(t->silver_dir, PIPELINE_APP_SILVER, &silver_version);
	result->source_version = gold_done;
	if (gold_done >= silver_version)
		return;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	stage_spi_exec(gold_touched_sql, 0, NULL, t->silver, gold_done + 1, silver_version);
	count = stage_spi_param(1, cxt);
	result->rows_in = count.isnull ? 0 : DatumGetInt64(count.value);
	params[0] = stage_spi_param(2, cxt);
	params[1] = stage_spi_param(3, cxt);
	params[2] = stage_spi_param(4, cxt);
	params[3] = stage_spi_param(5, cxt);
	if (result->rows_in > 0)
		result->rows_out = (int64) stage_spi_exec(gold_replace_sql, 4, params, InvalidOid, 0, 0);
	result->version = stage_commit(t->gold, PIPELINE_APP_GOLD, silver_version, result->rows_out > 0);
	result->committed = true;
	SPI_finish();
	result->source_version = silver_version;
}
