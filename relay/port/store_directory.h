/*
 * port/store_directory - the store's directory area: referents, pinned
 * keys, agents. Declared by the core, implemented by adapters/store*.c
 * (SQLite); see port/store.h.
 */
#ifndef FSRELAY_PORT_STORE_DIRECTORY_H
#define FSRELAY_PORT_STORE_DIRECTORY_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"
#include "relay/port/store.h"

/* --- directory ------------------------------------------------------ */

/*
 * Replace structures, topics and referent rows with those of dir (keyed by
 * partner, structure, topic, role, lowercased address or name).  Pinned keys
 * (keyed by lowercased address) are kept.  Appends one French line per
 * change to changes ("+ ajouté ...", "- retiré ...", "~ modifié ...").
 * Counts the mark STORE_DIRECTORY_VERSION up, so that the processes that
 * keep the directory (relay/instance) read it again.
 */
#define STORE_DIRECTORY_VERSION	"directory.version"	/* a mark (port/store_cases.h),
					 * counted up by each replace */
int	 store_directory_replace(struct store *st, const struct directory *dir,
	    struct buf *changes, int *n_changes);
/* Load the directory from the store into dir (directory_free to release).
 * 0 also when empty (n_entries == 0); -1 with the reason in err (the
 * store's, or the directory parser's for a row it refuses: "ligne 3,
 * colonne role : ..."). */
int	 store_directory_load(struct store *st, struct directory *dir, char *err,
	    size_t errlen);

struct pinned_key {
	char	email_lc[256];
	char	recipient[128];		/* age1... */
	char	fingerprint[80];	/* SHA256:<hex> of the recipient */
	char	verified_by[201];
	int64_t	pinned_at;
	int64_t	compromised_at;		/* 0 if not */
};

/* Pin (or re-pin) the key of an address.  */
int	 store_key_pin(struct store *st, const struct pinned_key *k);
/* 0 found, 1 none, -1 error. */
int	 store_key_get(struct store *st, const char *email_lc, struct pinned_key *k);

/* --- agents --------------------------------------------------------- */

struct agent {
	char	id[65];
	char	structure[65];
	char	name[201];
	char	email[256];
	char	role[16];		/* agent | responsable | dpo | admin */
	int	disabled;		/* disabled (web desk and CLI alike) */
	int	removed;		/* removed: name and email erased */
};

/* 0 added, 1 id already exists, -1 error. */
int	 store_agent_add(struct store *st, const struct agent *a, int64_t now);
/* 0 found, 1 none, -1 error.  disabled and removed are read from the
 * account (adapters/store_web.c). */
int	 store_agent_get(struct store *st, const char *id, struct agent *a);
/* All agents ordered by id; caller frees *list. */
int	 store_agent_list(struct store *st, struct agent **list, size_t *n);

/* The web desk's accounts, sessions and login counters (relay/account.h),
 * implemented on this store (adapters/store_web.c). */
struct account_port;
void	 store_account_port(struct store *st, struct account_port *p);


#endif
