/*
 * parquet_nested.c
 *	  Record assembly of a top-level field (struct, list, map, and any
 *	  nesting of them, including the legacy two-level list forms) from the
 *	  definition and repetition levels of its leaves, written as JSON text per
 *	  record.
 *
 * The leaves are read in lockstep, one record at a time: a column batch of a
 * repeated leaf ends at a record boundary, so a record's levels are always in
 * the current batch of every leaf.  The first leaf under a node tells where
 * that node is null, empty or repeated; emitting a node consumes its levels
 * from every leaf under it.  Levels that do not agree between leaves are
 * LAKE_ERROR_CORRUPT, never a wrong shape.
 */
#include "parquet_reader_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define LEAF_BATCH 4096

typedef enum NodeKind
{
	NODE_PRIMITIVE,
	NODE_STRUCT,
	NODE_LIST,
	NODE_MAP
} NodeKind;

typedef struct Node
{
	int			elem;			/* schema element index */
	const ParquetSchemaElement *el;
	NodeKind	kind;
	int16_t		def;			/* def level at which this node is present */
	int16_t		rep;			/* rep level of this node (if repeated) */
	int			first_leaf;		/* index into the field reader's leaves */
	int			num_leaves;
	int		   *children;		/* node indices */
	int			num_children;
	int			list_repeated;	/* LIST/MAP: the repeated child node */
	int			list_element;	/* LIST: the element node (-1: the repeated node's instance) */
	bool		map_string_keys;
	bool		is_map_kv;		/* the repeated key_value group of a MAP */
} Node;

typedef struct LeafCursor
{
	ParquetColumnReader *cr;
	ParquetColumnBatch b;
	size_t		pos;			/* level index in the batch */
	size_t		vpos;			/* value index */
	size_t		rec_end;		/* end of the current record's levels */
	int16_t		max_def;
	int16_t		max_rep;
	const ParquetSchemaElement *el;
	bool		done;
} LeafCursor;

struct ParquetFieldReader
{
	ParquetReader *r;
	const LakeAllocator *alloc;
	int			field;
	size_t		max_rows;
	Node	   *nodes;
	int			num_nodes;
	int		   *child_store;
	LeafCursor *leaves;
	int			num_leaves;
	int64_t		rows_left;
	LakeBuffer	json;
	size_t	   *offsets;
	bool	   *is_null;
	char		errctx[64];
};

/* ---------------------------------------------------------------- output */

static LakeStatus
put(ParquetFieldReader *fr, const char *s, size_t n, LakeError *err)
{
	return lake_buffer_append(&fr->json, s, n, err);
}

static LakeStatus
puts_(ParquetFieldReader *fr, const char *s, LakeError *err)
{
	return lake_buffer_append(&fr->json, s, strlen(s), err);
}

/* A JSON string; invalid UTF-8 becomes U+FFFD. */
static LakeStatus
put_string(ParquetFieldReader *fr, const uint8_t *p, size_t n, LakeError *err)
{
	static const char hex[] = "0123456789abcdef";
	size_t		i = 0;
	LakeStatus	st;

	st = lake_buffer_reserve(&fr->json, n + 2, err);
	if (st != LAKE_OK)
		return st;
	fr->json.data[fr->json.len++] = '"';
	while (i < n)
	{
		uint8_t		c = p[i];
		size_t		run = i;

		/* copy plain ASCII runs at once */
		while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
			run++;
		if (run > i)
		{
			st = put(fr, (const char *) p + i, run - i, err);
			if (st != LAKE_OK)
				return st;
			i = run;
			continue;
		}
		if (c == '"' || c == '\\')
		{
			char		e[2] = {'\\', (char) c};

			st = put(fr, e, 2, err);
			i++;
		}
		else if (c < 0x20)
		{
			char		e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

			if (c == '\n')
				st = put(fr, "\\n", 2, err);
			else if (c == '\t')
				st = put(fr, "\\t", 2, err);
			else if (c == '\r')
				st = put(fr, "\\r", 2, err);
			else
				st = put(fr, e, 6, err);
			i++;
		}
		else
		{
			/* multi-byte UTF-8: validate */
			size_t		len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
			size_t		k;
			bool		ok = len >= 2 && c < 0xf5 && c >= 0xc2 && i + len <= n;

			for (k = 1; ok && k < len; k++)
				ok = (p[i + k] & 0xc0) == 0x80;
			if (ok && len == 3)
				ok = !(c == 0xe0 && p[i + 1] < 0xa0) && !(c == 0xed && p[i + 1] >= 0xa0);
			if (ok && len == 4)
				ok = !(c == 0xf0 && p[i + 1] < 0x90) && !(c == 0xf4 && p[i + 1] >= 0x90);
			if (ok)
			{
				st = put(fr, (const char *) p + i, len, err);
				i += len;
			}
			else
			{
				st = put(fr, "\xef\xbf\xbd", 3, err);
				i++;
			}
		}
		if (st != LAKE_OK)
			return st;
	}
	return put(fr, "\"", 1, err);
}

