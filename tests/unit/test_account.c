/*
 * test_account - the rules of relay/account on an in-memory port: roles,
 * password policy and Argon2id strings, login (good, wrong, unknown,
 * disabled), a fresh token at every login, tokens stored hashed, idle and
 * absolute timeouts, lockout per account and per address and its expiry,
 * CSRF comparison, logout, and the audit events (never a password, a
 * typed unknown id or an address).
 */
#include "relay/account.h"
#include "relay/util.h"
#include "tests/unit/t.h"

#include <sodium.h>
#include <stdlib.h>

#define N 16

static struct account accounts[N];
static size_t n_accounts;
static struct session sessions[N];
static int session_used[N];
static struct { char key[65]; struct attempts a; int used; } counters[N];
static char events[256][160];
static size_t n_events;

static int
f_get(void *ctx, const char *id, struct account *a, char *err, size_t errlen)
{
	size_t i;

	(void)ctx, (void)err, (void)errlen;
	for (i = 0; i < n_accounts; i++)
		if (strcmp(accounts[i].id, id) == 0) {
			*a = accounts[i];
			return 0;
		}
	return 1;
}

static struct account *
acc(const char *id)
{
	size_t i;

	for (i = 0; i < n_accounts; i++)
		if (strcmp(accounts[i].id, id) == 0)
			return &accounts[i];
	return NULL;
}

static int
f_set_password(void *ctx, const char *id, const char *h, char *err, size_t errlen)
{
	struct account *a = acc(id);

	(void)ctx, (void)err, (void)errlen;
	if (a == NULL)
		return -1;
	fs_strlcpy(a->pwhash, h, ACCOUNT_HASH_LEN);
	return 0;
}

static int
f_set_role(void *ctx, const char *id, enum role r, char *err, size_t errlen)
{
	struct account *a = acc(id);

	(void)ctx, (void)err, (void)errlen;
	if (a == NULL)
		return -1;
	a->role = r;
	return 0;
}

static int
f_set_disabled(void *ctx, const char *id, int d, char *err, size_t errlen)
{
	struct account *a = acc(id);

	(void)ctx, (void)err, (void)errlen;
	if (a == NULL)
		return -1;
	a->disabled = d;
	return 0;
}

static int
f_session_put(void *ctx, const struct session *s, char *err, size_t errlen)
{
	size_t i;

	(void)ctx, (void)err, (void)errlen;
	for (i = 0; i < N; i++)
		if (!session_used[i]) {
			sessions[i] = *s;
			session_used[i] = 1;
			return 0;
		}
	return -1;
}

static int
find_session(const uint8_t h[32])
{
	int i;

	for (i = 0; i < N; i++)
		if (session_used[i] && memcmp(sessions[i].token_hash, h, 32) == 0)
			return i;
	return -1;
}

static int
f_session_get(void *ctx, const uint8_t h[32], struct session *s, char *err, size_t errlen)
{
	int i = find_session(h);

	(void)ctx, (void)err, (void)errlen;
	if (i < 0)
		return 1;
	*s = sessions[i];
	return 0;
}

static int
f_session_touch(void *ctx, const uint8_t h[32], int64_t at, char *err, size_t errlen)
{
	int i = find_session(h);

	(void)ctx, (void)err, (void)errlen;
	if (i >= 0)
		sessions[i].seen_at = at;
	return 0;
}

static int
f_session_drop(void *ctx, const uint8_t h[32], char *err, size_t errlen)
{
	int i = find_session(h);

	(void)ctx, (void)err, (void)errlen;
	if (i >= 0)
		session_used[i] = 0;
	return 0;
}

static int
f_session_drop_agent(void *ctx, const char *id, char *err, size_t errlen)
{
	int i;

	(void)ctx, (void)err, (void)errlen;
	for (i = 0; i < N; i++)
		if (session_used[i] && strcmp(sessions[i].agent, id) == 0)
			session_used[i] = 0;
	return 0;
}

static int
find_counter(const char *key)
{
	int i;

	for (i = 0; i < N; i++)
		if (counters[i].used && strcmp(counters[i].key, key) == 0)
			return i;
	return -1;
}

static int
f_attempts_get(void *ctx, const char *key, struct attempts *a, char *err, size_t errlen)
{
	int i = find_counter(key);

	(void)ctx, (void)err, (void)errlen;
	if (i < 0)
		return 1;
	*a = counters[i].a;
	return 0;
}

