/*
 * instance - see instance.h.  Ties configuration, store and keys together
 * for the commands; knows the file names under data_dir.
 */
#include "relay/instance.h"
#include "relay/port/clock.h"
#include "relay/port/random.h"
#include "relay/age.h"
#include "relay/calendar.h"
#include "relay/directory.h"
#include "relay/util.h"
#include "relay/port/store.h"
#include "relay/port/store_cases.h"
#include "relay/port/store_directory.h"
#include "keys/keystore.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int
instance_clock(const struct config *cfg, int64_t *now, int *from_env,
    char *err, size_t errlen)
{
	return clock_now(cfg->test_clock, now, from_env, err, errlen);
}

static char *
key_path(const struct instance *in, const char *file)
{
	return xasprintf("%s/%s", in->keys_dir, file);
}

static uint8_t *
load_b64(const struct instance *in, const char *file, size_t len, char *err, size_t errlen)
{
	char *path = key_path(in, file);
	uint8_t *k = keystore_read_b64(path, len, err, errlen);

	free(path);
	return k;
}

static int
open_keys(struct instance *in, unsigned need, char *err, size_t errlen)
{
	if ((need & (INST_KEYS | INST_SIGNING)) &&
	    keystore_check_mode(in->keys_dir, 1, err, errlen) < 0)
		return -1;
	if (need & INST_KEYS) {
		if ((in->kek = load_b64(in, KEYSTORE_KEK, 32, err, errlen)) == NULL ||
		    (in->index_key = load_b64(in, KEYSTORE_INDEX, 32, err, errlen)) == NULL ||
		    (in->hmac_key = load_b64(in, KEYSTORE_HMAC, 32, err, errlen)) == NULL)
			return -1;
		vault_kek_id(in->kek_id, in->kek);
	}
	if (need & INST_SIGNING) {
		if ((in->signing_sk = load_b64(in, KEYSTORE_SIGNING, 64, err, errlen)) == NULL)
			return -1;
	}
	return 0;
}

int
instance_open(struct instance *in, const char *config_path, unsigned need,
    char *err, size_t errlen)
{
	char detail[512];

	memset(in, 0, sizeof(*in));
	if (config_load(&in->cfg, config_path, err, errlen) < 0)
		return -1;
	in->keys_dir = config_keys_dir(&in->cfg);
	if (instance_clock(&in->cfg, &in->now, &in->now_from_env, err, errlen) < 0)
		return -1;
	if (need & INST_STORE) {
		char *path = config_store_path(&in->cfg);
		int r = store_open(&in->st, path, 0, err, errlen);

		free(path);
		if (r < 0)
			return -1;
		if (in->now_from_env) {
			char when[CAL_RFC3339_LEN];

			cal_format_rfc3339_utc(when, in->now);
			if (store_event(in->st, in->now, "relay", "clock.test", NULL, when) < 0) {
				snprintf(err, errlen, "journal d'audit : %s", store_errmsg(in->st));
				return -1;
			}
		}
	}
	if (open_keys(in, need, detail, sizeof(detail)) < 0) {
		snprintf(err, errlen, "clés : %s", detail);
		return -1;
	}
	return 0;
}

void
instance_close(struct instance *in)
{
	size_t i;

	store_close(&in->st);
	for (i = 0; i < in->n_dir_old; i++) {
		directory_free(in->dir_old[i]);
		free(in->dir_old[i]);
	}
	free(in->dir_old);
	if (in->dir) {
		directory_free(in->dir);
		free(in->dir);
	}
	in->dir = NULL;
	in->dir_old = NULL;
	in->n_dir_old = 0;
	keystore_key_free(in->kek);
	keystore_key_free(in->index_key);
	keystore_key_free(in->hmac_key);
	keystore_key_free(in->signing_sk);
	in->kek = in->index_key = in->hmac_key = in->signing_sk = NULL;
	free(in->keys_dir);
	in->keys_dir = NULL;
	config_free(&in->cfg);
}

const struct directory *
instance_directory(struct instance *in, char *err, size_t errlen)
{
	struct directory *d;
	char derr[512];
	int64_t version = 0;
	int r = store_mark_get(in->st, STORE_DIRECTORY_VERSION, &version);

	if (r < 0) {
		snprintf(err, errlen, "lecture de l'annuaire : %s", store_errmsg(in->st));
		return NULL;
	}
	if (in->dir && version == in->dir_version)
		return in->dir;
	d = xcalloc(1, sizeof(*d));
	if (store_directory_load(in->st, d, derr, sizeof(derr)) < 0) {
		snprintf(err, errlen, "lecture de l'annuaire : %s", derr);
		free(d);
		return NULL;
	}
	if (in->dir) {
		in->dir_old = xreallocarray(in->dir_old, in->n_dir_old + 1, sizeof(*in->dir_old));
		in->dir_old[in->n_dir_old++] = in->dir;
	}
	in->dir = d;
	in->dir_version = version;
	return d;
}

static int
write_random_key(const char *dir, const char *file, size_t len, char *err, size_t errlen)
{
	uint8_t *k = sodium_malloc(len);
	char *path = xasprintf("%s/%s", dir, file);
	int r;

	if (k == NULL)
		fatalx("mémoire insuffisante");
	random_bytes(k, len);
	r = keystore_write_b64(path, k, len);
	if (r < 0)
		snprintf(err, errlen, "%s : écriture impossible : %s", path, strerror(errno));
	sodium_free(k);
	free(path);
	return r;
}

