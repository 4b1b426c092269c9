/*
 * zorder.h
 *	  Z-order (Morton) keys: the bits of several normalized coordinates
 *	  interleaved, so that sorting by the key keeps rows that are close in
 *	  every coordinate close together.  OPTIMIZE ... ZORDER BY sorts the
 *	  rewritten rows by this key (each column normalized to its rank in
 *	  [0, 1]); the files it cuts from that order then have narrow min/max
 *	  ranges on every z-ordered column, which is what statistics skipping
 *	  needs.
 */
#ifndef LAKE_ZORDER_H
#define LAKE_ZORDER_H

#include <stdint.h>

/* the most coordinates a key interleaves (each then gets one bit) */
#define ZORDER_MAX_DIMS 63

/*
 * The key of n coordinates (1 <= n <= ZORDER_MAX_DIMS), each in [0, 1]
 * (clamped; NaN counts as 1): each is scaled to 63 / n bits and the bits
 * are interleaved from the most significant down, coordinate 0 first.  The
 * key fits in 63 bits, so it also orders correctly as a signed integer.
 * Returns 0 for n outside the range.
 */
extern uint64_t zorder_key(const double *coords, int n);

#endif							/* LAKE_ZORDER_H */
