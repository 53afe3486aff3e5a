/*
 * web - the web desk (issue 10): an HTTP(S) server on libmicrohttpd that
 * translates requests into calls of the core (relay/account.h for
 * accounts and sessions, the application layer for cases) and renders
 * the results as French HTML pages or the JSON objects of docs/json.md.
 * Routes, forms and roles: docs/web.md.
 *
 * Threading: libmicrohttpd runs every request in one internal thread, the
 * only one that touches the instance; the caller's thread waits for a
 * signal.  Nothing is logged per request (no URL, no address).
 */
#ifndef FSRELAY_WEB_H
#define FSRELAY_WEB_H

#include <stddef.h>

struct instance;

struct web_opts {
	const char	*listen;	/* "ADDR:PORT" ("[::1]:PORT"); NULL = config or default */
};

#define WEB_DEFAULT_LISTEN	"127.0.0.1:8443"

/*
 * Serve the instance (opened with store and keys) until SIGTERM or SIGINT.
 * Prints one line on stdout once listening ("fsrelay web : écoute sur
 * URL ...").  0 after a clean stop; -1 with a French message in err.
 */
int	 web_run(struct instance *in, const struct web_opts *o, char *err, size_t errlen);

#endif