static int
f_attempts_put(void *ctx, const char *key, const struct attempts *a, char *err, size_t errlen)
{
	int i = find_counter(key);

	(void)ctx, (void)err, (void)errlen;
	for (int j = 0; i < 0 && j < N; j++)
		if (!counters[j].used)
			i = j;
	if (i < 0)
		return -1;
	counters[i].used = 1;
	fs_strlcpy(counters[i].key, key, sizeof(counters[i].key));
	counters[i].a = *a;
	return 0;
}

static int
f_attempts_clear(void *ctx, const char *key, char *err, size_t errlen)
{
	int i = find_counter(key);

	(void)ctx, (void)err, (void)errlen;
	if (i >= 0)
		counters[i].used = 0;
	return 0;
}

static int
f_event(void *ctx, int64_t at, const char *actor, const char *action, const char *outcome,
    char *err, size_t errlen)
{
	(void)ctx, (void)at, (void)err, (void)errlen;
	if (n_events < 256)
		snprintf(events[n_events++], sizeof(events[0]), "%s %s %s", actor, action, outcome);
	return 0;
}

static int
f_list(void *ctx, struct account **list, size_t *n, char *err, size_t errlen)
{
	(void)ctx, (void)err, (void)errlen;
	*list = xcalloc(n_accounts ? n_accounts : 1, sizeof(**list));
	memcpy(*list, accounts, n_accounts * sizeof(**list));
	*n = n_accounts;
	return 0;
}

static int
f_remove(void *ctx, const char *id, int64_t at, char *err, size_t errlen)
{
	struct account *a = acc(id);

	(void)ctx, (void)at, (void)err, (void)errlen;
	if (a == NULL)
		return -1;
	a->disabled = a->removed = 1;
	a->pwhash[0] = a->name[0] = '\0';
	return 0;
}

static const struct account_port port = {
	NULL, f_get, f_set_password, f_set_role, f_set_disabled, f_session_put, f_session_get,
	f_session_touch, f_session_drop, f_session_drop_agent, f_attempts_get, f_attempts_put,
	f_attempts_clear, f_event, f_list, f_remove,
};

static const uint8_t secret[32] = { 1, 2, 3 };
#define PW "correct cheval batterie"
#define T0 1780000000

static enum login_result
login(const char *id, const char *pw, const char *client, int64_t now, char tok[65],
    struct session *s)
{
	struct account a;
	char err[256];

	return account_login(&port, secret, id, pw, strlen(pw), client, now, tok, s, &a, err,
	    sizeof(err));
}

static int
has_event(const char *needle)
{
	size_t i;

	for (i = 0; i < n_events; i++)
		if (strstr(events[i], needle) != NULL)
			return 1;
	return 0;
}

static void
add_account(const char *id, enum role r)
{
	struct account *a = &accounts[n_accounts++];

	memset(a, 0, sizeof(*a));
	fs_strlcpy(a->id, id, sizeof(a->id));
	fs_strlcpy(a->structure, "fontenay-aux-roses", sizeof(a->structure));
	a->role = r;
}

