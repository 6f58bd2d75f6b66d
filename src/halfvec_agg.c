/*-------------------------------------------------------------------------
 *
 * halfvec_agg.c
 *	  avg(halfvec): transition and final functions.
 *
 *	  The state is avg(vector)'s float8[] (vector_agg.c): the count, then
 *	  the running sums, so the mean of many halves keeps float8's precision
 *	  until the one rounding to half at the end.  Its combine function is
 *	  vector_combine itself: the state does not depend on the element type.
 *	  sum(halfvec) needs no code here: it is halfvec_add as both transition
 *	  and combine function, so its partial sums are halves too, and a sum
 *	  beyond 65,504 is an overflow error.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/array.h"
#include "utils/float.h"

#include "halfvec.h"

PG_FUNCTION_INFO_V1(halfvec_accum);
Datum
halfvec_accum(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(1);
	ArrayType  *state = AvgWritableState(fcinfo, 0, "halfvec", v->dim);
	float8	   *values = (float8 *) ARR_DATA_PTR(state);

	values[0] += 1.0;
	for (int i = 0; i < v->dim; i++)
		values[i + 1] += (double) vg_half_to_float(v->x[i]);
	PG_RETURN_ARRAYTYPE_P(state);
}

PG_FUNCTION_INFO_V1(halfvec_avg);
Datum
halfvec_avg(PG_FUNCTION_ARGS)
{
	int			n;
	float8	   *values = AvgStateValues(PG_GETARG_ARRAYTYPE_P(0), &n);
	HalfVector *result;

	if (values[0] == 0.0)
		PG_RETURN_NULL();
	result = InitHalfVector(n - 1);
	for (int i = 1; i < n; i++)
	{
		float		mean = (float) (values[i] / values[0]);
		VgHalf		h = vg_float_to_half(mean);

		/* only a state made by hand can average beyond half's range */
		if (HalfIsInf(h) && isfinite(values[i]))
			float_overflow_error();
		CheckTypeElement("halfvec", mean);
		result->x[i - 1] = h;
	}
	PG_RETURN_HALFVEC_P(result);
}
