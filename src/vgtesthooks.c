/*-------------------------------------------------------------------------
 *
 * vgtesthooks.c
 *	  Damage only tests may do, compiled only into test builds
 *	  (make VG_TEST_HOOKS=1, as make test builds).
 *
 * NOTES
 *	  vecgraph_test_orphan(index, n) makes n nodes unreachable the way a
 *	  lost write would: every link to them, tree links included, is
 *	  removed, and each keeps its own links (its tree links made plain
 *	  ones, their twins being gone).  Nothing else can make an
 *	  orphan (tree links keep every node reachable), yet the maintenance
 *	  worker's connectivity repair must be seen to work.  The function is
 *	  not part of the extension's SQL: a test creates it, as superuser.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#ifdef VG_TEST_HOOKS

#include "access/relation.h"
#include "miscadmin.h"
#include "utils/rel.h"

#include "vgam.h"

/* Removes victim from every list of every node of the index. */
static void
CutInLinks(VgStore store, BlockNumber nblocks, VgNodeId victim)
{
	const VgShape *shape = &store->shape;
	VgNodeId   *list = palloc(sizeof(VgNodeId) * shape->m0);
	VgNodeId   *kept = palloc(sizeof(VgNodeId) * shape->m0);

	for (BlockNumber blkno = 1; blkno < nblocks; blkno++)
	{
		for (OffsetNumber off = FirstOffsetNumber; off <= (1 << shape->slot_bits); off++)
		{
			VgNodeId	id = VgMakeNodeId(blkno, off, shape);
			Page		page = VgStoreLockPage(store, blkno, BUFFER_LOCK_SHARE);
			int			level;

			if (off > PageGetMaxOffsetNumber(page) ||
				!VgTupleIsNode(PageGetItem(page, PageGetItemId(page, off))))
			{
				VgStoreUnlock(store);
				continue;
			}
			level = ((VgNodeTuple) PageGetItem(page, PageGetItemId(page, off)))->level;
			VgStoreUnlock(store);
			for (int lv = 0; lv <= level; lv++)
			{
				int			n_tree = 0;
				int			n = VgStoreOps.neighbours(store, id, lv, list, shape->m0, &n_tree);
				int			k = 0,
							k_tree = 0;
				VgListUpdate u;

				for (int i = 0; i < n; i++)
					if (list[i] != victim)
					{
						kept[k++] = list[i];
						/* its own tree links become plain: their twins are gone */
						k_tree += i < n_tree && id != victim;
					}
				u = (VgListUpdate) {id, lv, list, n, n_tree, kept, k, k_tree};
				if ((k < n || k_tree < n_tree) && !VgStoreOps.update_lists(store, &u, 1))
					elog(ERROR, "list of node %u changed while cutting links", id);
			}
		}
		VgStoreReset(store);
	}
}

PG_FUNCTION_INFO_V1(vecgraph_test_orphan);

Datum
vecgraph_test_orphan(PG_FUNCTION_ARGS)
{
	Relation	index;
	VgStoreData store;
	VgMetaPageData meta;
	BlockNumber nblocks;
	int			want = PG_GETARG_INT32(1);
	int			cut = 0;

	if (!superuser())
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						errmsg("only superusers may damage an index")));
	index = relation_open(PG_GETARG_OID(0), ExclusiveLock);
	VgReadMeta(index, &meta);
	VgStoreInit(&store, index, false);
	nblocks = RelationGetNumberOfBlocks(index);
	for (BlockNumber blkno = 1 + nblocks / 3; blkno < nblocks && cut < want; blkno += 7)
	{
		VgNodeId	id = VgMakeNodeId(blkno, FirstOffsetNumber, &store.shape);
		Page		page = VgStoreLockPage(&store, blkno, BUFFER_LOCK_SHARE);
		bool		is_node = PageGetMaxOffsetNumber(page) >= FirstOffsetNumber &&
			VgTupleIsNode(PageGetItem(page, PageGetItemId(page, FirstOffsetNumber)));
		bool		is_entry = false;

		/* the page's first item may be an upper tuple, placed before its node */
		VgStoreUnlock(&store);
		for (int p = 0; p < meta.partitions; p++)
			is_entry |= meta.part[p].entry == id;
		if (!is_node || is_entry || VgStoreOps.level(&store, id) != 0)
			continue;
		CutInLinks(&store, nblocks, id);
		cut++;
	}
	VgStoreRelease(&store);
	relation_close(index, NoLock);
	PG_RETURN_INT32(cut);
}

#endif							/* VG_TEST_HOOKS */