static LakeStatus
put_hex(ParquetFieldReader *fr, const uint8_t *p, size_t n, LakeError *err)
{
	static const char hex[] = "0123456789abcdef";
	size_t		i;
	LakeStatus	st = lake_buffer_reserve(&fr->json, 2 * n + 5, err);

	if (st != LAKE_OK)
		return st;
	memcpy(fr->json.data + fr->json.len, "\"\\\\x", 4);
	fr->json.len += 4;
	for (i = 0; i < n; i++)
	{
		fr->json.data[fr->json.len++] = hex[p[i] >> 4];
		fr->json.data[fr->json.len++] = hex[p[i] & 15];
	}
	fr->json.data[fr->json.len++] = '"';
	return LAKE_OK;
}

/* civil date from days since 1970-01-01 (proleptic Gregorian) */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t		era;
	int64_t		doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	*y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	if (*m <= 2)
		(*y)++;
}

static int
format_date(char *buf, size_t size, int64_t days)
{
	int64_t		y;
	int			m,
				d;

	civil_from_days(days, &y, &m, &d);
	return snprintf(buf, size, "%04lld-%02d-%02d", (long long) y, m, d);
}

/* ISO-8601 from a count of units (per_sec per second) since the epoch. */
static int
format_timestamp(char *buf, size_t size, int64_t v, int64_t per_sec, int digits, bool utc)
{
	int64_t		secs = v / per_sec;
	int64_t		frac = v % per_sec;
	int64_t		days,
				sod;
	int			n;

	if (frac < 0)
	{
		frac += per_sec;
		secs--;
	}
	days = secs / 86400;
	sod = secs % 86400;
	if (sod < 0)
	{
		sod += 86400;
		days--;
	}
	n = format_date(buf, size, days);
	n += snprintf(buf + n, size - n, "T%02d:%02d:%02d", (int) (sod / 3600), (int) (sod / 60 % 60), (int) (sod % 60));
	if (digits > 0)
		n += snprintf(buf + n, size - n, ".%0*lld", digits, (long long) frac);
	if (utc)
		n += snprintf(buf + n, size - n, "Z");
	return n;
}

static int
format_time(char *buf, size_t size, int64_t v, int64_t per_sec, int digits)
{
	int64_t		secs = v / per_sec;
	int64_t		frac = v % per_sec;
	int			n;

	if (v < 0)
		return snprintf(buf, size, "%lld", (long long) v);
	n = snprintf(buf, size, "%02d:%02d:%02d", (int) (secs / 3600), (int) (secs / 60 % 60), (int) (secs % 60));
	if (digits > 0)
		n += snprintf(buf + n, size - n, ".%0*lld", digits, (long long) frac);
	return n;
}

/* A decimal unscaled value (as unsigned 128-bit magnitude and sign) with scale. */
static int
format_decimal(char *buf, size_t size, bool neg, unsigned __int128 mag, int scale)
{
	char		digits[64];
	int			nd = 0;
	int			n = 0;
	int			i;

	do
	{
		digits[nd++] = (char) ('0' + (int) (mag % 10));
		mag /= 10;
	} while (mag > 0 && nd < 60);
	if (scale < 0 || scale > 60)
		scale = 0;
	while (nd <= scale)
		digits[nd++] = '0';
	if (neg)
		buf[n++] = '-';
	for (i = nd - 1; i >= 0; i--)
	{
		if (i == scale - 1)
			buf[n++] = '.';
		buf[n++] = digits[i];
		if ((size_t) n >= size - 2)
			break;
	}
	buf[n] = '\0';
	return n;
}

static int
format_decimal_int(char *buf, size_t size, int64_t v, int scale)
{
	bool		neg = v < 0;
	unsigned __int128 mag = neg ? (unsigned __int128) (-(v + 1)) + 1 : (unsigned __int128) v;

	return format_decimal(buf, size, neg, mag, scale);
}

