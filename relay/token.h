/*
 * token - the relay's keyed identifiers in outgoing mail: the Message-ID
 * of each delivery and the +token of the Reply-To address.  Both are HMACs
 * of the case reference under the instance's hmac key, so a reply carrying
 * them can be checked without a table lookup and nobody can forge one.
 */
#ifndef FSRELAY_TOKEN_H
#define FSRELAY_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TOKEN_REPLY_LEN		20	/* hex chars */
#define TOKEN_MSGID_MAX		256

/* The Reply-To token of a case: 20 lowercase hex chars. */
void	token_reply(char out[TOKEN_REPLY_LEN + 1], const uint8_t key[32], const char *ref);

/*
 * The Message-ID (without <>) of delivery `delivery_id` of case ref:
 * "<ref>.<delivery_id>.<16 hex HMAC>@<domain>".  The same inputs give the
 * same id, so a delivery re-sent after a crash keeps its Message-ID.
 * 0 / -1 if out is too small.
 */
int	token_message_id(char *out, size_t outlen, const uint8_t key[32], const char *ref,
	    int64_t delivery_id, const char *domain);

/*
 * Check a Message-ID made by token_message_id: 0 and the reference (ref_r,
 * at least 32 bytes) and delivery id when the HMAC matches, -1 otherwise.
 */
int	token_message_id_check(const char *msgid, const uint8_t key[32], char *ref_r,
	    size_t reflen, int64_t *delivery_id_r);

#endif
