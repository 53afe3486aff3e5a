/*
 * casejson - see casejson.h.  Moved from the CLI (adapters/cli/cmd_show.c)
 * so that the web desk's API writes the same objects.
 */
#include "relay/casejson.h"
#include "relay/json.h"
#include "relay/calendar.h"
#include "relay/case.h"
#include "relay/instance.h"

#include <stdlib.h>
#include <string.h>

/* The addresses of the case's current rung, as a JSON array. */
static void
current_recipients(struct instance *in, const struct case_row *c, struct buf *out)
{
	struct delivery_row *d = NULL;
	char err[512];
	size_t n = 0, i;

	buf_puts(out, "[");
	if (desk_recipients(in, c, &d, &n, err, sizeof(err)) == 0)
		for (i = 0; i < n; i++) {
			buf_puts(out, i ? "," : "");
			json_str(out, d[i].recipient);
		}
	buf_puts(out, "]");
	free(d);
}

void
casejson_fields(struct instance *in, const struct case_row *c, struct buf *out)
{
	enum case_state s;

	buf_puts(out, "\"ref\":");
	json_str(out, c->ref);
	buf_puts(out, ",\"state\":");
	json_str(out, case_state_parse(c->state, &s) == 0 ? c->state : NULL);
	buf_puts(out, ",\"structure\":");
	json_str(out, c->structure);
	buf_puts(out, ",\"partner\":");
	json_str(out, c->partner);
	buf_puts(out, ",\"topic\":");
	json_str(out, c->topic);
	buf_printf(out, ",\"rung\":%d,\"recipients\":", c->rung);
	current_recipients(in, c, out);
	buf_puts(out, ",\"created_at\":");
	json_time(out, c->created_at);
	buf_puts(out, ",\"due_at\":");
	json_time(out, c->due_at);
	buf_puts(out, ",\"user_due_at\":");
	json_time(out, c->user_due_at);
	buf_printf(out, ",\"overdue\":%s,\"last_error\":", c->overdue ? "true" : "false");
	json_str(out, c->last_error[0] ? c->last_error : NULL);
}

static void
person_json(const struct person *p, struct buf *out)
{
	buf_puts(out, "{\"nom\":");
	json_str(out, p->nom);
	buf_puts(out, ",\"prenom\":");
	json_str(out, p->prenom);
	buf_puts(out, ",\"ne_le\":");
	json_str(out, p->ne_le[0] ? p->ne_le : NULL);
	buf_puts(out, ",\"id_partenaire\":");
	json_str(out, p->id_partenaire[0] ? p->id_partenaire : NULL);
	buf_puts(out, ",\"sollicite_le\":");
	json_str(out, p->sollicite_le[0] ? p->sollicite_le : NULL);
	buf_puts(out, ",\"mandat_signe_le\":");
	json_str(out, p->mandat_signe_le);
	buf_puts(out, ",\"mandat_sha256\":");
	json_str(out, p->mandat_sha256[0] ? p->mandat_sha256 : NULL);
	buf_puts(out, "}");
}

/* The mandate (annexe 7) as the outbox judges it at in->now: signed on,
 * last valid day, the copy's fingerprint, valid now (Paris date). */
static void
mandate_json(const struct instance *in, const struct person *p, struct buf *out)
{
	struct cal_tm today;
	char until[11] = "", scope[64], *tok, *save = NULL;
	int y, m, d, ok = 0, first = 1;

	if (cal_parse_date(p->mandat_signe_le, &y, &m, &d) == 0) {
		case_mandate_until(y, m, d, until);
		ok = cal_to_paris(in->now, &today) == 0 &&
		    case_mandate_check(y, m, d, today.year, today.mon, today.mday) == 0;
	}
	buf_puts(out, "{\"signed_on\":");
	json_str(out, p->mandat_signe_le[0] ? p->mandat_signe_le : NULL);
	buf_puts(out, ",\"valid_until\":");
	json_str(out, until[0] ? until : NULL);
	buf_puts(out, ",\"sha256\":");
	json_str(out, p->mandat_sha256[0] ? p->mandat_sha256 : NULL);
	buf_printf(out, ",\"valid\":%s,\"scope\":[", ok ? "true" : "false");
	case_scope_format(case_scope_of(p), scope);
	for (tok = strtok_r(scope, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		buf_puts(out, first ? "" : ",");
		json_str(out, tok);
		first = 0;
	}
	buf_puts(out, "]}");
}

/* Space-separated recipients as a JSON array. */
static void
addresses_json(const char *list, struct buf *out)
{
	char *copy = xstrdup(list), *save = NULL, *tok;
	int first = 1;

	buf_puts(out, "[");
	for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		buf_puts(out, first ? "" : ",");
		json_str(out, tok);
		first = 0;
	}
	buf_puts(out, "]");
	free(copy);
}

static void
message_json(const struct desk_message *dm, struct buf *out, int first)
{
	const struct message_row *m = &dm->row;
	size_t i;

	buf_puts(out, first ? "\n{\"kind\":" : ",\n{\"kind\":");
	json_str(out, m->kind);
	buf_puts(out, ",\"direction\":");
	json_str(out, m->direction);
	buf_puts(out, ",\"from\":");
	json_str(out, m->sender);
	buf_puts(out, ",\"to\":");
	addresses_json(m->recipients, out);
	buf_puts(out, ",\"message_id\":");
	json_str(out, m->message_id[0] ? m->message_id : NULL);
	buf_puts(out, ",\"at\":");
	json_time(out, m->at);
	buf_puts(out, ",\"text\":");
	json_str(out, dm->text);
	buf_puts(out, ",\"full_text\":");
	json_str(out, dm->full_text);
	buf_printf(out, ",\"flagged\":%s", m->flagged ? "true" : "false");
	buf_puts(out, ",\"attachments\":[");
	for (i = 0; i < dm->n_att; i++) {
		const struct desk_attachment *a = &dm->att[i];

		buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
		json_str(out, a->name);
		buf_printf(out, ",\"size\":%lld,\"sha256\":", (long long)a->size);
		json_str(out, a->sha256);
		buf_puts(out, "}");
	}
	buf_puts(out, "]}");
}

void
casejson_view(struct instance *in, const struct desk_view *v, struct buf *out)
{
	size_t i;

	buf_puts(out, "{");
	casejson_fields(in, &v->c, out);
	buf_puts(out, ",\"person\":");
	person_json(&v->person, out);
	buf_puts(out, ",\"mandate\":");
	mandate_json(in, &v->person, out);
	buf_puts(out, ",\"messages\":[");
	for (i = 0; i < v->n_msg; i++)
		message_json(&v->msg[i], out, i == 0);
	buf_puts(out, "\n]}");
}
