/*
 * enrol - see enrol.h.  What a reply proves is only that someone who
 * could send as the invited address and read the invitation holds the key
 * it carries: enough to show it to the administrator, never enough to
 * encrypt to it.  The phone check is the proof; admin_key_pin records it.
 */
#include "relay/enrol.h"
#include "relay/age.h"
#include "relay/directory.h"
#include "relay/envelope.h"
#include "relay/instance.h"
#include "relay/outbox.h"
#include "relay/port/mail.h"
#include "relay/port/random.h"
#include "relay/port/store.h"
#include "relay/port/store_enrol.h"
#include "relay/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TOKEN_PREFIX	"ins-"
#define TOKEN_HEX	20
#define BECH32_CHARS	"qpzry9x8gf2tvdw0s3jn54khce6mua7l"
#define SECRET_PREFIX	"AGE-SECRET-KEY-" "1"	/* in two parts: see opener/ */

void
enrol_token_new(char out[INVITATION_TOKEN_LEN + 1])
{
	uint8_t rnd[TOKEN_HEX / 2];

	random_bytes(rnd, sizeof(rnd));
	memcpy(out, TOKEN_PREFIX, 4);
	fs_hex(out + 4, rnd, sizeof(rnd));
	out[INVITATION_TOKEN_LEN] = '\0';
}

static int
alnum(char c)
{
	return isalnum((unsigned char)c) != 0;
}

int
enrol_token_find(const char *s, size_t n, char tok[INVITATION_TOKEN_LEN + 1])
{
	size_t i, k;

	for (i = 0; i + INVITATION_TOKEN_LEN <= n; i++) {
		if (memcmp(s + i, TOKEN_PREFIX, 4) != 0 || (i > 0 && alnum(s[i - 1])))
			continue;
		for (k = 4; k < INVITATION_TOKEN_LEN; k++)
			if (!strchr("0123456789abcdef", s[i + k]) || s[i + k] == '\0')
				break;
		if (k < INVITATION_TOKEN_LEN ||
		    (i + k < n && alnum(s[i + k])))
			continue;
		memcpy(tok, s + i, INVITATION_TOKEN_LEN);
		tok[INVITATION_TOKEN_LEN] = '\0';
		return 0;
	}
	return -1;
}

/* Is s[0..n) at i the start of prefix, ignoring ASCII case? */
static int
at_prefix(const char *s, size_t n, size_t i, const char *prefix)
{
	size_t k = strlen(prefix);

	return i + k <= n && strncasecmp(s + i, prefix, k) == 0;
}

int
enrol_key_find(const char *text, size_t n, char rcpt[128], const char **why)
{
	char cand[AGE_RECIPIENT_LEN + 1];
	uint8_t pk[AGE_X25519_KEY_BYTES];
	size_t i, k;
	int found = 0;

	*why = NULL;
	for (i = 0; i < n; i++) {
		if (at_prefix(text, n, i, SECRET_PREFIX)) {
			*why = "le message contient une clé privée age : elle ne doit jamais"
			    " quitter le poste du référent, qui doit en créer une nouvelle";
			return -1;
		}
		if (!at_prefix(text, n, i, "age1") || (i > 0 && alnum(text[i - 1])))
			continue;
		for (k = 4; i + k < n && k <= AGE_RECIPIENT_LEN &&
		    strchr(BECH32_CHARS, tolower((unsigned char)text[i + k])) != NULL &&
		    text[i + k] != '\0'; k++)
			;
		if (k != AGE_RECIPIENT_LEN || (i + k < n && alnum(text[i + k])))
			continue;
		memcpy(cand, text + i, k);
		cand[k] = '\0';
		if (age_recipient_parse(cand, pk, why) < 0)
			continue;
		fs_ascii_lower(cand);
		if (found && strcmp(cand, rcpt) != 0) {
			*why = "le message contient deux clés publiques différentes";
			return -1;
		}
		memcpy(rcpt, cand, sizeof(cand));
		found = 1;
		i += k - 1;
	}
	if (!found) {
		*why = *why ? "la clé publique du message est abîmée (somme de contrôle)"
		    : "le message ne contient pas de clé publique age (age1…)";
		return -1;
	}
	*why = NULL;
	return 0;
}

