/*
 * desk - see desk.h.  The rules of the agent's use cases, moved here from
 * the CLI's files (adapters/cli/cmd_case.c, cmd_show.c, cmd_reply.c,
 * cmd_deadline.c) so that every face applies the same ones.
 *
 * Trusts: the store and the keys of the instance.  Every value an agent
 * gives is checked here before it is used or stored.
 */
#include "relay/desk.h"
#include "relay/account.h"
#include "relay/blindindex.h"
#include "relay/calendar.h"
#include "relay/directory.h"
#include "relay/inbox.h"
#include "relay/instance.h"
#include "relay/purge.h"
#include "relay/outbox.h"
#include "relay/sealed.h"
#include "relay/tick.h"
#include "relay/token.h"
#include "relay/transition.h"
#include "relay/vault.h"
#include "relay/port/mail.h"
#include "relay/port/store_directory.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACTOR(agent)	((agent) ? (agent) : "cli")

/* ---- the actor --------------------------------------------------------- */

/* 1 (with the French reason) when account a is disabled or removed
 * (`agents disable|remove`, the web desk's « Désactiver »): it acts on no
 * case and escalates none; its cases stay, for the other agents. */
static int
agent_inactive(const struct agent *a, char *err, size_t errlen)
{
	if (!a->disabled && !a->removed)
		return 0;
	snprintf(err, errlen, "refusé : le compte de l'agent « %s » est %s", a->id,
	    a->removed ? "supprimé" : "désactivé (fsrelay agents enable pour le réactiver)");
	return 1;
}

/* With an agent: it exists, is active and belongs to the case's structure. */
static int
check_actor(struct instance *in, const char *agent, const struct case_row *c, char *err,
    size_t errlen)
{
	struct agent a;
	int r;

	if (agent == NULL)
		return 0;
	r = store_agent_get(in->st, agent, &a);
	if (r != 0) {
		snprintf(err, errlen, r == 1 ? "refusé : agent inconnu « %s »" :
		    "refusé : lecture de l'agent « %s »", agent);
		return -1;
	}
	if (agent_inactive(&a, err, errlen))
		return -1;
	if (strcmp(a.structure, c->structure) != 0) {
		snprintf(err, errlen, "refusé : le dossier %s relève de %s : l'agent %s (%s) n'y"
		    " a pas accès", c->ref, c->structure, a.id, a.structure);
		return -1;
	}
	return 0;
}

/* The case ref, known and visible to agent; shredded refused if asked. */
static int
find_case(struct instance *in, const char *ref, const char *agent, int refuse_shredded,
    struct case_row *c, char *err, size_t errlen)
{
	int r;

	if (ref == NULL || !case_ref_valid(ref)) {
		snprintf(err, errlen, "référence invalide « %.40s » (attendu"
		    " FS-NNNNN-AAAA-NNNNNN)", ref ? ref : "");
		return -1;
	}
	if ((r = store_case_get(in->st, ref, c)) != 0) {
		snprintf(err, errlen, "%s", r == 1 ? "dossier inconnu" : store_errmsg(in->st));
		return -1;
	}
	if (check_actor(in, agent, c, err, errlen) < 0)
		return -1;
	if (refuse_shredded && case_state_of(c->state) == CASE_SHREDDED) {
		snprintf(err, errlen, "%s : dossier détruit", c->ref);
		return -1;
	}
	return 0;
}

int
desk_case(struct instance *in, const char *ref, const char *agent, struct case_row *c,
    char *err, size_t errlen)
{
	return find_case(in, ref, agent, 1, c, err, errlen);
}

/* The case, if the lifecycle allows event ev in its state (else its
 * refusal: "<REF> : impossible dans l'état « resolved »"...). */
static int
case_for(struct instance *in, const char *ref, const char *agent, enum lc_event ev,
    struct case_row *c, char *err, size_t errlen)
{
	struct lc_step st;

	if (desk_case(in, ref, agent, c, err, errlen) < 0)
		return -1;
	if (case_may(c, ev, &st) == LC_REFUSE) {
		snprintf(err, errlen, "%s : %s", c->ref, st.why);
		return -1;
	}
	return 0;
}

/* A one-line text the agent must (or may) give and that is never stored. */
static int
check_line(const char *flag, const char *value, int required, char *err, size_t errlen)
{
	const char *why;

	if (value == NULL && !required)
		return 0;
	if (case_field_check(value ? value : "", CASE_FIELD_MAX, 1, &why) < 0) {
		snprintf(err, errlen, "--%s : %s", flag, why);
		return -1;
	}
	return 0;
}

/* Mark the pending deliveries of the case failed (rung < 0: every rung). */
static int
stop_pending(struct instance *in, const struct case_row *c, int rung, const char *why)
{
	struct delivery_row *d = NULL;
	size_t n = 0, i;
	int r = 0;

	if (store_delivery_list(in->st, c->id, &d, &n) < 0)
		return -1;
	for (i = 0; i < n && r == 0; i++) {
		if (strcmp(d[i].state, "pending") != 0 || (rung >= 0 && d[i].rung != rung))
			continue;
		fs_strlcpy(d[i].state, "failed", sizeof(d[i].state));
		fs_strlcpy(d[i].last_error, why, sizeof(d[i].last_error));
		r = store_delivery_update(in->st, &d[i]);
	}
	free(d);
	return r;
}

/* ---- escalate ---------------------------------------------------------- */

/* Everything escalate was given, checked and copied. */
struct intake {
	const struct desk_intake *in;
	struct person	 person;
	int		 mandate_y, mandate_m, mandate_d;
	int		 request_y, request_m, request_d;	/* 0 0 0: none */
};

static int
take_field(const char *flag, const char *value, int required, char *dst, size_t dstlen,
    char *err, size_t errlen)
{
	const char *why;

	if (value == NULL)
		value = "";
	if (case_field_check(value, CASE_FIELD_MAX, required, &why) < 0) {
		snprintf(err, errlen, "--%s : %s", flag, why);
		return -1;
	}
	if (dst)
		fs_strlcpy(dst, value, dstlen);
	return 0;
}

static int
take_date(const char *flag, const char *value, char dst[11], int *y, int *m, int *d,
    char *err, size_t errlen)
{
	int yy, mm, dd;

	if (value == NULL || *value == '\0') {
		dst[0] = '\0';
		return 0;
	}
	if (cal_parse_date(value, &yy, &mm, &dd) < 0) {
		snprintf(err, errlen, "--%s : date invalide « %.20s » (attendu AAAA-MM-JJ)",
		    flag, value);
		return -1;
	}
	fs_strlcpy(dst, value, 11);
	if (y)
		*y = yy, *m = mm, *d = dd;
	return 0;
}

/* A text the agent wrote (description, follow-up): not empty, no NIR for a
 * partner that does not take it. */
static int
check_text(const char *what, const char *partner, const char *text, size_t len,
    char *err, size_t errlen)
{
	const char *why;

	if (len > CASE_DESCRIPTION_MAX) {
		snprintf(err, errlen, "%s : texte trop long (%d Kio au plus)", what,
		    CASE_DESCRIPTION_MAX / 1024);
		return -1;
	}
	if (case_description_check(text ? text : "", text ? len : 0, CASE_DESCRIPTION_MAX,
	    &why) < 0) {
		snprintf(err, errlen, "%s : %s", what, why);
		return -1;
	}
	if (partner && case_nir_check(partner, text, len, &why) < 0) {
		snprintf(err, errlen, "%s : %s", what, why);
		return -1;
	}
	return 0;
}

/* The data the mandate authorises (annexe 7): a field given outside its
 * scope is refused, named. */
