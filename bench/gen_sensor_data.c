/*
 * gen_sensor_data.c
 *	  The project's sensor-data generator: writes CSV readings
 *	  "sensor_id,timestamp,temperature,humidity,location" for benchmarks,
 *	  demos and ingestion tests, optionally with a fraction of dirty rows.
 *
 * Plain C, no PostgreSQL.  Build: cc -O2 -o build/gen_sensor_data
 * bench/gen_sensor_data.c -lm
 *
 * The data:
 *	- row i (0-based) comes from sensor 1001 + (i mod sensors) and is stamped
 *	  start + i * interval seconds (so every row has a distinct, increasing
 *	  timestamp; a sensor reports every sensors * interval seconds);
 *	- sensor k sits in location Room_<k mod locations>, rooms named like
 *	  spreadsheet columns (Room_A .. Room_Z, Room_AA, ..);
 *	- temperature (degrees F, one decimal) and humidity (percent, one
 *	  decimal) are per-sensor random walks pulled back towards the sensor's
 *	  own base value and kept within plausible bounds.
 *
 * Output is a function of the options alone (the generator has its own
 * PRNG, xoshiro256** seeded through splitmix64; no libc rand, no locale).
 * The clean values and the choice of dirty rows come from separate streams,
 * so a row that is clean with --dirt 0.1 is byte-identical to the same row
 * with --dirt 0.
 *
 * Dirty rows (--dirt FRACTION of the rows, each kind equally likely):
 *	out-of-range value, empty field, malformed number, duplicate of the
 *	previous row, short row (fields missing), extra columns.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OUT_BUFFER_SIZE (1 << 20)
#define MAX_LINE 256

/* Options, as given on the command line. */
typedef struct GenOptions
{
	int64_t		rows;			/* data rows to write (the header not counted) */
	int			sensors;		/* distinct sensors, ids from 1001 */
	int			locations;		/* distinct rooms */
	int64_t		start;			/* seconds since 1970-01-01 00:00:00 (no zone) */
	int64_t		interval;		/* seconds between consecutive rows */
	uint64_t	seed;
	double		dirt;			/* fraction of dirty rows, 0..1 */
	bool		header;			/* write the header line */
	const char *out_path;		/* NULL: stdout */
} GenOptions;

/* A sensor's walk state. */
typedef struct Sensor
{
	double		temp_base;		/* where its temperature is pulled back to */
	double		temp;
	double		hum_base;
	double		hum;
	int			location;
} Sensor;

typedef struct Rng
{
	uint64_t	s[4];
} Rng;

typedef enum DirtKind
{
	DIRT_OUT_OF_RANGE,
	DIRT_EMPTY_FIELD,
	DIRT_MALFORMED_NUMBER,
	DIRT_DUPLICATE,
	DIRT_SHORT_ROW,
	DIRT_EXTRA_COLUMNS,
	DIRT_NUM_KINDS
} DirtKind;

