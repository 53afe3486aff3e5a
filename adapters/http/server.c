/*
 * server - see web.h.  The libmicrohttpd side: listening (TLS through
 * GnuTLS when a certificate is configured, else loopback only), the body
 * of a request (urlencoded or multipart forms, bounded), the session
 * cookie, the CSRF check of every state-changing request, the security
 * headers of every response, then the routes (routes below).
 */
#include "adapters/http/web.h"
#include "adapters/http/http_int.h"
#include "adapters/store.h"
#include "relay/json.h"
#include "relay/instance.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>

#include "adapters/libs.h"
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#define COOKIE_SESSION	"__Host-fsrelay"
#define COOKIE_LOGIN	"__Host-fsrelay-connexion"

/* Every response: no script but our own files, no framing, no referrer. */
#define CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self';" \
	" form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

static int64_t
mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* The instance's time now: the start time (system clock, or FSRELAY_NOW
 * under test_clock) plus the time elapsed since. */
static int64_t
web_now(const struct web *w)
{
	return w->clock_start + (mono_now() - w->mono_start);
}

/* ---- requests ------------------------------------------------------- */

const char *
req_field(const struct req *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->n_fields; i++)
		if (strcmp(q->fields[i].name, name) == 0 && q->fields[i].filename[0] == '\0')
			return q->fields[i].value.p ? q->fields[i].value.p : "";
	return NULL;
}

const struct field *
req_file(const struct req *q, const char *name)
{
	size_t i;

	for (i = 0; i < q->n_fields; i++)
		if (strcmp(q->fields[i].name, name) == 0 && q->fields[i].filename[0] != '\0')
			return &q->fields[i];
	return NULL;
}

