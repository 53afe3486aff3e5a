/*
 * bech32 - Bech32 (BIP 173) encoding and decoding; see bech32.h.
 *
 * Trusts nothing in decoded strings.  No length limit is enforced beyond
 * the caller's buffers, since age strings exceed BIP 173's 90 characters.
 */
#include "relay/bech32.h"

#include <string.h>

#define BECH32_CHECKSUM_LEN	6

static const char bech32_charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t
bech32_polymod_step(uint32_t chk)
{
	static const uint32_t gen[5] = {
		0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3
	};
	uint32_t top = chk >> 25;
	int i;

	chk = (chk & 0x1ffffff) << 5;
	for (i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static char
bech32_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Checksum state after feeding the expanded hrp (hrplen bytes of hrp,
 * compared in lowercase). */
static uint32_t
bech32_hrp_polymod(const char *hrp, size_t hrplen)
{
	uint32_t chk = 1;
	size_t i;

	for (i = 0; i < hrplen; i++)
		chk = bech32_polymod_step(chk) ^
		    ((unsigned char)bech32_lower(hrp[i]) >> 5);
	chk = bech32_polymod_step(chk);
	for (i = 0; i < hrplen; i++)
		chk = bech32_polymod_step(chk) ^
		    ((unsigned char)bech32_lower(hrp[i]) & 31);
	return chk;
}

/* Value of a data character (either case), or -1. */
static int
bech32_value(char c)
{
	const char *p;

	c = bech32_lower(c);
	if (c == '\0')
		return -1;
	p = strchr(bech32_charset, c);
	return p == NULL ? -1 : (int)(p - bech32_charset);
}

size_t
bech32_encoded_len(size_t hrplen, size_t len)
{
	size_t nvalues;

	if (len > (SIZE_MAX - 4) / 8)
		return 0;
	nvalues = (len * 8 + 4) / 5;
	if (hrplen > SIZE_MAX - nvalues - 1 - BECH32_CHECKSUM_LEN - 1)
		return 0;
	return hrplen + 1 + nvalues + BECH32_CHECKSUM_LEN;
}

static int
bech32_hrp_valid(const char *hrp, size_t hrplen)
{
	size_t i;

	if (hrplen == 0)
		return 0;
	for (i = 0; i < hrplen; i++)
		if ((unsigned char)hrp[i] < 33 || (unsigned char)hrp[i] > 126)
			return 0;
	return 1;
}

int
bech32_encode(char *out, size_t outlen, const char *hrp, const uint8_t *data,
    size_t len)
{
	size_t hrplen = strlen(hrp), need, o = 0, i;
	uint32_t chk, acc = 0;
	unsigned int bits = 0;
	uint8_t v;

	if (outlen > 0)
		out[0] = '\0';
	need = bech32_encoded_len(hrplen, len);
	if (!bech32_hrp_valid(hrp, hrplen) || need == 0 || need >= outlen)
		return -1;
	chk = bech32_hrp_polymod(hrp, hrplen);
	for (i = 0; i < hrplen; i++)
		out[o++] = bech32_lower(hrp[i]);
	out[o++] = '1';
	for (i = 0; i < len; i++) {
		acc = ((acc << 8) | data[i]) & 0xfff;
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			v = (uint8_t)((acc >> bits) & 31);
			chk = bech32_polymod_step(chk) ^ v;
			out[o++] = bech32_charset[v];
		}
	}
	if (bits > 0) {
		v = (uint8_t)((acc << (5 - bits)) & 31);
		chk = bech32_polymod_step(chk) ^ v;
		out[o++] = bech32_charset[v];
	}
	for (i = 0; i < BECH32_CHECKSUM_LEN; i++)
		chk = bech32_polymod_step(chk);
	chk ^= 1;
	for (i = 0; i < BECH32_CHECKSUM_LEN; i++)
		out[o++] = bech32_charset[(chk >> (5 * (5 - i))) & 31];
	out[o] = '\0';
	return 0;
}

/*
 * Validate s: printable ASCII, single case, separator, non-empty hrp, data
 * characters and checksum.  *hrplen_r gets the hrp length and *nvalues_r
 * the number of data values before the checksum.
 */
static int
bech32_check(const char *s, size_t *hrplen_r, size_t *nvalues_r,
    const char **errstr)
{
	size_t len = strlen(s), i, sep = len;
	int lower = 0, upper = 0, v;
	uint32_t chk;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 33 || c > 126) {
			*errstr = "caractère hors plage dans une chaîne bech32";
			return -1;
		}
		if (c >= 'a' && c <= 'z')
			lower = 1;
		if (c >= 'A' && c <= 'Z')
			upper = 1;
		if (c == '1')
			sep = i;
	}
	if (lower && upper) {
		*errstr = "casse mixte dans une chaîne bech32";
		return -1;
	}
	if (sep == len) {
		*errstr = "séparateur absent dans une chaîne bech32";
		return -1;
	}
	if (sep == 0) {
		*errstr = "préfixe vide dans une chaîne bech32";
		return -1;
	}
	if (len - sep - 1 < BECH32_CHECKSUM_LEN) {
		*errstr = "chaîne bech32 trop courte";
		return -1;
	}
	chk = bech32_hrp_polymod(s, sep);
	for (i = sep + 1; i < len; i++) {
		v = bech32_value(s[i]);
		if (v < 0) {
			*errstr = "caractère invalide dans une chaîne bech32";
			return -1;
		}
		chk = bech32_polymod_step(chk) ^ (uint32_t)v;
	}
	if (chk != 1) {
		*errstr = "somme de contrôle bech32 incorrecte";
		return -1;
	}
	*hrplen_r = sep;
	*nvalues_r = len - sep - 1 - BECH32_CHECKSUM_LEN;
	return 0;
}

