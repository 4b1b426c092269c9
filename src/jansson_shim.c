/*
 * jansson_shim.c
 *	  The backend exports a function named json_object (the SQL function
 *	  json_object(text[])), and the dynamic linker binds this module's calls
 *	  of jansson's json_object() to it, since the executable comes first in
 *	  the lookup order: the Delta log reader crashed on its first JSON
 *	  object.  This hidden definition keeps those calls inside the module; it
 *	  makes the empty object with jansson's json_pack.  jansson's own calls
 *	  are internal to libjansson and not affected.
 *
 * No PostgreSQL headers here: they declare the other json_object.
 */
#include <jansson.h>

extern json_t *json_object(void) __attribute__((visibility("hidden")));

json_t *
json_object(void)
{
	return json_pack("{}");
}