static bool
format_decimal_bytes(char *buf, size_t size, ParquetBytes b, int scale)
{
	unsigned __int128 v = 0;
	bool		neg;
	uint32_t	i;

	if (b.len == 0 || b.len > 16)
		return false;
	neg = (b.ptr[0] & 0x80) != 0;
	for (i = 0; i < b.len; i++)
		v = (v << 8) | b.ptr[i];
	if (neg)
	{
		/* sign-extend, then negate */
		if (b.len < 16)
			v |= ~(unsigned __int128) 0 << (8 * b.len);
		v = ~v + 1;
	}
	format_decimal(buf, size, neg, v, scale);
	return true;
}

static bool
is_decimal(const ParquetSchemaElement *el, int *scale)
{
	if (el->logical.kind == PQ_LT_DECIMAL)
	{
		*scale = el->logical.scale;
		return true;
	}
	if (el->logical.kind == PQ_LT_NONE && el->converted_type == PQ_CT_DECIMAL)
	{
		*scale = el->scale;
		return true;
	}
	return false;
}

static bool
is_string(const ParquetSchemaElement *el)
{
	ParquetLogicalKind k = el->logical.kind;
	int			ct = el->converted_type;

	return k == PQ_LT_STRING || k == PQ_LT_ENUM || k == PQ_LT_JSON ||
		ct == PQ_CT_UTF8 || ct == PQ_CT_ENUM || ct == PQ_CT_JSON;
}

static LakeStatus
put_double(ParquetFieldReader *fr, double d, bool single, LakeError *err)
{
	char		buf[64];

	if (isnan(d))
		return puts_(fr, "\"NaN\"", err);
	if (isinf(d))
		return puts_(fr, d > 0 ? "\"Infinity\"" : "\"-Infinity\"", err);
	snprintf(buf, sizeof(buf), single ? "%.9g" : "%.17g", d);
	return puts_(fr, buf, err);
}

