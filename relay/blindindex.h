/*
 * blindindex - keyed blind index of a person, to find a person's cases
 * without storing who they are.
 *
 * index = HMAC-SHA-256(key, "fsrelay-bi-v1" 0x1f canon(nom) 0x1f
 *                           canon(prenom) 0x1f birth)
 *
 * canon() makes the spellings an agent may type for the same name equal:
 * Unicode compatibility decomposition and full case folding
 * (NFKD(casefold(NFKD(s))), libunistring u8_casefold: so ß -> ss,
 * "ﬁ" -> fi, full-width letters -> ASCII), then combining marks dropped
 * (É -> e), œ -> oe and æ -> ae, then everything that is not a letter or a
 * digit dropped (spaces of any kind, hyphens, apostrophes ' and ’, dots).
 * "Élodie", "ELODIE" and "E\u0301lodie" give the same index, as do
 * "Jean-Pierre", "jean pierre" and "JEANPIERRE".  0x1f cannot occur in a
 * canonical field, so the fields cannot run into each other.
 *
 * Trusts: the caller for the 32-byte key.  Names are untrusted: invalid
 * UTF-8, overlong fields, a name with no letter or digit, or a malformed
 * date are refused.  Intermediate buffers (personal data) are wiped.
 */
#ifndef FSRELAY_BLINDINDEX_H
#define FSRELAY_BLINDINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"

#define BLINDINDEX_BYTES	32
#define BLINDINDEX_KEY_BYTES	32
#define BLINDINDEX_HEX_LEN	(2 * BLINDINDEX_BYTES)
#define BLINDINDEX_FIELD_MAX	256	/* bytes of UTF-8 in nom or prenom */

/*
 * Compute the index of (nom, prenom, birth) into out.  nom must have at
 * least one letter or digit; prenom may be empty (people with no first
 * name exist); birth is "YYYY-MM-DD" (month 01-12, day 01-31) or "" when
 * unknown.  0 on success; -1 (out zeroed) on invalid UTF-8, a field over
 * BLINDINDEX_FIELD_MAX bytes, an empty canonical nom, a malformed birth
 * date, a NULL argument or a libunistring/libsodium failure.
 */
int	 blindindex_compute(uint8_t out[BLINDINDEX_BYTES],
	    const uint8_t key[BLINDINDEX_KEY_BYTES], const char *nom,
	    const char *prenom, const char *birth);

/*
 * Append the canonical form of one name (see above; UTF-8, no NUL) to
 * *out, caller-initialised.  For tests and `fsrelay check`-style
 * diagnostics; wipe out with buf_free.  0 / -1 on invalid UTF-8, a field
 * over BLINDINDEX_FIELD_MAX bytes, a failure, or out's maximum reached.
 * An empty result is not an error here.
 */
int	 blindindex_canon(struct buf *out, const char *name);

/* Lowercase hex of an index into out (BLINDINDEX_HEX_LEN + 1 bytes). */
void	 blindindex_hex(char out[BLINDINDEX_HEX_LEN + 1],
	    const uint8_t idx[BLINDINDEX_BYTES]);

#endif
