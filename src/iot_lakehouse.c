/*
 * iot_lakehouse.c
 *	  The module's entry point.  _PG_init only delegates to each module's
 *	  init function; the modules themselves live in src/, fdw/ and worker/.
 */
#include "postgres.h"

#include "fmgr.h"

#include "iot_lakehouse.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

void
_PG_init(void)
{
	lakehouse_guc_init();
	lakehouse_copy_to_init();
	lakehouse_pipeline_init();
}
