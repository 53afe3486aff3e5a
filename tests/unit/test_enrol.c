/*
 * test_enrol - a referent's enrolment (relay/enrol): the pure parts (the
 * invitation token found in a subject or a text, the one public key of a
 * reply, a secret key refused, the phone form of a fingerprint), then the
 * use cases on a real SQLite store: invite a directory address (the
 * invitation and its notice, the event), a reply ingested as a proposed
 * key only from the invited address and only once, never in
 * referent_keys; pinned after --verified-by (the invitation pinned, the
 * old key retired); a second invitation supersedes the first.
 */
#include "tests/unit/t.h"
#include "tests/unit/t_store.h"
#include "relay/admin.h"
#include "relay/age.h"
#include "relay/config.h"
#include "relay/enrol.h"
#include "relay/envelope.h"
#include "relay/port/mail.h"

#include <ctype.h>

#define T0	1772445600	/* 2026-03-02T10:00:00Z */
#define DJ	"djouara.bakouch@cafnanterre.cnafmail.fr"

static void
new_recipient(char rcpt[128])
{
	uint8_t sk[32], pk[32];

	if (age_keygen(sk, pk) < 0 || age_recipient_format(rcpt, 128, pk) < 0)
		abort();
}

static void
test_pure(void)
{
	char tok[INVITATION_TOKEN_LEN + 1], tok2[INVITATION_TOKEN_LEN + 1], r1[128], r2[128];
	char rcpt[128], text[1024], up[128], phone[ENROL_PHONE_LEN + 1];
	const char *why;
	size_t i;

	enrol_token_new(tok);
	CHECK_INT(strlen(tok), INVITATION_TOKEN_LEN);
	CHECK(strncmp(tok, "ins-", 4) == 0);
	enrol_token_new(tok2);
	CHECK(strcmp(tok, tok2) != 0);
	snprintf(text, sizeof(text), "Inscription au relais [%s]", tok);
	CHECK_INT(enrol_token_find(text, strlen(text), tok2), 0);
	CHECK_STR(tok2, tok);
	/* glued to a letter or a digit, one hex short or long: not a token */
	snprintf(text, sizeof(text), "xins-%s", tok + 4);
	CHECK_INT(enrol_token_find(text, strlen(text), tok2), -1);
	snprintf(text, sizeof(text), "[%s0]", tok);
	CHECK_INT(enrol_token_find(text, strlen(text), tok2), -1);
	snprintf(text, sizeof(text), "[%.*s]", INVITATION_TOKEN_LEN - 1, tok);
	CHECK_INT(enrol_token_find(text, strlen(text), tok2), -1);
	CHECK_INT(enrol_token_find("", 0, tok2), -1);

	new_recipient(r1);
	new_recipient(r2);
	snprintf(text, sizeof(text), "Clé publique du référent :\n\n%s\n\nInvitation : x\n", r1);
	CHECK_INT(enrol_key_find(text, strlen(text), rcpt, &why), 0);
	CHECK_STR(rcpt, r1);
	/* the same key twice (quoted back), or in capitals: one key */
	fs_strlcpy(up, r1, sizeof(up));
	for (i = 0; up[i]; i++)
		up[i] = (char)toupper((unsigned char)up[i]);
	snprintf(text, sizeof(text), "%s\n> %s\n", r1, up);
	CHECK_INT(enrol_key_find(text, strlen(text), rcpt, &why), 0);
	CHECK_STR(rcpt, r1);
	snprintf(text, sizeof(text), "%s\n%s\n", r1, r2);
	CHECK_INT(enrol_key_find(text, strlen(text), rcpt, &why), -1);
	CHECK_STR(why, "le message contient deux clés publiques différentes");
	CHECK_INT(enrol_key_find("Bonjour, voici ma clé.", 22, rcpt, &why), -1);
	CHECK_STR(why, "le message ne contient pas de clé publique age (age1…)");
	/* one character changed: the checksum fails */
	snprintf(text, sizeof(text), "%s\n", r1);
	text[20] = text[20] == 'q' ? 'p' : 'q';
	CHECK_INT(enrol_key_find(text, strlen(text), rcpt, &why), -1);
	CHECK_STR(why, "la clé publique du message est abîmée (somme de contrôle)");
	snprintf(text, sizeof(text), "%s\n# la mienne : AGE-SECRET-KEY-" "1QQQQ\n", r1);
	CHECK_INT(enrol_key_find(text, strlen(text), rcpt, &why), -1);
	CHECK(why != NULL && strstr(why, "clé privée") != NULL);

	enrol_phone_form("SHA256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
	    phone);
	CHECK_STR(phone, "0123 4567 89ab cdef 0123");
	enrol_phone_form("MD5:00", phone);
	CHECK_STR(phone, "");
}

