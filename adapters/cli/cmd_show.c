/*
 * cmd_show - reading and closing cases: cases, show, cancel.  show is the
 * only path that decrypts a case for a person to read.
 */
#include "adapters/cli/commands.h"
#include "relay/blindindex.h"
#include "relay/calendar.h"
#include "relay/case.h"
#include "adapters/cli/cli.h"
#include "relay/instance.h"
#include "relay/sealed.h"
#include "relay/tick.h"
#include "relay/vault.h"
#include "adapters/store.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define ERRLEN 1024
#define OUT_MAX (256 * 1024 * 1024)

static const char *
state_label(const char *state)
{
	static const struct { const char *state, *label; } labels[] = {
		{ "queued", "en file d'envoi" }, { "awaiting", "en attente de réponse" },
		{ "answered", "répondu" }, { "waiting_user", "en attente de l'usager" },
		{ "resolved", "résolu" }, { "cancelled", "annulé" },
		{ "failed", "échec d'envoi" }, { "shredded", "détruit" },
	};
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(labels); i++)
		if (strcmp(labels[i].state, state) == 0)
			return labels[i].label;
	return state;
}

/* The addresses of the case's current rung, space-separated, in out. */
static void
current_recipients(struct instance *in, const struct case_row *c, struct buf *out, int as_json)
{
	struct delivery_row *d = NULL;
	size_t n = 0, i;
	int first = 1;

	if (as_json)
		buf_puts(out, "[");
	if (store_delivery_list(in->st, c->id, &d, &n) == 0)
		for (i = 0; i < n; i++) {
			if (d[i].rung != c->rung)
				continue;
			if (as_json) {
				buf_puts(out, first ? "" : ",");
				json_str(out, d[i].recipient);
			} else
				buf_printf(out, "%s%s", first ? "" : " ", d[i].recipient);
			first = 0;
		}
	if (as_json)
		buf_puts(out, "]");
	free(d);
}

static void
case_json_fields(struct instance *in, const struct case_row *c, struct buf *out)
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
	current_recipients(in, c, out, 1);
	buf_puts(out, ",\"created_at\":");
	json_time(out, c->created_at);
	buf_puts(out, ",\"due_at\":");
	json_time(out, c->due_at);
	buf_puts(out, ",\"user_due_at\":");
	json_time(out, c->user_due_at);
	buf_printf(out, ",\"overdue\":%s,\"last_error\":", c->overdue ? "true" : "false");
	json_str(out, c->last_error[0] ? c->last_error : NULL);
}

/*
 * Who acts on a case.  With --agent, the agent must exist and belong to the
 * case's structure; the audit trail then names it.  Without, the CLI trusts
 * its Unix user (docs/threat-model.md) and the actor is "cli".
 */
int
case_actor(struct instance *in, const char *agent, const struct case_row *c, char *err)
{
	struct agent a;
	int r;

	if (agent == NULL)
		return 0;
	r = store_agent_get(in->st, agent, &a);
	if (r != 0) {
		snprintf(err, ERRLEN, r == 1 ? "agent inconnu « %s »" : "lecture de l'agent « %s »",
		    agent);
		return -1;
	}
	if (strcmp(a.structure, c->structure) != 0) {
		snprintf(err, ERRLEN, "le dossier %s relève de %s : l'agent %s (%s) n'y a pas"
		    " accès", c->ref, c->structure, a.id, a.structure);
		return -1;
	}
	return 0;
}

/* ---- cases ---------------------------------------------------------- */

