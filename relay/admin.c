/*
 * admin - see admin.h.
 */
#include "relay/admin.h"
#include "relay/account.h"
#include "relay/age.h"
#include "relay/audit.h"
#include "relay/calendar.h"
#include "relay/case.h"
#include "relay/config.h"
#include "relay/deploy.h"
#include "relay/directory.h"
#include "relay/envelope.h"
#include "relay/instance.h"
#include "relay/port/store.h"
#include "relay/port/store_directory.h"
#include "relay/port/store_enrol.h"
#include "keys/keystore.h"

#include <stdarg.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
admin_status(struct instance *in, struct admin_status *s, char *err, size_t errlen)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	if (store_count(in->st, "deliveries.pending", &s->deliveries_pending) < 0 ||
	    store_count(in->st, "notices.pending", &s->notices_pending) < 0 ||
	    store_mark_get(in->st, "mailbox.last_poll", &s->last_mailbox_poll) < 0 ||
	    store_mark_get(in->st, "mailbox.login_refused_since",
	    &s->mailbox_login_refused_since) < 0 ||
	    store_mark_get(in->st, "submission.login_refused_since",
	    &s->submission_login_refused_since) < 0 ||
	    store_overdue_by_partner(in->st, in->now, &s->overdue, &s->n_overdue) < 0)
		goto fail;
	for (i = 0; i < CASE_STATE_COUNT; i++)
		if (store_count_cases_by_state(in->st, case_state_name(i), &s->cases[i]) < 0)
			goto fail;
	return 0;
fail:
	snprintf(err, errlen, "base : %s", store_errmsg(in->st));
	return -1;
}

void
admin_status_free(struct admin_status *s)
{
	free(s->overdue);
	s->overdue = NULL;
	s->n_overdue = 0;
}

static const char *const key_names[ADMIN_KEY_COUNT] = {
	[ADMIN_KEY_RELAY_IDENTITY] = "relay-identity",
	[ADMIN_KEY_SIGNING] = "signing",
	[ADMIN_KEY_AUDIT_LOG] = "audit-log",
};

const char *
admin_key_name(enum admin_key k)
{
	return (unsigned)k < ADMIN_KEY_COUNT ? key_names[k] : NULL;
}

int
admin_key_parse(const char *name, enum admin_key *k, char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < ADMIN_KEY_COUNT; i++)
		if (strcmp(name, key_names[i]) == 0) {
			*k = (enum admin_key)i;
			return 0;
		}
	snprintf(err, errlen, "clé inconnue « %s » (relay-identity, signing ou audit-log)",
	    name);
	return -1;
}

int
admin_public_key(struct instance *in, enum admin_key k, char *out, size_t outlen,
    char *err, size_t errlen)
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	uint8_t pk[32];

	switch (k) {
	case ADMIN_KEY_RELAY_IDENTITY:
		return instance_relay_recipient(in, out, outlen, err, errlen);
	case ADMIN_KEY_SIGNING:
		if (instance_public_key(in, KEYSTORE_SIGNING, pk, err, errlen) < 0)
			return -1;
		sodium_bin2base64(b64, sizeof(b64), pk, sizeof(pk),
		    sodium_base64_VARIANT_ORIGINAL);
		fs_strlcpy(out, b64, outlen);
		return 0;
	case ADMIN_KEY_AUDIT_LOG:
		return audit_vkey(in, out, outlen, err, errlen);
	case ADMIN_KEY_COUNT:
		break;
	}
	snprintf(err, errlen, "clé inconnue");
	return -1;
}

int
admin_signing_fingerprint(struct instance *in, char *out, size_t outlen, char *err,
    size_t errlen)
{
	char fp[KEY_FINGERPRINT_LEN];
	uint8_t pk[32];

	if (instance_public_key(in, KEYSTORE_SIGNING, pk, err, errlen) < 0)
		return -1;
	envelope_fingerprint(fp, pk);
	fs_strlcpy(out, fp, outlen);
	return 0;
}

/* Parse one of the three files into dir with its parser. */
static int
parse_csv(const struct admin_csv *f, struct directory *dir,
    int (*parse)(struct directory *, const char *, size_t, char *, size_t), char *err,
    size_t errlen)
{
	char detail[700];

	if (parse(dir, f->text, f->len, detail, sizeof(detail)) == 0)
		return 0;
	snprintf(err, errlen, "%s : %s", f->name, detail);
	return -1;
}

