/*
 * sealed - the case's sealed fields: unwrap the case's data key with the
 * KEK and seal or open a column of a row with it (relay/vault), binding
 * table, column, row and KEK id as associated data.
 */
#ifndef FSRELAY_SEALED_H
#define FSRELAY_SEALED_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"

struct instance;

/* The case's data key (sodium_malloc'd; free with vault_key_free), or NULL
 * with a French reason: shredded case, or a key that does not open. */
uint8_t	*sealed_case_key(struct instance *in, int64_t case_id, char *err, size_t errlen);

/* Seal data and store it in table.column of row.  0 / -1. */
int	 sealed_put(struct instance *in, const uint8_t *dek, const char *table,
	    const char *column, int64_t row, const void *data, size_t len);

/* Read and open table.column of row into out (at most max bytes).
 * 0 ok, 1 the column is empty (shredded), -1 failure (altered data). */
int	 sealed_get(struct instance *in, const uint8_t *dek, const char *table,
	    const char *column, int64_t row, struct buf *out, size_t max);

#endif
