/*-------------------------------------------------------------------------
 *
 * vg_prune.c
 *	  RobustPrune: choosing a node's neighbours from candidates.
 *
 * NOTES
 *	  Vamana's RobustPrune (Subramanya et al., DiskANN, NeurIPS 2019) keeps a
 *	  candidate only if no already-kept neighbour "covers" it: a kept k
 *	  covers c when alpha * d(c, k) <= d(c, base).  With alpha = 1 this is
 *	  exactly HNSW's heuristic (Malkov & Yashunin, algorithm 4, without the
 *	  optional extension step; vg_prune_fill is its keep-pruned step), so one
 *	  routine serves both graphs.  alpha > 1 keeps longer edges, which Vamana
 *	  needs to be navigable from a single entry point.  As in DiskANN's code
 *	  (occlude_list), alpha is reached in rounds: what alpha 1 keeps comes
 *	  first, then factors growing by 1.2 add more while there is room.
 *
 *	  The distances are the metric's ranking distances (squared L2 for L2),
 *	  so for L2 alpha acts on squared distances; DiskANN's alpha of 1.2 on
 *	  distances corresponds to 1.44 here.  The glue converts (VgPruneAlpha).
 *	  Ranking distances that can be negative are shifted first
 *	  (VgMetric.prune_shift), since scaling a negative distance by alpha > 1
 *	  would cover more candidates, not fewer.
 *
 *-------------------------------------------------------------------------
 */
#include "vg_links.h"

/* Whether a kept node covers c at factor alpha. */
static bool
covered_by_kept(const VgGraph *graph, const void *cv, float distance, float alpha,
				const void *const *vectors, int kept)
{
	for (int j = 0; j < kept; j++)
		if (vg_prune_covers(&graph->metric, alpha,
							vg_metric_distance(&graph->metric, cv, vectors[j]), distance))
			return true;
	return false;
}

int
vg_prune_robust(const VgGraph *graph, const VgCandidate *candidates, int n,
				int max_out, float alpha, int kept, VgNodeId *out,
				const void **vectors)
{
	int			first = kept;
	float		a = 1.0f;
	bool		later = false;	/* a round after the first: out may hold candidates */

	/*
	 * DiskANN's occlusion rounds: alpha 1 first, then larger factors up to
	 * alpha while there is room, so that the links alpha 1 keeps -- the
	 * long ones among them -- are never crowded out by near candidates that
	 * only a larger alpha lets in.
	 */
	for (;;)
	{
		if (a > alpha)
			a = alpha;
		for (int i = 0; i < n && kept < max_out; i++)
		{
			const void *cv;

			if (later && vg_ids_contain(out + first, kept - first, candidates[i].id))
				continue;
			cv = graph->ops->vector(graph->store, candidates[i].id);
			if (!covered_by_kept(graph, cv, candidates[i].distance, a, vectors, kept))
			{
				out[kept] = candidates[i].id;
				vectors[kept] = cv;
				kept++;
			}
		}
		if (kept >= max_out || a >= alpha)
			return kept;
		a *= 1.2f;
		later = true;
	}
}

int
vg_prune_fill(const VgGraph *graph, const VgCandidate *candidates, int n,
			  int max_out, int kept, VgNodeId *out, const void **vectors)
{
	for (int i = 0; i < n && kept < max_out; i++)
	{
		bool		chosen = false;

		for (int j = 0; j < kept && !chosen; j++)
			chosen = out[j] == candidates[i].id;
		if (!chosen)
		{
			vectors[kept] = graph->ops->vector(graph->store, candidates[i].id);
			out[kept++] = candidates[i].id;
		}
	}
	return kept;
}