int
admin_directory_import(struct instance *in, const struct admin_csv *annex,
    const struct admin_csv *structures, const struct admin_csv *topics,
    struct buf *changes, size_t *entries, int *n_changes, char *err, size_t errlen)
{
	struct directory dir, old;
	char derr[512];
	int r = -1;

	*entries = 0;
	*n_changes = 0;
	directory_init(&dir);
	if (store_directory_load(in->st, &old, derr, sizeof(derr)) < 0) {
		snprintf(err, errlen, "lecture de l'annuaire en base : %s", derr);
		return -1;
	}
	/* Tables not given are kept from the store. */
	dir.structures = old.structures, dir.n_structures = old.n_structures;
	dir.topics = old.topics, dir.n_topics = old.n_topics;
	old.structures = NULL, old.n_structures = 0, old.topics = NULL, old.n_topics = 0;
	directory_free(&old);
	if ((structures->text && parse_csv(structures, &dir, directory_parse_structures, err,
	    errlen) < 0) || (topics->text && parse_csv(topics, &dir, directory_parse_topics,
	    err, errlen) < 0) || parse_csv(annex, &dir, directory_parse_entries, err,
	    errlen) < 0)
		goto out;
	if (dir.n_structures == 0 || dir.n_topics == 0) {
		snprintf(err, errlen, "structures ou motifs inconnus : donnez --structures et"
		    " --topics lors du premier import");
		goto out;
	}
	if (directory_validate(&dir, err, errlen) < 0)
		goto out;
	if (store_begin(in->st) < 0 ||
	    store_directory_replace(in->st, &dir, changes, n_changes) < 0 ||
	    store_event(in->st, in->now, "admin", "directory.imported", NULL,
	    *n_changes ? "changed" : "unchanged") < 0 || store_commit(in->st) < 0) {
		snprintf(err, errlen, "écriture de l'annuaire : %s", store_errmsg(in->st));
		store_rollback(in->st);
		goto out;
	}
	*entries = dir.n_entries;
	r = 0;
out:
	directory_free(&dir);
	return r;
}

/* ---- check ----------------------------------------------------------- */

void
admin_check_say(struct admin_check *c, int error, const char *fmt, ...)
{
	struct admin_check_line *l;
	va_list ap;

	c->v = xreallocarray(c->v, c->n + 1, sizeof(*c->v));
	l = &c->v[c->n++];
	l->error = error;
	va_start(ap, fmt);
	vsnprintf(l->text, sizeof(l->text), fmt, ap);
	va_end(ap);
	if (error)
		c->errors++;
	else
		c->warnings++;
}

void
admin_check_free(struct admin_check *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}

void
admin_tz_probes(int64_t now, int64_t out[ADMIN_TZ_PROBES])
{
	out[0] = now;
	out[1] = now + 182 * 86400LL;
	out[2] = now + 365 * 86400LL;
}

/* What the CNIL's notification form asks of the controller, and the
 * export of the breach register (breach export) prints from here. */
static void
check_cnil(const struct config *cfg, struct admin_check *c)
{
	const struct { const char *name; const char *v; } keys[] = {
		{ "organisation_name", cfg->organisation_name },
		{ "organisation_siren", cfg->organisation_siren },
		{ "organisation_address", cfg->organisation_address },
		{ "breach_contact_name", cfg->breach_contact_name },
		{ "breach_contact_phone", cfg->breach_contact_phone },
		{ "subcontractors", cfg->subcontractors },
		{ "cross_border", cfg->cross_border },
	};
	char missing[256] = "";
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(keys); i++)
		if (keys[i].v == NULL || keys[i].v[0] == '\0') {
			if (missing[0])
				fs_strlcat(missing, ", ", sizeof(missing));
			fs_strlcat(missing, keys[i].name, sizeof(missing));
		}
	if (missing[0])
		admin_check_say(c, 0, "notification à la CNIL incomplète : %s absent(s) ; la"
		    " fiche de « breach export » les dira « non renseigné »", missing);
}

static void
check_config(struct instance *in, const struct admin_check_facts *f, struct admin_check *c)
{
	if (in->cfg.test_clock)
		admin_check_say(c, 0, "test_clock = yes : FSRELAY_NOW peut fixer l'heure du"
		    " relais (réservé aux tests)");
	if (in->cfg.smtp_url == NULL || in->cfg.ca_file == NULL)
		admin_check_say(c, 0, "smtp_url ou ca_file absent : aucun envoi possible");
	else if (!f->ca_file_readable)
		admin_check_say(c, 1, "ca_file %s illisible", in->cfg.ca_file);
	if (in->cfg.dpo_address == NULL)
		admin_check_say(c, 0, "dpo_address absent : le délégué à la protection des"
		    " données ne recevra pas les alertes");
	check_cnil(&in->cfg, c);
}

