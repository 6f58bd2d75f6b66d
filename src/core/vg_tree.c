/*-------------------------------------------------------------------------
 *
 * vg_tree.c
 *	  Tree links: a spanning tree inside every graph, so that pruning can
 *	  never cut a node off.
 *
 * NOTES
 *	  The neighbour heuristic drops links freely, and a node whose every
 *	  in-link was dropped can no longer be found by any search.  hnswlib
 *	  accepts that; vecgraph instead keeps, inside each partition's level-0
 *	  graph, a spanning tree whose edges are links in both directions
 *	  ("tree links", the first entries of a level-0 list).  Pruning never
 *	  removes a tree link, so from any node, the entry point included, a
 *	  search can reach every node, and a node is always linked from the
 *	  node it first joined, usually its nearest neighbour at the time,
 *	  which keeps it easy to find by its own vector.
 *
 *	  Why it stays a spanning tree:
 *	  - A new node's first link is a tree link both ways to a node already
 *	    in the tree, written to both lists in one update_lists call (one WAL
 *	    record on pages): no crash or concurrent reader sees one direction
 *	    without the other.  Every other link of the node comes later, so
 *	    until then nothing reaches it, and no other node can choose it as
 *	    its own tree neighbour before it is in the tree.  A node whose insert
 *	    stopped before this point (a crash, an error) has no links at all and
 *	    its row never committed; VACUUM removes it.
 *	  - Tree links go only to nodes that are not deleted; the store refuses
 *	    the update otherwise, atomically with VACUUM marking the node.
 *	  - VACUUM (vg_tree_bypass) first moves, for each group of deleted
 *	    nodes joined by tree links, the tree links of all its live
 *	    neighbours but one onto live nodes on that one's side, each move
 *	    one atomic update of three lists.  After every move the live nodes
 *	    are still joined by tree links; at the end each group hangs from
 *	    one live node, and dropping that link, as VACUUM's repair does,
 *	    separates only deleted nodes.
 *	  - The degree in the tree is bounded (vg_tree_degree: 4 of a level-0
 *	    list's 32 links at m = 16) so that tree links never crowd out the
 *	    links the heuristic chooses.  A new node takes the nearest candidate
 *	    with room, else walks the tree from the nearest to a node with room:
 *	    every finite tree has leaves, and with degrees of 3 or more, most
 *	    nodes are near one.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdbool.h>

#include "vg_links.h"

int
vg_tree_degree(int cap)
{
	int			d = cap / 8;

	/* at most 2 would make the tree a path, with room only at its ends */
	if (d < 3)
		d = 3;
	if (d > 8)
		d = 8;
	return d < cap ? d : cap - 1;
}

/* Tree links a node may reach when nothing else has room. */
static int
hard_limit(int cap)
{
	return cap - 1 < VG_MAX_TREE_LINKS ? cap - 1 : VG_MAX_TREE_LINKS;
}

/*
 * out = list[0..n) with its n_tree tree links changed: remove loses its
 * tree link (if any), add becomes one (leaving the ordinary part if it was
 * there).  Returns the new length; *out_tree gets the new tree count.
 */
static int
retree(const VgNodeId *list, int n, int n_tree, VgNodeId add, VgNodeId remove,
	   VgNodeId *out, int *out_tree)
{
	int			k = 0;

	for (int i = 0; i < n_tree; i++)
		if (list[i] != remove)
			out[k++] = list[i];
	if (add != VG_NO_NODE)
		out[k++] = add;
	*out_tree = k;
	for (int i = n_tree; i < n; i++)
		if (list[i] != add)
			out[k++] = list[i];
	return k;
}

typedef enum MoveResult
{
	MOVE_DONE,
	MOVE_NO_ROOM,				/* b has limit tree links already */
	MOVE_GONE,					/* a has no tree link to c (any more) */
	MOVE_RETRY					/* a list changed under us */
} MoveResult;

/*
 * The update giving x's list list[0..n) (n_tree tree links) a tree link to
 * add and taking the one to remove (either may be VG_NO_NODE), written to
 * out.  When the list would overflow, it drops the ordinary link
 * RobustPrune(1) likes least.
 */
static VgListUpdate
retree_update(const VgGraph *graph, VgNodeId x, const VgNodeId *list, int n,
			  int n_tree, VgNodeId add, VgNodeId remove, VgNodeId *out,
			  VgListScratch *s)
{
	VgListUpdate u = {x, 0, list, n, n_tree, out, 0, 0};

	u.n = retree(list, n, n_tree, add, remove, out, &u.n_tree);
	if (u.n > s->cap)
		u.n = vg_links_choose(graph, x, out, u.n_tree, out + u.n_tree,
							  u.n - u.n_tree, s->cap, 1.0f, s);
	return u;
}

