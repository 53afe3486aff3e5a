/*
 * http_int - what the files of adapters/http/ share: the request being
 * served, the response being built, the HTML helpers.  Nothing outside
 * adapters/http/ includes this header.
 */
#ifndef FSRELAY_HTTP_INT_H
#define FSRELAY_HTTP_INT_H

#include <stddef.h>
#include <stdint.h>

#include "relay/account.h"
#include "relay/util.h"

#define WEB_FIELDS_MAX		64
#define WEB_FIELD_NAME_MAX	64
#define WEB_FORM_MAX		(64 * 1024)		/* a form without files */
#define WEB_BODY_MAX		(40 * 1024 * 1024)	/* multipart with attachments */
#define WEB_PAGE_MAX		(16 * 1024 * 1024)
#define WEB_JSON_MAX		(256 * 1024)		/* an API body in JSON (no files) */

struct instance;

/* The server, shared by every request (one thread). */
struct web {
	struct instance		*in;
	struct account_port	 port;
	uint8_t			 secret[32];	/* login counter keys */
	int			 tls;
	int64_t			 clock_start;	/* instance time at start */
	int64_t			 mono_start;	/* CLOCK_MONOTONIC at start */
};

/* One field of a posted form (urlencoded or multipart). */
struct field {
	char		 name[WEB_FIELD_NAME_MAX];
	char		 filename[256];	/* "" = not a file */
	char		 ctype[128];
	struct buf	 value;
};

struct resp {
	unsigned	 status;
	struct buf	 body;
	const char	*ctype;		/* NULL = text/html; charset=utf-8 */
	char		 location[512];	/* a redirect (path only) */
	char		 cookies[3][320];
	size_t		 n_cookies;
	int		 cacheable;	/* static file: not no-store */
	char		 disposition[1024];	/* Content-Disposition, "" = none */
};

struct req {
	struct web		*w;
	const char		*method;
	const char		*path;	/* without the query */
	void			*conn;	/* struct MHD_Connection * */
	char			 client[64];	/* numeric address, never logged */
	int64_t			 now;
	/* the body */
	void			*pp;	/* struct MHD_PostProcessor * */
	struct field		 fields[WEB_FIELDS_MAX];
	size_t			 n_fields;
	size_t			 body_bytes;
	size_t			 body_max;
	int			 too_big;
	int			 bad_form;
	struct buf		 raw;	/* a body that is not a form (JSON) */
	/* the session, when logged in */
	int			 logged;
	struct session		 s;
	struct account		 a;
	char			 token[ACCOUNT_TOKEN_HEX];	/* of a login */
	struct resp		 r;
};

/* An application/json body (q->raw) into q->fields (json_body.c): 0, or
 * -1 for a body that is not one flat object of strings, numbers, true,
 * false or null. */
int	 req_json_fields(struct req *q);

/* Form and query access: the value of a field / query argument, or NULL. */
const char	*req_field(const struct req *q, const char *name);
const struct field *req_file(const struct req *q, const char *name);
const char	*req_query(const struct req *q, const char *name);
const char	*req_header(const struct req *q, const char *name);

