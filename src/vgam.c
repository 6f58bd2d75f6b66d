/*-------------------------------------------------------------------------
 *
 * vgam.c
 *	  The vecgraph index access method's handler.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/amapi.h"
#include "commands/vacuum.h"

#include "vgam.h"

PG_FUNCTION_INFO_V1(vecgraph_handler);
Datum
vecgraph_handler(PG_FUNCTION_ARGS)
{
	IndexAmRoutine *am = makeNode(IndexAmRoutine);

	am->amstrategies = 0;
	am->amsupport = VG_NPROCS;
	am->amoptsprocnum = 0;
	am->amcanorder = false;
	am->amcanorderbyop = true;
	am->amcanbackward = false;
	am->amcanunique = false;
	am->amcanmulticol = false;
	am->amoptionalkey = true;
	am->amsearcharray = false;
	am->amsearchnulls = false;
	am->amstorage = false;
	am->amclusterable = false;
	am->ampredlocks = false;
	am->amcanparallel = true;
	am->amcaninclude = false;
	am->amusemaintenanceworkmem = true;
	am->amparallelvacuumoptions = VACUUM_OPTION_PARALLEL_BULKDEL;
	am->amkeytype = InvalidOid;

	am->ambuild = vgbuild;
	am->ambuildempty = vgbuildempty;
	am->aminsert = vginsert;
	am->ambulkdelete = vgbulkdelete;
	am->amvacuumcleanup = vgvacuumcleanup;
	am->amcanreturn = NULL;
	am->amcostestimate = vgcostestimate;
	am->amoptions = vgoptions;
	am->amproperty = NULL;
	am->ambuildphasename = vgbuildphasename;
	am->amvalidate = vgvalidate;
	am->amadjustmembers = NULL;
	am->ambeginscan = vgbeginscan;
	am->amrescan = vgrescan;
	am->amgettuple = vggettuple;
	am->amgetbitmap = NULL;
	am->amendscan = vgendscan;
	am->ammarkpos = NULL;
	am->amrestrpos = NULL;
	am->amestimateparallelscan = vgestimateparallelscan;
	am->aminitparallelscan = vginitparallelscan;
	am->amparallelrescan = vgparallelrescan;

	PG_RETURN_POINTER(am);
}
