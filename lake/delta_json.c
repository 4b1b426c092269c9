/*
 * delta_json.c
 *	  JSON for the Delta log reader: jansson trees with bounded, checked
 *	  member access whose errors name the log file and line, and a raw
 *	  in-place scanner for the per-file statistics (numbers kept as written,
 *	  no tree built).
 */
#include "delta_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

LakeStatus
delta_where_error(LakeError *err, LakeStatus status, const DeltaWhere *w, const char *fmt,...)
{
	char		msg[LAKE_ERROR_MESSAGE_SIZE];
	va_list		ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w == NULL || w->file == NULL)
		return lake_error_set(err, status, "%s", msg);
	if (w->line > 0)
		return lake_error_set(err, status, "delta log file \"%s\", %s %lld: %s", w->file,
							  w->is_row ? "row" : "line", (long long) w->line, msg);
	return lake_error_set(err, status, "delta log file \"%s\": %s", w->file, msg);
}

LakeStatus
delta_json_load(const char *text, size_t len, const DeltaWhere *w, json_t **out, LakeError *err)
{
	json_error_t jerr;
	json_t	   *j;

	*out = NULL;
	j = json_loadb(text, len, 0, &jerr);
	if (j == NULL)
		return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "invalid JSON at column %d: %s",
								 jerr.column, jerr.text);
	*out = j;
	return LAKE_OK;
}

static const char *
json_kind_name(const json_t *j)
{
	switch (json_typeof(j))
	{
		case JSON_OBJECT:
			return "an object";
		case JSON_ARRAY:
			return "an array";
		case JSON_STRING:
			return "a string";
		case JSON_INTEGER:
			return "an integer";
		case JSON_REAL:
			return "a number";
		case JSON_TRUE:
		case JSON_FALSE:
			return "a boolean";
		case JSON_NULL:
			return "null";
	}
	return "?";
}

/* The member, or NULL when absent or JSON null (an error if required). */
static LakeStatus
member(const json_t *obj, const char *key, bool required, const char *ctx, const DeltaWhere *w,
	   json_t **value, LakeError *err)
{
	json_t	   *v = NULL;

	if (obj != NULL && json_is_object(obj))
		v = json_object_get(obj, key);
	if (v != NULL && json_is_null(v))
		v = NULL;
	*value = v;
	if (v == NULL && required)
		return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "%s has no \"%s\"", ctx, key);
	return LAKE_OK;
}

static LakeStatus
wrong_type(const DeltaWhere *w, const char *ctx, const char *key, const char *want,
		   const json_t *v, LakeError *err)
{
	return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "%s.%s is %s, not %s", ctx, key,
							 json_kind_name(v), want);
}

LakeStatus
delta_json_string(const json_t *obj, const char *key, bool required, const char *ctx,
				  const DeltaWhere *w, const char **value, size_t *len, LakeError *err)
{
	json_t	   *v;
	LakeStatus	st;

	*value = NULL;
	if (len)
		*len = 0;
	if ((st = member(obj, key, required, ctx, w, &v, err)) != LAKE_OK || v == NULL)
		return st;
	if (!json_is_string(v))
		return wrong_type(w, ctx, key, "a string", v, err);
	*value = json_string_value(v);
	if (len)
		*len = json_string_length(v);
	return LAKE_OK;
}

LakeStatus
delta_json_int64(const json_t *obj, const char *key, bool required, const char *ctx,
				 const DeltaWhere *w, int64_t *value, bool *present, LakeError *err)
{
	json_t	   *v;
	LakeStatus	st;

	if (present)
		*present = false;
	if ((st = member(obj, key, required, ctx, w, &v, err)) != LAKE_OK || v == NULL)
		return st;
	if (!json_is_integer(v))
		return wrong_type(w, ctx, key, "an integer", v, err);
	*value = (int64_t) json_integer_value(v);
	if (present)
		*present = true;
	return LAKE_OK;
}

LakeStatus
delta_json_bool(const json_t *obj, const char *key, bool required, const char *ctx,
				const DeltaWhere *w, bool *value, bool *present, LakeError *err)
{
	json_t	   *v;
	LakeStatus	st;

	if (present)
		*present = false;
	if ((st = member(obj, key, required, ctx, w, &v, err)) != LAKE_OK || v == NULL)
		return st;
	if (!json_is_boolean(v))
		return wrong_type(w, ctx, key, "a boolean", v, err);
	*value = json_is_true(v);
	if (present)
		*present = true;
	return LAKE_OK;
}

