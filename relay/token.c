/*
 * token - see token.h.
 */
#include "relay/token.h"
#include "relay/case.h"
#include "relay/util.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
mac_hex(char *out, size_t hexlen, const uint8_t key[32], const char *a, const char *b)
{
	crypto_auth_hmacsha256_state st;
	uint8_t mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, key, 32);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)a, strlen(a) + 1);
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)b, strlen(b));
	crypto_auth_hmacsha256_final(&st, mac);
	fs_hex(out, mac, hexlen / 2);
	sodium_memzero(&st, sizeof(st));
}

void
token_reply(char out[TOKEN_REPLY_LEN + 1], const uint8_t key[32], const char *ref)
{
	mac_hex(out, TOKEN_REPLY_LEN, key, "fsrelay-reply-token", ref);
}

int
token_message_id(char *out, size_t outlen, const uint8_t key[32], const char *ref,
    int64_t delivery_id, const char *domain)
{
	char what[64], mac[17];
	int n;

	snprintf(what, sizeof(what), "%s.%lld", ref, (long long)delivery_id);
	mac_hex(mac, 16, key, "fsrelay-message-id", what);
	n = snprintf(out, outlen, "%s.%s@%s", what, mac, domain);
	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

int
token_message_id_check(const char *msgid, const uint8_t key[32], char *ref_r, size_t reflen,
    int64_t *delivery_id_r)
{
	char ref[CASE_REF_LEN + 1], mac[17], what[64];
	const char *p = msgid, *dot, *at;
	long id;
	char *num;

	if (strlen(msgid) < CASE_REF_LEN + 20)
		return -1;
	memcpy(ref, p, CASE_REF_LEN);
	ref[CASE_REF_LEN] = '\0';
	if (!case_ref_valid(ref) || p[CASE_REF_LEN] != '.')
		return -1;
	p += CASE_REF_LEN + 1;
	if ((dot = strchr(p, '.')) == NULL || (at = strchr(dot, '@')) == NULL ||
	    at - dot != 17 || dot - p > 18)
		return -1;
	num = xstrndup(p, (size_t)(dot - p));
	if (fs_parse_long(num, 1, 999999999999L, &id) < 0) {
		free(num);
		return -1;
	}
	free(num);
	snprintf(what, sizeof(what), "%s.%ld", ref, id);
	mac_hex(mac, 16, key, "fsrelay-message-id", what);
	if (sodium_memcmp(mac, dot + 1, 16) != 0)
		return -1;
	fs_strlcpy(ref_r, ref, reflen);
	*delivery_id_r = id;
	return 0;
}
