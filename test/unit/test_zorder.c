/*
 * test_zorder.c
 *	  Z-order keys: the interleaving of known values, clamping, monotonicity
 *	  in every coordinate, 63 bits at most, and the locality that makes
 *	  OPTIMIZE ... ZORDER BY useful: cutting the key order of a grid into
 *	  equal runs gives runs whose range on each coordinate is narrow.
 */
#include <math.h>

#include "lake/zorder.h"
#include "unit.h"

static uint64_t
key2(double x, double y)
{
	double		c[2] = {x, y};

	return zorder_key(c, 2);
}

int
main(void)
{
	double		one = 1.0;
	double		c3[3];

	/* one coordinate: the scaled value itself (63 bits) */
	CHECK(zorder_key(&one, 1) == ((uint64_t) 1 << 63) - 1);
	one = 0.0;
	CHECK(zorder_key(&one, 1) == 0);

	/* two coordinates: 31 bits each, x's bit first */
	CHECK(key2(1.0, 0.0) == 0x2AAAAAAAAAAAAAAAULL);
	{
		uint64_t	kx = key2(1.0, 0.0);
		uint64_t	ky = key2(0.0, 1.0);

		/* x takes the odd positions from the top (bit 61, 59, ...), y the even (60, 58, ...) */
		CHECK((kx & ky) == 0);
		CHECK((kx | ky) == ((uint64_t) 1 << 62) - 1);
		CHECK(kx > ky);
		CHECK(__builtin_popcountll(kx) == 31 && __builtin_popcountll(ky) == 31);
	}
	/* fits in 63 bits for every width */
	for (int n = 1; n <= ZORDER_MAX_DIMS; n++)
	{
		double		c[ZORDER_MAX_DIMS];

		for (int d = 0; d < n; d++)
			c[d] = 1.0;
		CHECK((zorder_key(c, n) >> 63) == 0);
	}
	/* out of range: clamped, NaN as the top; n out of range is 0 */
	CHECK(key2(-5, 2) == key2(0, 1));
	CHECK(key2(NAN, 0) == key2(1, 0));
	CHECK(zorder_key(c3, 0) == 0 && zorder_key(c3, 64) == 0);

	/* monotonic in each coordinate */
	for (int i = 0; i < 200; i++)
		for (int j = 0; j < 200; j += 7)
		{
			double		x = i / 200.0,
						y = j / 200.0;

			CHECK(key2(x + 0.005, y) >= key2(x, y));
			CHECK(key2(x, y + 0.005) >= key2(x, y));
		}

	/*
	 * Locality: a 64 x 64 grid sorted by key and cut into 16 runs of 256
	 * points: every run spans at most a quarter of each axis (a sort by x
	 * alone would span all of y in every run).
	 */
	{
		static uint64_t keys[4096];
		static int	xs[4096],
					ys[4096];
		int			n = 0;

		for (int x = 0; x < 64; x++)
			for (int y = 0; y < 64; y++)
			{
				keys[n] = key2(x / 63.0, y / 63.0);
				xs[n] = x;
				ys[n] = y;
				n++;
			}
		/* insertion sort by key, moving the coordinates along */
		for (int i = 1; i < n; i++)
			for (int k = i; k > 0 && keys[k - 1] > keys[k]; k--)
			{
				uint64_t	tk = keys[k];
				int			tx = xs[k],
							ty = ys[k];

				keys[k] = keys[k - 1];
				xs[k] = xs[k - 1];
				ys[k] = ys[k - 1];
				keys[k - 1] = tk;
				xs[k - 1] = tx;
				ys[k - 1] = ty;
			}
		for (int r = 0; r < 16; r++)
		{
			int			minx = 64,
						maxx = -1,
						miny = 64,
						maxy = -1;

			for (int i = r * 256; i < (r + 1) * 256; i++)
			{
				minx = xs[i] < minx ? xs[i] : minx;
				maxx = xs[i] > maxx ? xs[i] : maxx;
				miny = ys[i] < miny ? ys[i] : miny;
				maxy = ys[i] > maxy ? ys[i] : maxy;
			}
			CHECK_MSG(maxx - minx < 16 && maxy - miny < 16, "run %d spans x %d..%d y %d..%d",
					  r, minx, maxx, miny, maxy);
		}
	}
	c3[0] = 0.5;
	c3[1] = 0.25;
	c3[2] = 0.75;
	CHECK(zorder_key(c3, 3) != 0);
	return unit_finish("test_zorder");
}
