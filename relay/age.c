/*
 * age - age v1 files with X25519 recipients; see age.h and
 * https://c2sp.org/age.
 *
 * Trusts nothing in a file to decrypt.  The header is parsed into stanzas
 * with the grammar checked strictly, then the X25519 stanzas are tried
 * against the identity, the header MAC is checked with the file key, and
 * the STREAM payload is opened chunk by chunk.  Plaintext is appended to
 * the output only after its chunk authenticates, and is wiped again if a
 * later chunk fails.  File keys and derived keys are wiped after use.
 */
#include "relay/age.h"
#include "relay/port/random.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "relay/b64.h"
#include "relay/bech32.h"

#define AGE_VERSION_LINE	"age-encryption.org/v1"
#define AGE_X25519_INFO		"age-encryption.org/v1/X25519"
#define AGE_HRP_RECIPIENT	"age"
#define AGE_HRP_IDENTITY	"age-secret-key-"
#define AGE_COLUMNS		64	/* base64 characters per body line */
#define AGE_TAG_BYTES		crypto_aead_chacha20poly1305_ietf_ABYTES
#define AGE_ENC_CHUNK		(AGE_CHUNK_SIZE + AGE_TAG_BYTES)
#define AGE_NONCE_BYTES		16	/* payload nonce (HKDF salt) */
#define AGE_MAC_BYTES		crypto_auth_hmacsha256_BYTES
#define AGE_B64_32		43	/* unpadded base64 of 32 bytes */
#define AGE_HEADER_STEP		4096	/* header read this much at a time */
#define AGE_HEADER_MAX		(1024 * 1024)

_Static_assert(AGE_TAG_BYTES == 16, "Poly1305 tag");
_Static_assert(crypto_aead_chacha20poly1305_ietf_NPUBBYTES == 12, "nonce");
_Static_assert(crypto_aead_chacha20poly1305_ietf_KEYBYTES == 32, "key");
_Static_assert(crypto_scalarmult_BYTES == AGE_X25519_KEY_BYTES, "X25519");
_Static_assert(AGE_MAC_BYTES == 32, "HMAC-SHA-256");

/* A parsed stanza; type and first argument point into the file. */
struct age_stanza {
	const char	*type;
	size_t		 typelen;
	size_t		 nargs;		/* arguments after the type */
	const char	*arg0;
	size_t		 arg0len;
	struct buf	 body;		/* decoded body */
};

struct age_header {
	struct age_stanza	*st;
	size_t			 n;
	uint8_t			 mac[AGE_MAC_BYTES];
	size_t			 maclen;	/* bytes covered by the MAC */
	size_t			 payload;	/* offset of the payload */
};

/* Cut b back to len bytes, wiping what is cut. */
static void
age_buf_truncate(struct buf *b, size_t len)
{
	if (b->p == NULL || b->len <= len)
		return;
	sodium_memzero(b->p + len, b->len - len);
	b->len = len;
	b->p[len] = '\0';
}

int
age_hkdf_sha256(uint8_t *out, size_t outlen, const uint8_t *ikm, size_t ikmlen,
    const uint8_t *salt, size_t saltlen, const uint8_t *info, size_t infolen)
{
	crypto_auth_hmacsha256_state st;
	uint8_t prk[AGE_MAC_BYTES], t[AGE_MAC_BYTES], ctr;
	static const uint8_t empty = 0;
	size_t done = 0, n;
	int rc = -1;

	if (outlen == 0 || outlen > 255 * AGE_MAC_BYTES)
		return -1;
	/* Extract: PRK = HMAC(salt, IKM); an empty salt is HashLen zeros,
	 * which HMAC pads to the same key as an empty one. */
	if (crypto_auth_hmacsha256_init(&st, saltlen ? salt : &empty,
	    saltlen) != 0 ||
	    (ikmlen && crypto_auth_hmacsha256_update(&st, ikm, ikmlen) != 0) ||
	    crypto_auth_hmacsha256_final(&st, prk) != 0)
		goto out;
	/* Expand: T(i) = HMAC(PRK, T(i-1) | info | i). */
	for (ctr = 1; done < outlen; ctr++) {
		if (crypto_auth_hmacsha256_init(&st, prk, sizeof(prk)) != 0 ||
		    (ctr > 1 &&
		    crypto_auth_hmacsha256_update(&st, t, sizeof(t)) != 0) ||
		    (infolen &&
		    crypto_auth_hmacsha256_update(&st, info, infolen) != 0) ||
		    crypto_auth_hmacsha256_update(&st, &ctr, 1) != 0 ||
		    crypto_auth_hmacsha256_final(&st, t) != 0)
			goto out;
		n = outlen - done < sizeof(t) ? outlen - done : sizeof(t);
		memcpy(out + done, t, n);
		done += n;
	}
	rc = 0;
out:
	sodium_memzero(&st, sizeof(st));
	sodium_memzero(prk, sizeof(prk));
	sodium_memzero(t, sizeof(t));
	if (rc < 0)
		sodium_memzero(out, outlen);
	return rc;
}

