/*
 * lake_common.h
 *	  What every part of the storage core shares: status codes and the error
 *	  struct, the caller-supplied allocator, growable byte buffers, and the
 *	  random-access input / sequential output abstractions.
 *
 * lake/ never includes PostgreSQL headers.  Functions return a LakeStatus and,
 * on failure, fill a LakeError; they never abort or longjmp.  All memory comes
 * from a LakeAllocator passed by the caller.  The allocator may refuse (return
 * NULL): callers turn that into LAKE_ERROR_NOMEM.
 */
#ifndef LAKE_COMMON_H
#define LAKE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum LakeStatus
{
	LAKE_OK = 0,
	LAKE_ERROR_IO,				/* the OS refused; sys_errno is set */
	LAKE_ERROR_CORRUPT,			/* the input is not valid for its format */
	LAKE_ERROR_UNSUPPORTED,		/* valid input using a feature we do not implement */
	LAKE_ERROR_NOMEM,			/* the allocator refused */
	LAKE_ERROR_LIMIT,			/* the work would exceed a configured budget */
	LAKE_ERROR_INVALID,			/* the caller passed something wrong */
	LAKE_ERROR_CONFLICT			/* a concurrent commit conflicts with ours */
} LakeStatus;

#define LAKE_ERROR_MESSAGE_SIZE 512

typedef struct LakeError
{
	LakeStatus	status;
	int			sys_errno;		/* errno for LAKE_ERROR_IO, else 0 */
	char		message[LAKE_ERROR_MESSAGE_SIZE];	/* lowercase, no trailing period */
} LakeError;

#if defined(__GNUC__)
#define LAKE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define LAKE_PRINTF(f, a)
#endif

/* Set err and return status (so "return lake_error_set(...)" reads well). */
extern LakeStatus lake_error_set(LakeError *err, LakeStatus status,
								 const char *fmt,...) LAKE_PRINTF(3, 4);
/* Same, for LAKE_ERROR_IO with the given errno. */
extern LakeStatus lake_error_set_errno(LakeError *err, int errnum,
									   const char *fmt,...) LAKE_PRINTF(3, 4);
/* Prepend context ("column \"x\": ") to an error already set. */
extern void lake_error_prefix(LakeError *err, const char *fmt,...) LAKE_PRINTF(2, 3);
extern const char *lake_status_name(LakeStatus status);

/*
 * The allocator.  alloc returns NULL when it refuses.  free may be a no-op
 * (the extension backs this with palloc in a memory context that is reset
 * as a whole).
 */
typedef struct LakeAllocator
{
	void	   *(*alloc) (void *ctx, size_t size);
	void		(*free) (void *ctx, void *ptr);
	void	   *ctx;
} LakeAllocator;

/* malloc/free: for unit tests, fuzzers and benchmarks. */
extern const LakeAllocator lake_malloc_allocator;

/* Wrappers: lake_alloc sets LAKE_ERROR_NOMEM in err and returns NULL on refusal. */
extern void *lake_alloc(const LakeAllocator *a, size_t size, LakeError *err);
extern void *lake_alloc0(const LakeAllocator *a, size_t size, LakeError *err);
/* n * size with overflow check */
extern void *lake_alloc_array(const LakeAllocator *a, size_t n, size_t size, LakeError *err);
extern void lake_free(const LakeAllocator *a, void *ptr);
extern char *lake_strndup(const LakeAllocator *a, const char *s, size_t len, LakeError *err);

/* A growable byte buffer whose memory comes from an allocator. */
typedef struct LakeBuffer
{
	uint8_t    *data;
	size_t		len;
	size_t		cap;
	const LakeAllocator *alloc;
} LakeBuffer;

extern void lake_buffer_init(LakeBuffer *buf, const LakeAllocator *a);
extern LakeStatus lake_buffer_reserve(LakeBuffer *buf, size_t additional, LakeError *err);
extern LakeStatus lake_buffer_append(LakeBuffer *buf, const void *data, size_t len, LakeError *err);
extern void lake_buffer_reset(LakeBuffer *buf);	/* len = 0, keeps memory */
extern void lake_buffer_free(LakeBuffer *buf);

/*
 * Random-access input: a file, or bytes in memory (fuzzers, tests).
 * read_at reads exactly len bytes at offset; reading past size is an error
 * (LAKE_ERROR_CORRUPT naming the offset), never a short read.
 */
typedef struct LakeInput
{
	LakeStatus	(*read_at) (void *ctx, uint64_t offset, size_t len, void *buf, LakeError *err);
	uint64_t	size;
	void	   *ctx;
	int			fd;				/* for file inputs, else -1 */
	const uint8_t *memory;		/* for memory inputs, else NULL */
} LakeInput;

extern LakeStatus lake_input_open_file(const char *path, LakeInput *in, LakeError *err);
extern void lake_input_open_memory(const void *data, size_t len, LakeInput *in);
extern void lake_input_close(LakeInput *in);
extern LakeStatus lake_input_read(LakeInput *in, uint64_t offset, size_t len, void *buf, LakeError *err);

/*
 * Sequential output.  A file output writes to "<path>.tmp.<pid>" and, on
 * lake_output_commit, fsyncs it and renames it into place (then fsyncs the
 * directory); lake_output_abort unlinks the temporary file.  A memory output
 * appends to a LakeBuffer.
 */
typedef struct LakeOutput
{
	LakeStatus	(*write) (void *ctx, const void *data, size_t len, LakeError *err);
	void	   *ctx;
	uint64_t	offset;			/* bytes written so far */
	/* file outputs */
	int			fd;
	char	   *path;
	char	   *tmp_path;
	uint8_t    *wbuf;			/* write-behind buffer */
	size_t		wbuf_len;
	size_t		wbuf_cap;
	const LakeAllocator *alloc;
	/* memory outputs */
	LakeBuffer *memory;
} LakeOutput;

extern LakeStatus lake_output_open_file(const LakeAllocator *a, const char *path, LakeOutput *out, LakeError *err);
extern void lake_output_open_memory(LakeBuffer *buf, LakeOutput *out);
extern LakeStatus lake_output_write(LakeOutput *out, const void *data, size_t len, LakeError *err);
extern LakeStatus lake_output_commit(LakeOutput *out, LakeError *err);
extern void lake_output_abort(LakeOutput *out);

#endif							/* LAKE_COMMON_H */
