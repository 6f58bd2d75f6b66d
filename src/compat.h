/*-------------------------------------------------------------------------
 *
 * compat.h
 *	  Shims for the PostgreSQL versions vecgraph compiles against (13-17),
 *	  kept in one place so that no function body needs #if PG_VERSION_NUM.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VECGRAPH_COMPAT_H
#define VECGRAPH_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#define MarkGUCPrefixReserved(prefix) EmitWarningsOnPlaceholders(prefix)
#endif

#endif							/* VECGRAPH_COMPAT_H */
