/*
 * account - see account.h.
 */
#include "relay/account.h"
#include "relay/port/random.h"
#include "relay/util.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistr.h>

static const struct {
	const char *name;
	const char *label;
} roles[] = {
	[ROLE_AGENT] = { "agent", "Agent" },
	[ROLE_MANAGER] = { "responsable", "Responsable de structure" },
	[ROLE_DPO] = { "dpo", "Délégué à la protection des données" },
	[ROLE_ADMIN] = { "admin", "Administrateur" },
};

int
account_role_parse(const char *s, enum role *r)
{
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(roles); i++)
		if (s != NULL && strcasecmp(s, roles[i].name) == 0) {
			*r = (enum role)i;
			return 0;
		}
	return -1;
}

const char *
account_role_name(enum role r)
{
	return (unsigned)r < FS_ARRAY_LEN(roles) ? roles[r].name : "agent";
}

const char *
account_role_label(enum role r)
{
	return (unsigned)r < FS_ARRAY_LEN(roles) ? roles[r].label : roles[ROLE_AGENT].label;
}

int
account_may(const struct account *a, enum right r)
{
	if (a == NULL || a->disabled)
		return 0;
	switch (a->role) {
	/* the quarantine: each role sees its part (desk_quarantine_scope) */
	case ROLE_AGENT:
		return r == RIGHT_CASES || r == RIGHT_QUARANTINE;
	case ROLE_MANAGER:
		return r == RIGHT_CASES || r == RIGHT_REPORT || r == RIGHT_QUARANTINE;
	case ROLE_DPO:
		return r == RIGHT_BREACHES || r == RIGHT_AUDIT || r == RIGHT_QUARANTINE;
	case ROLE_ADMIN:
		return r == RIGHT_ACCOUNTS || r == RIGHT_DIRECTORY || r == RIGHT_QUARANTINE;
	default:
		return 0;
	}
}

int
account_hash_password(const char *pw, size_t len, char out[ACCOUNT_HASH_LEN],
    char *err, size_t errlen)
{
	size_t i, chars;

	if (len > ACCOUNT_PASSWORD_MAX) {
		fs_seterr(err, errlen, "mot de passe trop long (%d octets au plus)",
		    ACCOUNT_PASSWORD_MAX);
		return -1;
	}
	if (u8_check((const uint8_t *)pw, len) != NULL) {
		fs_seterr(err, errlen, "mot de passe : UTF-8 invalide");
		return -1;
	}
	for (i = 0; i < len; i++)
		if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f) {
			fs_seterr(err, errlen, "mot de passe : caractère de contrôle refusé");
			return -1;
		}
	chars = u8_mbsnlen((const uint8_t *)pw, len);
	if (chars < ACCOUNT_PASSWORD_MIN) {
		fs_seterr(err, errlen, "mot de passe trop court (%d caractères au moins)",
		    ACCOUNT_PASSWORD_MIN);
		return -1;
	}
	_Static_assert(ACCOUNT_HASH_LEN >= crypto_pwhash_STRBYTES, "hash buffer");
	if (crypto_pwhash_str_alg(out, pw, len, crypto_pwhash_OPSLIMIT_MODERATE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		fs_seterr(err, errlen, "calcul de l'empreinte du mot de passe impossible (mémoire)");
		return -1;
	}
	return 0;
}

static int
event(const struct account_port *p, int64_t at, const char *actor, const char *action,
    const char *outcome, char *err, size_t errlen)
{
	return p->event(p->ctx, at, actor, action, outcome, err, errlen);
}

static int
existing(const struct account_port *p, const char *id, struct account *a, char *err,
    size_t errlen)
{
	int r = p->get(p->ctx, id, a, err, errlen);

	if (r == 1)
		fs_seterr(err, errlen, "agent « %s » inconnu", id);
	/* A removed account is a tombstone: nothing brings it back. */
	if (r == 0 && a->removed) {
		fs_seterr(err, errlen, "refusé : le compte « %s » a été supprimé", id);
		return -1;
	}
	return r == 0 ? 0 : -1;
}

int
account_set_password(const struct account_port *p, const char *actor, const char *id,
    const char *pw, size_t len, int64_t now, char *err, size_t errlen)
{
	struct account a;
	char h[ACCOUNT_HASH_LEN];
	int r;

	if (existing(p, id, &a, err, errlen) < 0 ||
	    account_hash_password(pw, len, h, err, errlen) < 0)
		return -1;
	r = p->set_password(p->ctx, id, h, err, errlen);
	if (r == 0)
		r = p->session_drop_agent(p->ctx, id, err, errlen);
	if (r == 0)
		r = event(p, now, actor, "account.password", id, err, errlen);
	sodium_memzero(h, sizeof(h));
	return r == 0 ? 0 : -1;
}

