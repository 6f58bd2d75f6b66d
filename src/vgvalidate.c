/*-------------------------------------------------------------------------
 *
 * vgvalidate.c
 *	  Checks an operator class of the vecgraph access method.
 *
 *	  A vecgraph operator class has one ordering operator (strategy 1, the
 *	  distance operator the index serves) and support function 1, the
 *	  distance function the index ranks by; both take two operands of the
 *	  indexed type.  Problems are reported as INFO, as core AMs do, and make
 *	  the result false.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/amvalidate.h"
#include "access/htup_details.h"
#include "catalog/pg_amop.h"
#include "catalog/pg_amproc.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

#include "vgam.h"

static bool
CheckOperators(const char *opclassname, Oid opfamily, Oid opcintype)
{
	CatCList   *oprlist = SearchSysCacheList1(AMOPSTRATEGY, ObjectIdGetDatum(opfamily));
	bool		ok = true;

	for (int i = 0; i < oprlist->n_members; i++)
	{
		Form_pg_amop op = (Form_pg_amop) GETSTRUCT(&oprlist->members[i]->tuple);

		if (op->amopstrategy != 1 || op->amoppurpose != AMOP_ORDER ||
			op->amoplefttype != opcintype || op->amoprighttype != opcintype)
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("vecgraph operator class \"%s\" has operator %s, which is not an ordering operator of strategy 1 on its type",
							opclassname, format_operator(op->amopopr))));
			ok = false;
		}
	}
	if (oprlist->n_members == 0)
	{
		ereport(INFO,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("vecgraph operator class \"%s\" has no ordering operator",
						opclassname)));
		ok = false;
	}
	ReleaseCatCacheList(oprlist);
	return ok;
}

static bool
CheckSupportFunctions(const char *opclassname, Oid opfamily, Oid opcintype)
{
	CatCList   *proclist = SearchSysCacheList1(AMPROCNUM, ObjectIdGetDatum(opfamily));
	bool		ok = true;
	bool		found = false;

	for (int i = 0; i < proclist->n_members; i++)
	{
		Form_pg_amproc proc = (Form_pg_amproc) GETSTRUCT(&proclist->members[i]->tuple);

		if (proc->amproclefttype != opcintype || proc->amprocrighttype != opcintype)
			continue;
		if (proc->amprocnum != VG_DISTANCE_PROC ||
			!check_amproc_signature(proc->amproc, FLOAT8OID, true, 2, 2,
									opcintype, opcintype))
		{
			ereport(INFO,
					(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
					 errmsg("vecgraph operator class \"%s\" has support function %s with number %d, expected a (%s, %s) returning double precision as number %d",
							opclassname, format_procedure(proc->amproc), proc->amprocnum,
							format_type_be(opcintype), format_type_be(opcintype),
							VG_DISTANCE_PROC)));
			ok = false;
		}
		else
			found = true;
	}
	if (!found)
	{
		ereport(INFO,
				(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
				 errmsg("vecgraph operator class \"%s\" is missing support function %d",
						opclassname, VG_DISTANCE_PROC)));
		ok = false;
	}
	ReleaseCatCacheList(proclist);
	return ok;
}

bool
vgvalidate(Oid opclassoid)
{
	HeapTuple	tup = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclassoid));
	Form_pg_opclass opclass;
	char	   *name;
	bool		ok;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator class %u", opclassoid);
	opclass = (Form_pg_opclass) GETSTRUCT(tup);
	name = pstrdup(NameStr(opclass->opcname));

	ok = CheckOperators(name, opclass->opcfamily, opclass->opcintype);
	ok = CheckSupportFunctions(name, opclass->opcfamily, opclass->opcintype) && ok;

	ReleaseSysCache(tup);
	return ok;
}