void
enrol_phone_form(const char *fingerprint, char out[ENROL_PHONE_LEN + 1])
{
	size_t i, o = 0;

	out[0] = '\0';
	if (strncmp(fingerprint, "SHA256:", 7) != 0 || strlen(fingerprint) < 7 + TOKEN_HEX)
		return;
	for (i = 0; i < TOKEN_HEX; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = fingerprint[7 + i];
	}
	out[o] = '\0';
}

/* ---- the invitation ----------------------------------------------- */

static char *
invitation_body(const char *name)
{
	return xasprintf("Bonjour,\n\n"
	    "Le relais sécurisé %s vous transmettra par courriel des dossiers de"
	    " personnes accompagnées par les structures France Services.  Ces dossiers"
	    " sont chiffrés : seule votre clé personnelle pourra les ouvrir.  Ce message"
	    " vous permet de créer cette clé, sans rien installer sur votre poste.\n\n"
	    "1. Enregistrez la pièce jointe « ouvrir-le-dossier.html » dans vos documents,"
	    " puis ouvrez-la (double-clic) : elle s'affiche dans votre navigateur (Edge,"
	    " Firefox, Chrome, Safari) et fonctionne sans connexion.\n"
	    "2. Cliquez sur « Créer ma clé », enregistrez le fichier de clé"
	    " « ma-cle-fsrelay.key » et imprimez sa copie papier ; rangez-les en lieu"
	    " sûr.  Ne transmettez jamais ce fichier, à personne, pas même au relais.\n"
	    "3. Envoyez au relais le message que la page prépare : il ne contient que"
	    " la partie publique de votre clé.\n"
	    "4. L'administrateur du relais vous appellera pour vérifier l'empreinte que"
	    " la page affiche.  Aucun dossier ne vous sera chiffré avec cette clé avant"
	    " cet appel.\n\n"
	    "Gardez la page « ouvrir-le-dossier.html » : elle sert aussi à ouvrir les"
	    " dossiers que vous recevrez.  Elle reste valable %d jours pour créer votre"
	    " clé ; ensuite, demandez une nouvelle invitation.\n\n"
	    "Ce message ne contient aucune donnée personnelle.\n\n"
	    "-- \nRelais sécurisé %s\n", name, ENROL_VALID_DAYS, name);
}

static int
directory_address(struct instance *in, const char *email_lc, char *err, size_t errlen)
{
	const struct directory *dir;
	size_t i;

	if ((dir = instance_directory(in, err, errlen)) == NULL)
		return -1;
	for (i = 0; i < dir->n_entries; i++)
		if (strcmp(dir->entries[i].email_lc, email_lc) == 0)
			return 0;
	fs_seterr(err, errlen, "%s n'est pas une adresse de l'annuaire", email_lc);
	return -1;
}

int
enrol_invite(struct instance *in, const char *address, struct invitation_row *r,
    char *err, size_t errlen)
{
	char once[128], *subject, *body, outcome[400];
	int rc;

	memset(r, 0, sizeof(*r));
	fs_strlcpy(r->email_lc, address, sizeof(r->email_lc));
	fs_ascii_lower(r->email_lc);
	if (directory_address(in, r->email_lc, err, errlen) < 0)
		return -1;
	enrol_token_new(r->token);
	r->created_at = in->now;
	snprintf(once, sizeof(once), "%s%s", ENROL_ONCE_PREFIX, r->token);
	snprintf(outcome, sizeof(outcome), "invitation %s", r->email_lc);
	subject = xasprintf("Relais %s : créez votre clé pour recevoir les dossiers chiffrés",
	    outbox_relay_name(in));
	body = invitation_body(outbox_relay_name(in));
	rc = store_begin(in->st);
	if (rc == 0)
		rc = store_invitation_insert(in->st, r);
	if (rc == 0)
		rc = outbox_notice(in, ENROL_NOTICE_KIND, r->email_lc, NULL, subject, body, once);
	if (rc == 0)
		rc = store_event(in->st, in->now, "admin", "key.invited", NULL, outcome);
	if (rc == 0)
		rc = store_commit(in->st);
	free(subject);
	free(body);
	if (rc != 0) {
		fs_seterr(err, errlen, "écriture : %s", store_errmsg(in->st));
		store_rollback(in->st);
		return -1;
	}
	return 0;
}