static int
check_scope(struct intake *it, const struct desk_intake *d, char *err, size_t errlen)
{
	unsigned s = CASE_SCOPE_ALL;

	if (d->mandat_perimetre != NULL &&
	    case_scope_parse(d->mandat_perimetre, &s, err, errlen) < 0)
		return -1;
	case_scope_format(s, it->person.mandat_perimetre);
	if (!(s & CASE_SCOPE_IDENTITE))
		snprintf(err, errlen, "--mandat-perimetre : « identite » est obligatoire (le nom et"
		    " le prénom sont toujours transmis)");
	else if (it->person.ne_le[0] && !(s & CASE_SCOPE_NAISSANCE))
		snprintf(err, errlen, "--ne-le : la date de naissance est hors du périmètre du"
		    " mandat (« naissance » absent de --mandat-perimetre)");
	else if (it->person.id_partenaire[0] && !(s & CASE_SCOPE_IDENTIFIANT))
		snprintf(err, errlen, "--id-partenaire : l'identifiant est hors du périmètre du"
		    " mandat (« identifiant » absent de --mandat-perimetre)");
	else if (!(s & CASE_SCOPE_NIR) && case_find_nir(it->person.id_partenaire,
	    strlen(it->person.id_partenaire)))
		snprintf(err, errlen, "--id-partenaire : un NIR est hors du périmètre du mandat"
		    " (« nir » absent de --mandat-perimetre)");
	else if (!(s & CASE_SCOPE_NIR) && d->description &&
	    case_find_nir(d->description, d->description_len))
		snprintf(err, errlen, "description : un NIR est hors du périmètre du mandat"
		    " (« nir » absent de --mandat-perimetre)");
	else if (d->pieces && d->pieces->n > 0 && !(s & CASE_SCOPE_DOCUMENTS))
		snprintf(err, errlen, "--piece : les pièces sont hors du périmètre du mandat"
		    " (« documents » absent de --mandat-perimetre)");
	else
		return 0;
	return -1;
}

static int
take_intake(struct intake *it, const struct desk_intake *d, char *err, size_t errlen)
{
	const char *why;

	memset(it, 0, sizeof(*it));
	it->in = d;
	if (take_field("structure", d->structure, 1, NULL, 0, err, errlen) < 0 ||
	    take_field("partner", d->partner, 1, NULL, 0, err, errlen) < 0 ||
	    take_field("topic", d->topic, 1, NULL, 0, err, errlen) < 0 ||
	    take_field("agent", d->agent, 1, NULL, 0, err, errlen) < 0 ||
	    take_field("nom", d->nom, 1, it->person.nom, sizeof(it->person.nom), err,
	    errlen) < 0 ||
	    take_field("prenom", d->prenom, 1, it->person.prenom, sizeof(it->person.prenom),
	    err, errlen) < 0 ||
	    take_field("id-partenaire", d->id_partenaire, 0, it->person.id_partenaire,
	    sizeof(it->person.id_partenaire), err, errlen) < 0 ||
	    take_date("ne-le", d->ne_le, it->person.ne_le, NULL, NULL, NULL, err, errlen) < 0 ||
	    take_date("sollicite-le", d->sollicite_le, it->person.sollicite_le,
	    &it->request_y, &it->request_m, &it->request_d, err, errlen) < 0 ||
	    take_date("mandat-signe-le", d->mandat_signe_le, it->person.mandat_signe_le,
	    &it->mandate_y, &it->mandate_m, &it->mandate_d, err, errlen) < 0)
		return -1;
	if (it->person.mandat_signe_le[0] == '\0') {
		snprintf(err, errlen, "--mandat-signe-le : date obligatoire");
		return -1;
	}
	if (d->mandate_copy) {
		uint8_t h[crypto_hash_sha256_BYTES];

		if (d->mandate_len > CASE_PIECE_MAX) {
			snprintf(err, errlen, "mandat trop gros (%d octets au plus)", CASE_PIECE_MAX);
			return -1;
		}
		crypto_hash_sha256(h, d->mandate_copy, d->mandate_len);
		fs_hex(it->person.mandat_sha256, h, sizeof(h));
	}
	if (check_text("description", NULL, d->description, d->description_len, err,
	    errlen) < 0 || check_scope(it, d, err, errlen) < 0)
		return -1;
	/* Minimisation by partner: the NIR only where it is used. */
	if (case_nir_check(d->partner, it->person.id_partenaire,
	    strlen(it->person.id_partenaire), &why) < 0) {
		snprintf(err, errlen, "--id-partenaire : %s", why);
		return -1;
	}
	if (check_text("description", d->partner, d->description, d->description_len, err,
	    errlen) < 0)
		return -1;
	return pieces_check(d->pieces, d->partner, err, errlen);
}

int
desk_intake_check(const struct desk_intake *d, char *err, size_t errlen)
{
	struct intake it;
	int r = take_intake(&it, d, err, errlen);

	sodium_memzero(&it.person, sizeof(it.person));
	return r;
}

static int
check_mandate(const struct intake *it, int64_t now, char *err, size_t errlen)
{
	struct cal_tm today;
	int r;

	if (cal_to_paris(now, &today) < 0) {
		snprintf(err, errlen, "horloge hors limites");
		return -1;
	}
	/* The person's request cannot come later than today either. */
	if (it->person.sollicite_le[0] != '\0' &&
	    (it->request_y > today.year || (it->request_y == today.year &&
	    (it->request_m > today.mon || (it->request_m == today.mon &&
	    it->request_d > today.mday))))) {
		snprintf(err, errlen, "--sollicite-le %s : date dans le futur",
		    it->person.sollicite_le);
		return -1;
	}
	r = case_mandate_check(it->mandate_y, it->mandate_m, it->mandate_d, today.year,
	    today.mon, today.mday);
	if (r == -1)
		snprintf(err, errlen, "mandat signé le %s : date dans le futur",
		    it->person.mandat_signe_le);
	else if (r == -2)
		snprintf(err, errlen, "mandat signé le %s : expiré (valable un an)",
		    it->person.mandat_signe_le);
	return r == 0 ? 0 : -1;
}

/* The agent exists, works for this structure; partner, topic, structure are
 * known to the directory. */
static int
check_parties(struct instance *in, const struct directory *dir, const struct desk_intake *d,
    char *err, size_t errlen)
{
	struct agent a;
	int r = store_agent_get(in->st, d->agent, &a);

	if (r != 0) {
		snprintf(err, errlen, r == 1 ? "agent inconnu « %s »" : "lecture de l'agent « %s »",
		    d->agent);
		return -1;
	}
	if (agent_inactive(&a, err, errlen))
		return -1;
	if (directory_find_structure(dir, d->structure) == NULL) {
		snprintf(err, errlen, "structure inconnue « %s »", d->structure);
		return -1;
	}
	if (strcmp(a.structure, d->structure) != 0) {
		snprintf(err, errlen, "l'agent %s est rattaché à %s : il ne peut pas saisir de"
		    " dossier pour %s", a.id, a.structure, d->structure);
		return -1;
	}
	if (!directory_partner_known(dir, d->partner)) {
		snprintf(err, errlen, "partenaire inconnu « %s »", d->partner);
		return -1;
	}
	if (directory_find_topic(dir, d->partner, d->topic) == NULL) {
		directory_topic_unknown(dir, d->partner, d->topic, err, errlen);
		return -1;
	}
	return 0;
}

/* Every rung-0 recipient must have a usable pinned key. */
static int
check_keys(struct instance *in, const struct directory *dir, const struct dir_rung *rung,
    struct pinned_key *keys, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < rung->n; i++) {
		const struct dir_entry *e = &dir->entries[rung->idx[i]];
		int r = store_key_get(in->st, e->email_lc, &keys[i]);

		if (r != 0) {
			snprintf(err, errlen, "%s : aucune clé épinglée pour %s (fsrelay referents"
			    " key)", directory_partner_label(dir, e->partner), e->email);
			return -1;
		}
		if (keys[i].compromised_at != 0) {
			snprintf(err, errlen, "%s : la clé de %s est déclarée compromise ; épinglez"
			    " une nouvelle clé", directory_partner_label(dir, e->partner), e->email);
			return -1;
		}
	}
	return 0;
}

static int64_t
user_deadline(struct instance *in, const struct intake *it)
{
	int64_t start = in->now, due = 0;
	int y, m, d;

	if (it->person.sollicite_le[0] &&
	    cal_parse_date(it->person.sollicite_le, &y, &m, &d) == 0)
		(void)cal_paris_midnight(y, m, d, &start);
	/* The structure's calendar: closures, Whit Monday setting. */
	if (tick_user_due(&in->cfg, start, &due) < 0)
		return 0;
	return due;
}

