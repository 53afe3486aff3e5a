/*
 * libs - see libs.h.  dlopen with RTLD_NOW | RTLD_LOCAL (every symbol of
 * the library bound at once, none made global), then dlsym of each
 * function by name into a table that is written once, under pthread_once,
 * and only read afterwards.  A missing library or function stops the
 * process (fatalx), as the dynamic loader did before.
 *
 * Trusts: the system's libraries, found by soname as the dynamic loader
 * finds them (the sonames are taken at build time from the development
 * files: Makefile, FS_SONAME_*).
 */
#include "adapters/libs.h"
#include "relay/util.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#ifndef FS_SONAME_CURL
#define FS_SONAME_CURL	"libcurl-gnutls.so.4"
#endif
#ifndef FS_SONAME_ETPAN
#define FS_SONAME_ETPAN	"libetpan.so.20"
#endif
#ifndef FS_SONAME_MHD
#define FS_SONAME_MHD	"libmicrohttpd.so.12"
#endif

/* One function to bind: its name in the library, its slot in the table. */
struct sym {
	const char	*name;
	size_t		 off;
};

/*
 * Load soname and fill table from syms (each slot a function pointer).
 * A function pointer is stored through memcpy of dlsym's object pointer
 * (POSIX guarantees they have the same representation).
 */
static void
load(const char *soname, const char *package, void *table, const struct sym *syms,
    size_t n)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	size_t i;

	if (h == NULL)
		fatalx("bibliothèque %s introuvable (%s) : installez le paquet %s", soname,
		    dlerror(), package);
	for (i = 0; i < n; i++) {
		void *f = dlsym(h, syms[i].name);

		if (f == NULL)
			fatalx("bibliothèque %s : fonction %s absente (version trop ancienne ?"
			    " paquet %s)", soname, syms[i].name, package);
		memcpy((char *)table + syms[i].off, &f, sizeof(f));
	}
	/* h is kept for the life of the process: the table points into it. */
}

#define SYM(type, field, name)	{ name, offsetof(struct type, field) }

static struct libs_curl curl_t;
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void
curl_load(void)
{
	static const struct sym s[] = {
		SYM(libs_curl, global_init, "curl_global_init"),
		SYM(libs_curl, global_cleanup, "curl_global_cleanup"),
		SYM(libs_curl, easy_init, "curl_easy_init"),
		SYM(libs_curl, easy_setopt, "curl_easy_setopt"),
		SYM(libs_curl, easy_getinfo, "curl_easy_getinfo"),
		SYM(libs_curl, easy_perform, "curl_easy_perform"),
		SYM(libs_curl, easy_recv, "curl_easy_recv"),
		SYM(libs_curl, easy_send, "curl_easy_send"),
		SYM(libs_curl, easy_reset, "curl_easy_reset"),
		SYM(libs_curl, easy_cleanup, "curl_easy_cleanup"),
		SYM(libs_curl, slist_append, "curl_slist_append"),
		SYM(libs_curl, slist_free_all, "curl_slist_free_all"),
	};

	load(FS_SONAME_CURL, "libcurl3-gnutls", &curl_t, s, FS_ARRAY_LEN(s));
}

const struct libs_curl *
libs_curl(void)
{
	if (pthread_once(&curl_once, curl_load) != 0)
		fatalx("chargement de libcurl impossible");
	return &curl_t;
}

static struct libs_etpan etpan_t;
static pthread_once_t etpan_once = PTHREAD_ONCE_INIT;

static void
etpan_load(void)
{
	static const struct sym s[] = {
		SYM(libs_etpan, address_list_parse, "mailimf_address_list_parse"),
		SYM(libs_etpan, address_list_free, "mailimf_address_list_free"),
		SYM(libs_etpan, mime_parse, "mailmime_parse"),
		SYM(libs_etpan, mime_free, "mailmime_free"),
	};

	load(FS_SONAME_ETPAN, "libetpan20", &etpan_t, s, FS_ARRAY_LEN(s));
}

const struct libs_etpan *
libs_etpan(void)
{
	if (pthread_once(&etpan_once, etpan_load) != 0)
		fatalx("chargement de libetpan impossible");
	return &etpan_t;
}

static struct libs_mhd mhd_t;
static pthread_once_t mhd_once = PTHREAD_ONCE_INIT;

static void
mhd_load(void)
{
	static const struct sym s[] = {
		SYM(libs_mhd, start_daemon, "MHD_start_daemon"),
		SYM(libs_mhd, stop_daemon, "MHD_stop_daemon"),
		SYM(libs_mhd, get_daemon_info, "MHD_get_daemon_info"),
		SYM(libs_mhd, get_connection_info, "MHD_get_connection_info"),
		SYM(libs_mhd, lookup_connection_value, "MHD_lookup_connection_value"),
		SYM(libs_mhd, create_response_from_buffer, "MHD_create_response_from_buffer"),
		SYM(libs_mhd, add_response_header, "MHD_add_response_header"),
		SYM(libs_mhd, queue_response, "MHD_queue_response"),
		SYM(libs_mhd, destroy_response, "MHD_destroy_response"),
		SYM(libs_mhd, create_post_processor, "MHD_create_post_processor"),
		SYM(libs_mhd, post_process, "MHD_post_process"),
		SYM(libs_mhd, destroy_post_processor, "MHD_destroy_post_processor"),
	};

	load(FS_SONAME_MHD, "libmicrohttpd12", &mhd_t, s, FS_ARRAY_LEN(s));
}

const struct libs_mhd *
libs_mhd(void)
{
	if (pthread_once(&mhd_once, mhd_load) != 0)
		fatalx("chargement de libmicrohttpd impossible");
	return &mhd_t;
}
