/*
 * port/ini: the reader of the configuration's ini syntax, a port:
 * declared here by the core (relay/config, which owns the schema and every
 * check), implemented by adapters/ini.c (libinih).
 */
#ifndef FSRELAY_PORT_INI_H
#define FSRELAY_PORT_INI_H

/*
 * Call handler on every "name = value" of text (NUL-terminated), with its
 * section ("" before the first); a handler returning 0 marks the line as
 * an error (the reading goes on, the first error is reported).  Returns
 * 0, the number of the first line in error, or a negative number when
 * the text cannot be read at all (memory).
 */
int	 ini_text_parse(const char *text, int (*handler)(void *arg, const char *section,
	    const char *name, const char *value), void *arg);

#endif