static int
queue_deliveries(struct instance *in, const struct directory *dir,
    const struct dir_rung *rung, const struct pinned_key *keys, struct case_row *c,
    int64_t msg_id)
{
	size_t i;

	for (i = 0; i < rung->n; i++) {
		const struct dir_entry *e = &dir->entries[rung->idx[i]];
		struct delivery_row d;

		memset(&d, 0, sizeof(d));
		d.case_id = c->id;
		d.message_id = msg_id;
		d.rung = 0;
		fs_strlcpy(d.recipient, e->email, sizeof(d.recipient));
		fs_strlcpy(d.recipient_lc, e->email_lc, sizeof(d.recipient_lc));
		fs_strlcpy(d.key_recipient, keys[i].recipient, sizeof(d.key_recipient));
		fs_strlcpy(d.key_fingerprint, keys[i].fingerprint, sizeof(d.key_fingerprint));
		memcpy(d.blind_index, c->blind_index, sizeof(d.blind_index));
		fs_strlcpy(d.state, "pending", sizeof(d.state));
		d.next_attempt_at = in->now;
		if (store_delivery_insert(in->st, &d) < 0)
			return -1;
	}
	return 0;
}

static int
store_case(struct instance *in, const struct directory *dir, const struct dir_rung *rung,
    const struct pinned_key *keys, const struct intake *it, struct case_row *c, char *err,
    size_t errlen)
{
	const struct desk_intake *d = it->in;
	const struct dir_structure *s = directory_find_structure(dir, d->structure);
	static const struct pieces no_pieces;
	struct message_row msg;
	struct buf person, wrapped;
	uint8_t *dek = vault_key_new();
	struct cal_tm paris;
	const char **to = xcalloc(rung->n + 1, sizeof(*to));
	long seq;
	size_t i;
	int r = -1, scan;

	buf_init(&person, 4096);
	buf_init(&wrapped, 256);
	memset(&msg, 0, sizeof(msg));
	if (dek == NULL || cal_to_paris(in->now, &paris) < 0 || store_begin(in->st) < 0)
		goto fail;
	if (store_next_seq(in->st, s->insee, paris.year, &seq) < 0 ||
	    case_ref_format(c->ref, s->insee, paris.year, seq) < 0)
		goto fail;
	fs_strlcpy(c->structure, d->structure, sizeof(c->structure));
	fs_strlcpy(c->partner, d->partner, sizeof(c->partner));
	fs_strlcpy(c->topic, d->topic, sizeof(c->topic));
	fs_strlcpy(c->agent, d->agent, sizeof(c->agent));
	fs_strlcpy(c->state, case_state_name(LIFECYCLE_INITIAL), sizeof(c->state));
	c->created_at = in->now;
	c->user_due_at = user_deadline(in, it);
	token_reply(c->reply_token, in->hmac_key, c->ref);
	if (blindindex_compute(c->blind_index, in->index_key, it->person.nom,
	    it->person.prenom, it->person.ne_le) < 0) {
		snprintf(err, errlen, "nom, prénom ou date de naissance inexploitables");
		store_rollback(in->st);
		goto out;
	}
	/* The mail that would leave, scanned before anything is stored. */
	for (i = 0; i < rung->n; i++)
		to[i] = dir->entries[rung->idx[i]].email;
	if ((scan = outbox_scan_intake(in, c, &it->person, d->description,
	    d->description_len, to, rung->n, err, errlen)) != 0) {
		store_rollback(in->st);
		goto out;
	}
	if (store_case_insert(in->st, c) < 0 ||
	    vault_wrap_key(&wrapped, in->kek, in->kek_id, c->id, dek) < 0 ||
	    store_case_key_put(in->st, c->id, in->kek_id, wrapped.p, wrapped.len) < 0 ||
	    person_encode(&person, &it->person) < 0 ||
	    sealed_put(in, dek, "cases", "person", c->id, person.p, person.len) < 0 ||
	    sealed_put(in, dek, "cases", "description", c->id, d->description,
	    d->description_len) < 0)
		goto fail;
	msg.case_id = c->id;
	fs_strlcpy(msg.kind, "case", sizeof(msg.kind));
	fs_strlcpy(msg.direction, "out", sizeof(msg.direction));
	fs_strlcpy(msg.sender, in->cfg.relay_address, sizeof(msg.sender));
	for (i = 0; i < rung->n; i++) {
		if (i)
			fs_strlcat(msg.recipients, " ", sizeof(msg.recipients));
		fs_strlcat(msg.recipients, dir->entries[rung->idx[i]].email, sizeof(msg.recipients));
	}
	msg.at = in->now;
	if (store_message_insert(in->st, &msg) < 0 ||
	    sealed_put(in, dek, "messages", "text", msg.id, d->description,
	    d->description_len) < 0 ||
	    pieces_seal(in, dek, c->id, msg.id, d->pieces ? d->pieces : &no_pieces) < 0 ||
	    queue_deliveries(in, dir, rung, keys, c, msg.id) < 0 ||
	    store_event(in->st, in->now, d->agent, "case.queued", c->ref, "ok") < 0)
		goto fail;
	/* Accepted: its mail is built now, in the same transaction (one
	 * commit per escalate), so that the daemon only sends it. */
	(void)outbox_prepare_in(in, c->id, "escalate");
	if (store_commit(in->st) < 0)
		goto fail;
	r = 0;
	goto out;
fail:
	snprintf(err, errlen, "enregistrement du dossier impossible : %s", store_errmsg(in->st));
	store_rollback(in->st);
out:
	free(to);
	vault_key_free(dek);
	buf_free(&person);
	buf_free(&wrapped);
	return r;
}

/* A mail the SMTP server would refuse for its size is not accepted
 * (relay/outbox: outbox_size_intake): 0 fits, 1 refused with err. */
static int
check_size(struct instance *in, const struct desk_intake *d, char *err, size_t errlen)
{
	size_t n = d->pieces ? d->pieces->n : 0, *len = xcalloc(n + 1, sizeof(*len)), i;
	int r;

	for (i = 0; i < n; i++)
		len[i] = d->pieces->data[i].len;
	r = outbox_size_intake(in, outbox_mail_estimate(d->description_len, len, n), err,
	    errlen);
	free(len);
	return r;
}

/* The partner, topic and structure as a person typed them, in the
 * directory's form (directory_id_fold: "CAF" is "caf"); one byte longer
 * than an id can be, so that a longer text stays unknown. */
struct typed_ids {
	char	structure[DIR_ID_MAX + 2], partner[DIR_ID_MAX + 2], topic[DIR_ID_MAX + 2];
};

static void
typed_ids_fold(struct typed_ids *t, const char *structure, const char *partner,
    const char *topic)
{
	directory_id_fold(t->structure, sizeof(t->structure), structure);
	directory_id_fold(t->partner, sizeof(t->partner), partner);
	directory_id_fold(t->topic, sizeof(t->topic), topic);
}

int
desk_routable(struct instance *in, const char *structure, const char *partner,
    const char *topic, char *err, size_t errlen)
{
	const struct directory *dir;
	struct dir_ladder ladder = { NULL, 0 };
	struct pinned_key *keys;
	struct typed_ids t;
	int r;

	typed_ids_fold(&t, structure, partner, topic);
	if ((dir = instance_directory(in, err, errlen)) == NULL)
		return -1;
	if (directory_route(dir, t.partner, t.topic, t.structure, &ladder, err, errlen) < 0)
		return -1;
	keys = xcalloc(ladder.rungs[0].n, sizeof(*keys));
	r = check_keys(in, dir, &ladder.rungs[0], keys, err, errlen);
	free(keys);
	dir_ladder_free(&ladder);
	return r;
}

