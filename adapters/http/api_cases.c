/*
 * api_cases - the cases as JSON under /api/v1/ (session cookie, and the
 * X-CSRF-Token header or csrf field for every POST, checked by server.c):
 * GET /api/v1/dossiers (the array of `cases --json`: the agent's cases,
 * filters etat and retard as the page), GET /api/v1/dossiers/REF (the
 * object of `show --json`, the reading audited), POST /api/v1/dossiers
 * (page_new.c: api_new_case) and POST /api/v1/dossiers/REF/ACTION (the
 * actions of the case page, without its confirmation step): the objects
 * are relay/casejson's, the rules relay/desk's.  Another structure's case
 * is the same 404 as a missing one.
 */
#include "adapters/http/http_int.h"
#include "relay/casejson.h"
#include "relay/case.h"
#include "relay/desk.h"
#include "relay/json.h"
#include "relay/tick.h"

#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
json_begin(struct req *q, unsigned status)
{
	q->r.status = status;
	q->r.ctype = "application/json";
	q->r.body.len = 0;
}

/* {"erreur": msg} with status. */
static void
json_refuse(struct req *q, unsigned status, const char *msg)
{
	json_begin(q, status);
	buf_puts(&q->r.body, "{\"erreur\":");
	json_str(&q->r.body, msg);
	buf_puts(&q->r.body, "}\n");
}

void
api_case_object(struct req *q, unsigned status, const char *ref)
{
	struct case_row c;
	char err[512];

	if (desk_case(q->w->in, ref, q->a.id, &c, err, sizeof(err)) < 0) {
		not_found(q);
		return;
	}
	json_begin(q, status);
	buf_puts(&q->r.body, "{");
	casejson_fields(q->w->in, &c, &q->r.body);
	buf_puts(&q->r.body, "}\n");
}

static void
list(struct req *q)
{
	const char *state = req_query(q, "etat"), *late = req_query(q, "retard");
	struct case_row *rows = NULL;
	struct desk_filter f;
	char err[512];
	size_t n = 0, i;
	int r;

	memset(&f, 0, sizeof(f));
	f.agent = q->a.id;
	f.state = state && *state ? state : NULL;
	f.overdue = late != NULL && strcmp(late, "1") == 0;
	if ((r = desk_list(q->w->in, &f, &rows, &n, err, sizeof(err))) != 0) {
		if (r == DESK_EINPUT)
			json_refuse(q, MHD_HTTP_BAD_REQUEST, "filtre invalide : état inconnu");
		else {
			fprintf(stderr, "fsrelay web : api dossiers : %s\n", err);
			json_refuse(q, MHD_HTTP_INTERNAL_SERVER_ERROR, "la liste n'a pas pu être lue");
		}
		free(rows);
		return;
	}
	json_begin(q, MHD_HTTP_OK);
	buf_puts(&q->r.body, "[");
	for (i = 0; i < n; i++) {
		buf_puts(&q->r.body, i ? ",\n{" : "\n{");
		casejson_fields(q->w->in, &rows[i], &q->r.body);
		buf_puts(&q->r.body, "}");
	}
	buf_puts(&q->r.body, "\n]\n");
	free(rows);
}

static void
show(struct req *q, const char *ref)
{
	struct desk_view v;
	char err[512];

	if (desk_show(q->w->in, ref, q->a.id, &v, err, sizeof(err)) < 0) {
		desk_view_free(&v);
		not_found(q);
		return;
	}
	json_begin(q, MHD_HTTP_OK);
	casejson_view(q->w->in, &v, &q->r.body);
	buf_puts(&q->r.body, "\n");
	desk_view_free(&v);
}

static void
action(struct req *q, const char *ref, const char *slug)
{
	struct case_row c;
	char err[1024];
	int r;

	if (desk_case(q->w->in, ref, q->a.id, &c, err, sizeof(err)) < 0) {
		not_found(q);
		return;
	}
	r = case_action(q, c.ref, slug, err, sizeof(err));
	if (r == -2)
		not_found(q);
	else if (r < 0)
		json_refuse(q, MHD_HTTP_BAD_REQUEST, err);
	else if (strcmp(slug, "annuler") == 0) {
		/* shredded: no case to show any more */
		json_begin(q, MHD_HTTP_OK);
		buf_puts(&q->r.body, "{\"ref\":");
		json_str(&q->r.body, c.ref);
		buf_puts(&q->r.body, ",\"state\":\"shredded\"}\n");
	} else
		api_case_object(q, MHD_HTTP_OK, c.ref);
}

void
route_api_cases(struct req *q, const char *rest, int post)
{
	char ref[CASE_REF_LEN + 1];
	const char *tail;

	if (*rest == '\0') {
		if (post)
			api_new_case(q);
		else
			list(q);
		return;
	}
	if (*rest != '/' || strlen(rest + 1) < CASE_REF_LEN) {
		not_found(q);
		return;
	}
	memcpy(ref, rest + 1, CASE_REF_LEN);
	ref[CASE_REF_LEN] = '\0';
	tail = rest + 1 + CASE_REF_LEN;
	if (!case_ref_valid(ref))
		not_found(q);
	else if (!post && *tail == '\0')
		show(q, ref);
	else if (post && *tail == '/')
		action(q, ref, tail + 1);
	else
		not_found(q);
}
