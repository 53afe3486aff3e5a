/*
 * libs - the three libraries only some commands need, loaded when first
 * used (dlopen) instead of by the dynamic loader at every start:
 * libcurl (SMTP and IMAP: adapters/smtp.c, adapters/imap.c), libetpan
 * (parsing a received mail: adapters/mime.c) and libmicrohttpd (the web
 * desk: adapters/http/).  Binding them at start (full RELRO, -z now) was
 * 27 % of the instructions of an `escalate`, which needs none of them
 * (docs/performance.md, issue 12 point 4).
 *
 * Each libs_*() returns the library's table of functions, loading it on
 * the first call (thread-safe).  A library that cannot be loaded is an
 * installation fault, as it was for the dynamic loader: the process stops
 * with a French message naming the library and its Debian package.
 *
 * The mail parser runs in a contained child that cannot open a file:
 * mime_preload (port/mail.h) loads libetpan before the sandbox.
 *
 * Only the adapters include this header (make lint: never relay/).
 */
#ifndef FSRELAY_ADAPTERS_LIBS_H
#define FSRELAY_ADAPTERS_LIBS_H

#include <curl/curl.h>
#include <libetpan/libetpan.h>
#include <microhttpd.h>

/* Each field has the type of the library's own declaration (__typeof__):
 * the compiler checks every call as it did when they were linked. */
#define LIBS_FN(f, name)	__typeof__(f) *name

struct libs_curl {
	LIBS_FN(curl_global_init, global_init);
	LIBS_FN(curl_global_cleanup, global_cleanup);
	LIBS_FN(curl_easy_init, easy_init);
	LIBS_FN(curl_easy_setopt, easy_setopt);
	LIBS_FN(curl_easy_getinfo, easy_getinfo);
	LIBS_FN(curl_easy_perform, easy_perform);
	LIBS_FN(curl_easy_recv, easy_recv);
	LIBS_FN(curl_easy_send, easy_send);
	LIBS_FN(curl_easy_reset, easy_reset);
	LIBS_FN(curl_easy_cleanup, easy_cleanup);
	LIBS_FN(curl_slist_append, slist_append);
	LIBS_FN(curl_slist_free_all, slist_free_all);
};

struct libs_etpan {
	LIBS_FN(mailimf_address_list_parse, address_list_parse);
	LIBS_FN(mailimf_address_list_free, address_list_free);
	LIBS_FN(mailmime_parse, mime_parse);
	LIBS_FN(mailmime_free, mime_free);
};

struct libs_mhd {
	LIBS_FN(MHD_start_daemon, start_daemon);
	LIBS_FN(MHD_stop_daemon, stop_daemon);
	LIBS_FN(MHD_get_daemon_info, get_daemon_info);
	LIBS_FN(MHD_get_connection_info, get_connection_info);
	LIBS_FN(MHD_lookup_connection_value, lookup_connection_value);
	LIBS_FN(MHD_create_response_from_buffer, create_response_from_buffer);
	LIBS_FN(MHD_add_response_header, add_response_header);
	LIBS_FN(MHD_queue_response, queue_response);
	LIBS_FN(MHD_destroy_response, destroy_response);
	LIBS_FN(MHD_create_post_processor, create_post_processor);
	LIBS_FN(MHD_post_process, post_process);
	LIBS_FN(MHD_destroy_post_processor, destroy_post_processor);
};

const struct libs_curl	*libs_curl(void);
const struct libs_etpan	*libs_etpan(void);
const struct libs_mhd	*libs_mhd(void);

#endif