/*
 * One atomic change of tree links: when b is a node, a and b become tree
 * neighbours (b must have fewer than limit tree links); when c is a node,
 * a and c stop being tree neighbours.
 */
static MoveResult
tree_move(const VgGraph *graph, VgNodeId a, VgNodeId b, VgNodeId c, int limit,
		  VgListScratch *s)
{
	const VgGraphOps *ops = graph->ops;
	int			cap = s->cap;
	VgNodeId   *la = s->lists[0],
			   *lb = s->lists[1],
			   *lc = s->lists[2];
	int			ta,
				tb = 0,
				tc = 0,
				na,
				nb = 0,
				nc = 0;
	VgListUpdate u[3];
	int			n_updates = 0;

	na = ops->neighbours(graph->store, a, 0, la, cap, &ta);
	if (b != VG_NO_NODE)
	{
		nb = ops->neighbours(graph->store, b, 0, lb, cap, &tb);
		if (tb >= limit)
			return MOVE_NO_ROOM;
	}
	if (c != VG_NO_NODE)
	{
		nc = ops->neighbours(graph->store, c, 0, lc, cap, &tc);
		if (!vg_ids_contain(la, ta, c))
			return MOVE_GONE;
	}

	u[n_updates++] = retree_update(graph, a, la, na, ta, b, c, s->out[0], s);
	if (b != VG_NO_NODE)
		u[n_updates++] = retree_update(graph, b, lb, nb, tb, a, VG_NO_NODE, s->out[1], s);
	if (c != VG_NO_NODE)
		u[n_updates++] = retree_update(graph, c, lc, nc, tc, VG_NO_NODE, a, s->out[2], s);
	return ops->update_lists(graph->store, u, n_updates) ? MOVE_DONE : MOVE_RETRY;
}

/* Whether node is deleted: in the set when one is given, else by the store. */
static bool
is_deleted(const VgGraph *graph, const VgVisited *deleted, const void *probe,
		   VgNodeId node)
{
	float		d;

	if (deleted != NULL)
		return vg_visited_contains(deleted, node);
	graph->ops->distances(graph->store, &graph->metric, probe, &node, 1, &d);
	return isinf(d);
}

/* Where find_room looks, and what it found. */
typedef struct RoomSearch
{
	const void *probe;			/* any vector: the store's deleted test */
	const VgVisited *deleted;	/* or the deleted nodes, when given */
	const VgVisited *fence;		/* nodes not to enter, or NULL */
	int			soft;			/* the tree degree budget */
	int			hard;			/* the most tree links a node may hold */
	VgNodeId	found_soft;		/* a live node under the budget */
	VgNodeId	found_hard;		/* a live node under the hard limit */
} RoomSearch;

/*
 * Walks tree links breadth-first from starts[0..n) (entering no fence node)
 * until it finds a live node with fewer than rs->soft tree links; notes the
 * first live node under rs->hard on the way.
 */
static VgStatus
find_room(const VgGraph *graph, const VgNodeId *starts, int n, RoomSearch *rs,
		  VgListScratch *s)
{
	VgVisited	seen;
	VgHeap		queue;
	VgStatus	st;
	uint32_t	order = 0;

	rs->found_soft = rs->found_hard = VG_NO_NODE;
	if ((st = vg_visited_init(&seen, 256, s->allocator)) != VG_OK)
		return st;
	if ((st = vg_heap_init(&queue, 256, s->allocator)) != VG_OK)
	{
		vg_visited_free(&seen);
		return st;
	}
	for (int i = 0; i < n && st == VG_OK; i++)
		if (vg_visited_add(&seen, starts[i], &st))
			st = vg_heap_push(&queue, (VgCandidate) {(float) order++, starts[i]});

	while (st == VG_OK && queue.size > 0 && rs->found_soft == VG_NO_NODE)
	{
		VgNodeId	u = vg_heap_pop(&queue).id;
		int			n_tree;

		if (graph->ops->check_interrupts && (order & 1023) == 0)
			graph->ops->check_interrupts(graph->store);
		graph->ops->neighbours(graph->store, u, 0, s->lists[0], s->cap, &n_tree);
		if (!is_deleted(graph, rs->deleted, rs->probe, u))
		{
			if (n_tree < rs->soft)
				rs->found_soft = u;
			else if (n_tree < rs->hard && rs->found_hard == VG_NO_NODE)
				rs->found_hard = u;
		}
		for (int i = 0; i < n_tree && st == VG_OK; i++)
		{
			VgNodeId	v = s->lists[0][i];

			if (rs->fence && vg_visited_contains(rs->fence, v))
				continue;
			if (vg_visited_add(&seen, v, &st))
				st = vg_heap_push(&queue, (VgCandidate) {(float) order++, v});
		}
	}
	vg_heap_free(&queue);
	vg_visited_free(&seen);
	return st;
}

