/*
 * cmd_case - the agent's subcommands: escalate, cases, show, cancel.
 *
 * escalate is the one door into the relay: every field is checked, the case
 * routed (design §4), then sealed and queued in one transaction, so a case
 * is either wholly accepted (its reference printed) or not at all.
 */
#include "adapters/cli/commands.h"
#include "relay/blindindex.h"
#include "relay/calendar.h"
#include "relay/case.h"
#include "adapters/cli/cli.h"
#include "relay/directory.h"
#include "relay/instance.h"
#include "relay/outbox.h"
#include "relay/pieces.h"
#include "relay/sealed.h"
#include "relay/tick.h"
#include "relay/token.h"
#include "relay/vault.h"
#include "adapters/store.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN 1024

/* Everything escalate was given, checked. */
struct intake {
	const char	*structure, *partner, *topic, *agent;
	struct person	 person;
	struct buf	 description;
	size_t		 n_pieces;
	const char	**piece_paths;
	struct pieces	 pieces;
	int		 mandate_y, mandate_m, mandate_d;
};

static const struct cli_cmd escalate_cmd = { "escalate",
	"escalate --structure S --partner P --topic T --agent A --nom N --prenom P\n"
	"         [--ne-le AAAA-MM-JJ] [--id-partenaire ID] [--sollicite-le AAAA-MM-JJ]\n"
	"         --mandat-signe-le AAAA-MM-JJ [--mandat-fichier F]\n"
	"         --description-file F [--piece F]...",
	"Transmet le dossier bloqué d'une personne au référent du partenaire.\n"
	"Le dossier est acheminé selon l'annuaire (échelon 0 du partenaire pour la\n"
	"structure et le motif), chiffré au repos, puis mis en file d'envoi : un\n"
	"message chiffré par destinataire.  La référence du dossier est écrite sur\n"
	"la sortie (FS-<INSEE>-<année>-<numéro>) ; elle ne contient aucune donnée\n"
	"personnelle.\n\n"
	"  --structure S         structure France Services de l'agent\n"
	"  --partner P           partenaire (caf, cpam, msa, dgfip, pole-emploi, cnav,\n"
	"                        laposte, prefecture, cdad)\n"
	"  --topic T             motif (voir topics.csv)\n"
	"  --agent A             identifiant de l'agent qui saisit\n"
	"  --nom, --prenom       identité de la personne\n"
	"  --ne-le               date de naissance\n"
	"  --id-partenaire       numéro chez le partenaire (allocataire, fiscal...)\n"
	"  --sollicite-le        date de la demande de la personne (départ du délai\n"
	"                        « répondre à l'usager » ; sinon aujourd'hui)\n"
	"  --mandat-signe-le     date de signature du mandat (valable un an)\n"
	"  --mandat-fichier F    copie signée du mandat : seule son empreinte est gardée\n"
	"  --description-file F  description de la situation (UTF-8, 64 Kio au plus)\n"
	"  --piece F             pièce jointe (10 Mio au plus, 20 Mio en tout)\n\n"
	"Refus (code 1, raison sur la sortie d'erreur) : agent, partenaire, motif ou\n"
	"structure inconnus ; structure qui n'est pas celle de l'agent ; aucun\n"
	"référent ; référent sans clé épinglée ; mandat futur ou expiré ; retour à\n"
	"la ligne ou caractère de contrôle dans un champ ; champ de plus de 200\n"
	"octets ; description vide, description, pièce ou total trop gros ; donnée\n"
	"de la personne qui apparaîtrait en clair dans le courriel (rien n'est\n"
	"alors enregistré).\n", 0, 0 };

static void
intake_free(struct intake *it)
{
	buf_free(&it->description);
	pieces_free(&it->pieces);
	sodium_memzero(&it->person, sizeof(it->person));
}

/* Check one flag's value into dst; -1 with a French reason in err. */
static int
take_field(const char *flag, const char *value, int required, char *dst, size_t dstlen,
    char *err)
{
	const char *why;

	if (value == NULL)
		value = "";
	if (case_field_check(value, CASE_FIELD_MAX, required, &why) < 0) {
		snprintf(err, ERRLEN, "--%s : %s", flag, why);
		return -1;
	}
	if (dst)
		fs_strlcpy(dst, value, dstlen);
	return 0;
}

