/*
 * cmd_open - "fsrelay open", the referent's side: decrypt a case file
 * (.age) with an age identity, verify the relay's signature and every part
 * against the manifest (envelope_open), then write the .eml to stdout or
 * the parts into a directory.
 *
 * Trusts nothing in the file, and nothing in the names of its parts: they
 * are cleaned (no directory, no "..", no control character) and every
 * file is created with O_EXCL|O_NOFOLLOW, mode 0600, under a directory
 * opened with O_NOFOLLOW, so an existing file or symlink is never
 * overwritten nor followed.  The identity is kept in sodium_malloc memory
 * and wiped.
 */
#include "adapters/cli/commands.h"
#include "relay/calendar.h"
#include "adapters/cli/cli.h"
#include "relay/envelope.h"
#include "relay/age.h"
#include "relay/sanitize.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#define ERRLEN		1024
#define IDENTITY_MAX	(64 * 1024)
#define AGE_FILE_MAX	(ENVELOPE_MAX_EML + 4 * 1024 * 1024)

static const struct cli_cmd open_cmd = { "open",
	"open FICHIER.age --identity CLÉ --relay-key CLÉ_PUBLIQUE [--extraire DOSSIER]",
	"Déchiffre un dossier reçu (fichier .age joint au courriel du relais) avec\n"
	"votre identité age, vérifie la signature du relais et l'empreinte de\n"
	"chaque pièce, puis écrit le message (.eml, lisible par un logiciel de\n"
	"messagerie) sur la sortie standard, ou ses pièces dans un dossier.\n"
	"  --identity CLÉ         votre identité age (fichier écrit par age-keygen,\n"
	"                         ligne AGE-SECRET-KEY-...)\n"
	"  --relay-key CLÉ        clé publique de signature du relais : 44 caractères\n"
	"                         base64, telle qu'affichée par\n"
	"                         « fsrelay keys show signing »\n"
	"  --extraire DOSSIER     écrit description.txt, manifest.json, manifest.sig\n"
	"                         et les pièces jointes dans DOSSIER (créé en mode\n"
	"                         0700 au besoin) : noms nettoyés, suffixe -1, -2...\n"
	"                         si le nom existe déjà ; affiche les fichiers écrits\n"
	"Un résumé (référence, date, pièces) est écrit sur la sortie d'erreur.\n"
	"Code 1 si le fichier est altéré ou tronqué, chiffré pour une autre clé, ou\n"
	"signé par une autre clé que --relay-key ; rien n'est alors écrit.\n", 1, 1 };

/* Read the identity file (a warning if others may read it) and parse it
 * into sk (sodium_malloc'd by the caller).  0 / -1 with err. */
static int
read_identity(const char *path, uint8_t *sk, char *err, size_t errlen)
{
	const char *why = NULL;
	struct stat st;
	char *text = NULL;
	ssize_t n = 0, got;
	int fd, r = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "identité « %s » illisible : %s", path, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > IDENTITY_MAX) {
		snprintf(err, errlen, "identité « %s » : fichier ordinaire de moins de "
		    "64 Kio attendu", path);
		goto done;
	}
	if (st.st_mode & 077)
		fprintf(stderr, "fsrelay open : attention : l'identité « %s » est lisible "
		    "par d'autres utilisateurs (chmod 600 conseillé)\n", path);
	if ((text = sodium_malloc(IDENTITY_MAX + 1)) == NULL)
		fatalx("mémoire insuffisante");
	while (n < IDENTITY_MAX && (got = read(fd, text + n, (size_t)(IDENTITY_MAX - n))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			snprintf(err, errlen, "identité « %s » illisible : %s", path,
			    strerror(errno));
			goto done;
		}
		n += got;
	}
	text[n] = '\0';
	if (memchr(text, '\0', (size_t)n) != NULL ||
	    age_identity_parse(text, sk, &why) < 0) {
		snprintf(err, errlen, "identité « %s » : %s", path,
		    why ? why : "contenu invalide");
		goto done;
	}
	r = 0;