int
bech32_decode_raw(const char *s, char *hrp, size_t hrpmax, uint8_t *values,
    size_t maxvalues, size_t *nvalues_r, const char **errstr)
{
	size_t hrplen, n, i;

	if (bech32_check(s, &hrplen, &n, errstr) < 0)
		return -1;
	if (hrplen >= hrpmax || n > maxvalues) {
		*errstr = "chaîne bech32 trop longue";
		return -1;
	}
	for (i = 0; i < hrplen; i++)
		hrp[i] = bech32_lower(s[i]);
	hrp[hrplen] = '\0';
	for (i = 0; i < n; i++)
		values[i] = (uint8_t)bech32_value(s[hrplen + 1 + i]);
	*nvalues_r = n;
	return 0;
}

static int
bech32_hrp_equal(const char *s, size_t hrplen, const char *hrp)
{
	size_t i;

	if (strlen(hrp) != hrplen)
		return 0;
	for (i = 0; i < hrplen; i++)
		if (bech32_lower(s[i]) != bech32_lower(hrp[i]))
			return 0;
	return 1;
}

int
bech32_decode(const char *s, const char *hrp, uint8_t *data, size_t maxlen,
    size_t *len_r, const char **errstr)
{
	size_t hrplen, n, i, o = 0;
	uint32_t acc = 0;
	unsigned int bits = 0;

	if (bech32_check(s, &hrplen, &n, errstr) < 0)
		return -1;
	if (!bech32_hrp_equal(s, hrplen, hrp)) {
		*errstr = "préfixe bech32 inattendu";
		return -1;
	}
	for (i = 0; i < n; i++) {
		acc = ((acc << 5) | (uint32_t)bech32_value(s[hrplen + 1 + i])) &
		    0xfff;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o == maxlen) {
				*errstr = "données bech32 trop longues";
				return -1;
			}
			data[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* BIP 173 convertbits(..., pad=False): at most 4 leftover bits, all 0. */
	if (bits >= 5 || (acc & ((1u << bits) - 1)) != 0) {
		*errstr = "remplissage bech32 invalide";
		return -1;
	}
	*len_r = o;
	return 0;
}