int
desk_escalate(struct instance *in, const struct desk_intake *typed,
    char ref[CASE_REF_LEN + 1], char *err, size_t errlen)
{
	struct desk_intake folded = *typed, *d = &folded;
	struct typed_ids t;
	struct intake it;
	const struct directory *dir;
	struct dir_ladder ladder = { NULL, 0 };
	struct pinned_key *keys = NULL;
	struct case_row c;
	int r = -1;

	ref[0] = '\0';
	memset(&c, 0, sizeof(c));
	/* Identifiers typed by a person are found whatever their case. */
	if (typed->structure && typed->partner && typed->topic) {
		typed_ids_fold(&t, typed->structure, typed->partner, typed->topic);
		folded.structure = t.structure;
		folded.partner = t.partner;
		folded.topic = t.topic;
	}
	if (take_intake(&it, d, err, errlen) < 0)
		goto wipe;
	if ((dir = instance_directory(in, err, errlen)) == NULL)
		goto wipe;
	if (check_parties(in, dir, d, err, errlen) < 0 ||
	    check_mandate(&it, in->now, err, errlen) < 0 ||
	    directory_route(dir, d->partner, d->topic, d->structure, &ladder, err,
	    errlen) < 0)
		goto out;
	keys = xcalloc(ladder.rungs[0].n, sizeof(*keys));
	if (check_keys(in, dir, &ladder.rungs[0], keys, err, errlen) < 0 ||
	    check_size(in, d, err, errlen) != 0 ||
	    store_case(in, dir, &ladder.rungs[0], keys, &it, &c, err, errlen) < 0)
		goto out;
	fs_strlcpy(ref, c.ref, CASE_REF_LEN + 1);
	r = 0;
out:
	free(keys);
	dir_ladder_free(&ladder);
wipe:
	sodium_memzero(&it.person, sizeof(it.person));
	return r;
}

/* ---- send -------------------------------------------------------------- */

static int
followup_store(struct instance *in, struct case_row *c, const char *text, size_t len,
    const struct pieces *p, const char *actor, char *err, size_t errlen)
{
	static const struct pieces no_pieces;
	struct message_row msg;
	struct delivery_row *d = NULL;
	uint8_t *dek;
	size_t n = 0, i;
	int queued, r = -1;

	if ((dek = sealed_case_key(in, c->id, err, errlen)) == NULL)
		return -1;
	memset(&msg, 0, sizeof(msg));
	msg.case_id = c->id;
	fs_strlcpy(msg.kind, "follow-up", sizeof(msg.kind));
	fs_strlcpy(msg.direction, "out", sizeof(msg.direction));
	fs_strlcpy(msg.sender, in->cfg.relay_address, sizeof(msg.sender));
	msg.at = in->now;
	if (store_begin(in->st) < 0 || store_delivery_list(in->st, c->id, &d, &n) < 0)
		goto fail;
	for (i = 0; i < n; i++)
		if (d[i].rung == c->rung && !strstr(msg.recipients, d[i].recipient)) {
			if (msg.recipients[0])
				fs_strlcat(msg.recipients, " ", sizeof(msg.recipients));
			fs_strlcat(msg.recipients, d[i].recipient, sizeof(msg.recipients));
		}
	if (store_message_insert(in->st, &msg) < 0 ||
	    sealed_put(in, dek, "messages", "text", msg.id, text, len) < 0)
		goto fail;
	if (pieces_seal(in, dek, c->id, msg.id, p ? p : &no_pieces) < 0)
		goto fail;
	if ((queued = outbox_queue_rung(in, c, c->rung, msg.id)) < 0)
		goto fail;
	if (queued == 0) {
		snprintf(err, errlen, "aucun destinataire de l'échelon %d n'a de clé utilisable",
		    c->rung);
		store_rollback(in->st);
		goto out;
	}
	if (case_step(in->st, c, LC_FOLLOW_UP, in->now, NULL) != LC_APPLY ||
	    store_event(in->st, in->now, actor, "case.follow-up", c->ref, c->state) < 0 ||
	    store_commit(in->st) < 0)
		goto fail;
	r = 0;
	goto out;
fail:
	snprintf(err, errlen, "enregistrement impossible : %s", store_errmsg(in->st));
	store_rollback(in->st);
out:
	free(d);
	vault_key_free(dek);
	return r;
}

int
desk_send(struct instance *in, const char *ref, const char *agent, const char *text,
    size_t len, const struct pieces *p, char *err, size_t errlen)
{
	struct case_row c;
	char why[768];
	unsigned scope = CASE_SCOPE_ALL;

	/* The text and pieces alone first: as the CLI always did, before the
	 * case is looked at. */
	if (check_text("texte", NULL, text, len, why, sizeof(why)) < 0 ||
	    pieces_check(p, NULL, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "refusé : %s", why);
		return -1;
	}
	if (case_for(in, ref, agent, LC_FOLLOW_UP, &c, err, errlen) < 0)
		return -1;
	if (outbox_mandate_valid(in, &c, why, sizeof(why)) < 0 ||
	    outbox_mandate_scope(in, &c, &scope, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s : refusé : %s", c.ref, why);
		return -1;
	}
	/* The data the mandate authorises, at sending time too. */
	if (p && p->n > 0 && !(scope & CASE_SCOPE_DOCUMENTS)) {
		snprintf(err, errlen, "%s : refusé : --piece : les pièces sont hors du périmètre"
		    " du mandat (« documents »)", c.ref);
		return -1;
	}
	if (!(scope & CASE_SCOPE_NIR) && text && case_find_nir(text, len)) {
		snprintf(err, errlen, "%s : refusé : texte : un NIR est hors du périmètre du"
		    " mandat (« nir »)", c.ref);
		return -1;
	}
	if (check_text("texte", c.partner, text, len, why, sizeof(why)) < 0 ||
	    pieces_check(p, c.partner, why, sizeof(why)) < 0 ||
	    followup_store(in, &c, text, len, p, ACTOR(agent), why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s : refusé : %s", c.ref, why);
		return -1;
	}
	(void)outbox_prepare(in, c.id, "send");
	return 0;
}

/* ---- reroute, close, cancel -------------------------------------------- */

int
desk_reroute(struct instance *in, const char *ref, const char *agent, const char *motif,
    int *rung, int *queued, char *err, size_t errlen)
{
	struct case_row c;
	char why[768];
	int q;

	if (check_line("motif", motif, 0, err, errlen) < 0 ||
	    case_for(in, ref, agent, LC_REROUTE, &c, err, errlen) < 0)
		return -1;
	if (outbox_mandate_valid(in, &c, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s : refusé : %s", c.ref, why);
		return -1;
	}
	if (store_begin(in->st) < 0 || stop_pending(in, &c, c.rung, "dossier réacheminé") < 0 ||
	    (q = inbox_next_rung(in, &c, ACTOR(agent), "by hand")) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(in->st));
		store_rollback(in->st);
		return -1;
	}
	if (q == 0) {
		store_rollback(in->st);
		snprintf(err, errlen, "%s : pas d'échelon suivant (échelon %d : le dernier de"
		    " l'annuaire, ou aucune clé épinglée)", c.ref, c.rung);
		return -1;
	}
	if (case_step(in->st, &c, LC_REROUTE, in->now, NULL) != LC_APPLY ||
	    store_commit(in->st) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(in->st));
		store_rollback(in->st);
		return -1;
	}
	if (rung)
		*rung = c.rung + 1;
	if (queued)
		*queued = q;
	(void)outbox_prepare(in, c.id, "reroute");
	return 0;
}

int
desk_close(struct instance *in, const char *ref, const char *agent, const char *resolution,
    char *err, size_t errlen)
{
	struct case_row c;

	if (check_line("resolution", resolution, 1, err, errlen) < 0 ||
	    case_for(in, ref, agent, LC_CLOSE, &c, err, errlen) < 0)
		return -1;
	if (store_begin(in->st) < 0 || stop_pending(in, &c, -1, "dossier clos") < 0 ||
	    case_step(in->st, &c, LC_CLOSE, in->now, NULL) != LC_APPLY ||
	    store_event(in->st, in->now, ACTOR(agent), "case.resolved", c.ref, "closed") < 0 ||
	    store_commit(in->st) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(in->st));
		store_rollback(in->st);
		return -1;
	}
	return 0;
}

