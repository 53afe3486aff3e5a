/*
 * bech32 - Bech32 (BIP 173, not bech32m) encoding and decoding, as age
 * uses it for "age1..." recipients and "AGE-SECRET-KEY-..." identities.
 *
 * Trusts nothing in the strings it decodes: character set, case, separator,
 * checksum and padding bits are all checked.  Unlike BIP 173 there is no
 * 90-character limit (age identities and recipients are longer).
 */
#ifndef FSRELAY_BECH32_H
#define FSRELAY_BECH32_H

#include <stddef.h>
#include <stdint.h>

/* Length of the string bech32_encode writes for an hrp of hrplen bytes and
 * len data bytes, NUL not included; 0 if the size would overflow. */
size_t	bech32_encoded_len(size_t hrplen, size_t len);

/* Encode len 8-bit bytes of data as Bech32 with hrp (printable ASCII 33..126,
 * at least one character; written in lowercase).  out receives a
 * NUL-terminated lowercase string.  0 on success; -1 if hrp is invalid or
 * outlen is too small (out is then the empty string when outlen > 0). */
int	bech32_encode(char *out, size_t outlen, const char *hrp,
	    const uint8_t *data, size_t len);

/* Decode s, which must be all lowercase or all uppercase, and whose human
 * readable part must equal hrp compared case-insensitively.  Checks the
 * character set, the checksum and the padding bits of the 5-to-8-bit
 * conversion.  data (maxlen bytes) receives the 8-bit bytes and *len_r
 * their number.  0 on success; -1 with *errstr set to a static French
 * message (data contents are then unspecified). */
int	bech32_decode(const char *s, const char *hrp, uint8_t *data,
	    size_t maxlen, size_t *len_r, const char **errstr);

/* Lower-level decoder for arbitrary Bech32 strings: copies the human
 * readable part, lowercased and NUL-terminated, into hrp (hrpmax bytes) and
 * the 5-bit values of the data part (checksum excluded) into values
 * (maxvalues entries), their number in *nvalues_r.  Same checks as
 * bech32_decode except the bit conversion.  0 / -1 with *errstr. */
int	bech32_decode_raw(const char *s, char *hrp, size_t hrpmax,
	    uint8_t *values, size_t maxvalues, size_t *nvalues_r,
	    const char **errstr);

#endif
