/*
 * ini - relay/port/ini.h on libinih: the only file that includes <ini.h>.
 */
#include "relay/port/ini.h"

#include <ini.h>

int
ini_text_parse(const char *text, int (*handler)(void *arg, const char *section,
    const char *name, const char *value), void *arg)
{
	return ini_parse_string(text, handler, arg);
}