static int
write_sign_key(const char *dir, const char *file, char *err, size_t errlen)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	uint8_t seed[crypto_sign_SEEDBYTES];
	char *path = xasprintf("%s/%s", dir, file);
	int r = -1, k;

	if (sk == NULL)
		fatalx("mémoire insuffisante");
	random_bytes(seed, sizeof(seed));
	k = crypto_sign_seed_keypair(pk, sk, seed);
	sodium_memzero(seed, sizeof(seed));
	if (k != 0)
		snprintf(err, errlen, "génération de clé Ed25519 impossible");
	else if ((r = keystore_write_b64(path, sk, crypto_sign_SECRETKEYBYTES)) < 0)
		snprintf(err, errlen, "%s : écriture impossible : %s", path, strerror(errno));
	sodium_free(sk);
	free(path);
	return r;
}

static int
write_identity(const char *dir, int64_t now, char *err, size_t errlen)
{
	uint8_t sk[AGE_X25519_KEY_BYTES], pk[AGE_X25519_KEY_BYTES];
	char id[AGE_IDENTITY_LEN + 1], rcpt[AGE_RECIPIENT_LEN + 1], when[CAL_RFC3339_LEN];
	char *path = xasprintf("%s/%s", dir, KEYSTORE_IDENTITY), *text;
	int r = -1;

	if (age_keygen(sk, pk) < 0 || age_identity_format(id, sizeof(id), sk) < 0 ||
	    age_recipient_format(rcpt, sizeof(rcpt), pk) < 0) {
		snprintf(err, errlen, "génération de l'identité age impossible");
		goto out;
	}
	cal_format_rfc3339_utc(when, now);
	text = xasprintf("# created: %s\n# public key: %s\n%s\n", when, rcpt, id);
	r = keystore_write(path, text, strlen(text));
	if (r < 0)
		snprintf(err, errlen, "%s : écriture impossible : %s", path, strerror(errno));
	fs_wipe(text, strlen(text));
	free(text);
out:
	sodium_memzero(sk, sizeof(sk));
	sodium_memzero(id, sizeof(id));
	free(path);
	return r;
}

int
instance_create(const char *config_path, char *err, size_t errlen)
{
	struct config cfg;
	struct store *st = NULL;
	char *keys = NULL, *dbpath = NULL;
	int64_t now;
	int from_env, r = -1;

	if (config_load(&cfg, config_path, err, errlen) < 0)
		goto out;
	if (instance_clock(&cfg, &now, &from_env, err, errlen) < 0)
		goto out;
	if (mkdir(cfg.data_dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s : création impossible : %s", cfg.data_dir, strerror(errno));
		goto out;
	}
	keys = config_keys_dir(&cfg);
	dbpath = config_store_path(&cfg);
	if (access(dbpath, F_OK) == 0 || access(keys, F_OK) == 0) {
		snprintf(err, errlen, "instance déjà initialisée dans %s : refus d'écraser"
		    " ses clés et sa base", cfg.data_dir);
		goto out;
	}
	if (keystore_mkdir(keys, err, errlen) < 0 ||
	    write_identity(keys, now, err, errlen) < 0 ||
	    write_sign_key(keys, KEYSTORE_SIGNING, err, errlen) < 0 ||
	    write_sign_key(keys, KEYSTORE_AUDIT, err, errlen) < 0 ||
	    write_random_key(keys, KEYSTORE_KEK, 32, err, errlen) < 0 ||
	    write_random_key(keys, KEYSTORE_INDEX, 32, err, errlen) < 0 ||
	    write_random_key(keys, KEYSTORE_HMAC, 32, err, errlen) < 0)
		goto out;
	if (store_open(&st, dbpath, 1, err, errlen) < 0)
		goto out;
	if (store_event(st, now, "admin", "instance.init", NULL, "ok") < 0) {
		snprintf(err, errlen, "journal d'audit : %s", store_errmsg(st));
		goto out;
	}
	r = 0;
out:
	store_close(&st);
	free(keys);
	free(dbpath);
	config_free(&cfg);
	return r;
}

int
instance_relay_recipient(const struct instance *in, char *out, size_t outlen,
    char *err, size_t errlen)
{
	char *path = key_path(in, KEYSTORE_IDENTITY);
	size_t len;
	char *text = keystore_read(path, KEYSTORE_FILE_MAX, &len, err, errlen);
	uint8_t sk[AGE_X25519_KEY_BYTES], pk[AGE_X25519_KEY_BYTES];
	const char *why = NULL;
	int r = -1;

	free(path);
	if (text == NULL)
		return -1;
	if (age_identity_parse(text, sk, &why) < 0)
		snprintf(err, errlen, "identité age du relais illisible : %s", why ? why : "?");
	else if (crypto_scalarmult_base(pk, sk) != 0 ||
	    age_recipient_format(out, outlen, pk) < 0)
		snprintf(err, errlen, "identité age du relais invalide");
	else
		r = 0;
	sodium_memzero(sk, sizeof(sk));
	keystore_free(text, len);
	return r;
}

int
instance_public_key(const struct instance *in, const char *file, uint8_t pk[32],
    char *err, size_t errlen)
{
	uint8_t *sk = load_b64(in, file, crypto_sign_SECRETKEYBYTES, err, errlen);

	if (sk == NULL)
		return -1;
	/* An Ed25519 secret key in libsodium's form ends with its public key. */
	if (crypto_sign_ed25519_sk_to_pk(pk, sk) != 0) {
		keystore_key_free(sk);
		snprintf(err, errlen, "clé %s invalide", file);
		return -1;
	}
	keystore_key_free(sk);
	return 0;
}