static int
slurp(const char *path, struct buf *b)
{
	buf_init(b, 8 * 1024 * 1024);
	return buf_read_file(b, path);
}

static void
setup(struct instance *in)
{
	struct buf annex, structures, topics, changes;
	struct admin_csv fa = { "a", NULL, 0 }, fs = { "s", NULL, 0 }, ft = { "t", NULL, 0 };
	char err[1024];
	size_t entries;
	int n;

	t_store_open(in, "enrol", T0);
	if (config_parse(&in->cfg, "data_dir = d\nrelay_address = relais@fs.test\n",
	    t_store_dir, err, sizeof(err)) < 0)
		abort();
	if (slurp("config/annex6-hauts-de-seine.csv", &annex) < 0 ||
	    slurp("config/structures-hauts-de-seine.csv", &structures) < 0 ||
	    slurp("config/topics.csv", &topics) < 0)
		abort();
	fa.text = annex.p, fa.len = annex.len;
	fs.text = structures.p, fs.len = structures.len;
	ft.text = topics.p, ft.len = topics.len;
	buf_init(&changes, 1024 * 1024);
	if (admin_directory_import(in, &fa, &fs, &ft, &changes, &entries, &n, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	buf_free(&annex);
	buf_free(&structures);
	buf_free(&topics);
	buf_free(&changes);
}

/* A reply as the inbox hands it: sender, subject, text. */
static int
ingest(struct instance *in, const char *from, const char *subject, const char *text,
    char *why, size_t whylen)
{
	struct parsed_mail m;
	int r;

	memset(&m, 0, sizeof(m));
	m.from = xstrdup(from);
	m.subject = xstrdup(subject);
	m.text = xstrdup(text);
	m.text_len = strlen(text);
	r = enrol_ingest(in, &m, why, whylen);
	free(m.from);
	free(m.subject);
	free(m.text);
	return r;
}

static long
events(struct instance *in, const char *action)
{
	return t_store_count(in, "SELECT count(*) FROM events WHERE action = ?1", action);
}

static void
test_flow(void)
{
	struct instance in;
	struct invitation_row inv, inv2, got;
	struct pinned_key k;
	char err[1024], why[256], subject[128], text[512], r1[128], r2[128], old[128];
	uint8_t pk[32];
	const char *w;
	char fpr[KEY_FINGERPRINT_LEN];

	setup(&in);
	CHECK_INT(enrol_invite(&in, "inconnu@caf.fr", &inv, err, sizeof(err)), -1);
	CHECK_STR(err, "inconnu@caf.fr n'est pas une adresse de l'annuaire");
	CHECK_INT(enrol_invite(&in, "Djouara.Bakouch@CAFnanterre.cnafmail.fr", &inv, err,
	    sizeof(err)), 0);
	CHECK_STR(inv.email_lc, DJ);
	CHECK_STR(inv.state, INVITATION_SENT);
	CHECK_INT(t_store_count(&in, "SELECT count(*) FROM notices WHERE kind = 'invitation'"
	    " AND recipient = ?1 AND case_ref = '' AND state = 'pending'", DJ), 1);
	CHECK_INT(t_store_count(&in, "SELECT count(*) FROM notices WHERE body LIKE"
	    " '%ouvrir-le-dossier.html%' AND once_key = 'invitation:' || ?1", inv.token), 1);
	CHECK_INT(events(&in, "key.invited"), 1);
	CHECK_INT(enrol_latest(&in, DJ, &got, err, sizeof(err)), 0);
	CHECK_STR(got.token, inv.token);

	new_recipient(r1);
	snprintf(subject, sizeof(subject), "Inscription au relais [%s]", inv.token);
	snprintf(text, sizeof(text), "Clé publique du référent :\n\n%s\n", r1);
	/* no token: not an enrolment, the inbox goes on */
	CHECK_INT(ingest(&in, DJ, "Question", text, why, sizeof(why)), 0);
	/* an unknown token, another sender: refused, recorded, nothing kept */
	CHECK_INT(ingest(&in, DJ, "Inscription [ins-00000000000000000000]", text, why,
	    sizeof(why)), 2);
	CHECK_STR(why, "jeton d'invitation inconnu");
	CHECK_INT(ingest(&in, "pirate@exemple.fr", subject, text, why, sizeof(why)), 2);
	CHECK_STR(why, "l'expéditeur n'est pas l'adresse invitée");
	CHECK_INT(events(&in, "key.enrolment-refused"), 2);
	/* expired */
	in.now = T0 + (int64_t)ENROL_VALID_DAYS * 86400 + 1;
	CHECK_INT(ingest(&in, DJ, subject, text, why, sizeof(why)), 2);
	CHECK_STR(why, "invitation expirée");
	in.now = T0 + 3600;
	/* the reply: a proposed key, not a pinned one */
	CHECK_INT(ingest(&in, DJ, subject, text, why, sizeof(why)), 1);
	CHECK_INT(enrol_latest(&in, DJ, &got, err, sizeof(err)), 0);
	CHECK_STR(got.state, INVITATION_RECEIVED);
	CHECK_STR(got.recipient, r1);
	CHECK_INT(age_recipient_parse(r1, pk, &w), 0);
	envelope_fingerprint(fpr, pk);
	CHECK_STR(got.fingerprint, fpr);
	CHECK_INT(got.received_at, T0 + 3600);
	CHECK_INT(events(&in, "key.enrolment-received"), 1);
	CHECK_INT(store_key_get(in.st, DJ, &k), 1);
	/* a second reply to the same invitation (another key) is refused */
	new_recipient(r2);
	snprintf(text, sizeof(text), "%s\n", r2);
	CHECK_INT(ingest(&in, DJ, subject, text, why, sizeof(why)), 2);
	CHECK_STR(why, "une clé a déjà été reçue pour cette invitation");
	CHECK_INT(enrol_latest(&in, DJ, &got, err, sizeof(err)), 0);
	CHECK_STR(got.recipient, r1);

	/* pinned after the phone check: the invitation is closed */
	CHECK_INT(admin_key_pin(&in, DJ, r1, "Claire Admin", &k, err, sizeof(err)), 0);
	CHECK_INT(enrol_latest(&in, DJ, &got, err, sizeof(err)), 0);
	CHECK_STR(got.state, INVITATION_PINNED);
	CHECK_INT(events(&in, "key.enrolment-verified"), 1);
	CHECK_INT(events(&in, "key.retired"), 0);
	fs_strlcpy(old, k.fingerprint, sizeof(old));

	/* re-enrolment (lost key): a new invitation, an earlier open one superseded */
	CHECK_INT(enrol_invite(&in, DJ, &inv, err, sizeof(err)), 0);
	CHECK_INT(enrol_invite(&in, DJ, &inv2, err, sizeof(err)), 0);
	CHECK_INT(store_invitation_by_token(in.st, inv.token, &got), 0);
	CHECK_STR(got.state, INVITATION_SUPERSEDED);
	snprintf(subject, sizeof(subject), "Inscription au relais [%s]", inv.token);
	CHECK_INT(ingest(&in, DJ, subject, text, why, sizeof(why)), 2);
	CHECK_STR(why, "invitation remplacée par une plus récente");
	/* the token may sit in the text alone (a client that rewrote the subject) */
	snprintf(text, sizeof(text), "%s\nInvitation : %s\n", r2, inv2.token);
	CHECK_INT(ingest(&in, DJ, "Re: votre invitation", text, why, sizeof(why)), 1);
	/* until pinned, the old key stays the one used */
	CHECK_INT(store_key_get(in.st, DJ, &k), 0);
	CHECK_STR(k.recipient, r1);
	CHECK_INT(admin_key_pin(&in, DJ, r2, "Claire Admin", &k, err, sizeof(err)), 0);
	CHECK_INT(events(&in, "key.retired"), 1);
	CHECK_INT(t_store_count(&in, "SELECT count(*) FROM events WHERE action = 'key.retired'"
	    " AND outcome = '" DJ " ' || ?1", old), 1);
	CHECK_INT(store_key_get(in.st, DJ, &k), 0);
	CHECK_STR(k.recipient, r2);
	t_store_close(&in);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_pure();
	test_flow();
	return t_done();
}