/* Responses. */
void	 resp_redirect(struct req *q, const char *path);
void	 resp_text(struct req *q, unsigned status, const char *ctype, const char *text);
void	 resp_cookie(struct req *q, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* HTML: escaped text, the page frame (title, navigation by role, logout
 * form), an error page. */
void	 h_esc(struct buf *b, const char *s);
void	 h_page_begin(struct req *q, const char *title);
void	 h_page_end(struct req *q);
void	 h_error(struct req *q, unsigned status, const char *title, const char *msg);
/* The hidden CSRF field of the session. */
void	 h_csrf(struct req *q);
/* The links of the role's pages, as a list (the home page). */
void	 h_menu_links(struct req *q);
/* A time as Europe/Paris "JJ/MM/AAAA HH:MM" in a <time>; "—" for 0. */
void	 h_time(struct buf *b, int64_t t);
/* A duration in French ("3 j 4 h", "5 h 07 min", "12 min"), sign ignored. */
void	 h_duration(struct buf *b, int64_t secs);
/* A message paragraph: cls "ok" | "notice" (role=status) | "alert". */
void	 h_notice(struct req *q, const char *cls, const char *msg);

/* Pages (pages.c). */
void	 page_login(struct req *q, const char *csrf, const char *id, const char *error,
	    unsigned status);
void	 page_home(struct req *q);

/* Administrator (pages_admin.c): GET /agents, POST /agents. */
void	 page_agents(struct req *q);
void	 post_agents(struct req *q);
/* Administrator (pages_directory.c): GET /annuaire (coverage, referents,
 * keys), POST /annuaire (pin a key, confirmed). */
void	 page_directory(struct req *q);
void	 post_directory(struct req *q);

/* DPO (pages_dpo.c): the breach register, an entry, its CNIL export;
 * the audit log's verification and export. */
void	 page_breaches(struct req *q);
void	 page_breach(struct req *q, const char *id);
void	 page_journal(struct req *q);
void	 page_journal_export(struct req *q);
void	 api_breaches(struct req *q);

/* A refused form, shown again: the action, the field in error (its name;
 * NULL: the whole form) and the French reason. */
struct form_err {
	const char	*action;
	const char	*field;
	char		 msg[600];
};
struct breach;
/* The register and an entry with a refused form (pages_dpo.c). */
void	 breaches_page(struct req *q, const struct form_err *fe, unsigned status);
void	 breach_page(struct req *q, const struct breach *e, const struct form_err *fe,
	    unsigned status);
/* The DPO's actions (pages_breach.c): the forms, and POST /violations
 * (declare, id NULL) and POST /violations/ID. */
void	 breach_declare_form(struct req *q, const struct form_err *fe);
void	 breach_action_forms(struct req *q, const struct breach *e, const struct form_err *fe);
const char *breach_done_message(const char *action);
void	 post_breach(struct req *q, const char *id);

/* Agent (pages_cases.c): « Mes dossiers ». */
void	 page_cases(struct req *q);
/* Agent (page_case.c): a case, rest = what follows "/dossiers/" (REF,
 * REF/pieces/ID; posted: REF/ACTION). */
void	 route_case(struct req *q, const char *rest, int post);
/* The action slug (relancer, reorienter, attendre, reprendre, clore,
 * annuler) on case ref with the request's fields, unconfirmed (the API's
 * client confirms): 0 done; -1 refused, the reason in err; -2 no such
 * action.  The caller has checked the case with desk_case. */
int	 case_action(struct req *q, const char *ref, const char *slug, char *err,
	    size_t errlen);
/* Agent (api_cases.c): GET /api/v1/dossiers, GET /api/v1/dossiers/REF,
 * POST /api/v1/dossiers/REF/ACTION; rest = what follows
 * "/api/v1/dossiers" ("" or "/..."). */
void	 route_api_cases(struct req *q, const char *rest, int post);
/* The `cases --json` object of ref with status (404 if the agent may not
 * see it). */
void	 api_case_object(struct req *q, unsigned status, const char *ref);
/* Agent (page_quarantine.c): the quarantine triage; rest = what follows
 * "/quarantaine" ("" or "/ID[/ACTION]"). */
void	 page_quarantine(struct req *q);
void	 route_quarantine(struct req *q, const char *rest, int post);
/* Agent (page_new.c): « Nouveau dossier », its POST, the same as JSON. */
void	 page_new_case(struct req *q);
void	 post_new_case(struct req *q);
void	 api_new_case(struct req *q);
/* The files posted under name, as pieces (page_case.c): data and names
 * point into q; the caller frees p->data only.  names: WEB_FIELDS_MAX. */
struct pieces;
void	 req_files(struct req *q, const char *name, struct pieces *p, char **names);

/* Structure manager (pages_report.c): the quarterly report of their
 * structure as a page, CSV and JSON. */
void	 page_report(struct req *q);
void	 page_report_csv(struct req *q);
void	 api_report(struct req *q);

/* Refuse: a French page, or {"erreur": ...} under /api/ (server.c). */
void	 refuse(struct req *q, unsigned status, const char *title, const char *msg);
/* 404, the same for what does not exist and what the role may not see. */
void	 not_found(struct req *q);

/* The stylesheet and the script of progressive enhancement (style.c). */
extern const char web_css[];
extern const char web_js[];

#endif