int
account_set_role(const struct account_port *p, const char *actor, const char *id,
    enum role role, int64_t now, char *err, size_t errlen)
{
	struct account a;

	if (existing(p, id, &a, err, errlen) < 0 ||
	    p->set_role(p->ctx, id, role, err, errlen) < 0 ||
	    p->session_drop_agent(p->ctx, id, err, errlen) < 0)
		return -1;
	return event(p, now, actor, "account.role", account_role_name(role), err, errlen);
}

int
account_set_disabled(const struct account_port *p, const char *actor, const char *id,
    int disabled, int64_t now, char *err, size_t errlen)
{
	struct account a;

	if (existing(p, id, &a, err, errlen) < 0 ||
	    p->set_disabled(p->ctx, id, disabled != 0, err, errlen) < 0 ||
	    (disabled && p->session_drop_agent(p->ctx, id, err, errlen) < 0))
		return -1;
	return event(p, now, actor, disabled ? "account.disabled" : "account.enabled", id,
	    err, errlen);
}

int
account_list(const struct account_port *p, const struct account *actor,
    struct account **list, size_t *n, char *err, size_t errlen)
{
	size_t i;

	*list = NULL;
	*n = 0;
	if (!account_may(actor, RIGHT_ACCOUNTS)) {
		fs_seterr(err, errlen, "refusé : la liste des comptes est réservée aux"
		    " administrateurs");
		return -1;
	}
	if (p->list(p->ctx, list, n, err, errlen) < 0)
		return -1;
	for (i = 0; i < *n; i++) {
		(*list)[i].has_password = (*list)[i].pwhash[0] != '\0';
		sodium_memzero((*list)[i].pwhash, sizeof((*list)[i].pwhash));
	}
	return 0;
}

/* Remove account id for good: refused for an unknown or already removed
 * one; its sessions dropped; audited as actor. */
static int
account_remove(const struct account_port *p, const char *actor, const char *id,
    int64_t now, char *err, size_t errlen)
{
	struct account a;

	if (existing(p, id, &a, err, errlen) < 0)
		return -1;
	if (p->session_drop_agent(p->ctx, id, err, errlen) < 0 ||
	    p->remove(p->ctx, id, now, err, errlen) < 0)
		return -1;
	return event(p, now, actor, "account.removed", id, err, errlen);
}

int
account_admin(const struct account_port *p, const struct account *actor, const char *id,
    enum account_op op, enum role role, const char *pw, size_t pwlen, int64_t now,
    char *err, size_t errlen)
{
	const char *who = actor ? actor->id : "admin";
	int self;

	if (actor != NULL && !account_may(actor, RIGHT_ACCOUNTS)) {
		fs_seterr(err, errlen, "refusé : la gestion des comptes est réservée aux"
		    " administrateurs");
		return -1;
	}
	self = actor != NULL && strcmp(actor->id, id) == 0;
	switch (op) {
	case ACCOUNT_OP_ROLE:
		if (self && role != ROLE_ADMIN) {
			fs_seterr(err, errlen, "refusé : vous ne pouvez pas retirer votre propre"
			    " rôle d'administrateur (demandez-le à un autre administrateur)");
			return -1;
		}
		return account_set_role(p, who, id, role, now, err, errlen);
	case ACCOUNT_OP_DISABLE:
	case ACCOUNT_OP_REMOVE:
		if (self) {
			fs_seterr(err, errlen, "refusé : vous ne pouvez pas %s votre propre"
			    " compte", op == ACCOUNT_OP_REMOVE ? "supprimer" : "désactiver");
			return -1;
		}
		if (op == ACCOUNT_OP_REMOVE)
			return account_remove(p, who, id, now, err, errlen);
		return account_set_disabled(p, who, id, 1, now, err, errlen);
	case ACCOUNT_OP_ENABLE:
		return account_set_disabled(p, who, id, 0, now, err, errlen);
	case ACCOUNT_OP_PASSWORD:
		return account_set_password(p, who, id, pw, pwlen, now, err, errlen);
	default:
		fs_seterr(err, errlen, "opération inconnue");
		return -1;
	}
}

/* The counter key of (kind, value): hex of a keyed BLAKE2b, so the store
 * never holds a client address or a typed identifier. */