/* One value of a leaf as JSON. */
static LakeStatus
put_value(ParquetFieldReader *fr, const LeafCursor *lc, LakeError *err)
{
	const ParquetSchemaElement *el = lc->el;
	const void *vals = lc->b.values;
	size_t		i = lc->vpos;
	char		buf[128];
	int			scale;
	ParquetLogicalKind lk = el->logical.kind;
	int			ct = el->converted_type;

	switch (el->type)
	{
		case PQ_BOOLEAN:
			return puts_(fr, ((const bool *) vals)[i] ? "true" : "false", err);
		case PQ_INT32:
			{
				int32_t		v = ((const int32_t *) vals)[i];

				if (lk == PQ_LT_DATE || (lk == PQ_LT_NONE && ct == PQ_CT_DATE))
				{
					buf[0] = '"';
					format_date(buf + 1, sizeof(buf) - 2, v);
					strcat(buf, "\"");
				}
				else if (is_decimal(el, &scale))
					format_decimal_int(buf, sizeof(buf), v, scale);
				else if (lk == PQ_LT_TIME || (lk == PQ_LT_NONE && ct == PQ_CT_TIME_MILLIS))
				{
					buf[0] = '"';
					format_time(buf + 1, sizeof(buf) - 2, v, 1000, 3);
					strcat(buf, "\"");
				}
				else if ((lk == PQ_LT_INTEGER && !el->logical.is_signed) ||
						 (lk == PQ_LT_NONE && (ct == PQ_CT_UINT_8 || ct == PQ_CT_UINT_16 || ct == PQ_CT_UINT_32)))
					snprintf(buf, sizeof(buf), "%u", (uint32_t) v);
				else
					snprintf(buf, sizeof(buf), "%d", v);
				return puts_(fr, buf, err);
			}
		case PQ_INT64:
			{
				int64_t		v = ((const int64_t *) vals)[i];
				int64_t		per = 0;
				int			digits = 0;
				bool		ts = false,
							tm = false;

				if (lk == PQ_LT_TIMESTAMP || lk == PQ_LT_TIME)
				{
					ts = lk == PQ_LT_TIMESTAMP;
					tm = !ts;
					per = el->logical.unit == PQ_UNIT_MILLIS ? 1000 :
						el->logical.unit == PQ_UNIT_NANOS ? 1000000000 : 1000000;
					digits = el->logical.unit == PQ_UNIT_MILLIS ? 3 :
						el->logical.unit == PQ_UNIT_NANOS ? 9 : 6;
				}
				else if (lk == PQ_LT_NONE && (ct == PQ_CT_TIMESTAMP_MILLIS || ct == PQ_CT_TIMESTAMP_MICROS))
				{
					ts = true;
					per = ct == PQ_CT_TIMESTAMP_MILLIS ? 1000 : 1000000;
					digits = ct == PQ_CT_TIMESTAMP_MILLIS ? 3 : 6;
				}
				else if (lk == PQ_LT_NONE && ct == PQ_CT_TIME_MICROS)
				{
					tm = true;
					per = 1000000;
					digits = 6;
				}
				if (ts || tm)
				{
					buf[0] = '"';
					if (ts)
						format_timestamp(buf + 1, sizeof(buf) - 2, v, per, digits,
										 lk == PQ_LT_TIMESTAMP ? el->logical.is_adjusted_to_utc : true);
					else
						format_time(buf + 1, sizeof(buf) - 2, v, per, digits);
					strcat(buf, "\"");
				}
				else if (is_decimal(el, &scale))
					format_decimal_int(buf, sizeof(buf), v, scale);
				else if ((lk == PQ_LT_INTEGER && !el->logical.is_signed) ||
						 (lk == PQ_LT_NONE && ct == PQ_CT_UINT_64))
					snprintf(buf, sizeof(buf), "%llu", (unsigned long long) (uint64_t) v);
				else
					snprintf(buf, sizeof(buf), "%lld", (long long) v);
				return puts_(fr, buf, err);
			}
		case PQ_FLOAT:
			return put_double(fr, ((const float *) vals)[i], true, err);
		case PQ_DOUBLE:
			return put_double(fr, ((const double *) vals)[i], false, err);
		case PQ_INT96:
			{
				ParquetBytes b = ((const ParquetBytes *) vals)[i];
				uint64_t	nanos = 0;
				uint32_t	day = 0;
				int			k;

				if (b.len != 12)
					return put_hex(fr, b.ptr, b.len, err);
				for (k = 7; k >= 0; k--)
					nanos = (nanos << 8) | b.ptr[k];
				for (k = 11; k >= 8; k--)
					day = (day << 8) | b.ptr[k];
				if (nanos >= (uint64_t) 86400 * 1000000000)
					return put_hex(fr, b.ptr, b.len, err);
				{
					/* days and nanoseconds separately: avoids overflow far from 1970 */
					int64_t		days = (int64_t) day - 2440588;
					int64_t		secs = (int64_t) (nanos / 1000000000);
					int			n;

					buf[0] = '"';
					n = 1 + format_date(buf + 1, sizeof(buf) - 2, days);
					snprintf(buf + n, sizeof(buf) - n, "T%02d:%02d:%02d.%09lluZ\"", (int) (secs / 3600),
							 (int) (secs / 60 % 60), (int) (secs % 60),
							 (unsigned long long) (nanos % 1000000000));
				}
				return puts_(fr, buf, err);
			}
		case PQ_BYTE_ARRAY:
		case PQ_FIXED_LEN_BYTE_ARRAY:
			{
				ParquetBytes b = ((const ParquetBytes *) vals)[i];

				if (is_decimal(el, &scale) && format_decimal_bytes(buf, sizeof(buf), b, scale))
					return puts_(fr, buf, err);
				if (is_string(el))
					return put_string(fr, b.ptr, b.len, err);
				if (lk == PQ_LT_UUID && b.len == 16)
				{
					static const char hex[] = "0123456789abcdef";
					int			k,
								n = 0;

					buf[n++] = '"';
					for (k = 0; k < 16; k++)
					{
						if (k == 4 || k == 6 || k == 8 || k == 10)
							buf[n++] = '-';
						buf[n++] = hex[b.ptr[k] >> 4];
						buf[n++] = hex[b.ptr[k] & 15];
					}
					buf[n++] = '"';
					buf[n] = '\0';
					return puts_(fr, buf, err);
				}
				return put_hex(fr, b.ptr, b.len, err);
			}
	}
	return puts_(fr, "null", err);
}

/* ------------------------------------------------------------- assembly */

static LakeStatus
inconsistent(LakeError *err, const char *what)
{
	return lake_error_set(err, LAKE_ERROR_CORRUPT, "levels of the field's columns do not agree (%s)", what);
}

static inline LeafCursor *
first_cursor(ParquetFieldReader *fr, const Node *n)
{
	return &fr->leaves[n->first_leaf];
}

static LakeStatus
peek(ParquetFieldReader *fr, const Node *n, int16_t *def, int16_t *rep, LakeError *err)
{
	LeafCursor *lc = first_cursor(fr, n);

	if (lc->pos >= lc->rec_end)
		return inconsistent(err, "a record ends early");
	*def = lc->b.def_levels ? lc->b.def_levels[lc->pos] : 0;
	*rep = lc->b.rep_levels ? lc->b.rep_levels[lc->pos] : 0;
	return LAKE_OK;
}

