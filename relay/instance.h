/*
 * instance - one fsrelay instance as a command sees it: its configuration,
 * its store, its secret keys and the time "now".
 *
 * The time comes from the system clock, or from FSRELAY_NOW (RFC 3339) when
 * and only when the configuration says test_clock = yes; each such use is
 * an audit event.  Keys are loaded into sodium_malloc'd memory and wiped
 * when the instance is closed.
 */
#ifndef FSRELAY_INSTANCE_H
#define FSRELAY_INSTANCE_H

#include <stddef.h>
#include <signal.h>
#include <stdint.h>

#include "relay/config.h"
#include "relay/vault.h"

struct store;

/* What a command needs opened. */
#define INST_STORE	0x1	/* the SQLite store */
#define INST_KEYS	0x2	/* KEK, blind-index and HMAC keys */
#define INST_SIGNING	0x4	/* the relay's Ed25519 signing key */

struct inbox_mailbox;

struct instance {
	struct config	 cfg;
	struct store	*st;
	int64_t		 now;
	int		 now_from_env;	/* FSRELAY_NOW was honoured */
	char		*keys_dir;
	uint8_t		*kek;
	char		 kek_id[VAULT_KEK_ID_LEN + 1];
	uint8_t		*index_key;	/* blind index */
	uint8_t		*hmac_key;	/* Message-ID and reply tokens */
	uint8_t		*signing_sk;	/* 64-byte Ed25519 secret */
	/* Set by `serve` to its signal flag: nonzero asks a pass to stop
	 * between two cases (what is done stays done; the rest waits for the
	 * next start).  NULL outside the daemon. */
	volatile sig_atomic_t	*stop;
	/* `serve`: the relay's mailbox session, kept from one pass to the next
	 * when keep_mailbox is set (relay/inbox.c; closed by
	 * inbox_mailbox_close). */
	int			 keep_mailbox;
	struct inbox_mailbox	*mailbox;
	/* The directory, loaded once per process (instance_directory); the
	 * copies replaced by a newer import stay valid until instance_close,
	 * for the callers still reading them. */
	struct directory	*dir;
	int64_t			 dir_version;
	struct directory	**dir_old;
	size_t			 n_dir_old;
};

/* Has the daemon been asked to stop? */
#define INSTANCE_STOPPING(in)	((in)->stop != NULL && *(in)->stop != 0)

/*
 * Open the instance of config_path with what `need` asks for.  0 on
 * success; -1 with a French message in err.  Call instance_close in both
 * cases.
 */
int	 instance_open(struct instance *in, const char *config_path, unsigned need,
	    char *err, size_t errlen);
void	 instance_close(struct instance *in);

/*
 * Create a new instance: the key directory (0700) with every key (0600) and
 * the store.  Refuses to overwrite anything.  0 / -1 with err.
 */
int	 instance_create(const char *config_path, char *err, size_t errlen);

/* Read the relay's public keys.  0 / -1 with err. */
int	 instance_relay_recipient(const struct instance *in, char *out, size_t outlen,
	    char *err, size_t errlen);
int	 instance_public_key(const struct instance *in, const char *file,
	    uint8_t pk[32], char *err, size_t errlen);

/*
 * The directory of the store, read once per process and kept in the
 * instance: read again only when an import has changed it since (the
 * store's "directory.version" mark).  NULL with a French reason in err
 * ("lecture de l'annuaire : ...").  The instance owns it: never freed by
 * the caller, valid until instance_close.
 */
struct directory;
const struct directory *instance_directory(struct instance *in, char *err, size_t errlen);

/* The relay's clock source: now from the system, or FSRELAY_NOW. */
int	 instance_clock(const struct config *cfg, int64_t *now, int *from_env,
	    char *err, size_t errlen);

#endif
