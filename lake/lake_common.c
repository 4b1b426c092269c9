/*
 * lake_common.c
 *	  Errors, the allocator wrappers, byte buffers, and file / memory inputs
 *	  and outputs for the storage core.
 */
#include "lake/lake_common.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---------------------------------------------------------------- errors */

static void
error_vset(LakeError *err, LakeStatus status, int errnum, const char *fmt, va_list ap)
{
	if (err == NULL)
		return;
	err->status = status;
	err->sys_errno = errnum;
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
}

LakeStatus
lake_error_set(LakeError *err, LakeStatus status, const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	error_vset(err, status, 0, fmt, ap);
	va_end(ap);
	return status;
}

LakeStatus
lake_error_set_errno(LakeError *err, int errnum, const char *fmt,...)
{
	va_list		ap;
	size_t		used;

	va_start(ap, fmt);
	error_vset(err, LAKE_ERROR_IO, errnum, fmt, ap);
	va_end(ap);
	if (err != NULL)
	{
		used = strlen(err->message);
		snprintf(err->message + used, sizeof(err->message) - used, ": %s", strerror(errnum));
	}
	return LAKE_ERROR_IO;
}

void
lake_error_prefix(LakeError *err, const char *fmt,...)
{
	char		prefix[LAKE_ERROR_MESSAGE_SIZE];
	char		old[LAKE_ERROR_MESSAGE_SIZE];
	va_list		ap;

	if (err == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->message, sizeof(old));
	old[sizeof(old) - 1] = '\0';
	{
		size_t		plen = strnlen(prefix, sizeof(err->message) - 1);
		size_t		olen = strnlen(old, sizeof(err->message) - 1 - plen);

		memcpy(err->message, prefix, plen);
		memcpy(err->message + plen, old, olen);
		err->message[plen + olen] = '\0';
	}
}

const char *
lake_status_name(LakeStatus status)
{
	switch (status)
	{
		case LAKE_OK:
			return "ok";
		case LAKE_ERROR_IO:
			return "i/o error";
		case LAKE_ERROR_CORRUPT:
			return "corrupt input";
		case LAKE_ERROR_UNSUPPORTED:
			return "unsupported";
		case LAKE_ERROR_NOMEM:
			return "out of memory";
		case LAKE_ERROR_LIMIT:
			return "limit exceeded";
		case LAKE_ERROR_INVALID:
			return "invalid argument";
		case LAKE_ERROR_CONFLICT:
			return "conflicting commit";
	}
	return "unknown";
}

/* ------------------------------------------------------------- allocator */

static void *
malloc_alloc(void *ctx, size_t size)
{
	return malloc(size == 0 ? 1 : size);
}

static void
malloc_free(void *ctx, void *ptr)
{
	free(ptr);
}

const LakeAllocator lake_malloc_allocator = {malloc_alloc, malloc_free, NULL};

void *
lake_alloc(const LakeAllocator *a, size_t size, LakeError *err)
{
	void	   *p = a->alloc(a->ctx, size);

	if (p == NULL)
		lake_error_set(err, LAKE_ERROR_NOMEM, "out of memory allocating %zu bytes", size);
	return p;
}