/* Consume one level of every leaf under n (n is null or empty there). */
static LakeStatus
skip_node(ParquetFieldReader *fr, const Node *n, LakeError *err)
{
	int			i;

	for (i = n->first_leaf; i < n->first_leaf + n->num_leaves; i++)
	{
		LeafCursor *lc = &fr->leaves[i];
		int16_t		d;

		if (lc->pos >= lc->rec_end)
			return inconsistent(err, "a record ends early");
		d = lc->b.def_levels ? lc->b.def_levels[lc->pos] : 0;
		if (d >= n->def)
			return inconsistent(err, "a value under a null");
		lc->pos++;
	}
	return LAKE_OK;
}

static LakeStatus emit_field(ParquetFieldReader *fr, int ni, LakeError *err);
static LakeStatus emit_instance(ParquetFieldReader *fr, int ni, LakeError *err);

/*
 * The elements of repeated node R: calls element(ni_elem) per element
 * (instance of R when elem < 0).  Writes open/close brackets.
 */
static LakeStatus
emit_repeated(ParquetFieldReader *fr, int ri, int elem, bool map_object, LakeError *err)
{
	const Node *r = &fr->nodes[ri];
	int16_t		def,
				rep;
	bool		first = true;
	LakeStatus	st;

	st = peek(fr, r, &def, &rep, err);
	if (st != LAKE_OK)
		return st;
	st = puts_(fr, map_object ? "{" : "[", err);
	if (st != LAKE_OK)
		return st;
	if (def < r->def)
	{
		st = skip_node(fr, r, err);
		if (st != LAKE_OK)
			return st;
		return puts_(fr, map_object ? "}" : "]", err);
	}
	for (;;)
	{
		LeafCursor *lc = first_cursor(fr, r);
		size_t		before = lc->pos;

		if (!first)
		{
			st = puts_(fr, ",", err);
			if (st != LAKE_OK)
				return st;
		}
		first = false;
		if (r->is_map_kv)
		{
			/* key_value group of a map (r is the repeated key_value node) */
			int			key = r->num_children > 0 ? r->children[0] : -1;
			int			val = r->num_children > 1 ? r->children[1] : -1;

			if (key < 0)
				return inconsistent(err, "map without key");
			if (map_object)
			{
				/* key: a string leaf (required) */
				LeafCursor *kc = first_cursor(fr, &fr->nodes[key]);
				int16_t		kd;

				if (kc->pos >= kc->rec_end)
					return inconsistent(err, "a record ends early");
				kd = kc->b.def_levels ? kc->b.def_levels[kc->pos] : 0;
				if (kd == kc->max_def)
				{
					ParquetBytes kb;

					if (kc->vpos >= kc->b.num_values)
						return inconsistent(err, "more values than levels say");
					kb = ((const ParquetBytes *) kc->b.values)[kc->vpos];
					st = put_string(fr, kb.ptr, kb.len, err);
					kc->vpos++;
				}
				else
					st = puts_(fr, "\"\"", err);
				kc->pos++;
				if (st == LAKE_OK)
					st = puts_(fr, ":", err);
				if (st == LAKE_OK)
					st = val >= 0 ? emit_field(fr, val, err) : puts_(fr, "null", err);
			}
			else
			{
				st = puts_(fr, "{\"key\":", err);
				if (st == LAKE_OK)
					st = emit_field(fr, key, err);
				if (st == LAKE_OK)
					st = puts_(fr, ",\"value\":", err);
				if (st == LAKE_OK)
					st = val >= 0 ? emit_field(fr, val, err) : puts_(fr, "null", err);
				if (st == LAKE_OK)
					st = puts_(fr, "}", err);
			}
		}
		else if (elem >= 0)
			st = emit_field(fr, elem, err);
		else
			st = emit_instance(fr, ri, err);
		if (st != LAKE_OK)
			return st;
		if (lc->pos == before)
			return inconsistent(err, "an element consumed no levels");
		if (lc->pos >= lc->rec_end)
			break;
		rep = lc->b.rep_levels ? lc->b.rep_levels[lc->pos] : 0;
		if (rep > r->rep)
			return inconsistent(err, "repetition level deeper than the element");
		if (rep < r->rep)
			break;
	}
	return puts_(fr, map_object ? "}" : "]", err);
}