static int
age_hkdf_str(uint8_t *out, size_t outlen, const uint8_t *ikm, size_t ikmlen,
    const uint8_t *salt, size_t saltlen, const char *info)
{
	return age_hkdf_sha256(out, outlen, ikm, ikmlen, salt, saltlen,
	    (const uint8_t *)info, strlen(info));
}

/* ---- base64 (standard alphabet, no padding, canonical) ---- */

/* Append the unpadded base64 of len (<= 48) bytes to b. */
static int
age_b64_append(struct buf *b, const uint8_t *data, size_t len)
{
	char tmp[AGE_COLUMNS + 1];

	if (len > 48)
		return -1;
	sodium_bin2base64(tmp, sizeof(tmp), data, len,
	    sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	return buf_puts(b, tmp);
}

/* ---- keys ---- */

int
age_recipient_parse(const char *s, uint8_t pk[AGE_X25519_KEY_BYTES],
    const char **errstr)
{
	size_t len;

	if (bech32_decode(s, AGE_HRP_RECIPIENT, pk, AGE_X25519_KEY_BYTES,
	    &len, errstr) < 0)
		return -1;
	if (len != AGE_X25519_KEY_BYTES) {
		*errstr = "destinataire age de longueur invalide";
		return -1;
	}
	return 0;
}

int
age_recipient_format(char *out, size_t outlen,
    const uint8_t pk[AGE_X25519_KEY_BYTES])
{
	return bech32_encode(out, outlen, AGE_HRP_RECIPIENT, pk,
	    AGE_X25519_KEY_BYTES);
}

int
age_identity_format(char *out, size_t outlen,
    const uint8_t sk[AGE_X25519_KEY_BYTES])
{
	char *p;

	if (bech32_encode(out, outlen, AGE_HRP_IDENTITY, sk,
	    AGE_X25519_KEY_BYTES) < 0)
		return -1;
	for (p = out; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			*p = (char)(*p - 'a' + 'A');
	return 0;
}

/* Decode one identity line (len bytes, no newline) into sk. */
static int
age_identity_line(const char *line, size_t len,
    uint8_t sk[AGE_X25519_KEY_BYTES], const char **errstr)
{
	char tmp[AGE_IDENTITY_LEN + 1];
	size_t n;
	int rc = -1;

	if (len != AGE_IDENTITY_LEN) {
		*errstr = "clé secrète age de longueur invalide";
		return -1;
	}
	memcpy(tmp, line, len);
	tmp[len] = '\0';
	if (bech32_decode(tmp, AGE_HRP_IDENTITY, sk, AGE_X25519_KEY_BYTES,
	    &n, errstr) == 0) {
		if (n == AGE_X25519_KEY_BYTES)
			rc = 0;
		else
			*errstr = "clé secrète age de longueur invalide";
	}
	sodium_memzero(tmp, sizeof(tmp));
	return rc;
}

int
age_identity_parse(const char *text, uint8_t sk[AGE_X25519_KEY_BYTES],
    const char **errstr)
{
	const char *line;
	size_t len, next;
	int found = 0;

	for (line = text; *line != '\0'; line += next) {
		len = strcspn(line, "\n");
		next = len + (line[len] == '\n');
		if (len > 0 && line[len - 1] == '\r')
			len--;
		if (len == 0 || line[0] == '#')
			continue;
		if (found) {
			*errstr = "plusieurs clés dans le fichier d'identité age";
			goto fail;
		}
		if (age_identity_line(line, len, sk, errstr) < 0)
			goto fail;
		found = 1;
	}
	if (!found) {
		*errstr = "aucune clé secrète age dans le fichier d'identité";
		goto fail;
	}
	return 0;
fail:
	sodium_memzero(sk, AGE_X25519_KEY_BYTES);
	return -1;
}

int
age_keygen(uint8_t sk[AGE_X25519_KEY_BYTES], uint8_t pk[AGE_X25519_KEY_BYTES])
{
	random_bytes(sk, AGE_X25519_KEY_BYTES);
	if (crypto_scalarmult_base(pk, sk) != 0) {
		sodium_memzero(sk, AGE_X25519_KEY_BYTES);
		return -1;
	}
	return 0;
}

/* ---- shared pieces of the format ---- */

/* STREAM nonce: 11-byte big-endian chunk counter, then the last flag. */
static void
age_stream_nonce(uint8_t nonce[12], uint64_t ctr, int last)
{
	int i;

	memset(nonce, 0, 12);
	for (i = 0; i < 8; i++)
		nonce[10 - i] = (uint8_t)(ctr >> (8 * i));
	nonce[11] = last ? 1 : 0;
}

/* Wrap key of an X25519 stanza: HKDF(shared, epk | pk, X25519 info). */
static int
age_x25519_wrap_key(uint8_t wk[32], const uint8_t ss[32], const uint8_t epk[32],
    const uint8_t pk[32])
{
	uint8_t salt[64];

	memcpy(salt, epk, 32);
	memcpy(salt + 32, pk, 32);
	return age_hkdf_str(wk, 32, ss, 32, salt, sizeof(salt),
	    AGE_X25519_INFO);
}

/* MAC of the first len bytes of a header, keyed from the file key. */
static int
age_header_mac(uint8_t mac[AGE_MAC_BYTES], const uint8_t fk[AGE_FILE_KEY_BYTES],
    const uint8_t *hdr, size_t len)
{
	uint8_t key[32];
	int rc = -1;

	if (age_hkdf_str(key, sizeof(key), fk, AGE_FILE_KEY_BYTES, NULL, 0,
	    "header") == 0 &&
	    crypto_auth_hmacsha256(mac, hdr, len, key) == 0)
		rc = 0;
	sodium_memzero(key, sizeof(key));
	return rc;
}

/* ---- writer ---- */

static int
age_stanza_write(struct buf *out, const uint8_t fk[AGE_FILE_KEY_BYTES],
    const uint8_t pk[AGE_X25519_KEY_BYTES])
{
	static const uint8_t zero_nonce[12];
	uint8_t esk[32], epk[32], ss[32], wk[32];
	uint8_t body[AGE_FILE_KEY_BYTES + AGE_TAG_BYTES];
	unsigned long long blen;
	int rc = -1;

	random_bytes(esk, sizeof(esk));
	if (crypto_scalarmult_base(epk, esk) != 0 ||
	    crypto_scalarmult(ss, esk, pk) != 0 || sodium_is_zero(ss, 32) ||
	    age_x25519_wrap_key(wk, ss, epk, pk) < 0 ||
	    crypto_aead_chacha20poly1305_ietf_encrypt(body, &blen, fk,
	    AGE_FILE_KEY_BYTES, NULL, 0, NULL, zero_nonce, wk) != 0 ||
	    blen != sizeof(body))
		goto out;
	if (buf_puts(out, "-> X25519 ") < 0 ||
	    age_b64_append(out, epk, sizeof(epk)) < 0 ||
	    buf_puts(out, "\n") < 0 ||
	    age_b64_append(out, body, sizeof(body)) < 0 ||
	    buf_puts(out, "\n") < 0)
		goto out;
	rc = 0;
out:
	sodium_memzero(esk, sizeof(esk));
	sodium_memzero(ss, sizeof(ss));
	sodium_memzero(wk, sizeof(wk));
	return rc;
}

/* ---- sources and sinks ---- */

/* Read from src until n bytes are in p or the source ends: the count read
 * (< n only at the end), or -1 with *errstr. */
static ssize_t
age_fill(const struct age_source *src, uint8_t *p, size_t n,
    const char **errstr)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = src->read(src->ctx, p + got, n - got);
		if (r < 0) {
			*errstr = "lecture du fichier impossible";
			return -1;
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

struct age_mem {
	const uint8_t	*p;
	size_t		 len, pos;
};

static ssize_t
age_mem_read(void *ctx, uint8_t *p, size_t n)
{
	struct age_mem *m = ctx;

	if (n > m->len - m->pos)
		n = m->len - m->pos;
	if (n > 0)
		memcpy(p, m->p + m->pos, n);
	m->pos += n;
	return (ssize_t)n;
}

struct age_bufsink {
	struct buf	*b;
	const char	*full;	/* error when b's maximum is reached */
};

static int
age_buf_write(void *ctx, const uint8_t *p, size_t n, const char **errstr)
{
	struct age_bufsink *s = ctx;

	if (buf_append(s->b, p, n) < 0) {
		*errstr = s->full;
		return -1;
	}
	return 0;
}

static ssize_t
age_fd_read(void *ctx, uint8_t *p, size_t n)
{
	ssize_t r;

	do
		r = read(*(const int *)ctx, p, n);
	while (r < 0 && errno == EINTR);
	return r;
}

static int
age_fd_write(void *ctx, const uint8_t *p, size_t n, const char **errstr)
{
	if (fs_write_all(*(const int *)ctx, p, n) < 0) {
		*errstr = "écriture du fichier impossible";
		return -1;
	}
	return 0;
}

/* ---- writer: the payload ---- */

/*
 * The payload: the nonce, then the plaintext read 64 KiB at a time into
 * two buffers in turn: the next chunk is read before the current one is
 * sealed, so that a full chunk is known to be the last one when nothing
 * follows it (a payload that fills its last chunk ends there: no empty
 * chunk), and every read is a whole chunk at a chunk's offset.
 */
static int
age_payload_seal(const struct age_sink *out,
    const uint8_t fk[AGE_FILE_KEY_BYTES], const struct age_source *in,
    const char **errstr)
{
	uint8_t nonce[AGE_NONCE_BYTES], key[32], cn[12], *pt[2], *chunk;
	unsigned long long clen;
	size_t have[2];
	ssize_t got;
	uint64_t ctr;
	int cur = 0, last = 0, rc = -1;

	random_bytes(nonce, sizeof(nonce));
	if (age_hkdf_str(key, sizeof(key), fk, AGE_FILE_KEY_BYTES, nonce,
	    sizeof(nonce), "payload") < 0) {
		*errstr = "erreur interne de dérivation de clé";
		return -1;
	}
	pt[0] = xmalloc(AGE_CHUNK_SIZE);
	pt[1] = xmalloc(AGE_CHUNK_SIZE);
	chunk = xmalloc(AGE_ENC_CHUNK);
	if (out->write(out->ctx, nonce, sizeof(nonce), errstr) < 0 ||
	    (got = age_fill(in, pt[0], AGE_CHUNK_SIZE, errstr)) < 0)
		goto out;
	have[0] = (size_t)got;
	for (ctr = 0; !last; ctr++, cur = !cur) {
		last = have[cur] < AGE_CHUNK_SIZE;
		if (!last) {
			got = age_fill(in, pt[!cur], AGE_CHUNK_SIZE, errstr);
			if (got < 0)
				goto out;
			have[!cur] = (size_t)got;
			last = got == 0;
		}
		age_stream_nonce(cn, ctr, last);
		if (crypto_aead_chacha20poly1305_ietf_encrypt(chunk, &clen,
		    have[cur] ? pt[cur] : NULL, have[cur], NULL, 0, NULL, cn,
		    key) != 0) {
			*errstr = "erreur interne de chiffrement";
			goto out;
		}
		if (out->write(out->ctx, chunk, (size_t)clen, errstr) < 0)
			goto out;
	}
	rc = 0;
out:
	sodium_memzero(pt[0], AGE_CHUNK_SIZE);
	sodium_memzero(pt[1], AGE_CHUNK_SIZE);
	free(pt[0]);
	free(pt[1]);
	free(chunk);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
age_encrypt_stream(const struct age_sink *out,
    const uint8_t (*recipients)[AGE_X25519_KEY_BYTES], size_t n,
    const struct age_source *in, const char **errstr)
{
	uint8_t fk[AGE_FILE_KEY_BYTES], mac[AGE_MAC_BYTES];
	struct buf hdr;
	size_t i;
	int rc = -1;

	if (n == 0 || n > AGE_MAX_STANZAS) {
		*errstr = "nombre de destinataires age invalide";
		return -1;
	}
	*errstr = "erreur interne de chiffrement";
	buf_init(&hdr, 64 + n * 160);
	random_bytes(fk, sizeof(fk));
	if (buf_puts(&hdr, AGE_VERSION_LINE "\n") < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (age_stanza_write(&hdr, fk, recipients[i]) < 0)
			goto out;
	if (buf_puts(&hdr, "---") < 0 ||
	    age_header_mac(mac, fk, (const uint8_t *)hdr.p, hdr.len) < 0 ||
	    buf_puts(&hdr, " ") < 0 ||
	    age_b64_append(&hdr, mac, sizeof(mac)) < 0 ||
	    buf_puts(&hdr, "\n") < 0 ||
	    out->write(out->ctx, (const uint8_t *)hdr.p, hdr.len, errstr) < 0 ||
	    age_payload_seal(out, fk, in, errstr) < 0)
		goto out;
	rc = 0;
out:
	sodium_memzero(fk, sizeof(fk));
	buf_free(&hdr);
	return rc;
}

int
age_encrypt(struct buf *out, const uint8_t (*recipients)[AGE_X25519_KEY_BYTES],
    size_t n, const uint8_t *pt, size_t ptlen)
{
	struct age_mem m = { pt, ptlen, 0 };
	struct age_bufsink bs = { out, "fichier age trop volumineux" };
	const struct age_source src = { age_mem_read, &m };
	const struct age_sink dst = { age_buf_write, &bs };
	size_t start = out->len;
	const char *why;

	if (age_encrypt_stream(&dst, recipients, n, &src, &why) < 0) {
		age_buf_truncate(out, start);
		return -1;
	}
	return 0;
}

int
age_encrypt_fd(int out, const uint8_t (*recipients)[AGE_X25519_KEY_BYTES],
    size_t n, int in, const char **errstr)
{
	const struct age_source src = { age_fd_read, &in };
	const struct age_sink dst = { age_fd_write, &out };

	return age_encrypt_stream(&dst, recipients, n, &src, errstr);
}

/* ---- header parser ---- */

/* The line at *pos (without its '\n'); advances *pos past the '\n'.
 * -1 if there is no '\n' before the end. */
static int
age_next_line(const uint8_t *in, size_t inlen, size_t *pos, const char **line,
    size_t *len)
{
	const uint8_t *nl;

	if (*pos >= inlen)
		return -1;
	nl = memchr(in + *pos, '\n', inlen - *pos);
	if (nl == NULL)
		return -1;
	*line = (const char *)in + *pos;
	*len = (size_t)(nl - (in + *pos));
	*pos += *len + 1;
	return 0;
}

/* An argument: one or more visible ASCII characters. */
static int
age_arg_valid(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
			return 0;
	return 1;
}

/* Split "-> type arg..." (len bytes) into st; 0 / -1 if malformed. */
static int
age_stanza_line(const char *line, size_t len, struct age_stanza *st)
{
	size_t i = 3, j;

	if (len < 3 || memcmp(line, "-> ", 3) != 0)
		return -1;
	st->nargs = 0;
	for (;;) {
		for (j = i; j < len && line[j] != ' '; j++)
			;
		if (!age_arg_valid(line + i, j - i))
			return -1;
		if (i == 3) {
			st->type = line + i;
			st->typelen = j - i;
		} else if (st->nargs++ == 0) {
			st->arg0 = line + i;
			st->arg0len = j - i;
		}
		if (j == len)
			return 0;
		i = j + 1;
	}
}

/* Body lines: full 64-column lines, ended by a shorter (maybe empty) one. */
static int
age_stanza_body(const uint8_t *in, size_t inlen, size_t *pos,
    struct age_stanza *st, const char **errstr)
{
	uint8_t tmp[48];
	const char *line;
	size_t len, n;

	buf_init(&st->body, inlen);
	do {
		if (age_next_line(in, inlen, pos, &line, &len) < 0) {
			*errstr = "fichier age tronqué";
			return -1;
		}
		if (len > AGE_COLUMNS ||
		    b64_decode_strict(tmp, sizeof(tmp), &n, line, len) < 0 ||
		    buf_append(&st->body, tmp, n) < 0) {
			*errstr = "bloc d'en-tête age mal formé";
			return -1;
		}
	} while (len == AGE_COLUMNS);
	return 0;
}

/* "--- <b64 MAC>"; line starts at offset lstart. */
static int
age_footer_line(const char *line, size_t len, size_t lstart,
    struct age_header *h, const char **errstr)
{
	size_t n;

	if (len != 4 + AGE_B64_32 || line[3] != ' ' ||
	    b64_decode_strict(h->mac, sizeof(h->mac), &n, line + 4,
	    AGE_B64_32) < 0 || n != AGE_MAC_BYTES) {
		*errstr = "fin d'en-tête age mal formée";
		return -1;
	}
	h->maclen = lstart + 3;
	return 0;
}

static void
age_header_free(struct age_header *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		buf_free(&h->st[i].body);
	free(h->st);
	h->st = NULL;
	h->n = 0;
}

static int
age_header_parse(const uint8_t *in, size_t inlen, struct age_header *h,
    const char **errstr)
{
	const char *line;
	size_t pos = 0, len, lstart;

	memset(h, 0, sizeof(*h));
	if (age_next_line(in, inlen, &pos, &line, &len) < 0 ||
	    len != strlen(AGE_VERSION_LINE) ||
	    memcmp(line, AGE_VERSION_LINE, len) != 0) {
		*errstr = "version age non prise en charge";
		return -1;
	}
	for (;;) {
		lstart = pos;
		if (age_next_line(in, inlen, &pos, &line, &len) < 0) {
			*errstr = "fichier age tronqué";
			return -1;
		}
		if (len >= 3 && memcmp(line, "---", 3) == 0)
			break;
		if (h->n == AGE_MAX_STANZAS) {
			*errstr = "trop de blocs dans l'en-tête age";
			return -1;
		}
		h->st = xreallocarray(h->st, h->n + 1, sizeof(*h->st));
		memset(&h->st[h->n], 0, sizeof(h->st[h->n]));
		h->n++;
		if (age_stanza_line(line, len, &h->st[h->n - 1]) < 0) {
			*errstr = "bloc d'en-tête age mal formé";
			return -1;
		}
		if (age_stanza_body(in, inlen, &pos, &h->st[h->n - 1],
		    errstr) < 0)
			return -1;
	}
	if (age_footer_line(line, len, lstart, h, errstr) < 0)
		return -1;
	h->payload = pos;
	return 0;
}

/* ---- reader ---- */

static int
age_type_is(const struct age_stanza *st, const char *type)
{
	return st->typelen == strlen(type) &&
	    memcmp(st->type, type, st->typelen) == 0;
}

/* Check the stanza types and the shape of every X25519 stanza. */
static int
age_header_check(const struct age_header *h, const char **errstr)
{
	uint8_t epk[32];
	size_t i, n;

	for (i = 0; i < h->n; i++) {
		const struct age_stanza *st = &h->st[i];

		if (age_type_is(st, "scrypt") && h->n > 1) {
			*errstr = "un bloc scrypt doit être seul dans "
			    "l'en-tête age";
			return -1;
		}
		if (!age_type_is(st, "X25519"))
			continue;
		if (st->nargs != 1 || st->arg0len != AGE_B64_32 ||
		    b64_decode_strict(epk, sizeof(epk), &n, st->arg0,
		    st->arg0len) < 0 || n != sizeof(epk) ||
		    st->body.len != AGE_FILE_KEY_BYTES + AGE_TAG_BYTES) {
			*errstr = "bloc X25519 mal formé";
			return -1;
		}
	}
	return 0;
}

/* Try one (well-formed) X25519 stanza: 1 if it yields the file key, 0 if
 * it is for another key, -1 on an all-zero shared secret. */
static int
age_x25519_unwrap(const struct age_stanza *st, const uint8_t sk[32],
    const uint8_t pk[32], uint8_t fk[AGE_FILE_KEY_BYTES], const char **errstr)
{
	static const uint8_t zero_nonce[12];
	uint8_t epk[32], ss[32], wk[32];
	unsigned long long n;
	size_t elen;
	int rc = -1;

	if (b64_decode_strict(epk, sizeof(epk), &elen, st->arg0,
	    st->arg0len) < 0 || elen != sizeof(epk)) {
		*errstr = "bloc X25519 mal formé";
		return -1;
	}
	if (crypto_scalarmult(ss, sk, epk) != 0 || sodium_is_zero(ss, 32)) {
		*errstr = "secret partagé X25519 nul";
		goto out;
	}
	if (age_x25519_wrap_key(wk, ss, epk, pk) < 0) {
		*errstr = "erreur interne de dérivation de clé";
		goto out;
	}
	rc = crypto_aead_chacha20poly1305_ietf_decrypt(fk, &n, NULL,
	    (const uint8_t *)st->body.p, st->body.len, NULL, 0, zero_nonce,
	    wk) == 0 && n == AGE_FILE_KEY_BYTES;
out:
	sodium_memzero(ss, sizeof(ss));
	sodium_memzero(wk, sizeof(wk));
	return rc;
}

/* Find the file key among the X25519 stanzas. */
static int
age_find_file_key(const struct age_header *h, const uint8_t sk[32],
    uint8_t fk[AGE_FILE_KEY_BYTES], const char **errstr)
{
	uint8_t pk[32];
	size_t i;
	int r;

	if (crypto_scalarmult_base(pk, sk) != 0) {
		*errstr = "clé secrète age invalide";
		return -1;
	}
	for (i = 0; i < h->n; i++) {
		if (!age_type_is(&h->st[i], "X25519"))
			continue;
		r = age_x25519_unwrap(&h->st[i], sk, pk, fk, errstr);
		if (r != 0)
			return r > 0 ? 0 : -1;
	}
	*errstr = "aucune clé ne correspond à ce fichier";
	return -1;
}

/* Open one chunk of clen bytes into pt; 0 / -1 (authentication). */
static int
age_chunk_open(uint8_t *pt, size_t *ptlen, const uint8_t *c, size_t clen,
    const uint8_t key[32], uint64_t ctr, int last)
{
	uint8_t cn[12];
	unsigned long long n;

	age_stream_nonce(cn, ctr, last);
	if (crypto_aead_chacha20poly1305_ietf_decrypt(pt, &n, NULL, c, clen,
	    NULL, 0, cn, key) != 0)
		return -1;
	*ptlen = (size_t)n;
	return 0;
}

/*
 * Decide how the chunk at the current position opens.  A chunk that is
 * followed by more data must be a full non-last chunk; the chunk that
 * reaches the end must carry the last flag.  The other flag is tried only
 * to name the error: a full non-last chunk at the end means the file was
 * cut at a chunk boundary, a last chunk followed by data means bytes were
 * appended.
 */
static int
age_chunk_next(uint8_t *pt, size_t *ptlen, const uint8_t *c, size_t rem,
    const uint8_t key[32], uint64_t ctr, size_t *clen, int *last,
    const char **errstr)
{
	if (rem < AGE_TAG_BYTES) {
		*errstr = "fichier age tronqué";
		return -1;
	}
	*last = rem <= AGE_ENC_CHUNK;
	*clen = *last ? rem : AGE_ENC_CHUNK;
	if (age_chunk_open(pt, ptlen, c, *clen, key, ctr, *last) == 0)
		return 0;
	if (*clen == AGE_ENC_CHUNK &&
	    age_chunk_open(pt, ptlen, c, *clen, key, ctr, !*last) == 0) {
		sodium_memzero(pt, *ptlen);
		*errstr = *last ? "fichier age tronqué" :
		    "données après la fin du fichier age";
		return -1;
	}
	*errstr = "contenu age altéré ou tronqué";
	return -1;
}

/*
 * Read the header: every byte up to the end of its "---" line (the first
 * line that starts with "---"; no stanza or body line can), into hdr.
 * The bytes read beyond it, the start of the payload, go to rest
 * (*restlen <= AGE_HEADER_STEP).  A source that ends first, or a header
 * longer than AGE_HEADER_MAX, gets the parser's own error on what was
 * read (a bad version line stays a bad version line).
 */
static int
age_header_read(const struct age_source *in, struct buf *hdr, uint8_t *rest,
    size_t *restlen, const char **errstr)
{
	uint8_t tmp[AGE_HEADER_STEP];
	struct age_header h;
	size_t scan = 0, end;
	const char *f, *nl;
	ssize_t got;

	for (;;) {
		got = age_fill(in, tmp, sizeof(tmp), errstr);
		if (got < 0)
			return -1;
		if (got == 0 || hdr->len > AGE_HEADER_MAX ||
		    buf_append(hdr, tmp, (size_t)got) < 0)
			break;
		for (;;) {
			f = memmem(hdr->p + scan, hdr->len - scan, "\n---", 4);
			if (f == NULL) {
				scan = hdr->len > 3 ? hdr->len - 3 : 0;
				break;
			}
			scan = (size_t)(f - hdr->p);
			nl = memchr(f + 1, '\n', hdr->len - scan - 1);
			if (nl == NULL)
				break;
			end = (size_t)(nl - hdr->p) + 1;
			*restlen = hdr->len - end;
			memcpy(rest, hdr->p + end, *restlen);
			hdr->len = end;
			return 0;
		}
	}
	if (age_header_parse((const uint8_t *)hdr->p, hdr->len, &h,
	    errstr) == 0 || strcmp(*errstr, "fichier age tronqué") == 0)
		*errstr = got == 0 ? "fichier age tronqué" :
		    "en-tête age trop long";
	age_header_free(&h);
	return -1;
}

/*
 * The payload: its nonce, then chunk after chunk.  c holds one encrypted
 * chunk and one byte more (have bytes already in it), so that a chunk is
 * known to be the last one when nothing follows it.
 */
static int
age_payload_open(const struct age_sink *out,
    const uint8_t fk[AGE_FILE_KEY_BYTES], const struct age_source *in,
    uint8_t *c, size_t have, size_t maxlen, const char **errstr)
{
	uint8_t key[32], *pt = NULL;
	size_t total = 0, ptlen, clen;
	ssize_t got;
	uint64_t ctr;
	int last = 0, rc = -1;

	got = age_fill(in, c + have, AGE_ENC_CHUNK + 1 - have, errstr);
	if (got < 0)
		return -1;
	have += (size_t)got;
	if (have < AGE_NONCE_BYTES) {
		*errstr = "fichier age tronqué";
		return -1;
	}
	if (age_hkdf_str(key, sizeof(key), fk, AGE_FILE_KEY_BYTES, c,
	    AGE_NONCE_BYTES, "payload") < 0) {
		*errstr = "erreur interne de dérivation de clé";
		return -1;
	}
	have -= AGE_NONCE_BYTES;
	memmove(c, c + AGE_NONCE_BYTES, have);
	pt = xmalloc(AGE_CHUNK_SIZE);
	for (ctr = 0; !last; ctr++) {
		got = age_fill(in, c + have, AGE_ENC_CHUNK + 1 - have, errstr);
		if (got < 0)
			goto out;
		have += (size_t)got;
		if (age_chunk_next(pt, &ptlen, c, have, key, ctr, &clen, &last,
		    errstr) < 0)
			goto out;
		if (last && ptlen == 0 && ctr > 0) {
			*errstr = "bloc final vide dans le fichier age";
			goto out;
		}
		if (ptlen > maxlen - total) {
			*errstr = "contenu déchiffré trop volumineux";
			goto out;
		}
		if (out->write(out->ctx, pt, ptlen, errstr) < 0)
			goto out;
		total += ptlen;
		if (!last) {
			c[0] = c[AGE_ENC_CHUNK];
			have = 1;
		}
	}
	rc = 0;
out:
	sodium_memzero(pt, AGE_CHUNK_SIZE);
	free(pt);
	sodium_memzero(key, sizeof(key));
	return rc;
}

int
age_decrypt_stream(const struct age_sink *out,
    const uint8_t sk[AGE_X25519_KEY_BYTES], const struct age_source *in,
    size_t maxlen, const char **errstr)
{
	struct age_header h;
	struct buf hdr;
	uint8_t fk[AGE_FILE_KEY_BYTES], mac[AGE_MAC_BYTES], *c;
	size_t have = 0;
	int rc = -1;

	memset(&h, 0, sizeof(h));
	buf_init(&hdr, AGE_HEADER_MAX + AGE_HEADER_STEP);
	c = xmalloc(AGE_ENC_CHUNK + 1);
	if (age_header_read(in, &hdr, c, &have, errstr) < 0 ||
	    age_header_parse((const uint8_t *)hdr.p, hdr.len, &h,
	    errstr) < 0 ||
	    age_header_check(&h, errstr) < 0 ||
	    age_find_file_key(&h, sk, fk, errstr) < 0)
		goto out;
	if (age_header_mac(mac, fk, (const uint8_t *)hdr.p, h.maclen) < 0 ||
	    crypto_verify_32(mac, h.mac) != 0) {
		*errstr = "en-tête age altéré (MAC)";
		goto out;
	}
	if (age_payload_open(out, fk, in, c, have, maxlen, errstr) < 0)
		goto out;
	rc = 0;
out:
	sodium_memzero(fk, sizeof(fk));
	age_header_free(&h);
	buf_free(&hdr);
	free(c);
	return rc;
}

int
age_decrypt(struct buf *out, const uint8_t sk[AGE_X25519_KEY_BYTES],
    const uint8_t *in, size_t inlen, size_t maxlen, const char **errstr)
{
	struct age_mem m = { in, inlen, 0 };
	struct age_bufsink bs = { out, "contenu déchiffré trop volumineux" };
	const struct age_source src = { age_mem_read, &m };
	const struct age_sink dst = { age_buf_write, &bs };
	size_t start = out->len;

	if (age_decrypt_stream(&dst, sk, &src, maxlen, errstr) < 0) {
		age_buf_truncate(out, start);
		return -1;
	}
	return 0;
}

int
age_decrypt_fd(int out, const uint8_t sk[AGE_X25519_KEY_BYTES], int in,
    size_t maxlen, const char **errstr)
{
	const struct age_source src = { age_fd_read, &in };
	const struct age_sink dst = { age_fd_write, &out };

	return age_decrypt_stream(&dst, sk, &src, maxlen, errstr);
}

/* ---- ASCII armor (age -a) --------------------------------------------- */

#define ARMOR_BEGIN	"-----BEGIN AGE ENCRYPTED FILE-----"
#define ARMOR_END	"-----END AGE ENCRYPTED FILE-----"

static const char *
mem_find(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	return k <= n ? memmem(hay, n, needle, k) : NULL;
}

int
age_armor_find(const char *text, size_t n, size_t *start_r, size_t *end_r, struct buf *out,
    const char **errstr)
{
	const char *b, *body, *e, *p, *nl;
	size_t max, got = 0;
	uint8_t *bin;
	struct buf b64;
	int r = -1;

	*errstr = NULL;
	if ((b = mem_find(text, n, ARMOR_BEGIN)) == NULL)
		return 1;
	body = b + strlen(ARMOR_BEGIN);
	if ((e = mem_find(body, n - (size_t)(body - text), ARMOR_END)) == NULL) {
		*errstr = "fichier age en texte (armure) sans sa ligne de fin";
		return -1;
	}
	/* The lines between the markers, without their blanks and line ends
	 * (a mail program may add a CR or a space). */
	buf_init(&b64, (size_t)(e - body) + 1);
	for (p = body; p < e; p = nl + 1) {
		const char *q;

		if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
			nl = e;
		for (q = p; q < nl; q++)
			if (*q != ' ' && *q != '\t' && *q != '\r' && buf_append(&b64, q, 1) < 0)
				goto out;
		if (nl == e)
			break;
	}
	max = b64.len / 4 * 3 + 3;
	bin = xmalloc(max);
	if (b64.len == 0 || sodium_base642bin(bin, max, b64.p, b64.len, NULL, &got, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		*errstr = "fichier age en texte (armure) : base64 invalide";
	else if (buf_append(out, bin, got) < 0)
		*errstr = "fichier age en texte (armure) trop grand";
	else {
		*start_r = (size_t)(b - text);
		*end_r = (size_t)(e - text) + strlen(ARMOR_END);
		r = 0;
	}
	sodium_memzero(bin, max);
	free(bin);
out:
	buf_free(&b64);
	return r;
}