static void
check_keys_modes(struct instance *in, struct admin_check *c)
{
	static const char *const files[] = { KEYSTORE_IDENTITY, KEYSTORE_SIGNING,
		KEYSTORE_AUDIT, KEYSTORE_KEK, KEYSTORE_INDEX, KEYSTORE_HMAC };
	char err[512];
	size_t i;

	if (keystore_check_mode(in->keys_dir, 1, err, sizeof(err)) < 0) {
		admin_check_say(c, 1, "%s", err);
		return;
	}
	for (i = 0; i < FS_ARRAY_LEN(files); i++) {
		char *p = xasprintf("%s/%s", in->keys_dir, files[i]);

		if (keystore_check_mode(p, 0, err, sizeof(err)) < 0)
			admin_check_say(c, 1, "%s", err);
		free(p);
	}
	if (in->cfg.smtp_password_file &&
	    keystore_check_mode(in->cfg.smtp_password_file, 0, err, sizeof(err)) < 0)
		admin_check_say(c, 1, "smtp_password_file : %s", err);
	if (in->cfg.imap_password_file &&
	    keystore_check_mode(in->cfg.imap_password_file, 0, err, sizeof(err)) < 0)
		admin_check_say(c, 1, "imap_password_file : %s", err);
}

static void
check_timezone(const struct admin_check_facts *f, struct admin_check *c)
{
	if (!f->tzdata)
		admin_check_say(c, 0, "tzdata absent : impossible de recouper le fuseau"
		    " Europe/Paris (le calcul interne reste utilisé)");
	else if (f->tz_mismatch)
		admin_check_say(c, 1, "fuseau Europe/Paris : le calcul interne diffère de"
		    " tzdata");
}

static int
dir_key_pinned(const char *email_lc, void *arg)
{
	struct pinned_key k;

	return store_key_get(arg, email_lc, &k) == 0 && k.compromised_at == 0;
}

static void
check_directory(struct instance *in, struct admin_check *c)
{
	struct directory dir;
	struct dir_coverage_counts counts = { 0, 0, 0 };
	struct buf report, lines;
	char derr[512], *p, *nl;

	if (store_directory_load(in->st, &dir, derr, sizeof(derr)) < 0) {
		admin_check_say(c, 1, "annuaire illisible : %s", derr);
		return;
	}
	if (dir.n_entries == 0)
		admin_check_say(c, 0, "annuaire vide : lancez « fsrelay referents import »");
	else {
		buf_init(&report, 16 * 1024 * 1024);
		(void)directory_coverage(&dir, dir_key_pinned, in->st, &report, &counts);
		if (counts.gaps)
			admin_check_say(c, 0, "annuaire : %zu lacune%s (détail : fsrelay"
			    " referents check)", counts.gaps, counts.gaps > 1 ? "s" : "");
		buf_free(&report);
		/* the partners' domains against their referents' */
		buf_init(&lines, 1024 * 1024);
		if (directory_domain_warnings(&dir, &in->cfg, &lines) > 0 && lines.p != NULL)
			for (p = lines.p; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
				*nl = '\0';
				admin_check_say(c, 0, "%s", p);
			}
		buf_free(&lines);
	}
	directory_free(&dir);
}

/* What serve last saw of the mailbox's and the submission server's
 * logins (check does not connect). */
static void
check_mail_login(struct instance *in, struct admin_check *c)
{
	static const char *const mark[2] = { "mailbox.login_refused_since",
		"submission.login_refused_since" };
	static const char *const what[2] = { "boîte du relais", "serveur d'envoi" };
	static const char *const keys[2] = { "imap_user, imap_password_file",
		"smtp_user, smtp_password_file" };
	char when[CAL_RFC3339_LEN];
	int64_t since = 0;
	int i;

	for (i = 0; i < 2; i++)
		if (store_mark_get(in->st, mark[i], &since) < 0)
			admin_check_say(c, 1, "base : %s", store_errmsg(in->st));
		else if (since > 0) {
			cal_format_rfc3339_utc(when, since);
			admin_check_say(c, 0, "%s : authentification refusée depuis %s (%s ;"
			    " serve réessaie)", what[i], when, keys[i]);
		}
}

