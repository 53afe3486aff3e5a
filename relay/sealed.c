/*
 * sealed - see sealed.h.  The only place that pairs store columns with
 * vault associated data, so the AD cannot drift between writer and reader.
 */
#include "relay/sealed.h"
#include "relay/breach.h"
#include "relay/instance.h"
#include "relay/vault.h"
#include "relay/port/store_cases.h"

#include <stdio.h>
#include <string.h>

uint8_t *
sealed_case_key(struct instance *in, int64_t case_id, char *err, size_t errlen)
{
	struct buf wrapped;
	char kek_id[33];
	uint8_t *dek = NULL;
	int r;

	buf_init(&wrapped, 1024);
	r = store_case_key_get(in->st, case_id, kek_id, &wrapped);
	if (r == 1)
		snprintf(err, errlen, "dossier détruit (clé effacée)");
	else if (r < 0)
		snprintf(err, errlen, "lecture de la clé du dossier : %s", store_errmsg(in->st));
	else if (strcmp(kek_id, in->kek_id) != 0)
		snprintf(err, errlen, "clé du dossier chiffrée par une autre KEK (%s)", kek_id);
	else if ((dek = vault_unwrap_key(in->kek, in->kek_id, case_id, (const uint8_t *)wrapped.p,
	    wrapped.len)) == NULL)
		snprintf(err, errlen, "clé du dossier illisible (données altérées ?)");
	buf_free(&wrapped);
	return dek;
}

static int
put_blob(struct store *st, const char *table, const char *column, int64_t row,
    const void *blob, size_t len)
{
	if (strcmp(table, "cases") == 0)
		return store_case_set_blob(st, row, column, blob, len);
	if (strcmp(table, "documents") == 0)
		return store_document_set_blob(st, row, column, blob, len);
	if (strcmp(table, "messages") == 0 && strcmp(column, "full_text") == 0)
		return store_message_set_full_text(st, row, blob, len);
	if (strcmp(table, "messages") == 0)
		return store_message_set_text(st, row, blob, len);
	return -1;
}

static int
get_blob(struct store *st, const char *table, const char *column, int64_t row,
    struct buf *blob)
{
	if (strcmp(table, "cases") == 0)
		return store_case_get_blob(st, row, column, blob);
	if (strcmp(table, "documents") == 0)
		return store_document_get_blob(st, row, column, blob);
	if (strcmp(table, "messages") == 0 && strcmp(column, "full_text") == 0)
		return store_message_get_full_text(st, row, blob);
	if (strcmp(table, "messages") == 0)
		return store_message_get_text(st, row, blob);
	return -1;
}

int
sealed_put(struct instance *in, const uint8_t *dek, const char *table,
    const char *column, int64_t row, const void *data, size_t len)
{
	struct vault_ad ad = { table, column, row, in->kek_id };
	struct buf ct;
	int r = -1;

	buf_init(&ct, len + VAULT_OVERHEAD + 1);
	if (vault_seal(&ct, dek, &ad, data, len) == 0)
		r = put_blob(in->st, table, column, row, ct.p, ct.len);
	buf_free(&ct);
	return r;
}

int
sealed_get(struct instance *in, const uint8_t *dek, const char *table,
    const char *column, int64_t row, struct buf *out, size_t max)
{
	struct vault_ad ad = { table, column, row, in->kek_id };
	struct buf ct;
	int r;

	buf_init(&ct, max + VAULT_OVERHEAD);
	r = get_blob(in->st, table, column, row, &ct);
	if (r == 0 && vault_open(out, dek, &ad, (const uint8_t *)ct.p, ct.len,
	    max + VAULT_OVERHEAD) < 0) {
		(void)breach_integrity_failure(in, table, column, row);	/* issue 6 */
		r = -1;
	}
	buf_free(&ct);
	return r;
}