static int
take_date(const char *flag, const char *value, char dst[11], int *y, int *m, int *d,
    char *err)
{
	int yy, mm, dd;

	if (value == NULL || *value == '\0') {
		dst[0] = '\0';
		return 0;
	}
	if (cal_parse_date(value, &yy, &mm, &dd) < 0) {
		snprintf(err, ERRLEN, "--%s : date invalide « %.20s » (attendu AAAA-MM-JJ)",
		    flag, value);
		return -1;
	}
	fs_strlcpy(dst, value, 11);
	if (y)
		*y = yy, *m = mm, *d = dd;
	return 0;
}

static int
take_mandate_file(const char *path, struct person *p, char *err)
{
	struct buf b;
	uint8_t h[crypto_hash_sha256_BYTES];

	if (path == NULL)
		return 0;
	if (pieces_read_file(path, &b, CASE_PIECE_MAX, "mandat", err, ERRLEN) < 0) {
		buf_free(&b);
		return -1;
	}
	crypto_hash_sha256(h, (const uint8_t *)b.p, b.len);
	fs_hex(p->mandat_sha256, h, sizeof(h));
	buf_free(&b);
	return 0;
}

static int
check_mandate(struct intake *it, int64_t now, char *err)
{
	struct cal_tm today;
	int r;

	if (cal_to_paris(now, &today) < 0) {
		snprintf(err, ERRLEN, "horloge hors limites");
		return -1;
	}
	r = case_mandate_check(it->mandate_y, it->mandate_m, it->mandate_d, today.year,
	    today.mon, today.mday);
	if (r == -1)
		snprintf(err, ERRLEN, "mandat signé le %s : date dans le futur",
		    it->person.mandat_signe_le);
	else if (r == -2)
		snprintf(err, ERRLEN, "mandat signé le %s : expiré (valable un an)",
		    it->person.mandat_signe_le);
	return r == 0 ? 0 : -1;
}

/* The agent exists, works for this structure; partner, topic, structure are
 * known to the directory. */
static int
check_parties(struct instance *in, const struct directory *dir, struct intake *it,
    char *err)
{
	struct agent a;
	int r = store_agent_get(in->st, it->agent, &a);

	if (r != 0) {
		snprintf(err, ERRLEN, r == 1 ? "agent inconnu « %s »" : "lecture de l'agent « %s »",
		    it->agent);
		return -1;
	}
	if (directory_find_structure(dir, it->structure) == NULL) {
		snprintf(err, ERRLEN, "structure inconnue « %s »", it->structure);
		return -1;
	}
	if (strcmp(a.structure, it->structure) != 0) {
		snprintf(err, ERRLEN, "l'agent %s est rattaché à %s : il ne peut pas saisir de"
		    " dossier pour %s", a.id, a.structure, it->structure);
		return -1;
	}
	if (!directory_partner_known(dir, it->partner)) {
		snprintf(err, ERRLEN, "partenaire inconnu « %s »", it->partner);
		return -1;
	}
	if (directory_find_topic(dir, it->partner, it->topic) == NULL) {
		snprintf(err, ERRLEN, "motif inconnu « %s » pour %s", it->topic,
		    directory_partner_label(dir, it->partner));
		return -1;
	}
	return 0;
}

/* Every rung-0 recipient must have a usable pinned key. */
static int
check_keys(struct instance *in, const struct directory *dir, const struct dir_rung *rung,
    struct pinned_key *keys, char *err)
{
	size_t i;

