/*
 * deploy - see deploy.h.
 */
#include "relay/deploy.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

const char *const deploy_unit_dirs[] = { "/etc/systemd/system",
	"/usr/local/lib/systemd/system", "/lib/systemd/system", "/usr/lib/systemd/system",
	NULL };

static enum deploy_verdict
say(enum deploy_verdict v, char *why, size_t len, const char *text)
{
	snprintf(why, len, "%s", text);
	return v;
}

enum deploy_verdict
deploy_config_file(mode_t mode, uid_t owner, uid_t self, char *why, size_t len)
{
	char t[256];

	if (mode & (S_IWGRP | S_IWOTH)) {
		snprintf(t, sizeof(t), "configuration modifiable par le groupe ou les autres"
		    " (mode %04o) : chown root:fsrelay, chmod 0640", (unsigned)(mode & 07777));
		return say(DEPLOY_ERROR, why, len, t);
	}
	if (mode & S_IROTH) {
		snprintf(t, sizeof(t), "configuration lisible par tous (mode %04o) : chmod 0640",
		    (unsigned)(mode & 07777));
		return say(DEPLOY_WARN, why, len, t);
	}
	if (owner == self && self != 0 && (mode & S_IWUSR))
		return say(DEPLOY_WARN, why, len, "configuration modifiable par le compte du"
		    " service : chown root:fsrelay, chmod 0640");
	return say(DEPLOY_OK, why, len, "");
}

enum deploy_verdict
deploy_config_dir(mode_t mode, char *why, size_t len)
{
	char t[256];

	if (mode & (S_IWGRP | S_IWOTH)) {
		snprintf(t, sizeof(t), "dossier de la configuration modifiable par le groupe ou"
		    " les autres (mode %04o) : chmod 0750", (unsigned)(mode & 07777));
		return say(DEPLOY_ERROR, why, len, t);
	}
	if (mode & (S_IROTH | S_IXOTH)) {
		snprintf(t, sizeof(t), "dossier de la configuration ouvert aux autres (mode %04o) :"
		    " chmod 0750", (unsigned)(mode & 07777));
		return say(DEPLOY_WARN, why, len, t);
	}
	return say(DEPLOY_OK, why, len, "");
}

enum deploy_verdict
deploy_data_dir(mode_t mode, uid_t owner, uid_t self, char *why, size_t len)
{
	char t[256];

	if (owner != self) {
		snprintf(t, sizeof(t), "data_dir appartient à l'uid %u, pas au compte du service"
		    " (uid %u)", (unsigned)owner, (unsigned)self);
		return say(DEPLOY_ERROR, why, len, t);
	}
	if (mode & 077) {
		snprintf(t, sizeof(t), "data_dir ouvert au groupe ou aux autres (mode %04o) :"
		    " chmod 0700", (unsigned)(mode & 07777));
		return say(DEPLOY_ERROR, why, len, t);
	}
	return say(DEPLOY_OK, why, len, "");
}

enum deploy_verdict
deploy_database(const char *name, mode_t mode, uid_t owner, uid_t self, char *why,
    size_t len)
{
	char t[256];

	if (owner != self) {
		snprintf(t, sizeof(t), "%s appartient à l'uid %u, pas au compte du service"
		    " (uid %u)", name, (unsigned)owner, (unsigned)self);
		return say(DEPLOY_ERROR, why, len, t);
	}
	if (mode & 077) {
		snprintf(t, sizeof(t), "%s : permissions %04o trop ouvertes (la base contient"
		    " les métadonnées des dossiers) : chmod 0600", name,
		    (unsigned)(mode & 07777));
		return say(DEPLOY_ERROR, why, len, t);
	}
	return say(DEPLOY_OK, why, len, "");
}

enum deploy_verdict
deploy_account(uid_t self, char *why, size_t len)
{
	if (self == 0)
		return say(DEPLOY_WARN, why, len, "lancé en root : en production, sous le compte"
		    " du service (sudo -u fsrelay fsrelay ...)");
	return say(DEPLOY_OK, why, len, "");
}

enum deploy_verdict
deploy_unit(int found, char *why, size_t len)
{
	if (!found)
		return say(DEPLOY_WARN, why, len, "unité systemd fsrelay.service non installée"
		    " (make install ou le paquet Debian)");
	return say(DEPLOY_OK, why, len, "");
}

enum deploy_verdict
deploy_clock(const char *ntp_synchronized, char *why, size_t len)
{
	if (ntp_synchronized && strcmp(ntp_synchronized, "no") == 0)
		return say(DEPLOY_WARN, why, len, "horloge non synchronisée (timedatectl) : les"
		    " échéances seraient fausses ; activez systemd-timesyncd ou chrony");
	return say(DEPLOY_OK, why, len, "");
}

enum deploy_verdict
deploy_sandbox(int probe, const char *reason, int landlock_abi, char *why, size_t len)
{
	char t[320];

	if (probe != 0) {
		snprintf(t, sizeof(t), "bac à sable de l'analyseur des courriels inopérant (%s) :"
		    " chaque courriel irait en quarantaine", reason ? reason : "?");
		return say(DEPLOY_ERROR, why, len, t);
	}
	if (landlock_abi < 1)
		return say(DEPLOY_WARN, why, len, "Landlock absent du noyau : l'analyseur des"
		    " courriels n'est confiné que par seccomp (noyau 5.13 ou plus, lsm=landlock)");
	return say(DEPLOY_OK, why, len, "");
}