const char *
req_query(const struct req *q, const char *name)
{
	return libs_mhd()->lookup_connection_value(q->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *
req_header(const struct req *q, const char *name)
{
	return libs_mhd()->lookup_connection_value(q->conn, MHD_HEADER_KIND, name);
}

void
resp_redirect(struct req *q, const char *path)
{
	q->r.status = MHD_HTTP_SEE_OTHER;
	fs_strlcpy(q->r.location, path, sizeof(q->r.location));
}

void
resp_text(struct req *q, unsigned status, const char *ctype, const char *text)
{
	q->r.status = status;
	q->r.ctype = ctype;
	q->r.body.len = 0;
	buf_puts(&q->r.body, text);
}

void
resp_cookie(struct req *q, const char *fmt, ...)
{
	va_list ap;

	if (q->r.n_cookies >= FS_ARRAY_LEN(q->r.cookies))
		return;
	va_start(ap, fmt);
	vsnprintf(q->r.cookies[q->r.n_cookies++], sizeof(q->r.cookies[0]), fmt, ap);
	va_end(ap);
}

/* The attributes of our cookies: __Host- needs Secure, Path=/ and no
 * Domain; browsers accept Secure on http://127.0.0.1 and localhost. */
static void
set_cookie(struct req *q, const char *name, const char *value, long max_age)
{
	if (max_age >= 0)
		resp_cookie(q, "%s=%s; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=%ld",
		    name, value, max_age);
	else
		resp_cookie(q, "%s=%s; Path=/; Secure; HttpOnly; SameSite=Strict", name, value);
}

static void
field_free(struct field *f)
{
	/* a field may be a password */
	if (f->value.p != NULL)
		sodium_memzero(f->value.p, f->value.len);
	buf_free(&f->value);
}

static enum MHD_Result
post_iter(void *cls, enum MHD_ValueKind kind, const char *key, const char *filename,
    const char *content_type, const char *transfer_encoding, const char *data,
    uint64_t off, size_t size)
{
	struct req *q = cls;
	struct field *f = NULL;

	(void)kind;
	(void)transfer_encoding;
	(void)off;
	if (key == NULL || strlen(key) >= WEB_FIELD_NAME_MAX) {
		q->bad_form = 1;
		return MHD_NO;
	}
	/* The same field continues, or a new one starts. */
	if (q->n_fields > 0 && strcmp(q->fields[q->n_fields - 1].name, key) == 0 &&
	    strcmp(q->fields[q->n_fields - 1].filename, filename ? filename : "") == 0 &&
	    off > 0)
		f = &q->fields[q->n_fields - 1];
	if (f == NULL) {
		if (q->n_fields >= WEB_FIELDS_MAX) {
			q->bad_form = 1;
			return MHD_NO;
		}
		f = &q->fields[q->n_fields++];
		memset(f, 0, sizeof(*f));
		fs_strlcpy(f->name, key, sizeof(f->name));
		/* A file input left empty comes as a field with an empty name. */
		if (filename != NULL && *filename != '\0')
			fs_strlcpy(f->filename, filename, sizeof(f->filename));
		fs_strlcpy(f->ctype, content_type ? content_type : "", sizeof(f->ctype));
		buf_init(&f->value, q->body_max);
		buf_append(&f->value, "", 0);
	}
	if (size > 0 && buf_append(&f->value, data, size) < 0) {
		q->too_big = 1;
		return MHD_NO;
	}
	return MHD_YES;
}

static void
req_free(struct req *q)
{
	size_t i;

	if (q->pp != NULL)
		libs_mhd()->destroy_post_processor(q->pp);
	for (i = 0; i < q->n_fields; i++)
		field_free(&q->fields[i]);
	buf_free(&q->raw);
	buf_free(&q->r.body);
	sodium_memzero(q->token, sizeof(q->token));
	sodium_memzero(&q->s, sizeof(q->s));
	free(q);
}

static void
request_done(void *cls, struct MHD_Connection *c, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	if (*con_cls != NULL)
		req_free(*con_cls);
	*con_cls = NULL;
}

static void
client_address(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
	    libs_mhd()->get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	fs_strlcpy(out, "?", n);
	if (sa == NULL)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
		    (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		    out, (socklen_t)n);
}

/* ---- routes --------------------------------------------------------- */

static int
is_post(const struct req *q)
{
	return strcmp(q->method, MHD_HTTP_METHOD_POST) == 0;
}

static int
is_get(const struct req *q)
{
	return strcmp(q->method, MHD_HTTP_METHOD_GET) == 0 ||
	    strcmp(q->method, MHD_HTTP_METHOD_HEAD) == 0;
}

static int
is_api(const struct req *q)
{
	return strncmp(q->path, "/api/", 5) == 0;
}

/* "application/json", with parameters or not. */
static int
is_json(const char *ct)
{
	return strncasecmp(ct, "application/json", 16) == 0 && (ct[16] == '\0' || ct[16] == ';' ||
	    ct[16] == ' ');
}

static void
api_error(struct req *q, unsigned status, const char *msg)
{
	q->r.status = status;
	q->r.ctype = "application/json";
	q->r.body.len = 0;
	buf_puts(&q->r.body, "{\"erreur\":");
	{
		/* msg: a fixed French string of ours, escaped anyway. */
		const char *p;

		buf_puts(&q->r.body, "\"");
		for (p = msg; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_printf(&q->r.body, "\\%c", *p);
			else if ((unsigned char)*p < 0x20)
				buf_printf(&q->r.body, "\\u%04x", (unsigned char)*p);
			else
				buf_append(&q->r.body, p, 1);
		}
		buf_puts(&q->r.body, "\"}\n");
	}
}

void
not_found(struct req *q)
{
	refuse(q, MHD_HTTP_NOT_FOUND, "Page introuvable",
	    "Cette page n'existe pas ou vous n'y avez pas accès.");
}

void
refuse(struct req *q, unsigned status, const char *title, const char *msg)
{
	if (is_api(q))
		api_error(q, status, msg);
	else
		h_error(q, status, title, msg);
}

static void
route_login(struct req *q)
{
	const char *pre = libs_mhd()->lookup_connection_value(q->conn, MHD_COOKIE_KIND, COOKIE_LOGIN);
	char tok[ACCOUNT_TOKEN_HEX], err[512];
	uint8_t raw[ACCOUNT_TOKEN_BYTES];
	const char *id, *pw;
	enum login_result lr;

	if (is_get(q)) {
		if (q->logged) {
			resp_redirect(q, "/");
			return;
		}
		/* The login form's CSRF token: a cookie and the same value in
		 * the form (a cross-site form cannot read or set it).  One
		 * already set is kept, so that two tabs (or a stray request
		 * redirected here) do not invalidate each other's form. */
		if (pre != NULL && strlen(pre) == 2 * ACCOUNT_TOKEN_BYTES &&
		    strspn(pre, "0123456789abcdef") == 2 * ACCOUNT_TOKEN_BYTES)
			fs_strlcpy(tok, pre, sizeof(tok));
		else {
			randombytes_buf(raw, sizeof(raw));
			fs_hex(tok, raw, sizeof(raw));
		}
		set_cookie(q, COOKIE_LOGIN, tok, 3600);
		page_login(q, tok, "", NULL, MHD_HTTP_OK);
		return;
	}
	id = req_field(q, "identifiant");
	pw = req_field(q, "mot_de_passe");
	if (pre == NULL || !account_token_equal(pre, req_field(q, "csrf"))) {
		h_error(q, MHD_HTTP_FORBIDDEN, "Requête refusée",
		    "Le formulaire a expiré ou ne vient pas de ce site (jeton CSRF absent ou"
		    " invalide) : rechargez la page de connexion.");
		return;
	}
	if (id == NULL || pw == NULL || *id == '\0' || *pw == '\0') {
		page_login(q, pre, id ? id : "", "Saisissez votre identifiant et votre mot de passe.",
		    MHD_HTTP_BAD_REQUEST);
		return;
	}
	lr = account_login(&q->w->port, q->w->secret, id, pw, strlen(pw), q->client, q->now,
	    q->token, &q->s, &q->a, err, sizeof(err));
	switch (lr) {
	case LOGIN_OK:
		set_cookie(q, COOKIE_SESSION, q->token, -1);
		resp_cookie(q, "%s=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
		    COOKIE_LOGIN);
		resp_redirect(q, "/");
		return;
	case LOGIN_FAILED:
		page_login(q, pre, id, "Identifiant ou mot de passe incorrect.",
		    MHD_HTTP_UNAUTHORIZED);
		return;
	case LOGIN_LOCKED:
		page_login(q, pre, id, "Trop d'échecs de connexion : la connexion est bloquée"
		    " pendant 15 minutes. Réessayez plus tard ou adressez-vous à votre"
		    " administrateur.", MHD_HTTP_TOO_MANY_REQUESTS);
		return;
	case LOGIN_ERROR:
	default:
		fprintf(stderr, "fsrelay web : connexion : %s\n", err);
		h_error(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "Erreur du serveur",
		    "La connexion n'a pas pu être enregistrée. Réessayez dans un instant.");
		return;
	}
}

static void
route_logout(struct req *q)
{
	const char *tok = libs_mhd()->lookup_connection_value(q->conn, MHD_COOKIE_KIND, COOKIE_SESSION);
	char err[512];

	if (account_logout(&q->w->port, tok, q->now, err, sizeof(err)) < 0)
		fprintf(stderr, "fsrelay web : déconnexion : %s\n", err);
	resp_cookie(q, "%s=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
	    COOKIE_SESSION);
	resp_redirect(q, "/connexion");
}

/* GET /api/v1/session: who is logged in, and the CSRF token for the
 * X-CSRF-Token header of the API's state-changing requests. */
static void
route_api_session(struct req *q)
{
	struct buf *b = &q->r.body;

	q->r.status = MHD_HTTP_OK;
	q->r.ctype = "application/json";
	buf_puts(b, "{\"agent\":");
	json_str(b, q->a.id);
	buf_puts(b, ",\"structure\":");
	json_str(b, q->a.structure);
	buf_puts(b, ",\"role\":");
	json_str(b, account_role_name(q->a.role));
	buf_puts(b, ",\"csrf\":");
	json_str(b, q->s.csrf);
	buf_puts(b, "}\n");
}

static void
route(struct req *q)
{
	const char *csrf;

	if (strcmp(q->path, "/static/style.css") == 0 && is_get(q)) {
		resp_text(q, MHD_HTTP_OK, "text/css; charset=utf-8", web_css);
		q->r.cacheable = 1;
		return;
	}
	if (strcmp(q->path, "/static/desk.js") == 0 && is_get(q)) {
		resp_text(q, MHD_HTTP_OK, "text/javascript; charset=utf-8", web_js);
		q->r.cacheable = 1;
		return;
	}
	if (strcmp(q->path, "/favicon.ico") == 0) {
		resp_text(q, MHD_HTTP_NOT_FOUND, "text/plain; charset=utf-8", "");
		q->r.cacheable = 1;
		return;
	}
	if (strcmp(q->path, "/connexion") == 0 && (is_get(q) || is_post(q))) {
		route_login(q);
		return;
	}
	if (!q->logged) {
		if (is_api(q))
			api_error(q, MHD_HTTP_UNAUTHORIZED, "session absente ou expirée");
		else if (is_get(q))
			resp_redirect(q, "/connexion");
		else
			h_error(q, MHD_HTTP_FORBIDDEN, "Session expirée",
			    "Votre session a expiré : reconnectez-vous.");
		return;
	}
	/* Every state change carries the session's CSRF token; without it,
	 * nothing is done. */
	if (!is_get(q)) {
		csrf = req_field(q, "csrf");
		if (csrf == NULL)
			csrf = req_header(q, "X-CSRF-Token");
		if (!account_csrf_ok(&q->s, csrf)) {
			refuse(q, MHD_HTTP_FORBIDDEN, "Requête refusée",
			    "Jeton CSRF absent ou invalide : rien n'a été fait. Rechargez la page"
			    " et recommencez.");
			return;
		}
	}
	if (strcmp(q->path, "/deconnexion") == 0 && is_post(q)) {
		route_logout(q);
		return;
	}
	if (strcmp(q->path, "/") == 0 && is_get(q)) {
		page_home(q);
		return;
	}
	if (strcmp(q->path, "/api/v1/session") == 0 && is_get(q)) {
		route_api_session(q);
		return;
	}
	/* The pages of a role: anyone else gets the same 404 as for a page
	 * that does not exist. */
	if (strcmp(q->path, "/agents") == 0 && account_may(&q->a, RIGHT_ACCOUNTS)) {
		if (is_get(q))
			page_agents(q);
		else if (is_post(q))
			post_agents(q);
		else
			not_found(q);
		return;
	}
	if (strcmp(q->path, "/annuaire") == 0 && account_may(&q->a, RIGHT_DIRECTORY) &&
	    (is_get(q) || is_post(q))) {
		is_get(q) ? page_directory(q) : post_directory(q);
		return;
	}
	if (account_may(&q->a, RIGHT_BREACHES) && (is_get(q) || is_post(q)) &&
	    strncmp(q->path, "/violations", 11) == 0) {
		if (q->path[11] == '\0')
			is_get(q) ? page_breaches(q) : post_breach(q, NULL);
		else if (q->path[11] == '/')
			is_get(q) ? page_breach(q, q->path + 12) : post_breach(q, q->path + 12);
		else
			not_found(q);
		return;
	}
	if (account_may(&q->a, RIGHT_CASES) && is_get(q) && strcmp(q->path, "/dossiers") == 0) {
		page_cases(q);
		return;
	}
	if (account_may(&q->a, RIGHT_CASES) && (is_get(q) || is_post(q)) &&
	    strncmp(q->path, "/api/v1/dossiers", 16) == 0) {
		route_api_cases(q, q->path + 16, is_post(q));
		return;
	}
	if (account_may(&q->a, RIGHT_QUARANTINE) && (is_get(q) || is_post(q)) &&
	    strncmp(q->path, "/quarantaine", 12) == 0) {
		route_quarantine(q, q->path + 12, is_post(q));
		return;
	}
	if (account_may(&q->a, RIGHT_CASES) && is_get(q) &&
	    strcmp(q->path, "/dossiers/nouveau") == 0) {
		page_new_case(q);
		return;
	}
	if (account_may(&q->a, RIGHT_CASES) && is_post(q) && strcmp(q->path, "/dossiers") == 0) {
		post_new_case(q);
		return;
	}
	if (account_may(&q->a, RIGHT_CASES) && (is_get(q) || is_post(q)) &&
	    strncmp(q->path, "/dossiers/", 10) == 0) {
		route_case(q, q->path + 10, is_post(q));
		return;
	}
	if (account_may(&q->a, RIGHT_REPORT) && is_get(q)) {
		if (strcmp(q->path, "/rapport") == 0) {
			page_report(q);
			return;
		}
		if (strcmp(q->path, "/rapport.csv") == 0) {
			page_report_csv(q);
			return;
		}
		if (strcmp(q->path, "/api/v1/rapport") == 0) {
			api_report(q);
			return;
		}
	}
	if (account_may(&q->a, RIGHT_BREACHES) && is_get(q) &&
	    strcmp(q->path, "/api/v1/violations") == 0) {
		api_breaches(q);
		return;
	}
	if (account_may(&q->a, RIGHT_AUDIT) && is_get(q)) {
		if (strcmp(q->path, "/journal") == 0) {
			page_journal(q);
			return;
		}
		if (strcmp(q->path, "/journal/export") == 0) {
			page_journal_export(q);
			return;
		}
	}
	not_found(q);
}

/* ---- responses ------------------------------------------------------ */

static enum MHD_Result
send_response(struct req *q)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	size_t i;

	if (q->r.status == 0)
		q->r.status = MHD_HTTP_OK;
	r = libs_mhd()->create_response_from_buffer(q->r.body.len, q->r.body.p ? q->r.body.p : (char *)"",
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	libs_mhd()->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    q->r.ctype ? q->r.ctype : "text/html; charset=utf-8");
	libs_mhd()->add_response_header(r, "Content-Security-Policy", CSP);
	libs_mhd()->add_response_header(r, "X-Content-Type-Options", "nosniff");
	libs_mhd()->add_response_header(r, "Referrer-Policy", "no-referrer");
	libs_mhd()->add_response_header(r, "X-Frame-Options", "DENY");
	libs_mhd()->add_response_header(r, "Cross-Origin-Opener-Policy", "same-origin");
	libs_mhd()->add_response_header(r, "Cross-Origin-Resource-Policy", "same-origin");
	libs_mhd()->add_response_header(r, "Permissions-Policy", "camera=(), microphone=(), geolocation=()");
	if (q->w->tls)
		libs_mhd()->add_response_header(r, "Strict-Transport-Security", "max-age=31536000");
	libs_mhd()->add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	    q->r.cacheable ? "public, max-age=3600" : "no-store");
	if (q->r.location[0])
		libs_mhd()->add_response_header(r, MHD_HTTP_HEADER_LOCATION, q->r.location);
	if (q->r.disposition[0])
		libs_mhd()->add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, q->r.disposition);
	for (i = 0; i < q->r.n_cookies; i++)
		libs_mhd()->add_response_header(r, MHD_HTTP_HEADER_SET_COOKIE, q->r.cookies[i]);
	ret = libs_mhd()->queue_response(q->conn, q->r.status, r);
	libs_mhd()->destroy_response(r);
	return ret;
}