/*
 * Gives node a tree link to target, retrying while target's list changes
 * under us, unless what failed the swap is that target got deleted.
 */
static MoveResult
move_to(const VgGraph *graph, VgNodeId node, VgNodeId target, int limit,
		const RoomSearch *rs, VgListScratch *s)
{
	MoveResult	r;

	while ((r = tree_move(graph, node, target, VG_NO_NODE, limit, s)) == MOVE_RETRY)
		if (is_deleted(graph, rs->deleted, rs->probe, target))
			return MOVE_NO_ROOM;
	return r;
}

VgStatus
vg_tree_attach(const VgGraph *graph, VgNodeId node, const VgCandidate *candidates,
			   int n, int max_tree, VgListScratch *s, VgNodeId *parent)
{
	RoomSearch	rs = {graph->ops->vector(graph->store, node), NULL, NULL,
	max_tree, hard_limit(s->cap), VG_NO_NODE, VG_NO_NODE};
	VgStatus	st;

	*parent = VG_NO_NODE;
	for (int i = 0; i < n; i++)
	{
		MoveResult	r;

		if (candidates[i].id == node || isinf(candidates[i].distance))
			continue;
		r = move_to(graph, node, candidates[i].id, max_tree, &rs, s);
		if (r == MOVE_DONE)
		{
			*parent = candidates[i].id;
			return VG_OK;
		}
	}

	/* none had room (or all were deleted): look along the tree */
	if (n > s->cap)
		n = s->cap;
	for (;;)
	{
		VgNodeId	target;
		MoveResult	r;

		if (n == 0)
			return VG_OK;
		for (int i = 0; i < n; i++)
			s->out[0][i] = candidates[i].id;	/* tree_move overwrites it */
		if ((st = find_room(graph, s->out[0], n, &rs, s)) != VG_OK)
			return st;
		target = rs.found_soft != VG_NO_NODE ? rs.found_soft : rs.found_hard;
		if (target == VG_NO_NODE)
			return VG_OK;		/* no live node in reach: the caller decides */
		r = move_to(graph, node, target,
					target == rs.found_soft ? rs.soft : rs.hard, &rs, s);
		if (r == MOVE_DONE)
		{
			*parent = target;
			return VG_OK;
		}
	}
}

/* A tree link from a live node into a deleted group. */
typedef struct Boundary
{
	VgNodeId	live;
	VgNodeId	member;
} Boundary;

/*
 * Collects into group (and done) the deleted nodes joined to start by tree
 * links, and into *edges the tree links from live nodes into the group
 * (only those both ends agree on).  *edges is allocated; the caller frees it.
 */
static VgStatus
collect_group(const VgGraph *graph, const VgVisited *deleted, VgNodeId start,
			  VgVisited *group, VgVisited *done, VgListScratch *s,
			  Boundary **edges, int *n_edges)
{
	VgHeap		stack;
	int			size = 16;
	VgStatus	st;

	*n_edges = 0;
	*edges = vg_alloc(s->allocator, sizeof(Boundary) * size);
	if (*edges == NULL)
		return VG_ERR_NO_MEMORY;
	if ((st = vg_heap_init(&stack, 64, s->allocator)) != VG_OK)
		return st;
	vg_visited_add(group, start, &st);
	vg_visited_add(done, start, &st);
	if (st == VG_OK)
		st = vg_heap_push(&stack, (VgCandidate) {0, start});
	while (st == VG_OK && stack.size > 0)
	{
		VgNodeId	g = vg_heap_pop(&stack).id;
		int			t;

		graph->ops->neighbours(graph->store, g, 0, s->lists[0], s->cap, &t);
		for (int i = 0; i < t && st == VG_OK; i++)
		{
			VgNodeId	v = s->lists[0][i];
			int			tv;

			if (vg_visited_contains(deleted, v))
			{
				if (vg_visited_add(group, v, &st))
				{
					vg_visited_add(done, v, &st);
					st = vg_heap_push(&stack, (VgCandidate) {0, v});
				}
				continue;
			}
			graph->ops->neighbours(graph->store, v, 0, s->lists[1], s->cap, &tv);
			if (!vg_ids_contain(s->lists[1], tv, g))
				continue;		/* v dropped it already (an earlier VACUUM) */
			if (*n_edges == size)
			{
				Boundary   *bigger = vg_alloc(s->allocator, sizeof(Boundary) * size * 2);

				if (bigger == NULL)
				{
					st = VG_ERR_NO_MEMORY;
					break;
				}
				for (int k = 0; k < size; k++)
					bigger[k] = (*edges)[k];
				vg_release(s->allocator, *edges);
				*edges = bigger;
				size *= 2;
			}
			(*edges)[(*n_edges)++] = (Boundary) {v, g};
		}
	}
	vg_heap_free(&stack);
	return st;
}