done:
	if (text != NULL)
		sodium_free(text);	/* wipes */
	if (fd >= 0)
		close(fd);
	return r;
}

static void
print_summary(const struct envelope_opened *o, const uint8_t relay_pk[32])
{
	char t[CAL_RFC3339_LEN] = "?", fpr[KEY_FINGERPRINT_LEN];
	size_t i;

	cal_format_rfc3339_utc(t, o->time);
	envelope_fingerprint(fpr, relay_pk);
	fprintf(stderr, "dossier : %s\n", o->ref);
	fprintf(stderr, "  date : %s\n", t);
	fprintf(stderr, "  Message-ID : <%s>\n", o->message_id);
	fprintf(stderr, "  chiffré pour la clé : %s\n", o->recipient_fingerprint);
	fprintf(stderr, "  format : version %d (pièces %s)\n", o->version,
	    o->version == ENVELOPE_V1 ? "en base64" : "telles quelles");
	fprintf(stderr, "  description : %zu octets\n", o->description.len);
	for (i = 0; i < o->n_docs; i++)
		fprintf(stderr, "  pièce %zu : %s (%s, %zu octets)\n", i + 1, o->docs[i].name,
		    o->docs[i].media_type, o->docs[i].len);
	if (o->n_docs == 0)
		fprintf(stderr, "  aucune pièce jointe\n");
	fprintf(stderr, "signature du relais vérifiée (clé %s)\n", fpr);
}

/* Create a new file for name in dirfd (relay/sanitize: cleaned name,
 * then name-1.ext, ...), write the data; the name used goes to used.
 * 0 / -1 with err. */