	for (i = 0; i < rung->n; i++) {
		const struct dir_entry *e = &dir->entries[rung->idx[i]];
		int r = store_key_get(in->st, e->email_lc, &keys[i]);

		if (r != 0) {
			snprintf(err, ERRLEN, "%s : aucune clé épinglée pour %s (fsrelay referents"
			    " key)", directory_partner_label(dir, e->partner), e->email);
			return -1;
		}
		if (keys[i].compromised_at != 0) {
			snprintf(err, ERRLEN, "%s : la clé de %s est déclarée compromise ; épinglez"
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
    const struct pinned_key *keys, struct intake *it, struct case_row *c, char *err)
{
	const struct dir_structure *s = directory_find_structure(dir, it->structure);
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
	fs_strlcpy(c->structure, it->structure, sizeof(c->structure));
	fs_strlcpy(c->partner, it->partner, sizeof(c->partner));
	fs_strlcpy(c->topic, it->topic, sizeof(c->topic));
	fs_strlcpy(c->agent, it->agent, sizeof(c->agent));
	fs_strlcpy(c->state, "queued", sizeof(c->state));
	c->created_at = in->now;
	c->user_due_at = user_deadline(in, it);
	token_reply(c->reply_token, in->hmac_key, c->ref);
	if (blindindex_compute(c->blind_index, in->index_key, it->person.nom,
	    it->person.prenom, it->person.ne_le) < 0) {
		snprintf(err, ERRLEN, "nom, prénom ou date de naissance inexploitables");
		store_rollback(in->st);
		goto out;
	}
	/* The mail that would leave, scanned before anything is stored. */
	for (i = 0; i < rung->n; i++)
		to[i] = dir->entries[rung->idx[i]].email;
	if ((scan = outbox_scan_intake(in, c, &it->person, it->description.p,
	    it->description.len, to, rung->n, err, ERRLEN)) != 0) {
		store_rollback(in->st);
		goto out;
	}
	if (store_case_insert(in->st, c) < 0 ||
	    vault_wrap_key(&wrapped, in->kek, in->kek_id, c->id, dek) < 0 ||
	    store_case_key_put(in->st, c->id, in->kek_id, wrapped.p, wrapped.len) < 0 ||
	    person_encode(&person, &it->person) < 0 ||
	    sealed_put(in, dek, "cases", "person", c->id, person.p, person.len) < 0 ||
	    sealed_put(in, dek, "cases", "description", c->id, it->description.p,
	    it->description.len) < 0)
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
	    sealed_put(in, dek, "messages", "text", msg.id, it->description.p,
	    it->description.len) < 0 ||
	    pieces_seal(in, dek, c->id, msg.id, &it->pieces) < 0 ||
	    queue_deliveries(in, dir, rung, keys, c, msg.id) < 0 ||
	    store_event(in->st, in->now, it->agent, "case.queued", c->ref, "ok") < 0 ||
	    store_commit(in->st) < 0)
		goto fail;
	r = 0;
	goto out;
fail:
	snprintf(err, ERRLEN, "enregistrement du dossier impossible : %s", store_errmsg(in->st));
	store_rollback(in->st);
out:
	free(to);
	vault_key_free(dek);
	buf_free(&person);
	buf_free(&wrapped);
	return r;
}

static int
route_and_store(struct instance *in, struct intake *it, char *err)
{
	struct directory dir;
	struct dir_ladder ladder = { NULL, 0 };
	struct pinned_key *keys = NULL;
	struct case_row c;
	int r = -1;

	memset(&c, 0, sizeof(c));
	if (store_directory_load(in->st, &dir) < 0) {
		snprintf(err, ERRLEN, "lecture de l'annuaire : %s", store_errmsg(in->st));
		return -1;
	}
	if (check_parties(in, &dir, it, err) < 0 || check_mandate(it, in->now, err) < 0 ||
	    directory_route(&dir, it->partner, it->topic, it->structure, &ladder, err,
	    ERRLEN) < 0)
		goto out;
	keys = xcalloc(ladder.rungs[0].n, sizeof(*keys));
	if (check_keys(in, &dir, &ladder.rungs[0], keys, err) < 0 ||
	    store_case(in, &dir, &ladder.rungs[0], keys, it, &c, err) < 0)
		goto out;
	printf("%s\n", c.ref);
	r = 0;
	/* Accepted: its mail is built now, so that the daemon only sends it. */
	(void)outbox_prepare(in, c.id, "escalate");
out:
	free(keys);
	dir_ladder_free(&ladder);
	directory_free(&dir);
	return r;
}

static int
take_intake(struct intake *it, const char *nom, const char *prenom, const char *ne_le,
    const char *idp, const char *sollicite, const char *mandat, const char *mandat_file,
    const char *description_file, char *err)
{
	const char *why;
	int y, m, d;

	if (take_field("structure", it->structure, 1, NULL, 0, err) < 0 ||
	    take_field("partner", it->partner, 1, NULL, 0, err) < 0 ||
	    take_field("topic", it->topic, 1, NULL, 0, err) < 0 ||
	    take_field("agent", it->agent, 1, NULL, 0, err) < 0 ||
	    take_field("nom", nom, 1, it->person.nom, sizeof(it->person.nom), err) < 0 ||
	    take_field("prenom", prenom, 1, it->person.prenom, sizeof(it->person.prenom), err) < 0 ||
	    take_field("id-partenaire", idp, 0, it->person.id_partenaire,
	    sizeof(it->person.id_partenaire), err) < 0 ||
	    take_date("ne-le", ne_le, it->person.ne_le, NULL, NULL, NULL, err) < 0 ||
	    take_date("sollicite-le", sollicite, it->person.sollicite_le, &y, &m, &d, err) < 0 ||
	    take_date("mandat-signe-le", mandat, it->person.mandat_signe_le, &it->mandate_y,
	    &it->mandate_m, &it->mandate_d, err) < 0 ||
	    take_mandate_file(mandat_file, &it->person, err) < 0)
		return -1;
	if (pieces_read_file(description_file, &it->description, CASE_DESCRIPTION_MAX,
	    "description", err, ERRLEN) < 0)
		return -1;
	if (case_description_check(it->description.p, it->description.len,
	    CASE_DESCRIPTION_MAX, &why) < 0) {
		snprintf(err, ERRLEN, "description : %s", why);
		return -1;
	}
	/* Minimisation by partner: the NIR only where it is used. */
	if (case_nir_check(it->partner, it->person.id_partenaire,
	    strlen(it->person.id_partenaire), &why) < 0) {
		snprintf(err, ERRLEN, "--id-partenaire : %s", why);
		return -1;
	}
	if (case_nir_check(it->partner, it->description.p, it->description.len, &why) < 0) {
		snprintf(err, ERRLEN, "description : %s", why);
		return -1;
	}
	if (pieces_read(&it->pieces, it->piece_paths, it->n_pieces, err, ERRLEN) < 0)
		return -1;
	return pieces_nir_check(&it->pieces, it->partner, err, ERRLEN);
}

int
cmd_escalate(int argc, char **argv)
{
	const char *nom = NULL, *prenom = NULL, *ne_le = NULL, *idp = NULL, *sollicite = NULL;
	const char *mandat = NULL, *mandat_file = NULL, *descr = NULL, **pos = NULL;
	struct intake it;
	const struct cli_opt opts[] = {
		{ "structure", &it.structure, NULL, NULL, NULL },
		{ "partner", &it.partner, NULL, NULL, NULL },
		{ "topic", &it.topic, NULL, NULL, NULL },
		{ "agent", &it.agent, NULL, NULL, NULL },
		{ "nom", &nom, NULL, NULL, NULL },
		{ "prenom", &prenom, NULL, NULL, NULL },
		{ "ne-le", &ne_le, NULL, NULL, NULL },
		{ "id-partenaire", &idp, NULL, NULL, NULL },
		{ "sollicite-le", &sollicite, NULL, NULL, NULL },
		{ "mandat-signe-le", &mandat, NULL, NULL, NULL },
		{ "mandat-fichier", &mandat_file, NULL, NULL, NULL },
		{ "description-file", &descr, NULL, NULL, NULL },
		{ "piece", NULL, NULL, &it.piece_paths, &it.n_pieces },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	char err[ERRLEN];
	int npos, r;

	memset(&it, 0, sizeof(it));
	memset(&in, 0, sizeof(in));
	buf_init(&it.description, CASE_DESCRIPTION_MAX);
	if ((r = cli_parse(&escalate_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (!it.structure || !it.partner || !it.topic || !it.agent || !nom || !prenom ||
	    !mandat || !descr) {
		r = cli_usage(&escalate_cmd, "--structure, --partner, --topic, --agent, --nom,"
		    " --prenom, --mandat-signe-le et --description-file sont obligatoires");
		goto out;
	}
	if (take_intake(&it, nom, prenom, ne_le, idp, sollicite, mandat, mandat_file, descr,
	    err) < 0 ||
	    instance_open(&in, cli_config_path, INST_STORE | INST_KEYS | INST_SIGNING, err,
	    sizeof(err)) < 0 ||
	    route_and_store(&in, &it, err) < 0)
		r = cli_fail("escalate : refusé : %s", err);
out:
	instance_close(&in);
	intake_free(&it);
	free(it.piece_paths);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}
