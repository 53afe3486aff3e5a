/*
 * deploy - the rules `fsrelay check` applies to a deployment (issue 13):
 * modes and owners of the configuration, its directory and data_dir, the
 * account that runs the relay, the systemd unit, the clock's
 * synchronisation.  Each rule takes plain values (a mode, uids, a word
 * printed by timedatectl) and returns a verdict with a French reason; the
 * command reads the file system and runs the programs.
 */
#ifndef FSRELAY_DEPLOY_H
#define FSRELAY_DEPLOY_H

#include <stddef.h>
#include <sys/types.h>

enum deploy_verdict { DEPLOY_OK = 0, DEPLOY_WARN = 1, DEPLOY_ERROR = 2 };

/* The configuration file: mode and owner, the uid the relay runs under.
 * Writable by group or others: error; readable by others, or writable by
 * the relay's own account: warning (docs/admin.md: root:fsrelay 0640). */
enum deploy_verdict deploy_config_file(mode_t mode, uid_t owner, uid_t self, char *why,
	    size_t len);
/* The directory of the configuration (/etc/fsrelay): writable by group or
 * others: error; open to others: warning (0750 root:fsrelay). */
enum deploy_verdict deploy_config_dir(mode_t mode, char *why, size_t len);
/* data_dir: owned by the relay's account and 0700, else error. */
enum deploy_verdict deploy_data_dir(mode_t mode, uid_t owner, uid_t self, char *why,
	    size_t len);
/* The database file (fsrelay.db, and its -wal/-shm when present; name
 * says which): readable or writable by group or others, or owned by
 * another uid: error, as for the keys (issue 16, point 6). */
enum deploy_verdict deploy_database(const char *name, mode_t mode, uid_t owner, uid_t self,
	    char *why, size_t len);
/* The account: root is a warning (production runs as fsrelay). */
enum deploy_verdict deploy_account(uid_t self, char *why, size_t len);
/* The unit fsrelay.service found (1) or not (0) in systemd's unit path. */
enum deploy_verdict deploy_unit(int found, char *why, size_t len);
/* What `timedatectl show -p NTPSynchronized --value` printed ("yes",
 * "no"), or NULL when it could not run (no systemd): only "no" warns. */
enum deploy_verdict deploy_clock(const char *ntp_synchronized, char *why, size_t len);

/* The mail parser's sandbox (keys/sandbox): probe is 0 when a contained
 * child was killed by a forbidden call (else error: every mail would go
 * to quarantine), reason what went wrong; landlock_abi 0 is a warning
 * (seccomp only). */
enum deploy_verdict deploy_sandbox(int probe, const char *reason, int landlock_abi,
	    char *why, size_t len);

/* systemd's unit directories, searched for fsrelay.service: the value of
 * SYSTEMD_UNIT_PATH when set (a trailing ':' appends these), then
 * /etc/systemd/system, /usr/local/lib/systemd/system, /lib/systemd/system,
 * /usr/lib/systemd/system.  NULL-terminated static array. */
extern const char *const deploy_unit_dirs[];

#endif
