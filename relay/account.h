/*
 * account - the rules of the web desk's accounts, independent of HTTP:
 * roles, passwords (Argon2id), sessions (random token, stored hashed,
 * idle and absolute timeouts), login lockout (per account and per client
 * address) and CSRF tokens.  The accounts, sessions and counters live
 * behind struct account_port (implemented by adapters/store_web.c); the
 * HTTP adapter only translates requests into these calls.
 *
 * Every function returns a French reason in err (errlen bytes) when it
 * refuses or fails.  Nothing here writes a password, a token or a client
 * address anywhere: the store sees hashes, the audit log sees agent ids.
 */
#ifndef FSRELAY_ACCOUNT_H
#define FSRELAY_ACCOUNT_H

#include <stddef.h>
#include <stdint.h>

#define ACCOUNT_ID_LEN		65
#define ACCOUNT_HASH_LEN	128	/* >= crypto_pwhash_STRBYTES */
#define ACCOUNT_TOKEN_BYTES	32	/* 256-bit session token */
#define ACCOUNT_TOKEN_HEX	(2 * ACCOUNT_TOKEN_BYTES + 1)
#define ACCOUNT_IDLE_SECONDS	(30 * 60)
#define ACCOUNT_MAX_SECONDS	(10 * 3600)
#define ACCOUNT_MAX_FAILURES	5
#define ACCOUNT_LOCK_SECONDS	(15 * 60)
#define ACCOUNT_PASSWORD_MIN	12	/* characters (bytes of UTF-8, at least) */
#define ACCOUNT_PASSWORD_MAX	1024

enum role { ROLE_AGENT, ROLE_MANAGER, ROLE_DPO, ROLE_ADMIN };

/* "agent" | "responsable" | "dpo" | "admin" (case-insensitive).  0 / -1. */
int	 account_role_parse(const char *s, enum role *r);
const char *account_role_name(enum role r);
/* The French label of a role for pages ("Agent", "Responsable de structure"...). */
const char *account_role_label(enum role r);

struct account {
	char	 id[ACCOUNT_ID_LEN];
	char	 structure[ACCOUNT_ID_LEN];
	char	 name[201];
	enum role role;
	char	 pwhash[ACCOUNT_HASH_LEN];	/* "" = no password: cannot log in */
	int	 disabled;
	int	 removed;		/* removed: a tombstone, never enabled again */
	int	 has_password;		/* set by account_list (pwhash left empty) */
};

/* What a role may do: the one table of rights (docs/web.md, « Comptes et
 * rôles »).  The pages and the API ask it; the application layer asks it
 * again for each case (structure scoping). */
enum right {
	RIGHT_CASES,		/* the cases of one's own structure */
	RIGHT_REPORT,		/* the quarterly report of one's own structure */
	RIGHT_BREACHES,		/* the breach register */
	RIGHT_AUDIT,		/* the audit log: verification, export */
	RIGHT_ACCOUNTS,		/* agents: list, role, password, disable */
	RIGHT_DIRECTORY,	/* directory coverage, referent keys (metadata) */
	RIGHT_QUARANTINE,	/* the quarantine triage, within desk_quarantine_scope */
};

/* 1 when a (an enabled account) has right r, else 0. */
int	 account_may(const struct account *a, enum right r);

struct session {
	uint8_t	 token_hash[32];		/* BLAKE2b of the token */
	char	 agent[ACCOUNT_ID_LEN];
	char	 csrf[ACCOUNT_TOKEN_HEX];	/* per-session CSRF token, hex */
	int64_t	 created_at;
	int64_t	 seen_at;
};

/* Failed logins of one key (an account or a client address). */
struct attempts {
	int	 failures;
	int64_t	 last_at;
	int64_t	 locked_until;		/* 0 = not locked */
};

/*
 * The store of accounts, sessions and login counters.  Every function
 * returns 0 on success (found), 1 for "none" where it says so, -1 on
 * error with a message in err.
 */
struct account_port {
	void	*ctx;
	int	(*get)(void *ctx, const char *id, struct account *a, char *err, size_t errlen); /* 1 none */
	int	(*set_password)(void *ctx, const char *id, const char *pwhash, char *err, size_t errlen);
	int	(*set_role)(void *ctx, const char *id, enum role r, char *err, size_t errlen);
	int	(*set_disabled)(void *ctx, const char *id, int disabled, char *err, size_t errlen);
	int	(*session_put)(void *ctx, const struct session *s, char *err, size_t errlen);
	int	(*session_get)(void *ctx, const uint8_t hash[32], struct session *s,
		    char *err, size_t errlen);	/* 1 none */
	int	(*session_touch)(void *ctx, const uint8_t hash[32], int64_t at, char *err, size_t errlen);
	int	(*session_drop)(void *ctx, const uint8_t hash[32], char *err, size_t errlen);
	/* Drop every session of an agent (password changed, disabled). */
	int	(*session_drop_agent)(void *ctx, const char *id, char *err, size_t errlen);
	/* key: an opaque hex string (hash of the account id or the address). */
	int	(*attempts_get)(void *ctx, const char *key, struct attempts *a,
		    char *err, size_t errlen);	/* 1 none */
	int	(*attempts_put)(void *ctx, const char *key, const struct attempts *a,
		    char *err, size_t errlen);
	int	(*attempts_clear)(void *ctx, const char *key, char *err, size_t errlen);
	/* An audit event (actor pseudonymous, outcome never personal data). */
	int	(*event)(void *ctx, int64_t at, const char *actor, const char *action,
		    const char *outcome, char *err, size_t errlen);
	/* Every account (agents with or without a password) by id; the
	 * caller frees *list. */
	int	(*list)(void *ctx, struct account **list, size_t *n, char *err, size_t errlen);
	/* Remove an account for good: disabled, its password dropped, its
	 * name and address erased (the agent's own personal data); the id
	 * stays, so that its cases and the audit trail still name it and
	 * nobody can be added again under it. */
	int	(*remove)(void *ctx, const char *id, int64_t at, char *err, size_t errlen);
};