static void
verdict(struct admin_check *c, enum deploy_verdict v, const char *why)
{
	if (v != DEPLOY_OK)
		admin_check_say(c, v == DEPLOY_ERROR, "%s", why);
}

/* The deployment (relay/deploy): modes and owners, account, unit, clock,
 * sandbox. */
static void
check_deployment(struct instance *in, const struct admin_check_facts *f,
    struct admin_check *c)
{
	static const char *const db[3] = { "fsrelay.db", "fsrelay.db-wal", "fsrelay.db-shm" };
	char why[512];
	size_t i;

	verdict(c, deploy_account(f->euid, why, sizeof(why)), why);
	if (f->config.present)
		verdict(c, deploy_config_file(f->config.mode, f->config.uid, f->euid, why,
		    sizeof(why)), why);
	if (f->config_dir.present)
		verdict(c, deploy_config_dir(f->config_dir.mode, why, sizeof(why)), why);
	if (!f->data_dir.present)
		admin_check_say(c, 1, "data_dir %s : %s", in->cfg.data_dir,
		    strerror(f->data_dir.err));
	else
		verdict(c, deploy_data_dir(f->data_dir.mode, f->data_dir.uid, f->euid, why,
		    sizeof(why)), why);
	for (i = 0; i < 3; i++)
		if (f->db[i].present)
			verdict(c, deploy_database(db[i], f->db[i].mode, f->db[i].uid, f->euid,
			    why, sizeof(why)), why);
	verdict(c, deploy_unit(f->unit_installed, why, sizeof(why)), why);
	verdict(c, deploy_clock(f->ntp, why, sizeof(why)), why);
	verdict(c, deploy_sandbox(f->sandbox_probe, f->sandbox_reason, f->landlock_abi, why,
	    sizeof(why)), why);
}

void
admin_check(struct instance *in, const struct admin_check_facts *f, struct admin_check *c)
{
	check_config(in, f, c);
	check_keys_modes(in, c);
	check_timezone(f, c);
	check_directory(in, c);
	check_mail_login(in, c);
	check_deployment(in, f, c);
}

/* ---- referents key, agents add ----------------------------------------- */

/* The name an event gives the actor: the account, or the CLI's service
 * account. */
static const char *
actor_name(const struct account *actor)
{
	return actor != NULL ? actor->id : "admin";
}

/* NULL (the CLI, run as the service account) or an account with right r. */
static int
actor_may(const struct account *actor, enum right r, char *err, size_t errlen)
{
	if (actor == NULL || account_may(actor, r))
		return 0;
	snprintf(err, errlen, "refusé : votre rôle ne permet pas cette action");
	return -1;
}

/*
 * What pinning k closes: the enrolment that proposed this very key becomes
 * pinned (key.enrolment-verified: the fingerprint was checked out of band),
 * and a different key it replaces is retired (key.retired, its
 * fingerprint): cases already sealed to it are not sealed again.
 */
static int
key_pin_enrolment(struct instance *in, const char *actor, const struct pinned_key *k,
    const struct pinned_key *old)
{
	char outcome[400];
	int n = 0;

	if (store_invitation_pin(in->st, k->email_lc, k->recipient, in->now, &n) < 0)
		return -1;
	snprintf(outcome, sizeof(outcome), "%s %s", k->email_lc, k->fingerprint);
	if (n > 0 && store_event(in->st, in->now, actor, "key.enrolment-verified", NULL,
	    outcome) < 0)
		return -1;
	if (old == NULL || strcmp(old->fingerprint, k->fingerprint) == 0)
		return 0;
	snprintf(outcome, sizeof(outcome), "%s %s", k->email_lc, old->fingerprint);
	return store_event(in->st, in->now, actor, "key.retired", NULL, outcome);
}

int
admin_key_fingerprint(const char *recipient, char *out, size_t outlen, char *err,
    size_t errlen)
{
	uint8_t pk[AGE_X25519_KEY_BYTES];
	char fp[sizeof(((struct pinned_key *)0)->fingerprint)];
	const char *why = NULL;

	if (age_recipient_parse(recipient, pk, &why) < 0) {
		snprintf(err, errlen, "clé age invalide : %s", why ? why : "?");
		return -1;
	}
	envelope_fingerprint(fp, pk);
	fs_strlcpy(out, fp, outlen);
	return 0;
}