LakeStatus
delta_json_object(const json_t *obj, const char *key, bool required, const char *ctx,
				  const DeltaWhere *w, json_t **value, LakeError *err)
{
	json_t	   *v;
	LakeStatus	st;

	*value = NULL;
	if ((st = member(obj, key, required, ctx, w, &v, err)) != LAKE_OK || v == NULL)
		return st;
	if (!json_is_object(v))
		return wrong_type(w, ctx, key, "an object", v, err);
	*value = v;
	return LAKE_OK;
}

LakeStatus
delta_json_array(const json_t *obj, const char *key, bool required, const char *ctx,
				 const DeltaWhere *w, json_t **value, LakeError *err)
{
	json_t	   *v;
	LakeStatus	st;

	*value = NULL;
	if ((st = member(obj, key, required, ctx, w, &v, err)) != LAKE_OK || v == NULL)
		return st;
	if (!json_is_array(v))
		return wrong_type(w, ctx, key, "an array", v, err);
	*value = v;
	return LAKE_OK;
}

LakeStatus
delta_json_string_array(const LakeAllocator *a, const json_t *arr, const char *ctx,
						const DeltaWhere *w, char ***out, int *n, LakeError *err)
{
	size_t		count = json_array_size(arr);
	char	  **v;

	*out = NULL;
	*n = 0;
	if (count == 0)
		return LAKE_OK;
	if (count > INT32_MAX / 2)
		return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "%s has too many elements", ctx);
	/* bounded: the elements exist in the parsed text */
	v = lake_alloc_array(a, count, sizeof(char *), err);
	if (v == NULL)
		return LAKE_ERROR_NOMEM;
	for (size_t i = 0; i < count; i++)
	{
		json_t	   *e = json_array_get(arr, i);

		if (!json_is_string(e))
		{
			for (size_t k = 0; k < i; k++)
				lake_free(a, v[k]);
			lake_free(a, v);
			return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "%s[%zu] is %s, not a string",
									 ctx, i, json_kind_name(e));
		}
		v[i] = lake_strndup(a, json_string_value(e), json_string_length(e), err);
		if (v[i] == NULL)
		{
			for (size_t k = 0; k < i; k++)
				lake_free(a, v[k]);
			lake_free(a, v);
			return LAKE_ERROR_NOMEM;
		}
	}
	*out = v;
	*n = (int) count;
	return LAKE_OK;
}

LakeStatus
delta_json_dumps(const LakeAllocator *a, const json_t *j, char **out, LakeError *err)
{
	char	   *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);

	*out = NULL;
	if (s == NULL)
		return lake_error_set(err, LAKE_ERROR_NOMEM, "out of memory serializing JSON");
	*out = lake_strndup(a, s, strlen(s), err);
	free(s);
	return *out ? LAKE_OK : LAKE_ERROR_NOMEM;
}

/* ---- the raw scanner ---- */

void
delta_scan_init(DeltaScan *s, const char *text, size_t len)
{
	s->base = text;
	s->p = text;
	s->end = text + len;
}