/*
 * Check a new password (length, no control character, valid UTF-8) and
 * hash it with Argon2id (crypto_pwhash_str, OPSLIMIT_MODERATE,
 * MEMLIMIT_INTERACTIVE).  0 / -1 with err.
 */
int	 account_hash_password(const char *pw, size_t len, char out[ACCOUNT_HASH_LEN],
	    char *err, size_t errlen);

/* Set the password of an existing account; drops its sessions; audited
 * as actor. 0 / -1 with err. */
int	 account_set_password(const struct account_port *p, const char *actor,
	    const char *id, const char *pw, size_t len, int64_t now, char *err, size_t errlen);

/* Change the role / enable or disable an account (drops sessions when
 * disabling); audited as actor.  0 / -1 with err. */
int	 account_set_role(const struct account_port *p, const char *actor, const char *id,
	    enum role r, int64_t now, char *err, size_t errlen);
int	 account_set_disabled(const struct account_port *p, const char *actor, const char *id,
	    int disabled, int64_t now, char *err, size_t errlen);

/*
 * The accounts, for an actor with RIGHT_ACCOUNTS (else -1, "refusé"):
 * ordered by id, pwhash emptied and has_password set.  *list: caller
 * frees.  0 / -1 with err.
 */
int	 account_list(const struct account_port *p, const struct account *actor,
	    struct account **list, size_t *n, char *err, size_t errlen);

/* What an administrator does to an account. */
enum account_op {
	ACCOUNT_OP_ROLE,	/* give it role */
	ACCOUNT_OP_DISABLE,
	ACCOUNT_OP_ENABLE,
	ACCOUNT_OP_PASSWORD,	/* set the password pw (pwlen bytes) */
	ACCOUNT_OP_REMOVE,	/* remove for good (its cases stay) */
};

/*
 * An administrator's change to account id, checked here: the actor has
 * RIGHT_ACCOUNTS; nobody disables or removes their own account nor takes
 * away their own administrator role (the desk would be left without one);
 * a removed account is never changed again.  Then as account_set_role /
 * _disabled / _password / the port's remove, audited as the actor.
 * actor NULL is the system administrator at the console (`fsrelay agents
 * disable|enable|remove`, run as the instance's owner), audited as
 * "admin": the web desk and the CLI go through this one function.
 * 0 / -1 with the French reason in err.
 */
int	 account_admin(const struct account_port *p, const struct account *actor,
	    const char *id, enum account_op op, enum role role, const char *pw, size_t pwlen,
	    int64_t now, char *err, size_t errlen);

enum login_result {
	LOGIN_OK = 0,
	LOGIN_FAILED = 1,	/* wrong id or password (one message for both) */
	LOGIN_LOCKED = 2,	/* too many failures: account or address locked */
	LOGIN_ERROR = -1	/* store or crypto error */
};

/*
 * Log in: refuse while the account or the client address is locked,
 * verify the password (the same work for an unknown id), count failures
 * per account and per address (ACCOUNT_MAX_FAILURES locks both keys for
 * ACCOUNT_LOCK_SECONDS), and on success create a fresh session: its token
 * (hex) in token, the session (with its CSRF token) in s.  Every outcome
 * is an audit event.  secret: a 32-byte key that makes the counter keys
 * unlinkable to addresses (the instance's HMAC key).  err holds the French
 * reason for the user.
 */
enum login_result account_login(const struct account_port *p, const uint8_t secret[32],
	    const char *id, const char *pw, size_t pwlen, const char *client, int64_t now,
	    char token[ACCOUNT_TOKEN_HEX], struct session *s, struct account *a,
	    char *err, size_t errlen);

/*
 * The session of a token (hex): 0 valid (seen_at updated, s and a
 * filled), 1 none or expired (an expired one is dropped), -1 error.
 */
int	 account_session(const struct account_port *p, const char *token, int64_t now,
	    struct session *s, struct account *a, char *err, size_t errlen);

/* Log out: drop the session of token; audited.  0 / -1. */
int	 account_logout(const struct account_port *p, const char *token, int64_t now,
	    char *err, size_t errlen);

/* 1 when the two tokens (either may be NULL) are equal and not empty,
 * else 0 (constant time for equal lengths). */
int	 account_token_equal(const char *a, const char *b);

/* 1 when presented (may be NULL) is the session's CSRF token, else 0
 * (constant time). */
int	 account_csrf_ok(const struct session *s, const char *presented);

#endif