int
admin_key_pin_by(struct instance *in, const struct account *actor, const char *address,
    const char *recipient, const char *verified_by, struct pinned_key *k, char *err,
    size_t errlen)
{
	const struct directory *dir;
	struct pinned_key old;
	uint8_t pk[AGE_X25519_KEY_BYTES];
	const char *why = NULL;
	size_t i;
	int known = 0, had;

	memset(k, 0, sizeof(*k));
	if (actor_may(actor, RIGHT_DIRECTORY, err, errlen) < 0)
		return -1;
	if (age_recipient_parse(recipient, pk, &why) < 0) {
		snprintf(err, errlen, "clé age invalide : %s", why ? why : "?");
		return -1;
	}
	/* who checked the fingerprint out of band: stored, so one line */
	if (case_field_check(verified_by, sizeof(k->verified_by) - 1, 1, &why) < 0) {
		snprintf(err, errlen, "vérifiée par : %s", why);
		return -1;
	}
	known = fs_strlcpy(k->email_lc, address, sizeof(k->email_lc)) < sizeof(k->email_lc) ?
	    0 : -1;		/* too long: in no directory */
	fs_ascii_lower(k->email_lc);
	if ((dir = instance_directory(in, err, errlen)) == NULL)
		return -1;
	for (i = 0; known == 0 && i < dir->n_entries; i++)
		known |= k->email_lc[0] != '\0' && strcmp(dir->entries[i].email_lc, k->email_lc) == 0;
	if (known != 1) {
		snprintf(err, errlen, "%.255s n'est pas une adresse de l'annuaire", address);
		return -1;
	}
	fs_strlcpy(k->recipient, recipient, sizeof(k->recipient));
	fs_strlcpy(k->verified_by, verified_by, sizeof(k->verified_by));
	envelope_fingerprint(k->fingerprint, pk);
	k->pinned_at = in->now;
	had = store_key_get(in->st, k->email_lc, &old);
	if (had == 0 && old.compromised_at != 0 && strcmp(old.fingerprint, k->fingerprint) == 0) {
		snprintf(err, errlen, "cette clé de %s est déclarée compromise : faites générer"
		    " une nouvelle clé au référent et épinglez-la", k->email_lc);
		return -1;
	}
	if (store_begin(in->st) < 0 || store_key_pin(in->st, k) < 0 ||
	    store_event(in->st, in->now, actor_name(actor),
	    had == 0 ? "key.replaced" : "key.pinned", NULL, k->fingerprint) < 0 ||
	    key_pin_enrolment(in, actor_name(actor), k, had == 0 ? &old : NULL) < 0 ||
	    store_commit(in->st) < 0) {
		store_rollback(in->st);
		snprintf(err, errlen, "écriture : %s", store_errmsg(in->st));
		return -1;
	}
	return 0;
}

int
admin_key_pin(struct instance *in, const char *address, const char *recipient,
    const char *verified_by, struct pinned_key *k, char *err, size_t errlen)
{
	return admin_key_pin_by(in, NULL, address, recipient, verified_by, k, err, errlen);
}

void
admin_referents_free(struct admin_referents *r)
{
	free(r->v);
	free(r->keys);
	free(r->invitations);
	memset(r, 0, sizeof(*r));
}

int
admin_referents(struct instance *in, const struct account *actor,
    struct admin_referents *out, char *err, size_t errlen)
{
	const struct directory *dir;
	size_t i;
	int g;

	memset(out, 0, sizeof(*out));
	if (actor_may(actor, RIGHT_DIRECTORY, err, errlen) < 0 ||
	    (dir = instance_directory(in, err, errlen)) == NULL)
		return -1;
	out->v = xcalloc(dir->n_entries ? dir->n_entries : 1, sizeof(*out->v));
	out->keys = xcalloc(dir->n_entries ? dir->n_entries : 1, sizeof(*out->keys));
	out->invitations = xcalloc(dir->n_entries ? dir->n_entries : 1,
	    sizeof(*out->invitations));
	for (i = 0; i < dir->n_entries; i++) {
		struct admin_referent *r = &out->v[out->n++];
		struct invitation_row *inv = &out->invitations[i];
		int h;

		r->e = &dir->entries[i];
		if (r->e->email_lc[0] == '\0')
			continue;
		if ((g = store_key_get(in->st, r->e->email_lc, &out->keys[i])) < 0 ||
		    (h = store_invitation_latest(in->st, r->e->email_lc, inv)) < 0) {
			snprintf(err, errlen, "base : %s", store_errmsg(in->st));
			admin_referents_free(out);
			return -1;
		}
		r->pinned = g == 0;
		r->k = g == 0 ? &out->keys[i] : NULL;
		r->enrolment = h == 0 && (strcmp(inv->state, INVITATION_SENT) == 0 ||
		    strcmp(inv->state, INVITATION_RECEIVED) == 0) ? inv : NULL;
	}
	return 0;
}