static LakeStatus
emit_instance(ParquetFieldReader *fr, int ni, LakeError *err)
{
	const Node *n = &fr->nodes[ni];
	LakeStatus	st;
	int			i;

	switch (n->kind)
	{
		case NODE_PRIMITIVE:
			{
				LeafCursor *lc = first_cursor(fr, n);
				int16_t		d;

				if (lc->pos >= lc->rec_end)
					return inconsistent(err, "a record ends early");
				d = lc->b.def_levels ? lc->b.def_levels[lc->pos] : 0;
				if (d != lc->max_def)
					return inconsistent(err, "a missing value where one is required");
				if (lc->vpos >= lc->b.num_values)
					return inconsistent(err, "more values than levels say");
				st = put_value(fr, lc, err);
				lc->pos++;
				lc->vpos++;
				return st;
			}
		case NODE_STRUCT:
			st = puts_(fr, "{", err);
			for (i = 0; st == LAKE_OK && i < n->num_children; i++)
			{
				const Node *c = &fr->nodes[n->children[i]];

				if (i > 0)
					st = puts_(fr, ",", err);
				if (st == LAKE_OK)
					st = put_string(fr, (const uint8_t *) c->el->name, strlen(c->el->name), err);
				if (st == LAKE_OK)
					st = puts_(fr, ":", err);
				if (st == LAKE_OK)
					st = emit_field(fr, n->children[i], err);
			}
			if (st != LAKE_OK)
				return st;
			return puts_(fr, "}", err);
		case NODE_LIST:
			return emit_repeated(fr, n->list_repeated, n->list_element, false, err);
		case NODE_MAP:
			return emit_repeated(fr, n->list_repeated, -1, n->map_string_keys, err);
	}
	return LAKE_OK;
}

/* A field of its parent: null, an array (repeated), or an instance. */
static LakeStatus
emit_field(ParquetFieldReader *fr, int ni, LakeError *err)
{
	const Node *n = &fr->nodes[ni];
	int16_t		def,
				rep;
	LakeStatus	st;

	if (n->el->repetition == PQ_REPEATED)
		return emit_repeated(fr, ni, -1, false, err);
	if (n->el->repetition == PQ_OPTIONAL)
	{
		st = peek(fr, n, &def, &rep, err);
		if (st != LAKE_OK)
			return st;
		if (def < n->def)
		{
			st = skip_node(fr, n, err);
			if (st != LAKE_OK)
				return st;
			return puts_(fr, "null", err);
		}
	}
	return emit_instance(fr, ni, err);
}

/* ------------------------------------------------------------ the tree */

static bool
annotated(const ParquetSchemaElement *el, ParquetLogicalKind lk, int ct)
{
	return el->logical.kind == lk || el->converted_type == ct;
}

/* Build node ni for element e; returns the element index after e's subtree, or -1. */
static int
build_node(ParquetFieldReader *fr, int e, int16_t def, int16_t rep, int *next_node, int *next_child,
		   int depth, LakeError *err)
{
	const ParquetSchema *s = &fr->r->schema;
	const ParquetSchemaElement *el = &s->elements[e];
	int			ni = (*next_node)++;
	Node	   *n = &fr->nodes[ni];
	int			c,
				pos;

	if (depth > 64)
	{
		lake_error_set(err, LAKE_ERROR_CORRUPT, "schema nested too deeply");
		return -1;
	}
	if (el->repetition != PQ_REQUIRED)
		def++;
	if (el->repetition == PQ_REPEATED)
		rep++;
	n->elem = e;
	n->el = el;
	n->def = def;
	n->rep = rep;
	n->list_element = -1;
	n->list_repeated = -1;
	n->first_leaf = -1;
	n->num_children = el->num_children;
	n->children = fr->child_store + *next_child;
	*next_child += el->num_children;
	if (el->num_children == 0)
	{
		int			k;

		n->kind = NODE_PRIMITIVE;
		for (k = 0; k < fr->num_leaves; k++)
			if (s->leaves[fr->r->schema.fields[fr->field].first_leaf + k].schema_index == e)
				break;
		if (k == fr->num_leaves)
		{
			lake_error_set(err, LAKE_ERROR_CORRUPT, "schema element %d is not a leaf of the field", e);
			return -1;
		}
		n->first_leaf = k;
		n->num_leaves = 1;
		return e + 1;
	}
	pos = e + 1;
	for (c = 0; c < el->num_children; c++)
	{
		int			ci = *next_node;

		n->children[c] = ci;
		pos = build_node(fr, pos, def, rep, next_node, next_child, depth + 1, err);
		if (pos < 0)
			return -1;
		if (c == 0)
			n->first_leaf = fr->nodes[ci].first_leaf;
		n->num_leaves += fr->nodes[ci].num_leaves;
	}
	n = &fr->nodes[ni];
	n->kind = NODE_STRUCT;
	if (n->num_leaves == 0)
	{
		lake_error_set(err, LAKE_ERROR_UNSUPPORTED, "group \"%s\" without leaf columns", el->name);
		return -1;
	}
	if (annotated(el, PQ_LT_LIST, PQ_CT_LIST) && el->num_children == 1 &&
		fr->nodes[n->children[0]].el->repetition == PQ_REPEATED)
	{
		const Node *r = &fr->nodes[n->children[0]];
		char		tuple[512];

		snprintf(tuple, sizeof(tuple), "%s_tuple", el->name);
		n->kind = NODE_LIST;
		n->list_repeated = n->children[0];
		/* three levels: repeated group of one field that is not a legacy name */
		if (r->kind != NODE_PRIMITIVE && r->num_children == 1 && r->el->converted_type == PQ_CT_NONE &&
			strcmp(r->el->name, "array") != 0 && strcmp(r->el->name, tuple) != 0)
			n->list_element = r->children[0];
	}
	else if ((annotated(el, PQ_LT_MAP, PQ_CT_MAP) || el->converted_type == PQ_CT_MAP_KEY_VALUE) &&
			 el->num_children == 1 && fr->nodes[n->children[0]].el->repetition == PQ_REPEATED &&
			 fr->nodes[n->children[0]].num_children >= 1 && fr->nodes[n->children[0]].num_children <= 2)
	{
		const Node *r = &fr->nodes[n->children[0]];
		const Node *k = &fr->nodes[r->children[0]];

		n->kind = NODE_MAP;
		n->list_repeated = n->children[0];
		n->map_string_keys = k->kind == NODE_PRIMITIVE && k->el->type == PQ_BYTE_ARRAY &&
			k->el->repetition != PQ_REPEATED && is_string(k->el);
		fr->nodes[n->children[0]].is_map_kv = true;
	}
	return pos;
}

