/*
 * blindindex - HMAC-SHA-256 of a person's canonical name, first name and
 * birth date.  See blindindex.h.  Trusts the caller's key; treats every
 * name as hostile (UTF-8 checked, sizes capped, buffers wiped).
 */
#include "relay/blindindex.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#define BI_DOMAIN	"fsrelay-bi-v1"
#define BI_SEP		0x1f
/* NFKD and case folding expand a field at most about 11 times (U+FDFA):
 * leave room for that, and fail cleanly beyond. */
#define CANON_MAX	(32 * BLINDINDEX_FIELD_MAX)

_Static_assert(BLINDINDEX_KEY_BYTES == crypto_auth_hmacsha256_KEYBYTES,
    "blind index key size");
_Static_assert(BLINDINDEX_BYTES == crypto_auth_hmacsha256_BYTES,
    "blind index size");

/* Append one code point of the folded string, or what it stands for. */
static int
canon_char(struct buf *out, ucs4_t uc, const uint8_t *bytes, int len)
{
	if (uc == 0x0153)			/* œ */
		return buf_puts(out, "oe");
	if (uc == 0x00e6)			/* æ */
		return buf_puts(out, "ae");
	if (uc_is_general_category(uc, UC_CATEGORY_M))
		return 0;			/* accents, after NFKD */
	if (uc_is_general_category(uc, UC_CATEGORY_L) ||
	    uc_is_general_category(uc, UC_CATEGORY_N))
		return buf_append(out, bytes, (size_t)len);
	return 0;	/* spaces, hyphens, apostrophes, punctuation */
}

int
blindindex_canon(struct buf *out, const char *name)
{
	const uint8_t *s = (const uint8_t *)name, *q, *end;
	uint8_t *folded;
	size_t n, flen = 0;
	ucs4_t uc;
	int len, r = 0;

	if (name == NULL)
		return -1;
	n = strnlen(name, BLINDINDEX_FIELD_MAX + 1);
	if (n > BLINDINDEX_FIELD_MAX || u8_check(s, n) != NULL)
		return -1;
	if (n == 0)
		return 0;
	/* NFKD(casefold(NFKD(s))): compatibility caseless form. */
	folded = u8_casefold(s, n, NULL, UNINORM_NFKD, NULL, &flen);
	if (folded == NULL)
		return -1;
	end = folded + flen;
	for (q = folded; q < end && r == 0; q += len) {
		len = u8_mbtoucr(&uc, q, (size_t)(end - q));
		if (len <= 0)
			r = -1;
		else
			r = canon_char(out, uc, q, len);
	}
	sodium_memzero(folded, flen);
	free(folded);
	return r;
}

static int
digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* "" or "YYYY-MM-DD" with month 01-12 and day 01-31. */
static int
birth_ok(const char *b)
{
	int month, day;

	if (b[0] == '\0')
		return 1;
	if (strlen(b) != 10 || b[4] != '-' || b[7] != '-' ||
	    !digits(b, 4) || !digits(b + 5, 2) || !digits(b + 8, 2))
		return 0;
	month = (b[5] - '0') * 10 + (b[6] - '0');
	day = (b[8] - '0') * 10 + (b[9] - '0');
	return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

static int
mac(uint8_t out[BLINDINDEX_BYTES], const uint8_t *key, const struct buf *nom,
    const struct buf *prenom, const char *birth)
{
	static const uint8_t sep = BI_SEP;
	crypto_auth_hmacsha256_state st;
	int r = -1;

	if (crypto_auth_hmacsha256_init(&st, key, BLINDINDEX_KEY_BYTES) == 0 &&
	    crypto_auth_hmacsha256_update(&st, (const uint8_t *)BI_DOMAIN,
	    sizeof(BI_DOMAIN) - 1) == 0 &&
	    crypto_auth_hmacsha256_update(&st, &sep, 1) == 0 &&
	    crypto_auth_hmacsha256_update(&st, (const uint8_t *)nom->p,
	    nom->len) == 0 &&
	    crypto_auth_hmacsha256_update(&st, &sep, 1) == 0 &&
	    crypto_auth_hmacsha256_update(&st, (const uint8_t *)prenom->p,
	    prenom->len) == 0 &&
	    crypto_auth_hmacsha256_update(&st, &sep, 1) == 0 &&
	    crypto_auth_hmacsha256_update(&st, (const uint8_t *)birth,
	    strlen(birth)) == 0 &&
	    crypto_auth_hmacsha256_final(&st, out) == 0)
		r = 0;
	sodium_memzero(&st, sizeof(st));
	return r;
}

int
blindindex_compute(uint8_t out[BLINDINDEX_BYTES],
    const uint8_t key[BLINDINDEX_KEY_BYTES], const char *nom,
    const char *prenom, const char *birth)
{
	struct buf cn, cp;
	int r = -1;

	memset(out, 0, BLINDINDEX_BYTES);
	if (key == NULL || nom == NULL || prenom == NULL || birth == NULL ||
	    !birth_ok(birth))
		return -1;
	buf_init(&cn, CANON_MAX);
	buf_init(&cp, CANON_MAX);
	/* Both buffers are made non-NULL so that p is always valid. */
	if (buf_append(&cn, "", 0) == -1 || buf_append(&cp, "", 0) == -1)
		goto out;
	if (blindindex_canon(&cn, nom) == -1 || cn.len == 0 ||
	    blindindex_canon(&cp, prenom) == -1)
		goto out;
	r = mac(out, key, &cn, &cp, birth);
	if (r == -1)
		memset(out, 0, BLINDINDEX_BYTES);
out:
	buf_free(&cn);	/* wipes */
	buf_free(&cp);
	return r;
}

void
blindindex_hex(char out[BLINDINDEX_HEX_LEN + 1],
    const uint8_t idx[BLINDINDEX_BYTES])
{
	fs_hex(out, idx, BLINDINDEX_BYTES);
}