static void
counter_key(const uint8_t secret[32], const char *kind, const char *value, char out[65])
{
	crypto_generichash_state st;
	uint8_t h[32];

	crypto_generichash_init(&st, secret, 32, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)"fsrelay-web-login", 18);
	crypto_generichash_update(&st, (const uint8_t *)kind, strlen(kind) + 1);
	crypto_generichash_update(&st, (const uint8_t *)value, strlen(value));
	crypto_generichash_final(&st, h, sizeof(h));
	fs_hex(out, h, sizeof(h));
}

/* 1 locked, 0 not, -1 error. */
static int
locked(const struct account_port *p, const char *key, int64_t now, char *err, size_t errlen)
{
	struct attempts at;
	int r = p->attempts_get(p->ctx, key, &at, err, errlen);

	if (r < 0)
		return -1;
	return r == 0 && at.locked_until > now;
}

/* Count one failure on key; 1 when this locks it, 0 not, -1 error.  A key
 * whose last failure is older than the lock time starts again at zero. */
static int
count_failure(const struct account_port *p, const char *key, int64_t now, char *err,
    size_t errlen)
{
	struct attempts at;
	int r = p->attempts_get(p->ctx, key, &at, err, errlen);

	if (r < 0)
		return -1;
	if (r == 1 || now - at.last_at > ACCOUNT_LOCK_SECONDS || at.locked_until != 0) {
		at.failures = 0;
		at.locked_until = 0;
	}
	at.failures++;
	at.last_at = now;
	if (at.failures >= ACCOUNT_MAX_FAILURES)
		at.locked_until = now + ACCOUNT_LOCK_SECONDS;
	if (p->attempts_put(p->ctx, key, &at, err, errlen) < 0)
		return -1;
	return at.locked_until != 0;
}

static void
hash_token(const uint8_t *tok, size_t n, uint8_t out[32])
{
	crypto_generichash(out, 32, tok, n, NULL, 0);
}

/* A hash for unknown accounts, so a wrong id costs the same time. */
static const char *
dummy_hash(void)
{
	static char h[ACCOUNT_HASH_LEN];

	if (h[0] == '\0' && crypto_pwhash_str_alg(h, "fsrelay", 7,
	    crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_INTERACTIVE,
	    crypto_pwhash_ALG_ARGON2ID13) != 0)
		h[0] = '\0';
	return h;
}

#define LOGIN_FAILED_MSG "identifiant ou mot de passe incorrect"
#define LOGIN_LOCKED_MSG "trop d'échecs de connexion : réessayez dans 15 minutes"

enum login_result
account_login(const struct account_port *p, const uint8_t secret[32], const char *id,
    const char *pw, size_t pwlen, const char *client, int64_t now,
    char token[ACCOUNT_TOKEN_HEX], struct session *s, struct account *a,
    char *err, size_t errlen)
{
	char kacc[65], kaddr[65];
	uint8_t raw[ACCOUNT_TOKEN_BYTES], csrf[ACCOUNT_TOKEN_BYTES];
	const char *h, *actor;
	int r, known, good, l1, l2;

	counter_key(secret, "compte", id, kacc);
	counter_key(secret, "adresse", client ? client : "", kaddr);
	r = p->get(p->ctx, id, a, err, errlen);
	if (r < 0)
		return LOGIN_ERROR;
	known = r == 0;
	/* An unknown or mistyped id is never written to the log: it may be a
	 * person's name or a password typed in the wrong field. */
	actor = known ? a->id : "web";
	if ((l1 = locked(p, kacc, now, err, errlen)) < 0 ||
	    (l2 = locked(p, kaddr, now, err, errlen)) < 0)
		return LOGIN_ERROR;
	if (l1 || l2) {
		if (event(p, now, actor, "web.login.locked", l1 ? "compte" : "adresse",
		    err, errlen) < 0)
			return LOGIN_ERROR;
		fs_seterr(err, errlen, LOGIN_LOCKED_MSG);
		return LOGIN_LOCKED;
	}
	h = known && a->pwhash[0] ? a->pwhash : dummy_hash();
	good = pwlen <= ACCOUNT_PASSWORD_MAX && h[0] != '\0' &&
	    crypto_pwhash_str_verify(h, pw, pwlen) == 0;
	if (!known || !a->pwhash[0] || a->disabled)
		good = 0;
	if (!good) {
		if ((l1 = count_failure(p, kacc, now, err, errlen)) < 0 ||
		    (l2 = count_failure(p, kaddr, now, err, errlen)) < 0 ||
		    event(p, now, actor, "web.login.failed",
		    known && a->disabled ? "compte désactivé" : known ? "mot de passe" : "compte inconnu",
		    err, errlen) < 0)
			return LOGIN_ERROR;
		if (l1 || l2) {
			if (event(p, now, actor, "web.login.locked", l1 ? "compte" : "adresse",
			    err, errlen) < 0)
				return LOGIN_ERROR;
			fs_seterr(err, errlen, LOGIN_LOCKED_MSG);
			return LOGIN_LOCKED;
		}
		fs_seterr(err, errlen, LOGIN_FAILED_MSG);
		return LOGIN_FAILED;
	}
	if (p->attempts_clear(p->ctx, kacc, err, errlen) < 0)
		return LOGIN_ERROR;
	/* A new token at every login (no fixation), never stored in clear. */
	random_bytes(raw, sizeof(raw));
	random_bytes(csrf, sizeof(csrf));
	memset(s, 0, sizeof(*s));
	hash_token(raw, sizeof(raw), s->token_hash);
	fs_hex(token, raw, sizeof(raw));
	fs_hex(s->csrf, csrf, sizeof(csrf));
	sodium_memzero(raw, sizeof(raw));
	fs_strlcpy(s->agent, a->id, sizeof(s->agent));
	s->created_at = s->seen_at = now;
	if (p->session_put(p->ctx, s, err, errlen) < 0 ||
	    event(p, now, a->id, "web.login", account_role_name(a->role), err, errlen) < 0) {
		sodium_memzero(token, ACCOUNT_TOKEN_HEX);
		return LOGIN_ERROR;
	}
	return LOGIN_OK;
}

