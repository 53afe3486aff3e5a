/*
 * admin - see admin.h.
 */
#include "relay/admin.h"
#include "relay/audit.h"
#include "relay/directory.h"
#include "relay/envelope.h"
#include "relay/instance.h"
#include "relay/port/store.h"
#include "relay/port/store_directory.h"
#include "keys/keystore.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
admin_status(struct instance *in, struct admin_status *s, char *err, size_t errlen)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	if (store_count(in->st, "deliveries.pending", &s->deliveries_pending) < 0 ||
	    store_count(in->st, "notices.pending", &s->notices_pending) < 0 ||
	    store_mark_get(in->st, "mailbox.last_poll", &s->last_mailbox_poll) < 0 ||
	    store_mark_get(in->st, "mailbox.login_refused_since",
	    &s->mailbox_login_refused_since) < 0 ||
	    store_mark_get(in->st, "submission.login_refused_since",
	    &s->submission_login_refused_since) < 0 ||
	    store_overdue_by_partner(in->st, in->now, &s->overdue, &s->n_overdue) < 0)
		goto fail;
	for (i = 0; i < CASE_STATE_COUNT; i++)
		if (store_count_cases_by_state(in->st, case_state_name(i), &s->cases[i]) < 0)
			goto fail;
	return 0;
fail:
	snprintf(err, errlen, "base : %s", store_errmsg(in->st));
	return -1;
}

void
admin_status_free(struct admin_status *s)
{
	free(s->overdue);
	s->overdue = NULL;
	s->n_overdue = 0;
}

static const char *const key_names[ADMIN_KEY_COUNT] = {
	[ADMIN_KEY_RELAY_IDENTITY] = "relay-identity",
	[ADMIN_KEY_SIGNING] = "signing",
	[ADMIN_KEY_AUDIT_LOG] = "audit-log",
};

const char *
admin_key_name(enum admin_key k)
{
	return (unsigned)k < ADMIN_KEY_COUNT ? key_names[k] : NULL;
}

int
admin_key_parse(const char *name, enum admin_key *k, char *err, size_t errlen)
{
	unsigned i;

	for (i = 0; i < ADMIN_KEY_COUNT; i++)
		if (strcmp(name, key_names[i]) == 0) {
			*k = (enum admin_key)i;
			return 0;
		}
	snprintf(err, errlen, "clé inconnue « %s » (relay-identity, signing ou audit-log)",
	    name);
	return -1;
}

int
admin_public_key(struct instance *in, enum admin_key k, char *out, size_t outlen,
    char *err, size_t errlen)
{
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)];
	uint8_t pk[32];

	switch (k) {
	case ADMIN_KEY_RELAY_IDENTITY:
		return instance_relay_recipient(in, out, outlen, err, errlen);
	case ADMIN_KEY_SIGNING:
		if (instance_public_key(in, KEYSTORE_SIGNING, pk, err, errlen) < 0)
			return -1;
		sodium_bin2base64(b64, sizeof(b64), pk, sizeof(pk),
		    sodium_base64_VARIANT_ORIGINAL);
		fs_strlcpy(out, b64, outlen);
		return 0;
	case ADMIN_KEY_AUDIT_LOG:
		return audit_vkey(in, out, outlen, err, errlen);
	case ADMIN_KEY_COUNT:
		break;
	}
	snprintf(err, errlen, "clé inconnue");
	return -1;
}

int
admin_signing_fingerprint(struct instance *in, char *out, size_t outlen, char *err,
    size_t errlen)
{
	char fp[KEY_FINGERPRINT_LEN];
	uint8_t pk[32];

	if (instance_public_key(in, KEYSTORE_SIGNING, pk, err, errlen) < 0)
		return -1;
	envelope_fingerprint(fp, pk);
	fs_strlcpy(out, fp, outlen);
	return 0;
}

/* Parse one of the three files into dir with its parser. */
static int
parse_csv(const struct admin_csv *f, struct directory *dir,
    int (*parse)(struct directory *, const char *, size_t, char *, size_t), char *err,
    size_t errlen)
{
	char detail[700];

	if (parse(dir, f->text, f->len, detail, sizeof(detail)) == 0)
		return 0;
	snprintf(err, errlen, "%s : %s", f->name, detail);
	return -1;
}

int
admin_directory_import(struct instance *in, const struct admin_csv *annex,
    const struct admin_csv *structures, const struct admin_csv *topics,
    struct buf *changes, size_t *entries, int *n_changes, char *err, size_t errlen)
{
	struct directory dir, old;
	char derr[512];
	int r = -1;

	*entries = 0;
	*n_changes = 0;
	directory_init(&dir);
	if (store_directory_load(in->st, &old, derr, sizeof(derr)) < 0) {
		snprintf(err, errlen, "lecture de l'annuaire en base : %s", derr);
		return -1;
	}
	/* Tables not given are kept from the store. */
	dir.structures = old.structures, dir.n_structures = old.n_structures;
	dir.topics = old.topics, dir.n_topics = old.n_topics;
	old.structures = NULL, old.n_structures = 0, old.topics = NULL, old.n_topics = 0;
	directory_free(&old);
	if ((structures->text && parse_csv(structures, &dir, directory_parse_structures, err,
	    errlen) < 0) || (topics->text && parse_csv(topics, &dir, directory_parse_topics,
	    err, errlen) < 0) || parse_csv(annex, &dir, directory_parse_entries, err,
	    errlen) < 0)
		goto out;
	if (dir.n_structures == 0 || dir.n_topics == 0) {
		snprintf(err, errlen, "structures ou motifs inconnus : donnez --structures et"
		    " --topics lors du premier import");
		goto out;
	}
	if (directory_validate(&dir, err, errlen) < 0)
		goto out;
	if (store_begin(in->st) < 0 ||
	    store_directory_replace(in->st, &dir, changes, n_changes) < 0 ||
	    store_event(in->st, in->now, "admin", "directory.imported", NULL,
	    *n_changes ? "changed" : "unchanged") < 0 || store_commit(in->st) < 0) {
		snprintf(err, errlen, "écriture de l'annuaire : %s", store_errmsg(in->st));
		store_rollback(in->st);
		goto out;
	}
	*entries = dir.n_entries;
	r = 0;
out:
	directory_free(&dir);
	return r;
}