/* ------------------------------------------------------------------- API */

LakeStatus
parquet_field_reader_open(ParquetReader *r, int row_group, int field, size_t max_rows,
						  ParquetFieldReader **out, LakeError *err)
{
	ParquetFieldReader *fr;
	const ParquetField *f;
	int			i,
				next_node = 0,
				next_child = 0,
				end;
	int			sub;
	LakeStatus	st;

	*out = NULL;
	if (row_group < 0 || row_group >= r->md.num_row_groups)
		return lake_error_set(err, LAKE_ERROR_INVALID, "row group %d does not exist", row_group);
	if (field < 0 || field >= r->schema.num_fields)
		return lake_error_set(err, LAKE_ERROR_INVALID, "field %d does not exist", field);
	if (max_rows == 0 || max_rows > r->budget / 64)
		return lake_error_set(err, LAKE_ERROR_INVALID, "batch of %zu rows is not allowed", max_rows);
	f = &r->schema.fields[field];

	fr = lake_alloc0(r->alloc, sizeof(ParquetFieldReader), err);
	if (fr == NULL)
		return LAKE_ERROR_NOMEM;
	fr->r = r;
	fr->alloc = r->alloc;
	fr->field = field;
	fr->max_rows = max_rows;
	fr->rows_left = r->md.row_groups[row_group].num_rows;
	lake_buffer_init(&fr->json, r->alloc);
	fr->num_leaves = f->num_leaves;

	/* the subtree's element count bounds nodes and children */
	sub = 0;
	{
		int			pending = 1;

		for (i = f->schema_index; i < r->schema.num_elements && pending > 0; i++)
		{
			pending += r->schema.elements[i].num_children - 1;
			sub++;
		}
	}
	fr->nodes = lake_alloc0(r->alloc, sizeof(Node) * (size_t) sub, err);
	fr->child_store = fr->nodes ? lake_alloc0(r->alloc, sizeof(int) * (size_t) (sub + 1), err) : NULL;
	fr->leaves = fr->child_store ? lake_alloc0(r->alloc, sizeof(LeafCursor) * (size_t) (f->num_leaves + 1), err) : NULL;
	fr->offsets = fr->leaves ? lake_alloc_array(r->alloc, max_rows + 1, sizeof(size_t), err) : NULL;
	fr->is_null = fr->offsets ? lake_alloc_array(r->alloc, max_rows, sizeof(bool), err) : NULL;
	if (fr->is_null == NULL)
	{
		parquet_field_reader_close(fr);
		return LAKE_ERROR_NOMEM;
	}
	fr->num_nodes = sub;
	end = build_node(fr, f->schema_index, 0, 0, &next_node, &next_child, 0, err);
	if (end < 0)
	{
		lake_error_prefix(err, "file \"%s\", field \"%s\": ", r->name, f->element->name);
		parquet_field_reader_close(fr);
		return err->status;
	}
	for (i = 0; i < f->num_leaves; i++)
	{
		LeafCursor *lc = &fr->leaves[i];
		const ParquetLeaf *leaf = &r->schema.leaves[f->first_leaf + i];

		lc->max_def = leaf->max_def;
		lc->max_rep = leaf->max_rep;
		lc->el = leaf->element;
		st = parquet_column_reader_open(r, row_group, f->first_leaf + i, LEAF_BATCH, &lc->cr, err);
		if (st != LAKE_OK)
		{
			parquet_field_reader_close(fr);
			return st;
		}
	}
	*out = fr;
	return LAKE_OK;
}