static inline void
skip_ws(DeltaScan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

bool
delta_scan_at_end(DeltaScan *s)
{
	skip_ws(s);
	return s->p == s->end;
}

/* s->p after the opening quote; leaves s->p after the closing one. */
static bool
scan_string(DeltaScan *s, DeltaTok *tok)
{
	const char *start = s->p;
	bool		escaped = false;

	while (s->p < s->end)
	{
		unsigned char c = (unsigned char) *s->p;

		if (c == '"')
		{
			tok->kind = DELTA_TOK_STRING;
			tok->start = start;
			tok->len = (size_t) (s->p - start);
			tok->escaped = escaped;
			s->p++;
			return true;
		}
		if (c == '\\')
		{
			escaped = true;
			s->p++;
			if (s->p >= s->end)
				return false;
		}
		else if (c < 0x20)
			return false;
		s->p++;
	}
	return false;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
scan_number(DeltaScan *s, DeltaTok *tok)
{
	const char *start = s->p;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end || !is_digit(*s->p))
		return false;
	if (*s->p == '0')
		s->p++;
	else
		while (s->p < s->end && is_digit(*s->p))
			s->p++;
	if (s->p < s->end && *s->p == '.')
	{
		s->p++;
		if (s->p >= s->end || !is_digit(*s->p))
			return false;
		while (s->p < s->end && is_digit(*s->p))
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
	{
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || !is_digit(*s->p))
			return false;
		while (s->p < s->end && is_digit(*s->p))
			s->p++;
	}
	tok->kind = DELTA_TOK_NUMBER;
	tok->start = start;
	tok->len = (size_t) (s->p - start);
	tok->escaped = false;
	return true;
}

static bool
scan_word(DeltaScan *s, const char *word, DeltaTokKind kind, DeltaTok *tok)
{
	size_t		n = strlen(word);

	if ((size_t) (s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return false;
	tok->kind = kind;
	tok->start = s->p;
	tok->len = n;
	tok->escaped = false;
	s->p += n;
	return true;
}

bool
delta_scan_value(DeltaScan *s, DeltaTok *tok)
{
	skip_ws(s);
	if (s->p >= s->end)
		return false;
	switch (*s->p)
	{
		case '"':
			s->p++;
			return scan_string(s, tok);
		case '{':
			s->p++;
			tok->kind = DELTA_TOK_OBJECT;
			tok->start = s->p;
			tok->len = 0;
			return true;
		case '[':
			s->p++;
			tok->kind = DELTA_TOK_ARRAY;
			tok->start = s->p;
			tok->len = 0;
			return true;
		case 't':
			return scan_word(s, "true", DELTA_TOK_TRUE, tok);
		case 'f':
			return scan_word(s, "false", DELTA_TOK_FALSE, tok);
		case 'n':
			return scan_word(s, "null", DELTA_TOK_NULL, tok);
		default:
			return scan_number(s, tok);
	}
}

/*
 * Skip the rest of an object or array whose opening bracket was consumed.
 * Iterative, with a bounded stack of the open brackets, checking the
 * grammar as it goes.
 */
bool
delta_scan_skip(DeltaScan *s, const DeltaTok *tok)
{
	char		stack[DELTA_JSON_MAX_DEPTH];
	int			depth;
	bool		just_opened = true;

	if (tok->kind != DELTA_TOK_OBJECT && tok->kind != DELTA_TOK_ARRAY)
		return true;
	stack[0] = tok->kind == DELTA_TOK_OBJECT ? '}' : ']';
	depth = 1;
	for (;;)
	{
		char		close = stack[depth - 1];
		DeltaTok	t;

		skip_ws(s);
		if (s->p >= s->end)
			return false;
		if (*s->p == close)
		{
			s->p++;
			if (--depth == 0)
				return true;
			just_opened = false;
			continue;
		}
		if (!just_opened)
		{
			if (*s->p != ',')
				return false;
			s->p++;
			skip_ws(s);
		}
		if (close == '}')
		{
			DeltaTok	key;

			if (s->p >= s->end || *s->p != '"')
				return false;
			s->p++;
			if (!scan_string(s, &key))
				return false;
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return false;
			s->p++;
		}
		if (!delta_scan_value(s, &t))
			return false;
		if (t.kind == DELTA_TOK_OBJECT || t.kind == DELTA_TOK_ARRAY)
		{
			if (depth >= DELTA_JSON_MAX_DEPTH)
				return false;
			stack[depth++] = t.kind == DELTA_TOK_OBJECT ? '}' : ']';
			just_opened = true;
		}
		else
			just_opened = false;
	}
}

bool
delta_tok_int64(const DeltaTok *tok, int64_t *out)
{
	const char *p = tok->start;
	const char *end = tok->start + tok->len;
	bool		neg = false;
	uint64_t	v = 0;
	uint64_t	limit;

	if (tok->kind != DELTA_TOK_NUMBER || p == end)
		return false;
	if (*p == '-')
	{
		neg = true;
		p++;
	}
	if (p == end)
		return false;
	limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	for (; p < end; p++)
	{
		if (*p < '0' || *p > '9')
			return false;		/* a fraction or an exponent */
		if (v > (limit - (uint64_t) (*p - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t) (*p - '0');
	}
	*out = neg ? (int64_t) (0 - v) : (int64_t) v;
	return true;
}

bool
delta_scan_member(DeltaScan *s, bool *first, DeltaTok *key, bool *done)
{
	*done = false;
	skip_ws(s);
	if (s->p >= s->end)
		return false;
	if (*s->p == '}')
	{
		s->p++;
		*done = true;
		return true;
	}
	if (!*first)
	{
		if (*s->p != ',')
			return false;
		s->p++;
		skip_ws(s);
	}
	*first = false;
	if (s->p >= s->end || *s->p != '"')
		return false;
	s->p++;
	if (!scan_string(s, key))
		return false;
	skip_ws(s);
	if (s->p >= s->end || *s->p != ':')
		return false;
	s->p++;
	return true;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool
read_u4(const char *s, size_t len, size_t i, uint32_t *cp)
{
	uint32_t	v = 0;

	if (i + 4 > len)
		return false;
	for (int k = 0; k < 4; k++)
	{
		int			h = hexval(s[i + k]);

		if (h < 0)
			return false;
		v = (v << 4) | (uint32_t) h;
	}
	*cp = v;
	return true;
}

bool
delta_json_unescape(const char *s, size_t len, char *out, size_t *out_len)
{
	size_t		o = 0;

	for (size_t i = 0; i < len; i++)
	{
		char		c = s[i];
		uint32_t	cp;

		if (c != '\\')
		{
			out[o++] = c;
			continue;
		}
		if (++i >= len)
			return false;
		switch (s[i])
		{
			case '"':
				out[o++] = '"';
				break;
			case '\\':
				out[o++] = '\\';
				break;
			case '/':
				out[o++] = '/';
				break;
			case 'b':
				out[o++] = '\b';
				break;
			case 'f':
				out[o++] = '\f';
				break;
			case 'n':
				out[o++] = '\n';
				break;
			case 'r':
				out[o++] = '\r';
				break;
			case 't':
				out[o++] = '\t';
				break;
			case 'u':
				if (!read_u4(s, len, i + 1, &cp))
					return false;
				i += 4;
				if (cp >= 0xD800 && cp <= 0xDBFF)
				{
					uint32_t	lo;

					if (i + 2 >= len || s[i + 1] != '\\' || s[i + 2] != 'u' ||
						!read_u4(s, len, i + 3, &lo) || lo < 0xDC00 || lo > 0xDFFF)
						return false;
					i += 6;
					cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				}
				else if (cp >= 0xDC00 && cp <= 0xDFFF)
					return false;
				if (cp == 0)
					return false;
				/* the UTF-8 form is never longer than the escape */
				if (cp < 0x80)
					out[o++] = (char) cp;
				else if (cp < 0x800)
				{
					out[o++] = (char) (0xC0 | (cp >> 6));
					out[o++] = (char) (0x80 | (cp & 0x3F));
				}
				else if (cp < 0x10000)
				{
					out[o++] = (char) (0xE0 | (cp >> 12));
					out[o++] = (char) (0x80 | ((cp >> 6) & 0x3F));
					out[o++] = (char) (0x80 | (cp & 0x3F));
				}
				else
				{
					out[o++] = (char) (0xF0 | (cp >> 18));
					out[o++] = (char) (0x80 | ((cp >> 12) & 0x3F));
					out[o++] = (char) (0x80 | ((cp >> 6) & 0x3F));
					out[o++] = (char) (0x80 | (cp & 0x3F));
				}
				break;
			default:
				return false;
		}
	}
	*out_len = o;
	return true;
}

bool
delta_scan_find_member(const char *text, size_t len, const char *key, const char **value,
					   size_t *value_len)
{
	DeltaScan	s;
	DeltaTok	t;
	bool		first = true;
	size_t		klen = strlen(key);

	delta_scan_init(&s, text, len);
	if (!delta_scan_value(&s, &t) || t.kind != DELTA_TOK_OBJECT)
		return false;
	for (;;)
	{
		DeltaTok	k;
		bool		done;
		const char *vstart;

		if (!delta_scan_member(&s, &first, &k, &done) || done)
			return false;
		skip_ws(&s);
		vstart = s.p;
		if (!delta_scan_value(&s, &t) || !delta_scan_skip(&s, &t))
			return false;
		if (!k.escaped && k.len == klen && memcmp(k.start, key, klen) == 0)
		{
			*value = vstart;
			*value_len = (size_t) (s.p - vstart);
			return true;
		}
	}
}