int
main(void)
{
	char tok[65], tok2[65], err[256];
	struct session s, s2, got;
	struct account a;
	enum role r;
	size_t i;
	int k;

	if (sodium_init() < 0)
		return 1;
	/* roles */
	CHECK(account_role_parse("responsable", &r) == 0 && r == ROLE_MANAGER);
	CHECK(account_role_parse("DPO", &r) == 0 && r == ROLE_DPO);
	CHECK(account_role_parse("admin", &r) == 0 && r == ROLE_ADMIN);
	CHECK(account_role_parse("chef", &r) < 0);
	CHECK_STR(account_role_name(ROLE_MANAGER), "responsable");

	/* passwords */
	add_account("agent1", ROLE_AGENT);
	add_account("agent2", ROLE_AGENT);
	add_account("agent3", ROLE_AGENT);
	CHECK(account_set_password(&port, "admin", "agent1", "court", 5, T0, err, sizeof(err)) < 0);
	CHECK(strstr(err, "trop court") != NULL);
	CHECK(account_set_password(&port, "admin", "agent1", "douze\tcaract", 12, T0, err,
	    sizeof(err)) < 0);
	CHECK(strstr(err, "contrôle") != NULL);
	CHECK(account_set_password(&port, "admin", "inconnu", PW, strlen(PW), T0, err,
	    sizeof(err)) < 0);
	/* 12 characters of 2 bytes each are 12 characters */
	CHECK(account_set_password(&port, "admin", "agent3", "éééééééééééé", 24, T0, err,
	    sizeof(err)) == 0);
	for (i = 0; i < 2; i++)
		CHECK(account_set_password(&port, "admin", accounts[i].id, PW, strlen(PW), T0, err,
		    sizeof(err)) == 0);
	CHECK(strncmp(accounts[0].pwhash, "$argon2id$", 10) == 0);
	CHECK(strstr(accounts[0].pwhash, "t=3") != NULL);	/* OPSLIMIT_MODERATE */
	CHECK(strcmp(accounts[0].pwhash, accounts[1].pwhash) != 0);	/* salted */
	CHECK(has_event("admin account.password agent1"));

	/* a good login: a fresh token every time, stored hashed */
	CHECK_INT(login("agent1", PW, "192.0.2.1", T0, tok, &s), LOGIN_OK);
	CHECK_INT(strlen(tok), 64);
	CHECK_INT(strlen(s.csrf), 64);
	CHECK(has_event("agent1 web.login agent"));
	CHECK_INT(login("agent1", PW, "192.0.2.1", T0 + 1, tok2, &s2), LOGIN_OK);
	CHECK(strcmp(tok, tok2) != 0);
	CHECK(strcmp(s.csrf, s2.csrf) != 0);
	for (k = 0; k < N; k++) {
		char hex[65];

		if (!session_used[k])
			continue;
		fs_hex(hex, sessions[k].token_hash, 32);
		CHECK(strcmp(hex, tok) != 0 && strcmp(hex, tok2) != 0);
	}
	CHECK_INT(account_session(&port, tok, T0 + 10, &got, &a, err, sizeof(err)), 0);
	CHECK_STR(a.id, "agent1");
	CHECK_INT(account_session(&port, "00", T0 + 10, &got, &a, err, sizeof(err)), 1);
	tok2[0] = tok2[0] == 'a' ? 'b' : 'a';
	CHECK_INT(account_session(&port, tok2, T0 + 10, &got, &a, err, sizeof(err)), 1);

	/* CSRF */
	CHECK(account_csrf_ok(&got, got.csrf));
	CHECK(!account_csrf_ok(&got, NULL));
	CHECK(!account_csrf_ok(&got, ""));
	CHECK(!account_csrf_ok(&got, s2.csrf));

	/* idle timeout: used at +29 min keeps it, then 30 min idle ends it */
	CHECK_INT(account_session(&port, tok, T0 + 29 * 60, &got, &a, err, sizeof(err)), 0);
	CHECK_INT(account_session(&port, tok, T0 + 29 * 60 + 29 * 60, &got, &a, err, sizeof(err)), 0);
	CHECK_INT(account_session(&port, tok, T0 + 58 * 60 + 30 * 60, &got, &a, err, sizeof(err)), 1);
	CHECK(has_event("agent1 web.session.expired inactivité"));
	CHECK_INT(account_session(&port, tok, T0 + 58 * 60 + 31 * 60, &got, &a, err, sizeof(err)), 1);

	/* absolute timeout: active every 20 min, still ended at 10 h */
	CHECK_INT(login("agent1", PW, "192.0.2.1", T0, tok, &s), LOGIN_OK);
	for (k = 1; k * 20 * 60 < ACCOUNT_MAX_SECONDS; k++)
		CHECK_INT(account_session(&port, tok, T0 + k * 20 * 60, &got, &a, err, sizeof(err)), 0);
	CHECK_INT(account_session(&port, tok, T0 + ACCOUNT_MAX_SECONDS, &got, &a, err, sizeof(err)), 1);
	CHECK(has_event("agent1 web.session.expired durée maximale"));

	/* logout */
	CHECK_INT(login("agent1", PW, "192.0.2.1", T0, tok, &s), LOGIN_OK);
	CHECK_INT(account_logout(&port, tok, T0 + 5, err, sizeof(err)), 0);
	CHECK_INT(account_session(&port, tok, T0 + 6, &got, &a, err, sizeof(err)), 1);
	CHECK(has_event("agent1 web.logout"));

	/* wrong password, unknown id (logged without the typed id) */
	n_events = 0;
	CHECK_INT(login("agent2", "mauvais mot de passe", "192.0.2.2", T0, tok, &s), LOGIN_FAILED);
	CHECK(has_event("agent2 web.login.failed mot de passe"));
	CHECK_INT(login("Jean Dupont", PW, "192.0.2.9", T0, tok, &s), LOGIN_FAILED);
	CHECK(has_event("web web.login.failed compte inconnu"));
	for (i = 0; i < n_events; i++) {
		CHECK(strstr(events[i], "Dupont") == NULL);
		CHECK(strstr(events[i], "192.0.2") == NULL);
		CHECK(strstr(events[i], "mauvais") == NULL);
	}
	for (k = 0; k < N; k++)
		if (counters[k].used)
			CHECK(strstr(counters[k].key, "192") == NULL && strlen(counters[k].key) == 64);

	/* lockout per account: the 5th failure locks, from any address */
	for (k = 2; k <= 4; k++)
		CHECK_INT(login("agent2", "faux", k % 2 ? "192.0.2.3" : "192.0.2.4", T0 + k, tok, &s),
		    LOGIN_FAILED);
	CHECK_INT(login("agent2", "faux", "192.0.2.5", T0 + 5, tok, &s), LOGIN_LOCKED);
	CHECK(has_event("agent2 web.login.locked compte"));
	CHECK_INT(login("agent2", PW, "192.0.2.6", T0 + 60, tok, &s), LOGIN_LOCKED);
	CHECK_INT(login("agent2", PW, "192.0.2.6", T0 + 5 + ACCOUNT_LOCK_SECONDS - 1, tok, &s),
	    LOGIN_LOCKED);
	/* ... and 15 minutes later it opens again */
	CHECK_INT(login("agent2", PW, "192.0.2.6", T0 + 5 + ACCOUNT_LOCK_SECONDS, tok, &s), LOGIN_OK);

	/* lockout per address: five unknown ids lock the address for all */
	for (k = 1; k <= 4; k++) {
		char id[16];

		snprintf(id, sizeof(id), "x%d", k);
		CHECK_INT(login(id, "faux", "198.51.100.7", T0 + k, tok, &s), LOGIN_FAILED);
	}
	CHECK_INT(login("x5", "faux", "198.51.100.7", T0 + 5, tok, &s), LOGIN_LOCKED);
	CHECK(has_event("web web.login.locked adresse"));
	CHECK_INT(login("agent1", PW, "198.51.100.7", T0 + 6, tok, &s), LOGIN_LOCKED);
	CHECK_INT(login("agent1", PW, "198.51.100.8", T0 + 6, tok, &s), LOGIN_OK);

	/* failures far apart do not add up */
	for (k = 0; k < 6; k++)
		CHECK_INT(login("agent3", "faux", "203.0.113.1",
		    T0 + k * (ACCOUNT_LOCK_SECONDS + 1), tok, &s), LOGIN_FAILED);
	CHECK_INT(login("agent3", "éééééééééééé", "203.0.113.1", T0 + 7 * ACCOUNT_LOCK_SECONDS,
	    tok, &s), LOGIN_OK);

	/* disabled: no login, sessions dropped; role change drops sessions */
	CHECK_INT(login("agent1", PW, "192.0.2.1", T0, tok, &s), LOGIN_OK);
	CHECK_INT(account_set_disabled(&port, "admin", "agent1", 1, T0 + 1, err, sizeof(err)), 0);
	CHECK_INT(account_session(&port, tok, T0 + 2, &got, &a, err, sizeof(err)), 1);
	CHECK_INT(login("agent1", PW, "192.0.2.1", T0 + 3, tok, &s), LOGIN_FAILED);
	CHECK(has_event("agent1 web.login.failed compte désactivé"));
	CHECK_INT(account_set_disabled(&port, "admin", "agent1", 0, T0 + 4, err, sizeof(err)), 0);
	CHECK_INT(login("agent1", PW, "192.0.2.1", T0 + 5, tok, &s), LOGIN_OK);
	CHECK_INT(account_set_role(&port, "admin", "agent1", ROLE_DPO, T0 + 6, err, sizeof(err)), 0);
	CHECK_INT(account_session(&port, tok, T0 + 7, &got, &a, err, sizeof(err)), 1);
	CHECK(has_event("admin account.role dpo"));

	/* a new password closes the sessions */
	CHECK_INT(login("agent1", PW, "192.0.2.1", T0 + 8, tok, &s), LOGIN_OK);
	CHECK_INT(account_set_password(&port, "admin", "agent1", PW "!", strlen(PW) + 1, T0 + 9,
	    err, sizeof(err)), 0);
	CHECK_INT(account_session(&port, tok, T0 + 10, &got, &a, err, sizeof(err)), 1);
	CHECK_INT(login("agent1", PW, "192.0.2.1", T0 + 11, tok, &s), LOGIN_FAILED);

	/* rights: one table; a disabled account has none */
	{
		struct account ag = { .role = ROLE_AGENT }, mg = { .role = ROLE_MANAGER },
		    dp = { .role = ROLE_DPO }, ad = { .role = ROLE_ADMIN };
		struct account *list = NULL;
		size_t n = 0, j;

		CHECK(account_may(&ag, RIGHT_CASES) && !account_may(&ag, RIGHT_REPORT));
		CHECK(!account_may(&ag, RIGHT_BREACHES) && !account_may(&ag, RIGHT_ACCOUNTS));
		CHECK(account_may(&mg, RIGHT_CASES) && account_may(&mg, RIGHT_REPORT));
		CHECK(!account_may(&mg, RIGHT_AUDIT));
		CHECK(account_may(&dp, RIGHT_BREACHES) && account_may(&dp, RIGHT_AUDIT));
		CHECK(!account_may(&dp, RIGHT_CASES) && !account_may(&dp, RIGHT_ACCOUNTS));
		CHECK(account_may(&ad, RIGHT_ACCOUNTS) && account_may(&ad, RIGHT_DIRECTORY));
		CHECK(!account_may(&ad, RIGHT_CASES) && !account_may(&ad, RIGHT_BREACHES));
		CHECK(account_may(&ag, RIGHT_QUARANTINE) && account_may(&mg, RIGHT_QUARANTINE) &&
		    account_may(&dp, RIGHT_QUARANTINE) && account_may(&ad, RIGHT_QUARANTINE));
		ad.disabled = 1;
		CHECK(!account_may(&ad, RIGHT_ACCOUNTS));
		CHECK(!account_may(NULL, RIGHT_CASES));

		/* the list and the changes: administrators only */
		add_account("admin", ROLE_ADMIN);
		CHECK(f_get(NULL, "admin", &ad, err, sizeof(err)) == 0);
		CHECK(f_get(NULL, "agent2", &ag, err, sizeof(err)) == 0);
		CHECK(account_list(&port, &ag, &list, &n, err, sizeof(err)) < 0);
		CHECK(strstr(err, "refusé") != NULL && list == NULL);
		CHECK_INT(account_list(&port, &ad, &list, &n, err, sizeof(err)), 0);
		CHECK_INT(n, n_accounts);
		for (j = 0; j < n; j++) {
			CHECK(list[j].pwhash[0] == '\0');
			if (strcmp(list[j].id, "agent2") == 0)
				CHECK(list[j].has_password);
			if (strcmp(list[j].id, "admin") == 0)
				CHECK(!list[j].has_password);
		}
		free(list);
		n_events = 0;
		CHECK(account_admin(&port, &ag, "agent3", ACCOUNT_OP_DISABLE, ROLE_AGENT, NULL, 0,
		    T0, err, sizeof(err)) < 0);
		CHECK(!acc("agent3")->disabled && n_events == 0);
		CHECK(account_admin(&port, &ad, "admin", ACCOUNT_OP_DISABLE, ROLE_AGENT, NULL, 0,
		    T0, err, sizeof(err)) < 0);
		CHECK(strstr(err, "propre compte") != NULL && !acc("admin")->disabled);
		CHECK(account_admin(&port, &ad, "admin", ACCOUNT_OP_ROLE, ROLE_AGENT, NULL, 0,
		    T0, err, sizeof(err)) < 0);
		CHECK(acc("admin")->role == ROLE_ADMIN);
		CHECK_INT(account_admin(&port, &ad, "agent3", ACCOUNT_OP_DISABLE, ROLE_AGENT, NULL, 0,
		    T0, err, sizeof(err)), 0);
		CHECK(acc("agent3")->disabled && has_event("admin account.disabled agent3"));
		CHECK_INT(account_admin(&port, &ad, "agent3", ACCOUNT_OP_ENABLE, ROLE_AGENT, NULL, 0,
		    T0, err, sizeof(err)), 0);
		CHECK(!acc("agent3")->disabled);
		CHECK_INT(account_admin(&port, &ad, "agent3", ACCOUNT_OP_ROLE, ROLE_MANAGER, NULL, 0,
		    T0, err, sizeof(err)), 0);
		CHECK(acc("agent3")->role == ROLE_MANAGER);
		CHECK(account_admin(&port, &ad, "agent3", ACCOUNT_OP_PASSWORD, ROLE_AGENT, "court", 5,
		    T0, err, sizeof(err)) < 0);
		CHECK_INT(account_admin(&port, &ad, "agent3", ACCOUNT_OP_PASSWORD, ROLE_AGENT, PW,
		    strlen(PW), T0, err, sizeof(err)), 0);
		CHECK_INT(login("agent3", PW, "192.0.2.30", T0 + 12, tok, &s), LOGIN_OK);

		/* the console (actor NULL): the same rules, audited as "admin" */
		n_events = 0;
		memset(counters, 0, sizeof(counters));	/* the fake's slots, not the rule */
		CHECK_INT(account_admin(&port, NULL, "agent3", ACCOUNT_OP_DISABLE, ROLE_AGENT, NULL,
		    0, T0, err, sizeof(err)), 0);
		CHECK(acc("agent3")->disabled && has_event("admin account.disabled agent3"));
		CHECK(account_session(&port, tok, T0 + 13, &s, &ag, err, sizeof(err)) != 0);
		CHECK_INT(login("agent3", PW, "192.0.2.30", T0 + 14, tok, &s), LOGIN_FAILED);
		CHECK_INT(account_admin(&port, NULL, "agent3", ACCOUNT_OP_ENABLE, ROLE_AGENT, NULL,
		    0, T0, err, sizeof(err)), 0);
		CHECK(!acc("agent3")->disabled && has_event("admin account.enabled agent3"));
		CHECK(account_admin(&port, NULL, "nobody", ACCOUNT_OP_DISABLE, ROLE_AGENT, NULL,
		    0, T0, err, sizeof(err)) < 0);
		CHECK(strstr(err, "inconnu") != NULL);
		/* remove: not oneself; then a tombstone nothing brings back */
		CHECK(account_admin(&port, &ad, "admin", ACCOUNT_OP_REMOVE, ROLE_AGENT, NULL, 0,
		    T0, err, sizeof(err)) < 0);
		CHECK(strstr(err, "supprimer votre propre") != NULL && !acc("admin")->removed);
		CHECK(account_admin(&port, &ag, "agent3", ACCOUNT_OP_REMOVE, ROLE_AGENT, NULL, 0,
		    T0, err, sizeof(err)) < 0);
		CHECK(!acc("agent3")->removed);
		CHECK_INT(login("agent3", PW, "192.0.2.30", T0 + 15, tok, &s), LOGIN_OK);
		CHECK_INT(account_admin(&port, &ad, "agent3", ACCOUNT_OP_REMOVE, ROLE_AGENT, NULL, 0,
		    T0, err, sizeof(err)), 0);
		CHECK(acc("agent3")->removed && has_event("admin account.removed agent3"));
		CHECK(account_session(&port, tok, T0 + 16, &s, &ag, err, sizeof(err)) != 0);
		CHECK_INT(login("agent3", PW, "192.0.2.30", T0 + 17, tok, &s), LOGIN_FAILED);
		CHECK(account_admin(&port, NULL, "agent3", ACCOUNT_OP_ENABLE, ROLE_AGENT, NULL, 0,
		    T0, err, sizeof(err)) < 0);
		CHECK(strstr(err, "supprimé") != NULL && acc("agent3")->disabled);
		CHECK(account_admin(&port, NULL, "agent3", ACCOUNT_OP_PASSWORD, ROLE_AGENT, PW,
		    strlen(PW), T0, err, sizeof(err)) < 0);
		CHECK(account_admin(&port, NULL, "agent3", ACCOUNT_OP_REMOVE, ROLE_AGENT, NULL, 0,
		    T0, err, sizeof(err)) < 0);
	}
	return t_done();
}