/* Position every leaf at its next record; *end when the column chunks end. */
static LakeStatus
next_record(ParquetFieldReader *fr, bool *end, LakeError *err)
{
	int			i;
	int			ended = 0;

	for (i = 0; i < fr->num_leaves; i++)
	{
		LeafCursor *lc = &fr->leaves[i];
		size_t		e;

		if (lc->pos >= lc->b.num_levels && !lc->done)
		{
			LakeStatus	st = parquet_column_reader_next(lc->cr, &lc->b, err);

			if (st != LAKE_OK)
				return st;
			lc->pos = 0;
			lc->vpos = 0;
			if (lc->b.num_levels == 0)
				lc->done = true;
		}
		if (lc->done)
		{
			ended++;
			continue;
		}
		if (lc->b.rep_levels != NULL && lc->b.rep_levels[lc->pos] != 0)
			return inconsistent(err, "a record does not start at repetition level 0");
		e = lc->pos + 1;
		if (lc->b.rep_levels != NULL)
			while (e < lc->b.num_levels && lc->b.rep_levels[e] != 0)
				e++;
		lc->rec_end = e;
	}
	if (ended > 0 && ended < fr->num_leaves)
		return inconsistent(err, "columns hold different numbers of records");
	*end = ended > 0;
	return LAKE_OK;
}

LakeStatus
parquet_field_reader_next(ParquetFieldReader *fr, size_t *num_rows, const LakeBuffer **json,
						  const size_t **offsets, const bool **is_null, LakeError *err)
{
	size_t		n = 0;
	const Node *top = &fr->nodes[0];
	LakeStatus	st = LAKE_OK;

	lake_buffer_reset(&fr->json);
	*num_rows = 0;
	*json = &fr->json;
	*offsets = fr->offsets;
	*is_null = fr->is_null;
	fr->offsets[0] = 0;
	while (n < fr->max_rows)
	{
		bool		end = false;
		int			i;
		int16_t		def,
					rep;

		st = next_record(fr, &end, err);
		if (st != LAKE_OK)
			break;
		if (end)
			break;
		fr->is_null[n] = false;
		if (top->el->repetition == PQ_OPTIONAL)
		{
			st = peek(fr, top, &def, &rep, err);
			if (st == LAKE_OK && def < top->def)
			{
				fr->is_null[n] = true;
				st = skip_node(fr, top, err);
			}
			else if (st == LAKE_OK)
				st = emit_instance(fr, 0, err);
		}
		else
			st = emit_field(fr, 0, err);
		if (st != LAKE_OK)
			break;
		for (i = 0; i < fr->num_leaves; i++)
			if (fr->leaves[i].pos != fr->leaves[i].rec_end)
			{
				st = inconsistent(err, "a record has levels left over");
				break;
			}
		if (st != LAKE_OK)
			break;
		if (fr->json.len > fr->r->budget)
		{
			st = lake_error_set(err, LAKE_ERROR_LIMIT, "JSON of the batch exceeds the memory budget");
			break;
		}
		n++;
		fr->offsets[n] = fr->json.len;
	}
	if (st != LAKE_OK)
	{
		if (st == LAKE_ERROR_CORRUPT || st == LAKE_ERROR_LIMIT)
			lake_error_prefix(err, "file \"%s\", field \"%s\": ", fr->r->name,
							  fr->r->schema.fields[fr->field].element->name);
		return st;
	}
	*num_rows = n;
	return LAKE_OK;
}

void
parquet_field_reader_close(ParquetFieldReader *fr)
{
	int			i;

	if (fr == NULL)
		return;
	if (fr->leaves != NULL)
		for (i = 0; i < fr->num_leaves; i++)
			parquet_column_reader_close(fr->leaves[i].cr);
	lake_buffer_free(&fr->json);
	lake_free(fr->alloc, fr->nodes);
	lake_free(fr->alloc, fr->child_store);
	lake_free(fr->alloc, fr->leaves);
	lake_free(fr->alloc, fr->offsets);
	lake_free(fr->alloc, fr->is_null);
	lake_free(fr->alloc, fr);
}