static void
load_session(struct req *q)
{
	const char *tok = libs_mhd()->lookup_connection_value(q->conn, MHD_COOKIE_KIND, COOKIE_SESSION);
	char err[512];
	int r;

	if (tok == NULL)
		return;
	r = account_session(&q->w->port, tok, q->now, &q->s, &q->a, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "fsrelay web : session : %s\n", err);
	q->logged = r == 0;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
    const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct web *w = cls;
	struct req *q = *con_cls;
	const char *ct;

	(void)version;
	if (q == NULL) {
		q = xcalloc(1, sizeof(*q));
		q->w = w;
		q->conn = c;
		q->method = method;
		q->path = url;
		q->now = web_now(w);
		w->in->now = q->now;	/* the core's clock for this request */
		client_address(c, q->client, sizeof(q->client));
		buf_init(&q->r.body, WEB_PAGE_MAX);
		ct = libs_mhd()->lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
		q->body_max = ct && strncasecmp(ct, "multipart/form-data", 19) == 0 ?
		    WEB_BODY_MAX : ct && is_api(q) && is_json(ct) ? WEB_JSON_MAX : WEB_FORM_MAX;
		buf_init(&q->raw, q->body_max);
		if (!is_get(q))
			q->pp = libs_mhd()->create_post_processor(c, 16 * 1024, post_iter, q);
		*con_cls = q;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		q->body_bytes += *upload_data_size;
		if (q->body_bytes > q->body_max)
			q->too_big = 1;
		else if (q->pp != NULL) {
			if (!q->too_big && !q->bad_form &&
			    libs_mhd()->post_process(q->pp, upload_data, *upload_data_size) != MHD_YES)
				q->bad_form = 1;
		} else if (buf_append(&q->raw, upload_data, *upload_data_size) < 0)
			q->too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	load_session(q);
	/* the API's JSON body: its members are the request's fields */
	ct = libs_mhd()->lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!q->too_big && !is_get(q) && is_api(q) && ct && is_json(ct) && q->pp == NULL &&
	    req_json_fields(q) < 0)
		q->bad_form = 1;
	if (q->too_big)
		refuse(q, MHD_HTTP_CONTENT_TOO_LARGE, "Envoi trop volumineux",
		    "Le formulaire envoyé dépasse la taille permise : rien n'a été fait.");
	else if (q->bad_form)
		refuse(q, MHD_HTTP_BAD_REQUEST, "Formulaire illisible",
		    "Le formulaire envoyé n'a pas pu être lu : rien n'a été fait.");
	else
		route(q);
	return send_response(q);
}