static int
write_part(int dirfd, const char *name, const uint8_t *data, size_t len, char *used,
    size_t usedlen, char *err, size_t errlen)
{
	int fd;

	if ((fd = san_create(dirfd, name, used, usedlen, err, errlen)) < 0)
		return -1;
	if (fs_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		snprintf(err, errlen, "écriture de « %s » impossible : %s", used,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (close(fd) < 0) {
		snprintf(err, errlen, "écriture de « %s » impossible : %s", used,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Create (0700) or open dir, never through a symlink.  fd or -1. */
static int
open_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (lstat(dir, &st) == 0 && !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "« %s » n'est pas un dossier%s", dir,
		    S_ISLNK(st.st_mode) ? " (lien symbolique refusé)" : "");
		return -1;
	}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "création du dossier « %s » impossible : %s", dir,
		    strerror(errno));
		return -1;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		snprintf(err, errlen, "dossier « %s » inutilisable : %s", dir,
		    errno == ELOOP ? "c'est un lien symbolique" : strerror(errno));
	return fd;
}

static int
extract(const struct envelope_opened *o, const char *dir, char *err, size_t errlen)
{
	char used[2 * SAN_DISK_MAX + 32];	/* stem + "-999" + ext */
	struct buf list;
	size_t i;
	int fd, r = -1;

	if ((fd = open_dir(dir, err, errlen)) < 0)
		return -1;
	buf_init(&list, 1024 * 1024);
	if (write_part(fd, ENVELOPE_DESCRIPTION_NAME, o->description.data, o->description.len,
	    used, sizeof(used), err, errlen) < 0)
		goto done;
	buf_printf(&list, "%s/%s\n", dir, used);
	if (write_part(fd, "manifest.json", (const uint8_t *)o->manifest_json.p,
	    o->manifest_json.len, used, sizeof(used), err, errlen) < 0)
		goto done;
	buf_printf(&list, "%s/%s\n", dir, used);
	/* The signature file: the base64 line and a newline. */
	{
		char sig[ENVELOPE_SIG_B64_LEN + 2];

		memcpy(sig, o->manifest_sig.p, ENVELOPE_SIG_B64_LEN);
		sig[ENVELOPE_SIG_B64_LEN] = '\n';
		if (write_part(fd, "manifest.sig", (const uint8_t *)sig,
		    ENVELOPE_SIG_B64_LEN + 1, used, sizeof(used), err, errlen) < 0)
			goto done;
		buf_printf(&list, "%s/%s\n", dir, used);
	}
	for (i = 0; i < o->n_docs; i++) {
		if (write_part(fd, o->docs[i].name, o->docs[i].data, o->docs[i].len, used,
		    sizeof(used), err, errlen) < 0)
			goto done;
		buf_printf(&list, "%s/%s\n", dir, used);
	}
	r = 0;
done:
	close(fd);
	if (list.len && fwrite(list.p, 1, list.len, stdout) != list.len)
		r = -1;
	if (fflush(stdout) != 0 && r == 0) {
		snprintf(err, errlen, "écriture sur la sortie impossible");
		r = -1;
	}
	buf_free(&list);
	return r;
}

static int
open_run(const char *file, const char *identity, const char *relay_key, const char *dir)
{
	struct envelope_opened o;
	struct buf age;
	uint8_t pk[32], *sk;
	char err[ERRLEN];
	int r = EXIT_REFUSED;

	if (envelope_relay_key_parse(relay_key, pk) < 0)
		return cli_usage(&open_cmd, "--relay-key : clé publique attendue (44 "
		    "caractères base64, « fsrelay keys show signing »)");
	if ((sk = sodium_malloc(AGE_X25519_KEY_BYTES)) == NULL)
		fatalx("mémoire insuffisante");
	buf_init(&age, AGE_FILE_MAX);
	if (read_identity(identity, sk, err, sizeof(err)) < 0) {
		r = cli_fail("open : %s", err);
		goto done;
	}
	if (buf_read_file(&age, file) < 0) {
		r = cli_fail("open : lecture de « %s » impossible : %s", file,
		    errno == EFBIG ? "fichier trop volumineux" : strerror(errno));
		goto done;
	}
	if (envelope_open(&o, (const uint8_t *)age.p, age.len, sk, pk, err, sizeof(err)) < 0) {
		r = cli_fail("open : %s : %s", file, err);
		goto done;
	}
	if (dir != NULL) {
		if (extract(&o, dir, err, sizeof(err)) < 0)
			r = cli_fail("open : %s", err);
		else
			r = EXIT_OK;
	} else if (fwrite(o.eml.p, 1, o.eml.len, stdout) != o.eml.len || fflush(stdout) != 0)
		r = cli_fail("open : écriture sur la sortie impossible");
	else
		r = EXIT_OK;
	if (r == EXIT_OK)
		print_summary(&o, pk);
	envelope_opened_free(&o);
done:
	buf_free(&age);
	sodium_free(sk);
	return r;
}

int
cmd_open(int argc, char **argv)
{
	const char *identity = NULL, *relay_key = NULL, *dir = NULL, **pos = NULL;
	const struct cli_opt opts[] = {
		{ "identity", &identity, NULL, NULL, NULL },
		{ "relay-key", &relay_key, NULL, NULL, NULL },
		{ "extraire", &dir, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	int npos, r;

	if ((r = cli_parse(&open_cmd, argc, argv, opts, &pos, &npos)) != 0) {
		free(pos);
		return r == CLI_HELP_SHOWN ? EXIT_OK : r;
	}
	if (identity == NULL || *identity == '\0')
		r = cli_usage(&open_cmd, "option --identity manquante");
	else if (relay_key == NULL || *relay_key == '\0')
		r = cli_usage(&open_cmd, "option --relay-key manquante : la signature du "
		    "relais doit être vérifiée");
	else if (dir != NULL && *dir == '\0')
		r = cli_usage(&open_cmd, "--extraire : dossier vide");
	else
		r = open_run(pos[0], identity, relay_key, dir);
	free(pos);
	return r;
}