static const struct cli_cmd cases_cmd = { "cases",
	"cases [--agent A] [--state ÉTAT] [--overdue] [--due-before DATE]\n"
	"                [--nom N --prenom P [--ne-le AAAA-MM-JJ]] [--json]",
	"Liste les dossiers, du plus récent au plus ancien : référence, état,\n"
	"partenaire, motif, échéance du référent et échéance « répondre à\n"
	"l'usager ».  Aucune donnée personnelle n'est affichée.\n"
	"  --agent A     seulement les dossiers saisis par l'agent A\n"
	"  --state ÉTAT  queued, awaiting, answered, waiting_user, resolved,\n"
	"                cancelled, failed ou shredded\n"
	"  --overdue     seulement les dossiers en retard : échéance du référent\n"
	"                passée, ou plus aucun palier à qui transmettre\n"
	"  --due-before DATE\n"
	"                seulement les dossiers ouverts dont l'échéance du référent\n"
	"                ou « répondre à l'usager » tombe avant DATE (AAAA-MM-JJ :\n"
	"                00:00 heure de Paris ; ou AAAA-MM-JJTHH:MM:SSZ)\n"
	"  --nom N --prenom P [--ne-le AAAA-MM-JJ]\n"
	"                seulement les dossiers de cette personne, détruits compris\n"
	"                (demande d'accès, art. 15 RGPD) : retrouvés par l'index\n"
	"                aveugle, sans que le relais garde le nom ; majuscules,\n"
	"                accents, espaces et tirets ne comptent pas ; la date de\n"
	"                naissance doit être celle donnée à « escalate » (ou\n"
	"                absente des deux côtés).  Chaque recherche est journalisée\n"
	"                (sans le nom).  Lit la clé d'index.\n"
	"  --json        tableau JSON (docs/json.md)\n", 0, 0 };

/* Does c have a deadline before limit?  Open cases only: the referent's
 * while it is awaited, the agent's until the case is closed. */
static int
due_before(const struct case_row *c, int64_t limit)
{
	int referent = strcmp(c->state, "awaiting") == 0 ||
	    strcmp(c->state, "waiting_user") == 0;
	int user = referent || strcmp(c->state, "queued") == 0 ||
	    strcmp(c->state, "answered") == 0;

	return (referent && c->due_at && c->due_at < limit) ||
	    (user && c->user_due_at && c->user_due_at < limit);
}

/* DATE as 00:00 Europe/Paris, or an RFC 3339 instant.  0 / -1. */
static int
parse_limit(const char *s, int64_t *t)
{
	int y, m, d;

	if (cal_parse_date(s, &y, &m, &d) == 0)
		return cal_paris_midnight(y, m, d, t);
	return cal_parse_rfc3339(s, t);
}

static void
case_line(struct instance *in, const struct case_row *c, struct buf *out)
{
	char due[CAL_RFC3339_LEN] = "-", udue[CAL_RFC3339_LEN] = "-";

	if (c->due_at)
		cal_format_rfc3339_utc(due, c->due_at);
	if (c->user_due_at)
		cal_format_rfc3339_utc(udue, c->user_due_at);
	buf_printf(out, "%s  %-22s %-12s %-22s référent : %s  usager : %s%s", c->ref,
	    state_label(c->state), c->partner, c->topic, due, udue,
	    c->overdue ? "  EN RETARD" : "");
	if (c->last_error[0])
		buf_printf(out, "  erreur : %s", c->last_error);
	buf_puts(out, "\n");
	(void)in;
}

/* --nom/--prenom/--ne-le as escalate takes them: 0, or the usage status. */
static int
person_args(const char *nom, const char *prenom, const char **ne_le)
{
	int y, m, d;

	if (nom == NULL || prenom == NULL)
		return cli_usage(&cases_cmd, "--nom et --prenom vont ensemble");
	if (*ne_le && (*ne_le)[0] == '\0')
		*ne_le = NULL;		/* as escalate: empty is no date */
	if (*ne_le && cal_parse_date(*ne_le, &y, &m, &d) < 0)
		return cli_usage(&cases_cmd, "--ne-le : date invalide (AAAA-MM-JJ)");
	return 0;
}