void *
lake_alloc0(const LakeAllocator *a, size_t size, LakeError *err)
{
	void	   *p = lake_alloc(a, size, err);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void *
lake_alloc_array(const LakeAllocator *a, size_t n, size_t size, LakeError *err)
{
	if (size != 0 && n > SIZE_MAX / size)
	{
		lake_error_set(err, LAKE_ERROR_NOMEM, "array of %zu elements of %zu bytes is too large", n, size);
		return NULL;
	}
	return lake_alloc(a, n * size, err);
}

void
lake_free(const LakeAllocator *a, void *ptr)
{
	if (ptr != NULL && a->free != NULL)
		a->free(a->ctx, ptr);
}

char *
lake_strndup(const LakeAllocator *a, const char *s, size_t len, LakeError *err)
{
	char	   *p = lake_alloc(a, len + 1, err);

	if (p != NULL)
	{
		memcpy(p, s, len);
		p[len] = '\0';
	}
	return p;
}

/* --------------------------------------------------------------- buffers */

void
lake_buffer_init(LakeBuffer *buf, const LakeAllocator *a)
{
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
	buf->alloc = a;
}

LakeStatus
lake_buffer_reserve(LakeBuffer *buf, size_t additional, LakeError *err)
{
	size_t		need;
	size_t		cap;
	uint8_t    *data;

	if (additional > SIZE_MAX - buf->len)
		return lake_error_set(err, LAKE_ERROR_NOMEM, "buffer size overflow");
	need = buf->len + additional;
	if (need <= buf->cap)
		return LAKE_OK;
	cap = buf->cap < 256 ? 256 : buf->cap;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	data = lake_alloc(buf->alloc, cap, err);
	if (data == NULL)
		return LAKE_ERROR_NOMEM;
	if (buf->len > 0)
		memcpy(data, buf->data, buf->len);
	lake_free(buf->alloc, buf->data);
	buf->data = data;
	buf->cap = cap;
	return LAKE_OK;
}

LakeStatus
lake_buffer_append(LakeBuffer *buf, const void *data, size_t len, LakeError *err)
{
	LakeStatus	st;

	if (len == 0)
		return LAKE_OK;
	st = lake_buffer_reserve(buf, len, err);
	if (st != LAKE_OK)
		return st;
	memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	return LAKE_OK;
}

void
lake_buffer_reset(LakeBuffer *buf)
{
	buf->len = 0;
}

void
lake_buffer_free(LakeBuffer *buf)
{
	lake_free(buf->alloc, buf->data);
	buf->data = NULL;
	buf->len = 0;
	buf->cap = 0;
}

/* ---------------------------------------------------------------- inputs */

static LakeStatus
file_read_at(void *ctx, uint64_t offset, size_t len, void *buf, LakeError *err)
{
	LakeInput  *in = ctx;
	size_t		done = 0;

	while (done < len)
	{
		ssize_t		n = pread(in->fd, (char *) buf + done, len - done, (off_t) (offset + done));

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			return lake_error_set_errno(err, errno, "could not read %zu bytes at offset %llu",
										len, (unsigned long long) offset);
		}
		if (n == 0)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "unexpected end of file reading %zu bytes at offset %llu",
								  len, (unsigned long long) offset);
		done += (size_t) n;
	}
	return LAKE_OK;
}

static LakeStatus
memory_read_at(void *ctx, uint64_t offset, size_t len, void *buf, LakeError *err)
{
	LakeInput  *in = ctx;

	memcpy(buf, in->memory + offset, len);
	return LAKE_OK;
}

LakeStatus
lake_input_open_file(const char *path, LakeInput *in, LakeError *err)
{
	struct stat st;
	int			fd;

	memset(in, 0, sizeof(*in));
	in->fd = -1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lake_error_set_errno(err, errno, "could not open file \"%s\"", path);
	if (fstat(fd, &st) != 0)
	{
		int			e = errno;

		close(fd);
		return lake_error_set_errno(err, e, "could not stat file \"%s\"", path);
	}
	if (!S_ISREG(st.st_mode))
	{
		close(fd);
		return lake_error_set(err, LAKE_ERROR_INVALID, "\"%s\" is not a regular file", path);
	}
	in->fd = fd;
	in->size = (uint64_t) st.st_size;
	in->read_at = file_read_at;
	in->ctx = in;
	return LAKE_OK;
}

void
lake_input_open_memory(const void *data, size_t len, LakeInput *in)
{
	memset(in, 0, sizeof(*in));
	in->fd = -1;
	in->memory = data;
	in->size = len;
	in->read_at = memory_read_at;
	in->ctx = in;
}

void
lake_input_close(LakeInput *in)
{
	if (in->fd >= 0)
		close(in->fd);
	in->fd = -1;
}

LakeStatus
lake_input_read(LakeInput *in, uint64_t offset, size_t len, void *buf, LakeError *err)
{
	if (offset > in->size || len > in->size - offset)
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "read of %zu bytes at offset %llu is past the end of the input (%llu bytes)",
							  len, (unsigned long long) offset, (unsigned long long) in->size);
	if (len == 0)
		return LAKE_OK;
	/* the input may have been copied since open: point ctx at this copy */
	return in->read_at(in, offset, len, buf, err);
}

/* --------------------------------------------------------------- outputs */

#define OUTPUT_BUFFER_SIZE (1024 * 1024)

static LakeStatus
file_flush(LakeOutput *out, LakeError *err)
{
	size_t		done = 0;

	while (done < out->wbuf_len)
	{
		ssize_t		n = write(out->fd, out->wbuf + done, out->wbuf_len - done);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			return lake_error_set_errno(err, errno, "could not write to file \"%s\"", out->tmp_path);
		}
		done += (size_t) n;
	}
	out->wbuf_len = 0;
	return LAKE_OK;
}