/* Hash of a hex token; -1 when it is not 64 hex digits. */
static int
token_hash(const char *token, uint8_t out[32])
{
	uint8_t raw[ACCOUNT_TOKEN_BYTES];
	size_t n = 0;

	if (token == NULL || strlen(token) != 2 * ACCOUNT_TOKEN_BYTES ||
	    sodium_hex2bin(raw, sizeof(raw), token, strlen(token), NULL, &n, NULL) != 0 ||
	    n != sizeof(raw))
		return -1;
	hash_token(raw, sizeof(raw), out);
	sodium_memzero(raw, sizeof(raw));
	return 0;
}

int
account_session(const struct account_port *p, const char *token, int64_t now,
    struct session *s, struct account *a, char *err, size_t errlen)
{
	uint8_t h[32];
	int r;

	if (token_hash(token, h) < 0)
		return 1;
	if ((r = p->session_get(p->ctx, h, s, err, errlen)) != 0)
		return r;
	if (now - s->created_at >= ACCOUNT_MAX_SECONDS || now - s->seen_at >= ACCOUNT_IDLE_SECONDS ||
	    now < s->created_at) {
		if (p->session_drop(p->ctx, h, err, errlen) < 0 ||
		    event(p, now, s->agent, "web.session.expired",
		    now - s->created_at >= ACCOUNT_MAX_SECONDS ? "durée maximale" : "inactivité",
		    err, errlen) < 0)
			return -1;
		return 1;
	}
	if ((r = p->get(p->ctx, s->agent, a, err, errlen)) < 0)
		return -1;
	if (r == 1 || a->disabled) {
		if (p->session_drop(p->ctx, h, err, errlen) < 0)
			return -1;
		return 1;
	}
	/* Write the last use at most once a minute: a page costs no write. */
	if (now - s->seen_at >= 60) {
		if (p->session_touch(p->ctx, h, now, err, errlen) < 0)
			return -1;
		s->seen_at = now;
	}
	return 0;
}

int
account_logout(const struct account_port *p, const char *token, int64_t now, char *err,
    size_t errlen)
{
	struct session s;
	uint8_t h[32];
	int r;

	if (token_hash(token, h) < 0)
		return 0;
	if ((r = p->session_get(p->ctx, h, &s, err, errlen)) < 0)
		return -1;
	if (r == 1)
		return 0;
	if (p->session_drop(p->ctx, h, err, errlen) < 0)
		return -1;
	return event(p, now, s.agent, "web.logout", "", err, errlen);
}

int
account_token_equal(const char *a, const char *b)
{
	size_t n;

	if (a == NULL || b == NULL || (n = strlen(a)) == 0 || strlen(b) != n)
		return 0;
	return sodium_memcmp(a, b, n) == 0;
}

int
account_csrf_ok(const struct session *s, const char *presented)
{
	return account_token_equal(s->csrf, presented);
}
