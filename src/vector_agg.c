/*-------------------------------------------------------------------------
 *
 * vector_agg.c
 *	  avg(vector): transition, combine and final functions.
 *
 *	  The state is a float8[] of 1 + dim elements: the count, then the
 *	  running sums.  Summing in float8 keeps avg of many float4 vectors
 *	  accurate; being a plain array, the state crosses process boundaries
 *	  without serialisation functions, so avg runs in parallel plans.
 *	  sum(vector) needs no code here: it is vector_add as both transition
 *	  and combine function.  avg(halfvec) (halfvec_agg.c) keeps the same
 *	  state, so it shares the state checks and vector_combine.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/float.h"

#include "vector.h"

/*
 * The state's elements, checked: a float8[] without NULLs, whose count is
 * a whole number of vectors, 0 with no sums or at least 1 with 1 to
 * VECTOR_MAX_DIM of them.  The support functions can be called directly
 * with any array, so every field is checked before it is trusted.
 */
float8 *
AvgStateValues(ArrayType *state, int *n)
{
	float8	   *values;

	if (ARR_NDIM(state) != 1 || ARR_HASNULL(state) || ARR_ELEMTYPE(state) != FLOAT8OID)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("avg(vector) state must be a one-dimensional double precision array without NULLs")));
	*n = ARR_DIMS(state)[0];
	values = (float8 *) ARR_DATA_PTR(state);
	if (*n < 1 || *n > VECTOR_MAX_DIM + 1)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("avg(vector) state has %d elements, must have 1 to %d",
						*n, VECTOR_MAX_DIM + 1),
				 errdetail("The state is a count followed by the sums of up to %d dimensions.",
						   VECTOR_MAX_DIM)));
	if (!(values[0] >= 0 && values[0] <= 9007199254740992.0) || values[0] != floor(values[0]) ||
		(values[0] == 0) != (*n == 1))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg_plural("avg(vector) state has count %g with %d sum",
							   "avg(vector) state has count %g with %d sums",
							   *n - 1, values[0], *n - 1),
				 errdetail("The count must be a whole number, 0 exactly when there are no sums.")));
	return values;
}

static ArrayType *
NewState(int dim)
{
	Datum	   *elems = palloc(sizeof(Datum) * (dim + 1));

	for (int i = 0; i <= dim; i++)
		elems[i] = Float8GetDatum(0.0);
	return construct_array(elems, dim + 1, FLOAT8OID, sizeof(float8),
						   FLOAT8PASSBYVAL, TYPALIGN_DOUBLE);
}

/*
 * A state we may change in place: inside an aggregate the transition value
 * is ours; elsewhere (a direct call) work on a copy.
 */
ArrayType *
AvgWritableState(FunctionCallInfo fcinfo, int argno, const char *typname, int dim)
{
	ArrayType  *state = PG_GETARG_ARRAYTYPE_P(argno);
	int			n;

	AvgStateValues(state, &n);
	CheckTypeDimCount(typname, dim);
	if (n == 1)
		return NewState(dim);	/* the initial '{0}': no vector seen yet */
	CheckTypeDimsMatch(typname, n - 1, dim);
	if (AggCheckCallContext(fcinfo, NULL))
		return state;
	return PG_GETARG_ARRAYTYPE_P_COPY(argno);
}

PG_FUNCTION_INFO_V1(vector_accum);
Datum
vector_accum(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(1);
	ArrayType  *state = AvgWritableState(fcinfo, 0, "vector", v->dim);
	float8	   *values = (float8 *) ARR_DATA_PTR(state);

	values[0] += 1.0;
	for (int i = 0; i < v->dim; i++)
		values[i + 1] += (double) v->x[i];
	PG_RETURN_ARRAYTYPE_P(state);
}

PG_FUNCTION_INFO_V1(vector_combine);
Datum
vector_combine(PG_FUNCTION_ARGS)
{
	ArrayType  *other = PG_GETARG_ARRAYTYPE_P(1);
	int			n_other;
	float8	   *add = AvgStateValues(other, &n_other);
	ArrayType  *state;
	float8	   *values;

	if (n_other == 1)
	{
		int			n;

		state = PG_GETARG_ARRAYTYPE_P(0);
		AvgStateValues(state, &n);
		PG_RETURN_ARRAYTYPE_P(state);
	}
	state = AvgWritableState(fcinfo, 0, "vector", n_other - 1);
	values = (float8 *) ARR_DATA_PTR(state);
	for (int i = 0; i < n_other; i++)
		values[i] += add[i];
	PG_RETURN_ARRAYTYPE_P(state);
}

PG_FUNCTION_INFO_V1(vector_avg);
Datum
vector_avg(PG_FUNCTION_ARGS)
{
	int			n;
	float8	   *values = AvgStateValues(PG_GETARG_ARRAYTYPE_P(0), &n);
	Vector	   *result;

	if (values[0] == 0.0)
		PG_RETURN_NULL();
	result = InitVector(n - 1);
	for (int i = 1; i < n; i++)
	{
		float		mean = (float) (values[i] / values[0]);

		if (isinf(mean) && isfinite(values[i]))
			float_overflow_error();
		CheckElement(mean);
		result->x[i - 1] = mean;
	}
	PG_RETURN_VECTOR_P(result);
}