/* ---- the reply ------------------------------------------------------ */

/* The event keeps the reason only: the sender of a refused reply may be
 * anybody, and the audit log holds no stranger's address (the mail itself
 * stays in quarantine, sealed, for whoever has to look). */
static int
refuse(struct instance *in, const char *why, char *out, size_t outlen)
{
	fs_strlcpy(out, why, outlen);
	return store_event(in->st, in->now, "relay", "key.enrolment-refused", NULL, why) < 0
	    ? -1 : 2;
}

int
enrol_ingest(struct instance *in, const struct parsed_mail *m, char *why, size_t whylen)
{
	struct invitation_row r;
	char tok[INVITATION_TOKEN_LEN + 1], rcpt[128], fpr[KEY_FINGERPRINT_LEN], outcome[400];
	uint8_t pk[AGE_X25519_KEY_BYTES];
	const char *kwhy = NULL;
	int rc;

	why[0] = '\0';
	if (enrol_token_find(m->subject, strlen(m->subject), tok) < 0 &&
	    enrol_token_find(m->text, m->text_len, tok) < 0)
		return 0;
	if ((rc = store_invitation_by_token(in->st, tok, &r)) < 0)
		return -1;
	if (rc == 1)
		return refuse(in, "jeton d'invitation inconnu", why, whylen);
	if (strcmp(m->from, r.email_lc) != 0)
		return refuse(in, "l'expéditeur n'est pas l'adresse invitée", why, whylen);
	if (strcmp(r.state, INVITATION_SENT) != 0)
		return refuse(in, strcmp(r.state, INVITATION_SUPERSEDED) == 0 ?
		    "invitation remplacée par une plus récente" :
		    "une clé a déjà été reçue pour cette invitation", why, whylen);
	if (in->now - r.created_at > (int64_t)ENROL_VALID_DAYS * 86400)
		return refuse(in, "invitation expirée", why, whylen);
	if (enrol_key_find(m->text, m->text_len, rcpt, &kwhy) < 0)
		return refuse(in, kwhy, why, whylen);
	if (age_recipient_parse(rcpt, pk, &kwhy) < 0)
		return refuse(in, kwhy, why, whylen);
	envelope_fingerprint(fpr, pk);
	if ((rc = store_invitation_receive(in->st, r.id, rcpt, fpr, in->now)) < 0)
		return -1;
	if (rc == 1)
		return refuse(in, "une clé a déjà été reçue pour cette invitation", why,
		    whylen);
	snprintf(outcome, sizeof(outcome), "%s %s", r.email_lc, fpr);
	return store_event(in->st, in->now, "relay", "key.enrolment-received", NULL, outcome) < 0
	    ? -1 : 1;
}

int
enrol_latest(struct instance *in, const char *email_lc, struct invitation_row *r, char *err,
    size_t errlen)
{
	int rc = store_invitation_latest(in->st, email_lc, r);

	if (rc < 0)
		fs_seterr(err, errlen, "base : %s", store_errmsg(in->st));
	return rc;
}

const char *
enrol_state_label(const char *state)
{
	if (strcmp(state, INVITATION_SENT) == 0)
		return "invitation envoyée, en attente de la clé";
	if (strcmp(state, INVITATION_RECEIVED) == 0)
		return "clé reçue, à vérifier par téléphone";
	if (strcmp(state, INVITATION_PINNED) == 0)
		return "clé vérifiée et épinglée";
	if (strcmp(state, INVITATION_SUPERSEDED) == 0)
		return "invitation remplacée";
	return "?";
}