/*
 * Inside the caller's transaction: stop what is pending, cancel, shred and
 * commit, with the two events.  One sequence for cancel and mandate
 * revoke, so that a withdrawn mandate destroys exactly what cancel does.
 */
static int
cancel_shred_commit(struct instance *in, struct case_row *c, const char *agent,
    const char *why, const char *cancelled, const char *shredded)
{
	struct lc_step st;

	if (stop_pending(in, c, -1, why) < 0 ||
	    case_step(in->st, c, LC_CANCEL, in->now, NULL) != LC_APPLY ||
	    store_event(in->st, in->now, ACTOR(agent), "case.cancelled", c->ref, cancelled) < 0 ||
	    case_may(c, LC_SHRED, &st) != LC_APPLY ||
	    store_case_shred(in->st, c->id, in->now) < 0 ||
	    store_event(in->st, in->now, "relay", "case.shredded", c->ref, shredded) < 0)
		return -1;
	return store_commit(in->st);
}

/* After the commit: deleted pages must leave the WAL too (1: deferred,
 * retried by serve). */
static int
cancel_purge_wal(struct instance *in, char *err, size_t errlen)
{
	if (purge_wal(in) != 0) {
		snprintf(err, errlen, "%s", PURGE_WAL_DEFERRED);
		return 1;
	}
	return 0;
}

int
desk_cancel(struct instance *in, const char *ref, const char *agent, const char *motif,
    char *err, size_t errlen)
{
	struct case_row c;
	struct lc_step st;

	if (check_line("motif", motif, 1, err, errlen) < 0 ||
	    find_case(in, ref, agent, 0, &c, err, errlen) < 0)
		return -1;
	if (case_may(&c, LC_CANCEL, &st) == LC_REFUSE) {
		snprintf(err, errlen, "%s : %s", c.ref, st.why);
		return -1;
	}
	if (store_begin(in->st) < 0 ||
	    cancel_shred_commit(in, &c, agent, "dossier annulé", "ok", "ok") < 0) {
		snprintf(err, errlen, "%s : %s", c.ref, store_errmsg(in->st));
		store_rollback(in->st);
		return -1;
	}
	return cancel_purge_wal(in, err, errlen);
}

/* ---- mandate revoke ---------------------------------------------------- */

/* One notice per referent address that received c (sent_at set), once. */
static int
revoke_notices(struct instance *in, const struct case_row *c, size_t *told)
{
	struct delivery_row *d = NULL;
	char once[384], *subject, *body;
	size_t n = 0, i, j;
	int r = 0, seen;

	*told = 0;
	if (store_delivery_list(in->st, c->id, &d, &n) < 0)
		return -1;
	subject = xasprintf("[%s] Mandat retiré : merci de détruire votre copie du dossier",
	    c->ref);
	body = xasprintf("Bonjour,\n\nLa personne concernée par le dossier %s a retiré le"
	    " mandat qu'elle avait donné à France Services pour cette démarche (convention"
	    " France Services, annexe 7).\n\nMerci de détruire toute copie de ce dossier que"
	    " vous détenez : le fichier chiffré reçu, ses pièces, vos notes et vos réponses"
	    " enregistrées, et de ne plus le traiter au titre de ce mandat.  Le relais a"
	    " annulé et détruit le dossier de son côté.\n\n-- \nRelais sécurisé fsrelay\n",
	    c->ref);
	for (i = 0; i < n && r == 0; i++) {
		if (d[i].sent_at == 0)
			continue;
		for (j = 0, seen = 0; j < i; j++)
			seen |= d[j].sent_at != 0 && strcmp(d[j].recipient_lc, d[i].recipient_lc) == 0;
		if (seen)
			continue;
		snprintf(once, sizeof(once), "revoke:%s:%s", c->ref, d[i].recipient_lc);
		if ((r = outbox_notice(in, "mandate-revoked", d[i].recipient, c->ref, subject, body,
		    once)) == 0)
			(*told)++;
	}
	free(subject);
	free(body);
	free(d);
	return r;
}

int
desk_mandate_revoke(struct instance *in, const char *ref, const char *agent,
    const char *motif, size_t *told, char *err, size_t errlen)
{
	struct case_row c;
	struct lc_step st;
	char outcome[48];

	*told = 0;
	if (check_line("motif", motif, 1, err, errlen) < 0 ||
	    find_case(in, ref, agent, 0, &c, err, errlen) < 0)
		return -1;
	if (case_may(&c, LC_CANCEL, &st) == LC_REFUSE) {
		snprintf(err, errlen, "%s : %s", c.ref, st.why);
		return -1;
	}
	if (store_begin(in->st) < 0) {
		snprintf(err, errlen, "%s : %s", c.ref, store_errmsg(in->st));
		return -1;
	}
	if (revoke_notices(in, &c, told) == 0)
		snprintf(outcome, sizeof(outcome), "%zu référent(s) prévenu(s)", *told);
	else
		outcome[0] = '\0';
	if (outcome[0] == '\0' ||
	    store_event(in->st, in->now, ACTOR(agent), "case.mandate_revoked", c.ref,
	    outcome) < 0 ||
	    cancel_shred_commit(in, &c, agent, "mandat retiré", "mandat retiré",
	    "mandate revoked") < 0) {
		snprintf(err, errlen, "%s : %s", c.ref, store_errmsg(in->st));
		store_rollback(in->st);
		*told = 0;
		return -1;
	}
	return cancel_purge_wal(in, err, errlen);
}

/* ---- wait, resume ------------------------------------------------------ */