/* libmicrohttpd's own messages may quote a request: only their format. */
static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)ap;
	fprintf(stderr, "fsrelay web : libmicrohttpd : %s", fmt);
	if (*fmt && fmt[strlen(fmt) - 1] != '\n')
		fputc('\n', stderr);
}

/* ---- listening ------------------------------------------------------ */

/* "A.B.C.D:PORT" or "[v6]:PORT" into sa.  0 / -1. */
static int
parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *len, int *loopback)
{
	char host[64];
	const char *colon;
	long port;

	memset(sa, 0, sizeof(*sa));
	if (*s == '[') {
		const char *end = strchr(s, ']');

		if (end == NULL || end[1] != ':' || (size_t)(end - s - 1) >= sizeof(host))
			return -1;
		memcpy(host, s + 1, (size_t)(end - s - 1));
		host[end - s - 1] = '\0';
		colon = end + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL || (size_t)(colon - s) >= sizeof(host))
			return -1;
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
	}
	if (fs_parse_long(colon + 1, 0, 65535, &port) < 0)
		return -1;
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)sa)->sin_addr) == 1) {
		struct sockaddr_in *in4 = (struct sockaddr_in *)sa;

		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof(*in4);
		*loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)sa)->sin6_addr) == 1) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		*loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
		return 0;
	}
	return -1;
}