static LakeStatus
file_write(void *ctx, const void *data, size_t len, LakeError *err)
{
	LakeOutput *out = ctx;
	LakeStatus	st;

	if (out->wbuf_len + len > out->wbuf_cap)
	{
		st = file_flush(out, err);
		if (st != LAKE_OK)
			return st;
	}
	if (len >= out->wbuf_cap)
	{
		/* large write: bypass the buffer */
		const uint8_t *p = data;
		size_t		done = 0;

		while (done < len)
		{
			ssize_t		n = write(out->fd, p + done, len - done);

			if (n < 0)
			{
				if (errno == EINTR)
					continue;
				return lake_error_set_errno(err, errno, "could not write to file \"%s\"", out->tmp_path);
			}
			done += (size_t) n;
		}
		return LAKE_OK;
	}
	memcpy(out->wbuf + out->wbuf_len, data, len);
	out->wbuf_len += len;
	return LAKE_OK;
}

static LakeStatus
memory_write(void *ctx, const void *data, size_t len, LakeError *err)
{
	LakeOutput *out = ctx;

	return lake_buffer_append(out->memory, data, len, err);
}

LakeStatus
lake_output_open_file(const LakeAllocator *a, const char *path, LakeOutput *out, LakeError *err)
{
	size_t		plen = strlen(path);

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->alloc = a;
	out->path = lake_strndup(a, path, plen, err);
	out->tmp_path = lake_alloc(a, plen + 32, err);
	out->wbuf = lake_alloc(a, OUTPUT_BUFFER_SIZE, err);
	if (out->path == NULL || out->tmp_path == NULL || out->wbuf == NULL)
	{
		lake_output_abort(out);
		return LAKE_ERROR_NOMEM;
	}
	out->wbuf_cap = OUTPUT_BUFFER_SIZE;
	snprintf(out->tmp_path, plen + 32, "%s.tmp.%d", path, (int) getpid());
	out->fd = open(out->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out->fd < 0)
	{
		int			e = errno;

		lake_output_abort(out);
		return lake_error_set_errno(err, e, "could not create file \"%s\"", path);
	}
	out->write = file_write;
	out->ctx = out;
	return LAKE_OK;
}

void
lake_output_open_memory(LakeBuffer *buf, LakeOutput *out)
{
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	out->memory = buf;
	out->write = memory_write;
	out->ctx = out;
}

LakeStatus
lake_output_write(LakeOutput *out, const void *data, size_t len, LakeError *err)
{
	LakeStatus	st = out->write(out, data, len, err);

	if (st == LAKE_OK)
		out->offset += len;
	return st;
}

static LakeStatus
fsync_directory_of(const char *path, LakeError *err)
{
	char	   *copy = strdup(path);
	int			fd;

	if (copy == NULL)
		return lake_error_set(err, LAKE_ERROR_NOMEM, "out of memory");
	fd = open(dirname(copy), O_RDONLY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return lake_error_set_errno(err, errno, "could not open directory of \"%s\"", path);
	if (fsync(fd) != 0 && errno != EINVAL)
	{
		int			e = errno;

		close(fd);
		return lake_error_set_errno(err, e, "could not fsync directory of \"%s\"", path);
	}
	close(fd);
	return LAKE_OK;
}

LakeStatus
lake_output_commit(LakeOutput *out, LakeError *err)
{
	LakeStatus	st;

	if (out->memory != NULL)
		return LAKE_OK;
	st = file_flush(out, err);
	if (st != LAKE_OK)
		return st;
	if (fsync(out->fd) != 0)
		return lake_error_set_errno(err, errno, "could not fsync file \"%s\"", out->tmp_path);
	if (close(out->fd) != 0)
	{
		out->fd = -1;
		return lake_error_set_errno(err, errno, "could not close file \"%s\"", out->tmp_path);
	}
	out->fd = -1;
	if (rename(out->tmp_path, out->path) != 0)
		return lake_error_set_errno(err, errno, "could not rename \"%s\" to \"%s\"",
									out->tmp_path, out->path);
	st = fsync_directory_of(out->path, err);
	lake_free(out->alloc, out->wbuf);
	lake_free(out->alloc, out->tmp_path);
	lake_free(out->alloc, out->path);
	out->wbuf = NULL;
	out->tmp_path = NULL;
	out->path = NULL;
	return st;
}

void
lake_output_abort(LakeOutput *out)
{
	if (out->memory != NULL)
		return;
	if (out->fd >= 0)
	{
		close(out->fd);
		out->fd = -1;
	}
	if (out->tmp_path != NULL)
		unlink(out->tmp_path);
	if (out->alloc != NULL)
	{
		lake_free(out->alloc, out->wbuf);
		lake_free(out->alloc, out->tmp_path);
		lake_free(out->alloc, out->path);
	}
	out->wbuf = NULL;
	out->tmp_path = NULL;
	out->path = NULL;
}