/* ---- PRNG: splitmix64 to seed xoshiro256** ---- */

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t	z = (*x += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

static void
rng_seed(Rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t	x = seed ^ (stream * UINT64_C(0xD1B54A32D192ED03));

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static inline uint64_t
rng_next(Rng *r)
{
	uint64_t   *s = r->s;
	uint64_t	result = rotl(s[1] * 5, 7) * 9;
	uint64_t	t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* uniform in [0, 1) */
static inline double
rng_unit(Rng *r)
{
	return (rng_next(r) >> 11) * 0x1.0p-53;
}

/* uniform integer in [0, n) (n small; the bias is negligible) */
static inline uint32_t
rng_below(Rng *r, uint32_t n)
{
	return (uint32_t) (((rng_next(r) >> 32) * (uint64_t) n) >> 32);
}

/* a cheap step in [-1, 1], roughly bell-shaped (sum of two uniforms) */
static inline double
rng_step(Rng *r)
{
	return rng_unit(r) + rng_unit(r) - 1.0;
}

/* ---- formatting (no printf in the hot loop) ---- */

static char *
put_uint(char *p, uint64_t v)
{
	char		tmp[24];
	int			n = 0;

	do
	{
		tmp[n++] = (char) ('0' + v % 10);
		v /= 10;
	} while (v > 0);
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* v with one decimal, rounded half away from zero */
static char *
put_decimal1(char *p, double v)
{
	int64_t		tenths;

	if (v < 0)
	{
		*p++ = '-';
		v = -v;
	}
	tenths = (int64_t) (v * 10.0 + 0.5);
	p = put_uint(p, (uint64_t) (tenths / 10));
	*p++ = '.';
	*p++ = (char) ('0' + tenths % 10);
	return p;
}

static char *
put_2digits(char *p, int v)
{
	*p++ = (char) ('0' + v / 10);
	*p++ = (char) ('0' + v % 10);
	return p;
}

/* days since 1970-01-01 to a civil date (proleptic Gregorian) */
static void
civil_from_days(int64_t z, int *year, int *month, int *day)
{
	int64_t		era,
				doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*day = (int) (doy - (153 * mp + 2) / 5 + 1);
	*month = (int) (mp < 10 ? mp + 3 : mp - 9);
	*year = (int) (yoe + era * 400 + (*month <= 2 ? 1 : 0));
}

static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t		era,
				yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* "YYYY-MM-DD HH:MM:SS" (or "YYYY-MM-DD", or with a 'T') to epoch seconds */
static bool
parse_timestamp(const char *s, int64_t *out)
{
	int			y,
				mo,
				d,
				h = 0,
				mi = 0,
				se = 0,
				n = 0;

	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3)
		return false;
	s += n;
	if (*s == ' ' || *s == 'T')
	{
		if (sscanf(s + 1, "%2d:%2d:%2d%n", &h, &mi, &se, &n) != 3)
			return false;
		s += 1 + n;
	}
	if (*s != '\0' || y < 1 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
		h > 23 || mi > 59 || se > 59 || h < 0 || mi < 0 || se < 0)
		return false;
	*out = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
	return true;
}

/* Cache of the "YYYY-MM-DD " prefix: rows of one day share it. */
typedef struct DateCache
{
	int64_t		day;
	char		text[16];
	int			len;
} DateCache;

static char *
put_timestamp(char *p, int64_t secs, DateCache *cache)
{
	int64_t		day = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
	int			sod = (int) (secs - day * 86400);

	if (day != cache->day)
	{
		int			y,
					m,
					d;

		civil_from_days(day, &y, &m, &d);
		cache->len = snprintf(cache->text, sizeof(cache->text), "%04d-%02d-%02d ", y, m, d);
		cache->day = day;
	}
	memcpy(p, cache->text, cache->len);
	p += cache->len;
	p = put_2digits(p, sod / 3600);
	*p++ = ':';
	p = put_2digits(p, sod / 60 % 60);
	*p++ = ':';
	return put_2digits(p, sod % 60);
}

/* Room_A .. Room_Z, Room_AA .. (spreadsheet-column style) */
static char *
put_room(char *p, int k)
{
	char		tmp[8];
	int			n = 0;

	memcpy(p, "Room_", 5);
	p += 5;
	k += 1;
	while (k > 0 && n < (int) sizeof(tmp))
	{
		k -= 1;
		tmp[n++] = (char) ('A' + k % 26);
		k /= 26;
	}
	while (n > 0)
		*p++ = tmp[--n];
	return p;
}

/* ---- the generator ---- */

static void
usage(FILE *f)
{
	fprintf(f,
			"usage: gen_sensor_data [options]\n"
			"  --rows N               data rows (default 1000)\n"
			"  --sensors N            distinct sensors, ids from 1001 (default 10)\n"
			"  --locations N          distinct rooms, Room_A.. (default 26)\n"
			"  --start 'YYYY-MM-DD HH:MM:SS'  first timestamp (default 2025-05-01 00:00:00)\n"
			"  --interval-seconds N   seconds between rows (default 5)\n"
			"  --seed N               PRNG seed (default 42)\n"
			"  --dirt FRACTION        fraction of dirty rows, 0..1 (default 0)\n"
			"  --no-header            omit the header line\n"
			"  --out FILE             output file (default stdout)\n");
}

static bool
parse_int64(const char *s, int64_t min, int64_t max, int64_t *out)
{
	char	   *end;
	long long	v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

static bool
parse_options(int argc, char **argv, GenOptions *o)
{
	static const struct option longopts[] = {
		{"rows", required_argument, NULL, 'r'},
		{"sensors", required_argument, NULL, 's'},
		{"locations", required_argument, NULL, 'l'},
		{"start", required_argument, NULL, 't'},
		{"interval-seconds", required_argument, NULL, 'i'},
		{"seed", required_argument, NULL, 'S'},
		{"dirt", required_argument, NULL, 'd'},
		{"no-header", no_argument, NULL, 'H'},
		{"out", required_argument, NULL, 'o'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}
	};
	int			c;
	int			longindex = 0;
	int64_t		v;

	o->rows = 1000;
	o->sensors = 10;
	o->locations = 26;
	parse_timestamp("2025-05-01 00:00:00", &o->start);
	o->interval = 5;
	o->seed = 42;
	o->dirt = 0.0;
	o->header = true;
	o->out_path = NULL;

	while ((c = getopt_long(argc, argv, "", longopts, &longindex)) != -1)
	{
		switch (c)
		{
			case 'r':
				if (!parse_int64(optarg, 0, INT64_C(1) << 40, &o->rows))
					goto bad;
				break;
			case 's':
				if (!parse_int64(optarg, 1, 1000000, &v))
					goto bad;
				o->sensors = (int) v;
				break;
			case 'l':
				if (!parse_int64(optarg, 1, 1000000, &v))
					goto bad;
				o->locations = (int) v;
				break;
			case 't':
				if (!parse_timestamp(optarg, &o->start))
					goto bad;
				break;
			case 'i':
				if (!parse_int64(optarg, 0, 86400 * 366, &o->interval))
					goto bad;
				break;
			case 'S':
				{
					char	   *end;

					errno = 0;
					o->seed = strtoull(optarg, &end, 10);
					if (errno != 0 || end == optarg || *end != '\0')
						goto bad;
					break;
				}
			case 'd':
				{
					char	   *end;

					errno = 0;
					o->dirt = strtod(optarg, &end);
					if (errno != 0 || end == optarg || *end != '\0' ||
						!(o->dirt >= 0.0 && o->dirt <= 1.0))
						goto bad;
					break;
				}
			case 'H':
				o->header = false;
				break;
			case 'o':
				o->out_path = optarg;
				break;
			case 'h':
				usage(stdout);
				exit(0);
			default:
				usage(stderr);
				return false;
		}
	}
	if (optind < argc)
	{
		fprintf(stderr, "gen_sensor_data: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return false;
	}
	return true;

bad:
	fprintf(stderr, "gen_sensor_data: invalid value \"%s\" for option --%s\n",
			optarg, longopts[longindex].name);
	usage(stderr);
	return false;
}

/* Advance sensor s's walk one reading. */
static inline void
sensor_step(Sensor *s, Rng *r)
{
	s->temp += 0.3 * rng_step(r) + 0.05 * (s->temp_base - s->temp);
	if (s->temp < 55.0)
		s->temp = 55.0;
	if (s->temp > 95.0)
		s->temp = 95.0;
	s->hum += 0.4 * rng_step(r) + 0.05 * (s->hum_base - s->hum);
	if (s->hum < 15.0)
		s->hum = 15.0;
	if (s->hum > 85.0)
		s->hum = 85.0;
}

/*
 * Format one clean row into line (without the newline); returns its length.
 * The field boundaries are recorded in fields[0..5] (start offsets, and the
 * end in fields[5]) so that dirt can be applied to one field.
 */
static int
format_row(char *line, int sensor_id, int64_t ts, const Sensor *s, DateCache *dc, int *fields)
{
	char	   *p = line;

	fields[0] = 0;
	p = put_uint(p, (uint64_t) sensor_id);
	*p++ = ',';
	fields[1] = (int) (p - line);
	p = put_timestamp(p, ts, dc);
	*p++ = ',';
	fields[2] = (int) (p - line);
	p = put_decimal1(p, s->temp);
	*p++ = ',';
	fields[3] = (int) (p - line);
	p = put_decimal1(p, s->hum);
	*p++ = ',';
	fields[4] = (int) (p - line);
	p = put_room(p, s->location);
	fields[5] = (int) (p - line) + 1;	/* as if followed by a separator */
	return (int) (p - line);
}

/* Replace field f (0..4) of line with text; returns the new length. */
static int
replace_field(char *line, int len, const int *fields, int f, const char *text)
{
	int			start = fields[f];
	int			end = fields[f + 1] - 1;	/* exclusive, before the comma */
	int			tlen = (int) strlen(text);

	if (len - (end - start) + tlen >= MAX_LINE)
		return len;
	memmove(line + start + tlen, line + end, len - end);
	memcpy(line + start, text, tlen);
	return len - (end - start) + tlen;
}

static int
apply_dirt(DirtKind kind, Rng *r, char *line, int len, const int *fields,
		   const char *prev, int prev_len)
{
	static const char *const out_of_range_temp[] = {"999.9", "-459.7", "1500.0", "-80.2"};
	static const char *const out_of_range_hum[] = {"150.3", "-5.0", "101.0", "1000.0"};
	static const char *const malformed[] = {
		"72..4", "abc", "7 2.4", "--3", "1e", "N/A", "12,5", "0x1F", "72.4.1", "+-1"
	};
	static const char *const malformed_ts[] = {
		"2025-13-45 25:61:61", "yesterday", "2025/05/01 00:00:00", "2025-05-01T"
	};

	switch (kind)
	{
		case DIRT_OUT_OF_RANGE:
			if (rng_below(r, 2) == 0)
				return replace_field(line, len, fields, 2, out_of_range_temp[rng_below(r, 4)]);
			return replace_field(line, len, fields, 3, out_of_range_hum[rng_below(r, 4)]);
		case DIRT_EMPTY_FIELD:
			return replace_field(line, len, fields, (int) rng_below(r, 5), "");
		case DIRT_MALFORMED_NUMBER:
			{
				uint32_t	which = rng_below(r, 4);

				if (which == 3)
					return replace_field(line, len, fields, 1, malformed_ts[rng_below(r, 4)]);
				/* sensor_id, temperature or humidity */
				return replace_field(line, len, fields, which == 0 ? 0 : (int) which + 1,
									 malformed[rng_below(r, 10)]);
			}
		case DIRT_DUPLICATE:
			if (prev_len > 0)
			{
				memcpy(line, prev, prev_len);
				return prev_len;
			}
			return len;
		case DIRT_SHORT_ROW:
			/* keep 1 to 4 of the 5 fields */
			return fields[1 + rng_below(r, 4)] - 1;
		case DIRT_EXTRA_COLUMNS:
			{
				int			extra = 1 + (int) rng_below(r, 3);

				for (int i = 0; i < extra && len + 8 < MAX_LINE; i++)
				{
					memcpy(line + len, ",extra", 6);
					len += 6;
					line[len++] = (char) ('0' + i);
				}
				return len;
			}
		case DIRT_NUM_KINDS:
			break;
	}
	return len;
}

int
main(int argc, char **argv)
{
	GenOptions	o;
	FILE	   *out = stdout;
	Sensor	   *sensors;
	Rng			value_rng,
				dirt_rng;
	DateCache	dc = {INT64_MIN, "", 0};
	char	   *buf;
	size_t		used = 0;
	char		line[MAX_LINE];
	char		prev[MAX_LINE];
	int			prev_len = 0;
	int			fields[6];
	uint64_t	dirt_threshold;

	if (!parse_options(argc, argv, &o))
		return 2;
	if (o.out_path != NULL && (out = fopen(o.out_path, "w")) == NULL)
	{
		fprintf(stderr, "gen_sensor_data: could not open \"%s\": %s\n", o.out_path, strerror(errno));
		return 1;
	}
	sensors = calloc(o.sensors, sizeof(Sensor));
	buf = malloc(OUT_BUFFER_SIZE);
	if (sensors == NULL || buf == NULL)
	{
		fprintf(stderr, "gen_sensor_data: out of memory\n");
		return 1;
	}

	rng_seed(&value_rng, o.seed, 1);
	rng_seed(&dirt_rng, o.seed, 2);
	for (int k = 0; k < o.sensors; k++)
	{
		Sensor	   *s = &sensors[k];

		s->temp_base = 66.0 + 12.0 * rng_unit(&value_rng);
		s->temp = s->temp_base + 2.0 * rng_step(&value_rng);
		s->hum_base = 30.0 + 30.0 * rng_unit(&value_rng);
		s->hum = s->hum_base + 3.0 * rng_step(&value_rng);
		s->location = k % o.locations;
	}
	/* P(dirty) = dirt, compared on 53 random bits */
	dirt_threshold = (uint64_t) (o.dirt * 0x1.0p53);
	if (o.dirt >= 1.0)
		dirt_threshold = UINT64_C(1) << 53;

	if (o.header)
	{
		static const char header[] = "sensor_id,timestamp,temperature,humidity,location\n";

		memcpy(buf, header, sizeof(header) - 1);
		used = sizeof(header) - 1;
	}

	for (int64_t i = 0; i < o.rows; i++)
	{
		int			k = (int) (i % o.sensors);
		Sensor	   *s = &sensors[k];
		int			len;

		sensor_step(s, &value_rng);
		len = format_row(line, 1001 + k, o.start + i * o.interval, s, &dc, fields);

		if (dirt_threshold > 0 && (rng_next(&dirt_rng) >> 11) < dirt_threshold)
		{
			DirtKind	kind = (DirtKind) rng_below(&dirt_rng, DIRT_NUM_KINDS);

			len = apply_dirt(kind, &dirt_rng, line, len, fields, prev, prev_len);
		}
		line[len++] = '\n';
		memcpy(prev, line, len - 1);
		prev_len = len - 1;

		if (used + len > OUT_BUFFER_SIZE)
		{
			if (fwrite(buf, 1, used, out) != used)
				goto write_error;
			used = 0;
		}
		memcpy(buf + used, line, len);
		used += len;
	}
	if (used > 0 && fwrite(buf, 1, used, out) != used)
		goto write_error;
	if (fflush(out) != 0 || (out != stdout && fclose(out) != 0))
		goto write_error;
	free(buf);
	free(sensors);
	return 0;

write_error:
	fprintf(stderr, "gen_sensor_data: could not write \"%s\": %s\n",
			o.out_path ? o.out_path : "stdout", strerror(errno));
	return 1;
}