/*
 * Moves the tree link live-member onto a live node with room on anchor's
 * side of the group; *moved says whether it did (not when the link was
 * gone already).
 */
static VgStatus
move_off_group(const VgGraph *graph, const VgVisited *deleted, VgVisited *group,
			   VgNodeId anchor, Boundary edge, int max_tree, VgListScratch *s,
			   bool *moved)
{
	RoomSearch	rs = {NULL, deleted, group, max_tree, hard_limit(s->cap),
	VG_NO_NODE, VG_NO_NODE};

	for (;;)
	{
		VgNodeId	target;
		MoveResult	r;
		VgStatus	st;

		if ((st = find_room(graph, &anchor, 1, &rs, s)) != VG_OK)
			return st;
		target = rs.found_soft != VG_NO_NODE ? rs.found_soft : rs.found_hard;
		if (target == VG_NO_NODE)
			return VG_ERR_FULL;
		if (target == edge.live)
			target = VG_NO_NODE;	/* joined without the group already: just cut */
		r = tree_move(graph, edge.live, target, edge.member,
					  target == rs.found_hard ? rs.hard : rs.soft, s);
		*moved = r == MOVE_DONE;
		if (r == MOVE_DONE || r == MOVE_GONE)
			return VG_OK;
	}
}

/* Boundary nodes already joined to the anchor's side a move may try first. */
#define VG_BYPASS_WINDOW 16

/*
 * Moves edge's tree link onto the nearest live node among joined[0..n) (on
 * the anchor's side already) that has room: the group's neighbours lie
 * near one another, so the tree link stays short and keeps its slots
 * useful.  Returns whether it did.
 */
static bool
move_to_near(const VgGraph *graph, Boundary edge, const VgNodeId *joined, int n,
			 int max_tree, VgListScratch *s)
{
	const void *v = graph->ops->vector(graph->store, edge.live);
	VgCandidate near[VG_BYPASS_WINDOW];
	int			k = 0;

	for (int i = 0; i < n; i++)
		if (joined[i] != edge.live)
			near[k++] = (VgCandidate) {vg_metric_distance(&graph->metric, v,
														  graph->ops->vector(graph->store, joined[i])),
			joined[i]};
	vg_candidates_sort(near, k);
	for (int i = 0; i < k; i++)
	{
		MoveResult	r;

		while ((r = tree_move(graph, edge.live, near[i].id, edge.member, max_tree, s)) == MOVE_RETRY)
			;
		if (r == MOVE_DONE)
			return true;
		if (r == MOVE_GONE)
			return false;
	}
	return false;
}

VgStatus
vg_tree_bypass(const VgGraph *graph, const VgVisited *deleted, VgNodeId start,
			   int max_tree, VgVisited *done, VgListScratch *s)
{
	VgVisited	group;
	Boundary   *edges = NULL;
	int			n_edges = 0;
	VgNodeId	joined[VG_BYPASS_WINDOW];
	int			n_joined = 0;
	VgStatus	st;

	if ((st = vg_visited_init(&group, 64, s->allocator)) != VG_OK)
		return st;
	st = collect_group(graph, deleted, start, &group, done, s, &edges, &n_edges);
	if (n_edges > 0)
		joined[n_joined++] = edges[0].live;
	for (int i = 1; i < n_edges && st == VG_OK; i++)
	{
		bool		moved = move_to_near(graph, edges[i], joined, n_joined, max_tree, s);

		if (!moved)
			st = move_off_group(graph, deleted, &group, edges[0].live, edges[i],
								max_tree, s, &moved);
		/* the window keeps the latest joined, in the order the walk met them */
		if (moved)
			joined[n_joined < VG_BYPASS_WINDOW ? n_joined++ : i % VG_BYPASS_WINDOW] = edges[i].live;
	}
	vg_release(s->allocator, edges);
	vg_visited_free(&group);
	return st;
}