int
cmd_cases(int argc, char **argv)
{
	const char *agent = NULL, *state = NULL, *before = NULL, **pos = NULL;
	const char *nom = NULL, *prenom = NULL, *ne_le = NULL;
	int as_json = 0, overdue = 0, by_person;
	int64_t limit = 0;
	uint8_t bi[BLINDINDEX_BYTES];
	struct agent who;
	const struct cli_opt opts[] = {
		{ "agent", &agent, NULL, NULL, NULL },
		{ "state", &state, NULL, NULL, NULL },
		{ "overdue", NULL, &overdue, NULL, NULL },
		{ "due-before", &before, NULL, NULL, NULL },
		{ "nom", &nom, NULL, NULL, NULL },
		{ "prenom", &prenom, NULL, NULL, NULL },
		{ "ne-le", &ne_le, NULL, NULL, NULL },
		{ "json", NULL, &as_json, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	struct case_row *list = NULL;
	struct buf out;
	enum case_state s;
	char err[ERRLEN];
	size_t n = 0, i, found = 0;
	int npos, r, first = 1;

	memset(&in, 0, sizeof(in));
	buf_init(&out, OUT_MAX);
	if ((r = cli_parse(&cases_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	by_person = nom || prenom || ne_le;
	if (state && case_state_parse(state, &s) < 0) {
		r = cli_usage(&cases_cmd, "état inconnu « %s »", state);
		goto out;
	}
	if (before && parse_limit(before, &limit) < 0) {
		r = cli_usage(&cases_cmd, "--due-before : date invalide « %.40s » (AAAA-MM-JJ)",
		    before);
		goto out;
	}
	if (by_person && (r = person_args(nom, prenom, &ne_le)) != 0)
		goto out;
	if (instance_open(&in, cli_config_path, INST_STORE | (by_person ? INST_KEYS : 0), err,
	    sizeof(err)) < 0) {
		r = cli_fail("cases : %s", err);
		goto out;
	}
	/* --overdue reads the due-time index, not every case (issue 15). */
	if ((overdue ? store_case_overdue(in.st, in.now, agent, &list, &n) :
	    store_case_list(in.st, agent, &list, &n)) < 0) {
		r = cli_fail("cases : %s", store_errmsg(in.st));
		goto out;
	}
	if (by_person && blindindex_compute(bi, in.index_key, nom, prenom,
	    ne_le ? ne_le : "") < 0) {
		r = cli_usage(&cases_cmd, "--nom, --prenom : nom inexploitable (texte UTF-8, au"
		    " moins une lettre)");
		goto out;
	}
	/* The actor of the audit event: an agent that exists, or the CLI. */
	if (by_person && agent && store_agent_get(in.st, agent, &who) != 0) {
		r = cli_fail("cases : refusé : agent inconnu « %.64s »", agent);
		goto out;
	}
	if (as_json)
		buf_puts(&out, "[");
	for (i = 0; i < n; i++) {
		if (state && strcmp(state, list[i].state) != 0)
			continue;
		if (overdue && !tick_case_overdue(list[i].state, list[i].overdue,
		    list[i].due_at, in.now))
			continue;
		if (before && !due_before(&list[i], limit))
			continue;
		if (by_person && sodium_memcmp(list[i].blind_index, bi, sizeof(bi)) != 0)
			continue;
		found++;
		if (as_json) {
			buf_puts(&out, first ? "\n{" : ",\n{");
			case_json_fields(&in, &list[i], &out);
			buf_puts(&out, "}");
		} else
			case_line(&in, &list[i], &out);
		first = 0;
	}
	if (as_json)
		buf_puts(&out, "\n]\n");
	/* Who looked for a person is in the audit log; the name is not. */
	if (by_person) {
		char outcome[32];

		snprintf(outcome, sizeof(outcome), "%zu case(s)", found);
		if (store_event(in.st, in.now, agent ? agent : "cli", "person.lookup", NULL,
		    outcome) < 0) {
			r = cli_fail("cases : journal d'audit : %s", store_errmsg(in.st));
			goto out;
		}
	}
	r = cli_emit(&out);
out:
	sodium_memzero(bi, sizeof(bi));
	buf_free(&out);
	free(list);
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

/* ---- show ----------------------------------------------------------- */

static const struct cli_cmd show_cmd = { "show",
	"show RÉFÉRENCE [--agent A] [--json] [--extraire DIR]",
	"Affiche un dossier déchiffré : la personne, l'état, les destinataires, les\n"
	"échéances et le fil des messages avec leurs pièces jointes.  Réservé à\n"
	"l'agent de la structure : avec --agent A, l'agent doit appartenir à la\n"
	"structure du dossier et la lecture est journalisée à son nom.  Un dossier\n"
	"détruit (annulé ou résolu puis\n"
	"effacé) ne peut plus être lu : code 1, « dossier détruit ».\n"
	"  --extraire DIR  écrit aussi les pièces jointes de tous les messages dans DIR\n"
	"                 (créé 0700 s'il n'existe pas ; un fichier existant n'est\n"
	"                 jamais écrasé : le nom est alors préfixé du numéro du message)\n",
	1, 1 };

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

static int
attachments_out(struct instance *in, const uint8_t *dek, const struct message_row *m,
    struct buf *out, int as_json)
{
	struct document_row *d = NULL;
	size_t n = 0, i;
	int r = 0;

	if (store_document_list(in->st, m->case_id, m->id, &d, &n) < 0)
		return -1;
	if (as_json)
		buf_puts(out, ",\"attachments\":[");
	for (i = 0; i < n && r == 0; i++) {
		struct buf name;

		buf_init(&name, 4096);
		if (sealed_get(in, dek, "documents", "name", d[i].id, &name, 4096) != 0)
			r = -1;
		else if (as_json) {
			buf_puts(out, i ? ",{\"name\":" : "{\"name\":");
			json_str(out, name.p);
			buf_printf(out, ",\"size\":%lld,\"sha256\":", (long long)d[i].size);
			json_str(out, d[i].sha256);
			buf_puts(out, "}");
		} else
			buf_printf(out, "    pièce jointe : %s (%lld octets, sha256 %s)\n", name.p,
			    (long long)d[i].size, d[i].sha256);
		buf_free(&name);
	}
	if (as_json)
		buf_puts(out, "]");
	free(d);
	return r;
}

static int
message_out(struct instance *in, const uint8_t *dek, const struct message_row *m,
    struct buf *out, int as_json, int first)
{
	struct buf text;
	char at[CAL_RFC3339_LEN];
	int r;

	buf_init(&text, OUT_MAX);
	r = sealed_get(in, dek, "messages", "text", m->id, &text, 64 * 1024 * 1024);
	if (r < 0) {
		buf_free(&text);
		return -1;
	}
	if (as_json) {
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
		json_str(out, r == 0 ? text.p : NULL);
		buf_printf(out, ",\"flagged\":%s", m->flagged ? "true" : "false");
	} else {
		cal_format_rfc3339_utc(at, m->at);
		buf_printf(out, "\n--- %s %s %s, de %s à %s%s\n%s%s", m->kind,
		    strcmp(m->direction, "out") == 0 ? "sortant" : "entrant", at, m->sender,
		    m->recipients, m->flagged ? " [À VÉRIFIER]" : "", r == 0 ? text.p : "",
		    r == 0 && text.len && text.p[text.len - 1] != '\n' ? "\n" : "");
	}
	buf_free(&text);
	r = attachments_out(in, dek, m, out, as_json);
	if (as_json)
		buf_puts(out, "}");
	return r;
}

static int
show_case(struct instance *in, const struct case_row *c, int as_json, struct buf *out,
    char *err)
{
	struct message_row *msgs = NULL;
	struct person p;
	struct buf person;
	uint8_t *dek;
	size_t n = 0, i;
	int r = -1;

	if ((dek = sealed_case_key(in, c->id, err, ERRLEN)) == NULL)
		return -1;
	buf_init(&person, 8192);
	if (sealed_get(in, dek, "cases", "person", c->id, &person, 8192) != 0 ||
	    person_decode(&p, person.p, person.len) < 0) {
		snprintf(err, ERRLEN, "données de la personne illisibles (altérées ?)");
		goto out;
	}
	if (store_message_list(in->st, c->id, &msgs, &n) < 0) {
		snprintf(err, ERRLEN, "%s", store_errmsg(in->st));
		goto out;
	}
	if (as_json) {
		buf_puts(out, "{");
		case_json_fields(in, c, out);
		buf_puts(out, ",\"person\":");
		person_json(&p, out);
		buf_puts(out, ",\"messages\":[");
	} else {
		buf_printf(out, "Dossier %s — %s\nPartenaire : %s, motif : %s, structure : %s,"
		    " agent : %s\nPersonne : %s %s%s%s%s%s\nMandat signé le %s\n", c->ref,
		    state_label(c->state), c->partner, c->topic, c->structure, c->agent, p.prenom,
		    p.nom, p.ne_le[0] ? ", née ou né le " : "", p.ne_le,
		    p.id_partenaire[0] ? ", identifiant partenaire " : "", p.id_partenaire,
		    p.mandat_signe_le);
		buf_puts(out, "Destinataires (échelon courant) : ");
		current_recipients(in, c, out, 0);
		buf_puts(out, "\n");
		if (c->last_error[0])
			buf_printf(out, "Dernière erreur : %s\n", c->last_error);
	}
	for (i = 0; i < n; i++)
		if (message_out(in, dek, &msgs[i], out, as_json, i == 0) < 0) {
			snprintf(err, ERRLEN, "message illisible (données altérées ?)");
			goto out;
		}
	if (as_json)
		buf_puts(out, "\n]}\n");
	r = 0;
out:
	memset(&p, 0, sizeof(p));
	buf_free(&person);
	free(msgs);
	vault_key_free(dek);
	return r;
}

/* Write every attachment of the case's thread into dir (issue 4). */
static int
extract_one(struct instance *in, const uint8_t *dek, const struct document_row *d,
    const char *dir, char *err)
{
	struct buf name, data;
	char *path = NULL, *safe;
	size_t i;
	int fd = -1, r = -1;

	buf_init(&name, 4096);
	buf_init(&data, 64 * 1024 * 1024);
	if (sealed_get(in, dek, "documents", "name", d->id, &name, 4096) != 0 ||
	    sealed_get(in, dek, "documents", "content", d->id, &data, 64 * 1024 * 1024) != 0) {
		snprintf(err, ERRLEN, "pièce jointe illisible (données altérées ?)");
		goto out;
	}
	safe = name.len ? name.p : "piece";
	for (i = 0; safe[i]; i++)
		if (safe[i] == '/' || (unsigned char)safe[i] < 0x20 || (i == 0 && safe[i] == '.'))
			safe[i] = '_';
	path = xasprintf("%s/%s", dir, safe);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		free(path);
		path = xasprintf("%s/%lld-%s", dir, (long long)d->message_id, safe);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	}
	if (fd < 0 || (data.len && write(fd, data.p, data.len) != (ssize_t)data.len)) {
		snprintf(err, ERRLEN, "%s : écriture impossible : %s", path, strerror(errno));
		goto out;
	}
	fprintf(stderr, "fsrelay : pièce écrite : %s\n", path);
	r = 0;
out:
	if (fd >= 0 && close(fd) < 0)
		r = -1;
	free(path);
	buf_free(&name);
	buf_free(&data);
	return r;
}

static int
extract_all(struct instance *in, const struct case_row *c, const char *dir, char *err)
{
	struct document_row *d = NULL;
	uint8_t *dek;
	size_t n = 0, i;
	int r = 0;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, ERRLEN, "%s : création impossible : %s", dir, strerror(errno));
		return -1;
	}
	if ((dek = sealed_case_key(in, c->id, err, ERRLEN)) == NULL)
		return -1;
	if (store_document_list(in->st, c->id, 0, &d, &n) < 0) {
		snprintf(err, ERRLEN, "%s", store_errmsg(in->st));
		r = -1;
	}
	for (i = 0; i < n && r == 0; i++)
		r = extract_one(in, dek, &d[i], dir, err);
	free(d);
	vault_key_free(dek);
	return r;
}

int
cmd_show(int argc, char **argv)
{
	const char **pos = NULL, *agent = NULL, *extraire = NULL;
	int as_json = 0;
	const struct cli_opt opts[] = {
		{ "json", NULL, &as_json, NULL, NULL },
		{ "agent", &agent, NULL, NULL, NULL },
		{ "extraire", &extraire, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	struct case_row c;
	struct buf out;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	buf_init(&out, OUT_MAX);
	if ((r = cli_parse(&show_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (!case_ref_valid(pos[0])) {
		r = cli_fail("show : référence invalide « %.40s » (attendu FS-NNNNN-AAAA-NNNNNN)",
		    pos[0]);
		goto out;
	}
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS, err, sizeof(err)) < 0) {
		r = cli_fail("show : %s", err);
		goto out;
	}
	r = store_case_get(in.st, pos[0], &c);
	if (r != 0)
		r = cli_fail("show : %s", r == 1 ? "dossier inconnu" : store_errmsg(in.st));
	else if (case_actor(&in, agent, &c, err) < 0)
		r = cli_fail("show : refusé : %s", err);
	else if (strcmp(c.state, "shredded") == 0)
		r = cli_fail("show : %s : dossier détruit", c.ref);
	else if (show_case(&in, &c, as_json, &out, err) < 0)
		r = cli_fail("show : %s : %s", c.ref, err);
	/* The reading is recorded before anything is shown. */
	else if (store_event(in.st, in.now, agent ? agent : "cli", "case.viewed", c.ref, "ok") < 0)
		r = cli_fail("show : journal d'audit : %s", store_errmsg(in.st));
	else if (extraire && extract_all(&in, &c, extraire, err) < 0)
		r = cli_fail("show : %s : --extraire : %s", c.ref, err);
	else
		r = cli_emit(&out);
out:
	buf_free(&out);
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

/* ---- cancel --------------------------------------------------------- */

static const struct cli_cmd cancel_cmd = { "cancel",
	"cancel RÉFÉRENCE --motif TEXTE [--agent A]",
	"Annule un dossier et le détruit aussitôt (crypto-effacement) : la clé du\n"
	"dossier, la personne, la description et les pièces sont effacées ; seuls\n"
	"restent la référence, les dates, les empreintes et tailles des pièces et,\n"
	"pour chaque envoi, l'empreinte de la clé du destinataire.  Les envois pas\n"
	"encore partis sont abandonnés.  Le motif est exigé mais n'est pas\n"
	"conservé en clair (il pourrait contenir des données personnelles).\n"
	"Avec --agent A, l'agent doit appartenir à la structure du dossier.\n", 1, 1 };

static int
cancel_case(struct instance *in, struct case_row *c, const char *actor, char *err)
{
	struct delivery_row *d = NULL;
	size_t n = 0, i;
	int r = -1;

	if (store_begin(in->st) < 0 || store_delivery_list(in->st, c->id, &d, &n) < 0)
		goto fail;
	for (i = 0; i < n; i++) {
		if (strcmp(d[i].state, "pending") != 0)
			continue;
		fs_strlcpy(d[i].state, "failed", sizeof(d[i].state));
		fs_strlcpy(d[i].last_error, "dossier annulé", sizeof(d[i].last_error));
		if (store_delivery_update(in->st, &d[i]) < 0)
			goto fail;
	}
	if (store_case_set_state(in->st, c->id, "cancelled", in->now) < 0 ||
	    store_event(in->st, in->now, actor, "case.cancelled", c->ref, "ok") < 0 ||
	    store_case_shred(in->st, c->id, in->now) < 0 ||
	    store_event(in->st, in->now, "relay", "case.shredded", c->ref, "ok") < 0 ||
	    store_commit(in->st) < 0)
		goto fail;
	/* Deleted pages must leave the WAL too. */
	if (store_checkpoint(in->st) < 0)
		fprintf(stderr, "fsrelay : attention : purge du journal WAL différée (%s)\n",
		    store_errmsg(in->st));
	r = 0;
	goto out;
fail:
	snprintf(err, ERRLEN, "%s", store_errmsg(in->st));
	store_rollback(in->st);
out:
	free(d);
	return r;
}

int
cmd_cancel(int argc, char **argv)
{
	const char *motif = NULL, **pos = NULL, *why, *agent = NULL;
	const struct cli_opt opts[] = {
		{ "motif", &motif, NULL, NULL, NULL },
		{ "agent", &agent, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	struct case_row c;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&cancel_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (motif == NULL) {
		r = cli_usage(&cancel_cmd, "--motif est obligatoire");
		goto out;
	}
	if (case_field_check(motif, CASE_FIELD_MAX, 1, &why) < 0) {
		r = cli_fail("cancel : --motif : %s", why);
		goto out;
	}
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0) {
		r = cli_fail("cancel : %s", err);
		goto out;
	}
	r = store_case_get(in.st, pos[0], &c);
	if (r != 0)
		r = cli_fail("cancel : %s", r == 1 ? "dossier inconnu" : store_errmsg(in.st));
	else if (case_actor(&in, agent, &c, err) < 0)
		r = cli_fail("cancel : refusé : %s", err);
	else if (strcmp(c.state, "shredded") == 0)
		r = cli_fail("cancel : %s : dossier déjà détruit", c.ref);
	else if (cancel_case(&in, &c, agent ? agent : "cli", err) < 0)
		r = cli_fail("cancel : %s : %s", c.ref, err);
	else
		fprintf(stderr, "fsrelay : dossier %s annulé et détruit\n", c.ref);
out:
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}