/* A key counts for the coverage when pinned and not declared compromised. */
static int
key_is_pinned(const char *email_lc, void *arg)
{
	struct pinned_key k;

	return store_key_get(arg, email_lc, &k) == 0 && k.compromised_at == 0;
}

int
admin_directory_check(struct instance *in, const struct account *actor, struct buf *report,
    struct dir_coverage_counts *counts, char *err, size_t errlen)
{
	const struct directory *dir;
	int gaps;

	if (actor_may(actor, RIGHT_DIRECTORY, err, errlen) < 0 ||
	    (dir = instance_directory(in, err, errlen)) == NULL)
		return -1;
	gaps = directory_coverage(dir, key_is_pinned, in->st, report, counts);
	if (gaps < 0) {
		snprintf(err, errlen, "rapport de couverture trop long");
		return -1;
	}
	return gaps;
}

/* The syntax of an agent id: it names the agent in events and URLs. */
static int
agent_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 64)
		return 0;
	for (; *id; id++)
		if (!((*id >= 'a' && *id <= 'z') || (*id >= '0' && *id <= '9') ||
		    *id == '.' || *id == '_' || *id == '-'))
			return 0;
	return 1;
}

/* Every field of a new agent; *field says which one is refused. */
static int
agent_check(const struct directory *dir, const struct agent *a,
    enum admin_agent_field *field, char *err, size_t errlen)
{
	const char *why;
	enum role r;

	if (!agent_id_valid(a->id)) {
		*field = ADMIN_AGENT_ID;
		snprintf(err, errlen, "identifiant invalide « %s » (lettres minuscules, chiffres,"
		    " « . », « _ » ou « - », 64 caractères au plus)", a->id);
		return -1;
	}
	if (case_field_check(a->name, CASE_FIELD_MAX, 1, &why) < 0) {
		*field = ADMIN_AGENT_NAME;
		snprintf(err, errlen, "nom : %s", why);
		return -1;
	}
	if (!dir_address_valid(a->email)) {
		*field = ADMIN_AGENT_EMAIL;
		snprintf(err, errlen, "adresse invalide « %s »", a->email);
		return -1;
	}
	if (account_role_parse(a->role, &r) < 0) {
		*field = ADMIN_AGENT_ROLE;
		snprintf(err, errlen, "rôle inconnu « %s » (agent, responsable, dpo ou admin)",
		    a->role);
		return -1;
	}
	if (directory_find_structure(dir, a->structure) == NULL) {
		*field = ADMIN_AGENT_STRUCTURE;
		snprintf(err, errlen, "structure inconnue « %s »", a->structure);
		return -1;
	}
	return 0;
}

int
admin_agent_add_by(struct instance *in, const struct account *actor, const struct agent *a,
    enum admin_agent_field *field, char *err, size_t errlen)
{
	const struct directory *dir;
	enum admin_agent_field f = ADMIN_AGENT_NONE;
	int r = -1;

	if (field == NULL)
		field = &f;
	*field = ADMIN_AGENT_NONE;
	if (actor_may(actor, RIGHT_ACCOUNTS, err, errlen) < 0 ||
	    (dir = instance_directory(in, err, errlen)) == NULL ||
	    agent_check(dir, a, field, err, errlen) < 0)
		return -1;
	if (store_begin(in->st) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(in->st));
		return -1;
	}
	r = store_agent_add(in->st, a, in->now);
	if (r == 0 && store_event(in->st, in->now, actor_name(actor), "agent.added", NULL,
	    a->id) == 0 && store_commit(in->st) == 0)
		return 0;
	store_rollback(in->st);
	if (r == 1) {
		*field = ADMIN_AGENT_ID;
		snprintf(err, errlen, "l'agent « %s » existe déjà", a->id);
	} else
		snprintf(err, errlen, "écriture : %s", store_errmsg(in->st));
	return -1;
}

int
admin_agent_add(struct instance *in, const struct agent *a, char *err, size_t errlen)
{
	return admin_agent_add_by(in, NULL, a, NULL, err, errlen);
}