static int
read_pem(const char *path, struct buf *b, const char *what, char *err, size_t errlen)
{
	buf_init(b, 1024 * 1024);
	if (buf_read_file(b, path) < 0) {
		fs_seterr(err, errlen, "%s illisible (%s) : %s", what, path, strerror(errno));
		return -1;
	}
	return 0;
}

int
web_run(struct instance *in, const struct web_opts *o, char *err, size_t errlen)
{
	const char *listen = o->listen ? o->listen : in->cfg.web_listen ? in->cfg.web_listen :
	    WEB_DEFAULT_LISTEN;
	struct sockaddr_storage sa;
	struct buf cert, key;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *di;
	struct web w;
	socklen_t salen = 0;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
	sigset_t set;
	int loopback = 0, sig = 0, rc = -1;
	char host[64];

	memset(&w, 0, sizeof(w));
	buf_init(&cert, 0);
	buf_init(&key, 0);
	if (parse_listen(listen, &sa, &salen, &loopback) < 0) {
		fs_seterr(err, errlen, "adresse d'écoute invalide « %.80s » (attendu ADRESSE:PORT,"
		    " ex. 127.0.0.1:8443 ou [::1]:8443)", listen);
		return -1;
	}
	if ((in->cfg.web_tls_cert == NULL) != (in->cfg.web_tls_key == NULL)) {
		fs_seterr(err, errlen, "web_tls_cert et web_tls_key vont ensemble :"
		    " donnez les deux ou aucun");
		return -1;
	}
	w.tls = in->cfg.web_tls_cert != NULL;
	if (!w.tls && !loopback) {
		fs_seterr(err, errlen, "sans certificat (web_tls_cert, web_tls_key), le guichet"
		    " n'écoute que sur la boucle locale (127.0.0.1 ou ::1), derrière un mandataire"
		    " inverse TLS : « %.80s » refusé", listen);
		return -1;
	}
	if (w.tls && (read_pem(in->cfg.web_tls_cert, &cert, "certificat web_tls_cert", err,
	    errlen) < 0 || read_pem(in->cfg.web_tls_key, &key, "clé web_tls_key", err,
	    errlen) < 0))
		goto out;
	w.in = in;
	store_account_port(in->st, &w.port);
	crypto_generichash(w.secret, sizeof(w.secret), (const uint8_t *)"fsrelay-web-counters",
	    20, in->hmac_key, 32);
	w.clock_start = in->now;
	w.mono_start = mono_now();

	/* The signals are waited for here; the server thread inherits the mask. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (sa.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	if (w.tls)
		flags |= MHD_USE_TLS;
	if (w.tls)
		d = libs_mhd()->start_daemon(flags, 0, NULL, NULL, handler, &w,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		    MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)64,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
		    MHD_OPTION_HTTPS_MEM_CERT, cert.p,
		    MHD_OPTION_HTTPS_MEM_KEY, key.p,
		    MHD_OPTION_HTTPS_PRIORITIES, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",
		    MHD_OPTION_END);
	else
		d = libs_mhd()->start_daemon(flags, 0, NULL, NULL, handler, &w,
		    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		    MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL,
		    MHD_OPTION_CONNECTION_LIMIT, (unsigned)256,
		    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)64,
		    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)60,
		    MHD_OPTION_END);
	if (d == NULL) {
		fs_seterr(err, errlen, "démarrage du serveur HTTP impossible sur %s (adresse déjà"
		    " prise, ou certificat et clé TLS refusés)", listen);
		goto out;
	}
	di = libs_mhd()->get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (sa.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, host, sizeof(host));
	else
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host, sizeof(host));
	printf("fsrelay web : écoute sur %s://%s%s%s:%u/%s\n", w.tls ? "https" : "http",
	    sa.ss_family == AF_INET6 ? "[" : "", host, sa.ss_family == AF_INET6 ? "]" : "",
	    di ? (unsigned)di->port : 0u,
	    w.tls ? "" : " (sans TLS : boucle locale seulement, à placer derrière un mandataire"
	    " inverse TLS)");
	fflush(stdout);
	while (sigwait(&set, &sig) != 0 || (sig != SIGTERM && sig != SIGINT))
		;
	libs_mhd()->stop_daemon(d);
	printf("fsrelay web : arrêt (%s)\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	fflush(stdout);
	rc = 0;
out:
	buf_free(&cert);
	buf_free(&key);
	sodium_memzero(w.secret, sizeof(w.secret));
	return rc;
}