int
desk_wait(struct instance *in, const char *ref, const char *agent, char *err,
    size_t errlen)
{
	struct case_row c;
	char why[768];

	if (find_case(in, ref, agent, 0, &c, err, errlen) < 0)
		return -1;
	if (tick_wait(in, &c, ACTOR(agent), why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s : %s", c.ref, why);
		return -1;
	}
	return 0;
}

int
desk_resume(struct instance *in, const char *ref, const char *agent, struct case_row *after,
    int64_t *paused, char *err, size_t errlen)
{
	struct case_row c;
	char why[768];
	int64_t shift = 0;

	if (find_case(in, ref, agent, 0, &c, err, errlen) < 0)
		return -1;
	if (tick_resume(in, &c, ACTOR(agent), &shift, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s : %s", c.ref, why);
		return -1;
	}
	if (paused)
		*paused = shift;
	if (after && store_case_get(in->st, c.ref, after) != 0) {
		snprintf(err, errlen, "%s", store_errmsg(in->st));
		return -1;
	}
	return 0;
}

/* ---- show -------------------------------------------------------------- */

int
desk_recipients(struct instance *in, const struct case_row *c, struct delivery_row **list,
    size_t *n, char *err, size_t errlen)
{
	struct delivery_row *d = NULL;
	size_t nd = 0, i, k = 0;

	*list = NULL;
	*n = 0;
	if (store_delivery_list(in->st, c->id, &d, &nd) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(in->st));
		return -1;
	}
	for (i = 0; i < nd; i++)
		if (d[i].rung == c->rung)
			d[k++] = d[i];
	*list = d;
	*n = k;
	return 0;
}

static int
load_attachments(struct instance *in, const uint8_t *dek, struct desk_message *m)
{
	struct document_row *d = NULL;
	size_t n = 0, i;
	int r = 0;

	if (store_document_list(in->st, m->row.case_id, m->row.id, &d, &n) < 0)
		return -1;
	m->att = xcalloc(n + 1, sizeof(*m->att));
	for (i = 0; i < n && r == 0; i++) {
		struct buf name;

		buf_init(&name, 4096);
		if (sealed_get(in, dek, "documents", "name", d[i].id, &name, 4096) != 0)
			r = -1;
		else {
			struct desk_attachment *a = &m->att[m->n_att++];

			a->id = d[i].id;
			a->name = xstrdup(name.p ? name.p : "");
			a->size = d[i].size;
			fs_strlcpy(a->sha256, d[i].sha256, sizeof(a->sha256));
		}
		buf_free(&name);
	}
	free(d);
	return r;
}

/* A sealed text column of a message into *out (NUL-terminated; NULL when
 * the column is empty).  0 / -1 when it does not open. */
static int
load_text(struct instance *in, const uint8_t *dek, const char *column, int64_t id,
    char **out, size_t *len)
{
	struct buf text;
	int r;

	buf_init(&text, 64 * 1024 * 1024);
	r = sealed_get(in, dek, "messages", column, id, &text, 64 * 1024 * 1024);
	if (r == 0) {
		*out = xmalloc(text.len + 1);
		if (text.len)
			memcpy(*out, text.p, text.len);
		(*out)[text.len] = '\0';
		*len = text.len;
	}
	buf_free(&text);
	return r < 0 ? -1 : 0;
}

static int
load_message(struct instance *in, const uint8_t *dek, const struct message_row *row,
    struct desk_message *m)
{

	m->row = *row;
	if (load_text(in, dek, "text", row->id, &m->text, &m->text_len) < 0 ||
	    load_text(in, dek, "full_text", row->id, &m->full_text, &m->full_len) < 0)
		return -1;
	return load_attachments(in, dek, m);
}

int
desk_show(struct instance *in, const char *ref, const char *agent, struct desk_view *v,
    char *err, size_t errlen)
{
	struct message_row *msgs = NULL;
	struct buf person;
	char why[512];
	uint8_t *dek = NULL;
	size_t n = 0, i;
	int r = -1;

	memset(v, 0, sizeof(*v));
	if (desk_case(in, ref, agent, &v->c, err, errlen) < 0)
		return -1;
	if ((dek = sealed_case_key(in, v->c.id, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s : %s", v->c.ref, why);
		return -1;
	}
	buf_init(&person, 8192);
	if (sealed_get(in, dek, "cases", "person", v->c.id, &person, 8192) != 0 ||
	    person_decode(&v->person, person.p, person.len) < 0) {
		snprintf(err, errlen, "%s : données de la personne illisibles (altérées ?)",
		    v->c.ref);
		goto out;
	}
	if (store_message_list(in->st, v->c.id, &msgs, &n) < 0 ||
	    desk_recipients(in, &v->c, &v->rcpt, &v->n_rcpt, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s : %s", v->c.ref, store_errmsg(in->st));
		goto out;
	}
	v->msg = xcalloc(n + 1, sizeof(*v->msg));
	for (i = 0; i < n; i++) {
		v->n_msg++;
		if (load_message(in, dek, &msgs[i], &v->msg[i]) < 0) {
			snprintf(err, errlen, "%s : message illisible (données altérées ?)",
			    v->c.ref);
			goto out;
		}
	}
	/* The reading is recorded before anything is shown. */
	if (store_event(in->st, in->now, ACTOR(agent), "case.viewed", v->c.ref, "ok") < 0) {
		snprintf(err, errlen, "journal d'audit : %s", store_errmsg(in->st));
		goto out;
	}
	r = 0;
out:
	if (person.p)
		sodium_memzero(person.p, person.len);
	buf_free(&person);
	free(msgs);
	vault_key_free(dek);
	return r;
}

void
desk_view_free(struct desk_view *v)
{
	size_t i, j;

	for (i = 0; i < v->n_msg; i++) {
		struct desk_message *m = &v->msg[i];

		if (m->text) {
			sodium_memzero(m->text, m->text_len);
			free(m->text);
		}
		if (m->full_text) {
			sodium_memzero(m->full_text, m->full_len);
			free(m->full_text);
		}
		for (j = 0; j < m->n_att; j++)
			free(m->att[j].name);
		free(m->att);
	}
	free(v->msg);
	free(v->rcpt);
	sodium_memzero(&v->person, sizeof(v->person));
	memset(v, 0, sizeof(*v));
}

int
desk_attachments(struct instance *in, const struct case_row *c,
    int (*cb)(void *arg, const struct document_row *d, const char *name,
    const void *data, size_t len), void *arg, char *err, size_t errlen)
{
	struct document_row *d = NULL;
	uint8_t *dek;
	size_t n = 0, i;
	int r = 0;

	if ((dek = sealed_case_key(in, c->id, err, errlen)) == NULL)
		return -1;
	if (store_document_list(in->st, c->id, 0, &d, &n) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(in->st));
		r = -1;
	}
	for (i = 0; i < n && r == 0; i++) {
		struct buf name, data;

		buf_init(&name, 4096);
		buf_init(&data, 64 * 1024 * 1024);
		if (sealed_get(in, dek, "documents", "name", d[i].id, &name, 4096) != 0 ||
		    sealed_get(in, dek, "documents", "content", d[i].id, &data,
		    64 * 1024 * 1024) != 0) {
			snprintf(err, errlen, "pièce jointe illisible (données altérées ?)");
			r = -1;
		} else
			r = cb(arg, &d[i], name.p ? name.p : "", data.p, data.len);
		if (name.p)
			sodium_memzero(name.p, name.len);
		if (data.p)
			sodium_memzero(data.p, data.len);
		buf_free(&name);
		buf_free(&data);
	}
	free(d);
	vault_key_free(dek);
	return r;
}

int
desk_piece(struct instance *in, const char *ref, const char *agent, int64_t doc_id,
    struct buf *name, struct buf *data, char *err, size_t errlen)
{
	struct document_row *d = NULL;
	struct case_row c;
	char why[512];
	uint8_t *dek = NULL;
	size_t n = 0, i;
	int r = -1;

	if (desk_case(in, ref, agent, &c, err, errlen) < 0)
		return -1;
	if (store_document_list(in->st, c.id, 0, &d, &n) < 0) {
		snprintf(err, errlen, "%s : %s", c.ref, store_errmsg(in->st));
		return -1;
	}
	for (i = 0; i < n && d[i].id != doc_id; i++)
		;
	if (i == n) {
		snprintf(err, errlen, "%s : pièce jointe inconnue", c.ref);
		goto out;
	}
	if ((dek = sealed_case_key(in, c.id, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s : %s", c.ref, why);
		goto out;
	}
	if (sealed_get(in, dek, "documents", "name", doc_id, name, 4096) != 0 ||
	    sealed_get(in, dek, "documents", "content", doc_id, data, 64 * 1024 * 1024) != 0) {
		snprintf(err, errlen, "%s : pièce jointe illisible (données altérées ?)", c.ref);
		goto out;
	}
	buf_append(name, "", 0);
	/* The reading is recorded before anything is handed out. */
	if (store_event(in->st, in->now, ACTOR(agent), "case.viewed", c.ref, "pièce jointe") < 0) {
		snprintf(err, errlen, "journal d'audit : %s", store_errmsg(in->st));
		goto out;
	}
	r = 0;
out:
	free(d);
	vault_key_free(dek);
	return r;
}

/* ---- list -------------------------------------------------------------- */

const char *
desk_state_label(const char *state)
{
	const char *label = case_state_label(case_state_of(state));

	return label ? label : state;
}

/* Does c have a deadline before limit?  Open cases only: the referent's
 * while it is awaited, the agent's until the case is closed. */
static int
due_before(const struct case_row *c, int64_t limit)
{
	enum case_state s = case_state_of(c->state);
	int referent = lifecycle_referent_open(s);
	int user = lifecycle_live(s);

	return (referent && c->due_at && c->due_at < limit) ||
	    (user && c->user_due_at && c->user_due_at < limit);
}

int
desk_list(struct instance *in, const struct desk_filter *f, struct case_row **out,
    size_t *nout, char *err, size_t errlen)
{
	int by_person = f->nom || f->prenom || f->ne_le;
	const char *ne_le = f->ne_le && f->ne_le[0] ? f->ne_le : NULL;
	uint8_t bi[BLINDINDEX_BYTES];
	struct case_row *list = NULL;
	struct agent who;
	enum case_state s;
	size_t n = 0, i, k = 0;
	int y, m, d, r = -1;

	*out = NULL;
	*nout = 0;
	if (f->state && case_state_parse(f->state, &s) < 0) {
		snprintf(err, errlen, "état inconnu « %s »", f->state);
		return DESK_EINPUT;
	}
	if (by_person && (f->nom == NULL || f->prenom == NULL)) {
		snprintf(err, errlen, "--nom et --prenom vont ensemble");
		return DESK_EINPUT;
	}
	if (by_person && ne_le && cal_parse_date(ne_le, &y, &m, &d) < 0) {
		snprintf(err, errlen, "--ne-le : date invalide (AAAA-MM-JJ)");
		return DESK_EINPUT;
	}
	/* --overdue reads the due-time index, not every case (issue 15). */
	if ((f->overdue ? store_case_overdue(in->st, in->now, f->agent, &list, &n) :
	    store_case_list(in->st, f->agent, &list, &n)) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(in->st));
		return -1;
	}
	if (by_person && blindindex_compute(bi, in->index_key, f->nom, f->prenom,
	    ne_le ? ne_le : "") < 0) {
		snprintf(err, errlen, "--nom, --prenom : nom inexploitable (texte UTF-8, au moins"
		    " une lettre)");
		r = DESK_EINPUT;
		goto out;
	}
	/* The actor of the audit event: an agent that exists, or the CLI. */
	if (by_person && f->agent && store_agent_get(in->st, f->agent, &who) != 0) {
		snprintf(err, errlen, "refusé : agent inconnu « %.64s »", f->agent);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (f->state && case_state_of(list[i].state) != s)
			continue;
		if (f->overdue && !tick_case_overdue(list[i].state, list[i].overdue,
		    list[i].due_at, in->now))
			continue;
		if (f->due_before && !due_before(&list[i], f->due_before))
			continue;
		if (by_person && sodium_memcmp(list[i].blind_index, bi, sizeof(bi)) != 0)
			continue;
		list[k++] = list[i];
	}
	/* Who looked for a person is in the audit log; the name is not. */
	if (by_person) {
		char outcome[32];

		snprintf(outcome, sizeof(outcome), "%zu case(s)", k);
		if (store_event(in->st, in->now, ACTOR(f->agent), "person.lookup", NULL,
		    outcome) < 0) {
			snprintf(err, errlen, "journal d'audit : %s", store_errmsg(in->st));
			goto out;
		}
	}
	*out = list;
	*nout = k;
	list = NULL;
	r = 0;
out:
	sodium_memzero(bi, sizeof(bi));
	free(list);
	return r;
}

int
desk_list_page(struct instance *in, const struct desk_filter *f, size_t offset, size_t max,
    struct case_row **out, size_t *nout, size_t *total, char *err, size_t errlen)
{
	struct case_key *keys = NULL;
	struct case_row *list = NULL;
	enum case_state s = CASE_QUEUED;
	size_t n = 0, i, k = 0;
	int g, r = -1;

	*out = NULL;
	*nout = 0;
	*total = 0;
	if (f->agent == NULL || f->nom || f->prenom || f->ne_le || f->due_before) {
		snprintf(err, errlen, "liste par page : un agent, un état et le retard seulement");
		return DESK_EINPUT;
	}
	if (f->state && case_state_parse(f->state, &s) < 0) {
		snprintf(err, errlen, "état inconnu « %s »", f->state);
		return DESK_EINPUT;
	}
	if (store_case_keys(in->st, f->agent, &keys, &n) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(in->st));
		return -1;
	}
	/* the same filters as desk_list, on the keys */
	for (i = 0; i < n; i++) {
		if (f->state && case_state_of(keys[i].state) != s)
			continue;
		if (f->overdue && !tick_case_overdue(keys[i].state, keys[i].overdue,
		    keys[i].due_at, in->now))
			continue;
		keys[k++] = keys[i];
	}
	tick_sort_keys_by_urgency(keys, k, in->now);
	*total = k;
	if (offset < k && max > 0) {
		size_t m = k - offset < max ? k - offset : max;

		list = xcalloc(m, sizeof(*list));
		for (i = 0; i < m; i++) {
			/* a case shredded since the keys were read is left out */
			g = store_case_get_by_id(in->st, keys[offset + i].id, &list[*nout]);
			if (g < 0) {
				snprintf(err, errlen, "%s", store_errmsg(in->st));
				free(list);
				*nout = 0;
				goto out;
			}
			if (g == 0)
				(*nout)++;
		}
	}
	*out = list;
	r = 0;
out:
	free(keys);
	return r;
}

/* ---- quarantine -------------------------------------------------------- */

int
desk_quarantine_scope(struct instance *in, const char *agent, enum desk_qscope *sc)
{
	struct agent a;
	enum role r = ROLE_AGENT;
	int g;

	*sc = DESK_Q_ALL;
	if (agent == NULL)
		return 0;
	*sc = DESK_Q_NONE;
	if ((g = store_agent_get(in->st, agent, &a)) != 0)
		return g == 1 ? 0 : -1;
	(void)account_role_parse(a.role, &r);
	/* the DPO and the administrator see no case: the mails that name
	 * none are theirs; the DPO reads them (a breach may hide there), the
	 * administrator sees their metadata only */
	*sc = r == ROLE_DPO ? DESK_Q_NO_CASE : r == ROLE_ADMIN ? DESK_Q_NO_CASE_META :
	    DESK_Q_STRUCTURE;
	return 0;
}

/* Is the held mail q visible to agent: its keys point to a case of the
 * agent's structure; for the DPO and the administrator, it names no case
 * (NULL: the CLI, every mail).  1 / 0 / -1 store. */
static int
quarantine_visible(struct instance *in, const struct quarantine_row *q, const char *agent)
{
	struct agent a;
	struct case_row c;
	enum desk_qscope sc;
	int r;

	if (desk_quarantine_scope(in, agent, &sc) < 0)
		return -1;
	switch (sc) {
	case DESK_Q_ALL:
		return 1;
	case DESK_Q_NONE:
		return 0;
	case DESK_Q_NO_CASE:
	case DESK_Q_NO_CASE_META:
		return q->case_hint[0] == '\0';
	case DESK_Q_STRUCTURE:
		break;
	}
	if (q->case_hint[0] == '\0')
		return 0;
	if ((r = store_agent_get(in->st, agent, &a)) != 0)
		return r == 1 ? 0 : -1;
	if ((r = store_case_get(in->st, q->case_hint, &c)) != 0)
		return r == 1 ? 0 : -1;
	return strcmp(a.structure, c.structure) == 0;
}

/* What agent may do with a mail it sees: read it (not the
 * administrator), assign it (only an agent of the case's structure, or
 * the CLI), reject it (not the administrator).  0; -1 with the reason. */
static int
quarantine_may(struct instance *in, const char *agent, int assign, char *err, size_t errlen)
{
	enum desk_qscope sc;

	if (desk_quarantine_scope(in, agent, &sc) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(in->st));
		return -1;
	}
	if (sc == DESK_Q_NO_CASE_META) {
		snprintf(err, errlen, "refusé : l'administrateur ne voit que les métadonnées des"
		    " courriels");
		return -1;
	}
	if (assign && sc == DESK_Q_NO_CASE) {
		snprintf(err, errlen, "refusé : le DPO ne voit aucun dossier ; rejetez le"
		    " courriel ou laissez un agent de la structure le rattacher");
		return -1;
	}
	return 0;
}

int
desk_quarantine_summary(struct instance *in, const struct quarantine_row *q,
    const char *agent, char **from, char **subject, char *err, size_t errlen)
{
	char *mid = NULL;

	*from = *subject = NULL;
	if (quarantine_may(in, agent, 0, err, errlen) < 0)
		return -1;
	if (inbox_quarantine_meta(in, q->id, q->raw_id, &mid, from, subject, err, errlen) < 0)
		return -1;
	free(mid);
	return 0;
}

int
desk_quarantine_get(struct instance *in, const char *id_s, const char *agent,
    struct quarantine_row *q, char *err, size_t errlen)
{
	long id;
	int r;

	if (id_s == NULL || fs_parse_long(id_s, 1, 2147483647L, &id) < 0) {
		snprintf(err, errlen, "numéro invalide « %.20s » (entier positif attendu)",
		    id_s ? id_s : "");
		return -1;
	}
	if ((r = store_quarantine_get(in->st, id, q)) == 0 &&
	    (r = quarantine_visible(in, q, agent)) == 1)
		return 0;
	/* not the agent's: the same answer as a number that does not exist */
	snprintf(err, errlen, "%s", r >= 0 ? "numéro de quarantaine inconnu" :
	    store_errmsg(in->st));
	return -1;
}

int
desk_quarantine_list(struct instance *in, const char *agent, struct quarantine_row **list,
    size_t *n, char *err, size_t errlen)
{
	size_t i, k = 0;
	int v;

	if (store_quarantine_list(in->st, list, n) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(in->st));
		return -1;
	}
	for (i = 0; i < *n; i++) {
		if ((v = quarantine_visible(in, &(*list)[i], agent)) < 0) {
			snprintf(err, errlen, "%s", store_errmsg(in->st));
			free(*list);
			*list = NULL;
			*n = 0;
			return -1;
		}
		if (v)
			(*list)[k++] = (*list)[i];
	}
	*n = k;
	return 0;
}

int
desk_quarantine_mail(struct instance *in, const struct quarantine_row *q,
    struct parsed_mail *m, char *err, size_t errlen)
{
	struct buf raw;
	char why[768];
	int r;

	buf_init(&raw, MIME_MSG_MAX);
	r = inbox_raw_content(in, q->raw_id, &raw, err, errlen);
	if (r == 1)
		snprintf(err, errlen, "contenu effacé (courriel %s)", q->state);
	if (r != 0) {
		buf_free(&raw);
		return -1;
	}
	if (inbox_parse_contained(raw.p, raw.len, m, why, sizeof(why)) < 0) {
		memset(m, 0, sizeof(*m));
		m->from = xstrdup("");
		m->subject = xstrdup("");
		m->text = xasprintf("(courriel illisible : %s ; joint tel quel)", why);
		m->text_len = strlen(m->text);
		m->att = xcalloc(1, sizeof(*m->att));
		m->att[0].name = xstrdup("courriel.eml");
		m->att[0].type = xstrdup("message/rfc822");
		m->att[0].data = xmalloc(raw.len ? raw.len : 1);
		memcpy(m->att[0].data, raw.p, raw.len);
		m->att[0].len = raw.len;
		m->n_att = 1;
	} else
		(void)inbox_open_age(in, m, why, sizeof(why));
	buf_free(&raw);
	return 0;
}

int
desk_quarantine_show(struct instance *in, const struct quarantine_row *q, const char *agent,
    struct parsed_mail *m, char *err, size_t errlen)
{
	if (desk_quarantine_mail(in, q, m, err, errlen) < 0)
		return -1;
	if (store_event(in->st, in->now, ACTOR(agent), "quarantine.viewed", NULL, "ok") < 0) {
		snprintf(err, errlen, "journal d'audit : %s", store_errmsg(in->st));
		mime_free(m);
		memset(m, 0, sizeof(*m));
		return -1;
	}
	return 0;
}

int
desk_quarantine_read(struct instance *in, const char *id, const char *agent,
    struct quarantine_row *q, struct parsed_mail *m, char *err, size_t errlen)
{
	char why[768];

	memset(m, 0, sizeof(*m));
	if (desk_quarantine_get(in, id, agent, q, err, errlen) < 0 ||
	    quarantine_may(in, agent, 0, err, errlen) < 0)
		return -1;
	/* The reading is recorded before anything is shown. */
	if (desk_quarantine_show(in, q, agent, m, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%lld : %s", (long long)q->id, why);
		return -1;
	}
	return 0;
}

const char *
desk_quarantine_reason_label(const char *reason)
{
	static const struct { const char *reason, *label; } labels[] = {
		{ "stranger", "expéditeur inconnu du dossier" },
		{ "conflicting-keys", "clés désignant des dossiers différents" },
		{ "no-case", "aucun dossier désigné" },
		{ "case-closed", "dossier clos ou détruit" },
		{ "dmarc-fail", "authentification DMARC en échec" },
		{ "malformed", "courriel mal formé" },
		{ "loop", "boucle de messagerie" },
		{ "dsn-unmatched", "avis de non-remise sans envoi correspondant" },
		{ "unverified", "expéditeur à vérifier (clé et adresse en désaccord)" },
		{ "dsn-implausible", "avis de non-remise venu d'un serveur étranger à l'envoi" },
	};
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(labels); i++)
		if (strcmp(labels[i].reason, reason) == 0)
			return labels[i].label;
	return reason;
}

/* The mail id, still held. */
static int
quarantine_held(struct instance *in, const char *id, const char *agent,
    struct quarantine_row *q, char *err, size_t errlen)
{
	if (desk_quarantine_get(in, id, agent, q, err, errlen) < 0)
		return -1;
	if (strcmp(q->state, "held") != 0) {
		snprintf(err, errlen, "%lld : courriel déjà %s", (long long)q->id,
		    strcmp(q->state, "assigned") == 0 ? "rattaché" : "rejeté");
		return -1;
	}
	return 0;
}

int
desk_quarantine_assign(struct instance *in, const char *id, const char *ref,
    const char *agent, char *err, size_t errlen)
{
	struct quarantine_row q;
	struct parsed_mail m;
	struct case_row c;
	struct lc_step st;
	char why[768];
	int r = -1, g;

	memset(&m, 0, sizeof(m));
	if (ref == NULL || !case_ref_valid(ref)) {
		snprintf(err, errlen, "référence invalide « %.40s »", ref ? ref : "");
		return -1;
	}
	if (quarantine_held(in, id, agent, &q, err, errlen) < 0 ||
	    quarantine_may(in, agent, 1, err, errlen) < 0)
		return -1;
	/* another structure's case: the same answer as a case that does not
	 * exist */
	if (agent != NULL && desk_case(in, ref, agent, &c, err, errlen) < 0) {
		snprintf(err, errlen, "%s : dossier inconnu", ref);
		return -1;
	}
	if ((g = store_case_get(in->st, ref, &c)) != 0 || case_may(&c, LC_REPLY, &st) ==
	    LC_REFUSE) {
		snprintf(err, errlen, "%s : %s", ref, g == 1 ? "dossier inconnu" :
		    g < 0 ? store_errmsg(in->st) : st.why);
		return -1;
	}
	if (desk_quarantine_mail(in, &q, &m, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%lld : %s", (long long)q.id, why);
		goto out;
	}
	why[0] = '\0';
	if (store_begin(in->st) < 0 ||
	    inbox_attach(in, &c, &m, "reply", 1, NULL, why, sizeof(why)) < 0 ||
	    inbox_reply_effects(in, &c, q.raw_id) < 0 ||
	    store_quarantine_decide(in->st, q.id, "assigned", in->now, c.ref) < 0 ||
	    store_raw_set_blob(in->st, q.raw_id, "content", NULL, 0) < 0 ||
	    store_event(in->st, in->now, ACTOR(agent), "quarantine.assigned", c.ref,
	    q.reason) < 0 ||
	    store_commit(in->st) < 0) {
		snprintf(err, errlen, "%s", why[0] ? why : store_errmsg(in->st));
		store_rollback(in->st);
		goto out;
	}
	r = 0;
out:
	mime_free(&m);
	return r;
}

int
desk_quarantine_reject(struct instance *in, const char *id, const char *agent, char *err,
    size_t errlen)
{
	struct quarantine_row q;

	if (quarantine_held(in, id, agent, &q, err, errlen) < 0 ||
	    quarantine_may(in, agent, 0, err, errlen) < 0)
		return -1;
	if (store_begin(in->st) < 0 || inbox_raw_drop(in, q.raw_id, q.id) < 0 ||
	    store_quarantine_decide(in->st, q.id, "rejected", in->now, NULL) < 0 ||
	    store_event(in->st, in->now, ACTOR(agent), "quarantine.rejected",
	    q.case_hint[0] ? q.case_hint : NULL, q.reason) < 0 || store_commit(in->st) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(in->st));
		store_rollback(in->st);
		return -1;
	}
	if (purge_wal(in) != 0) {	/* retried by serve when deferred */
		snprintf(err, errlen, "%s", PURGE_WAL_DEFERRED);
		return 1;
	}
	return 0;
}
