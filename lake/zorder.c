/*
 * zorder.c
 *	  Z-order keys: interleaving the bits of normalized coordinates
 *	  (see include/lake/zorder.h).
 */
#include "lake/zorder.h"

#include <math.h>

uint64_t
zorder_key(const double *coords, int n)
{
	uint64_t	scaled[ZORDER_MAX_DIMS];
	uint64_t	key = 0;
	int			bits;
	uint64_t	top;

	if (n < 1 || n > ZORDER_MAX_DIMS)
		return 0;
	bits = 63 / n;
	top = ((uint64_t) 1 << bits) - 1;
	for (int d = 0; d < n; d++)
	{
		double		c = coords[d];

		if (isnan(c) || c >= 1.0)
			scaled[d] = top;
		else if (c <= 0.0)
			scaled[d] = 0;
		else
		{
			scaled[d] = (uint64_t) (c * (double) top + 0.5);
			if (scaled[d] > top)
				scaled[d] = top;
		}
	}
	for (int b = bits - 1; b >= 0; b--)
		for (int d = 0; d < n; d++)
			key = (key << 1) | ((scaled[d] >> b) & 1);
	return key;
}
