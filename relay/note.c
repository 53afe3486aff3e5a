/*
 * note - C2SP signed notes, key strings and checkpoints; see note.h.
 *
 * Trusts nothing in the notes, key strings and checkpoints it parses; the
 * text is located by the last blank line as the spec says, every
 * signature line is parsed (a malformed one rejects the note), and
 * signature lines whose (name, key ID) is not the verifier's are skipped.
 */
#include "relay/note.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unistr.h>

#define ED25519_ALG	0x01
#define SIG_PREFIX	"\xe2\x80\x94 "		/* U+2014 EM DASH, space */
#define SIG_PREFIX_LEN	4
#define SKEY_PREFIX	"PRIVATE+KEY+"
#define SKEY_PREFIX_LEN	12
/* base64 of 0x01 || 32 bytes, and of 4 + 64 bytes, without NUL. */
#define KEY_B64_LEN	44
#define SIG_B64_LEN	92
#define ROOT_B64_LEN	44

static const char E_MALFORMED[] = "note mal formée";

/* 0 if s[0..len) is valid UTF-8 with no control character but '\n'. */
static int
text_check(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\n')
			return -1;
	return u8_check((const uint8_t *)s, len) == NULL ? 0 : -1;
}

/* Unicode White_Space (what Go's unicode.IsSpace tests). */
static int
is_unicode_space(ucs4_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 ||
	    c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	    c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	    c == 0x3000;
}

/* 0 if name[0..len) is a valid key name of any length (the names of
 * other signers in a note are not bounded by NOTE_NAME_MAX). */
static int
name_chars_check(const char *name, size_t len)
{
	const uint8_t *p = (const uint8_t *)name, *end = p + len;
	ucs4_t c;
	int n;

	if (len == 0 || text_check(name, len) != 0)
		return -1;
	while (p < end) {
		n = u8_mbtouc(&c, p, (size_t)(end - p));
		if (n <= 0 || c == '+' || is_unicode_space(c))
			return -1;
		p += n;
	}
	return 0;
}

/* 0 if name[0..len) is a valid key name for our keys. */
static int
name_check_len(const char *name, size_t len)
{
	if (len > NOTE_NAME_MAX)
		return -1;
	return name_chars_check(name, len);
}

int
note_name_check(const char *name)
{
	return name_check_len(name, strnlen(name, NOTE_NAME_MAX + 1));
}

static uint32_t
keyid_raw(const char *name, size_t namelen, const uint8_t pk[32])
{
	crypto_hash_sha256_state st;
	uint8_t h[32], sep[2] = { '\n', ED25519_ALG };

	if (crypto_hash_sha256_init(&st) != 0 ||
	    crypto_hash_sha256_update(&st, (const uint8_t *)name,
	    namelen) != 0 ||
	    crypto_hash_sha256_update(&st, sep, sizeof(sep)) != 0 ||
	    crypto_hash_sha256_update(&st, pk, 32) != 0 ||
	    crypto_hash_sha256_final(&st, h) != 0)
		fatalx("note : SHA-256 a échoué");
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 |
	    (uint32_t)h[2] << 8 | h[3];
}

int
note_keyid(uint32_t *keyid_r, const char *name, const uint8_t pk[32])
{
	if (note_name_check(name) != 0)
		return -1;
	*keyid_r = keyid_raw(name, strlen(name), pk);
	return 0;
}

/* Decode exactly n bytes of canonical padded base64 from s[0..len). */
static int
b64_exact(uint8_t *out, size_t n, const char *s, size_t len)
{
	size_t got;

	if (len == 0 || sodium_base642bin(out, n, s, len, NULL, &got, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || got != n)
		return -1;
	return 0;
}

/* Write "<prefix><name>+<keyid hex>+<base64(0x01 || key)>" into out. */
static int
key_format(char *out, size_t outlen, const char *prefix, const char *name,
    uint32_t keyid, const uint8_t key[32])
{
	uint8_t raw[33];
	char b64[KEY_B64_LEN + 1];
	int n;

	if (outlen > 0)
		out[0] = '\0';
	raw[0] = ED25519_ALG;
	memcpy(raw + 1, key, 32);
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);
	n = snprintf(out, outlen, "%s%s+%08x+%s", prefix, name, keyid, b64);
	sodium_memzero(raw, sizeof(raw));
	sodium_memzero(b64, sizeof(b64));
	if (n < 0 || (size_t)n >= outlen) {
		if (outlen > 0)
			sodium_memzero(out, outlen);
		return -1;
	}
	return 0;
}

int
note_vkey_format(char *out, size_t outlen, const char *name,
    const uint8_t pk[32])
{
	uint32_t keyid;

	if (note_keyid(&keyid, name, pk) != 0) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return key_format(out, outlen, "", name, keyid, pk);
}

int
note_skey_format(char *out, size_t outlen, const char *name,
    const uint8_t sk[64])
{
	uint32_t keyid;

	if (note_keyid(&keyid, name, sk + 32) != 0) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	return key_format(out, outlen, SKEY_PREFIX, name, keyid, sk);
}

static int
hex8(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	int i, d;

	for (i = 0; i < 8; i++) {
		if (s[i] >= '0' && s[i] <= '9')
			d = s[i] - '0';
		else if (s[i] >= 'a' && s[i] <= 'f')
			d = s[i] - 'a' + 10;
		else if (s[i] >= 'A' && s[i] <= 'F')
			d = s[i] - 'A' + 10;
		else
			return -1;
		v = v << 4 | (uint32_t)d;
	}
	*out = v;
	return 0;
}

/*
 * Split "<name>+<8 hex>+<base64(0x01 || 32 bytes)>": copy the name, give
 * the key ID and the 32 key bytes.  Does not check the key ID.
 */
static int
key_split(const char *s, char *name, size_t namelen, uint32_t *keyid,
    uint8_t key[32], const char **errstr)
{
	const char *plus, *b64;
	uint8_t raw[33];
	size_t nlen;

	if ((plus = strchr(s, '+')) == NULL) {
		*errstr = "clé mal formée : séparateur « + » manquant";
		return -1;
	}
	nlen = (size_t)(plus - s);
	if (nlen >= namelen || nlen > NOTE_NAME_MAX ||
	    name_check_len(s, nlen) != 0) {
		*errstr = "clé mal formée : nom de clé invalide ou trop long";
		return -1;
	}
	if (strnlen(plus + 1, 9) < 9 || plus[9] != '+' ||
	    hex8(plus + 1, keyid) != 0) {
		*errstr = "clé mal formée : identifiant de clé invalide";
		return -1;
	}
	b64 = plus + 10;
	if (b64_exact(raw, sizeof(raw), b64, strlen(b64)) != 0 ||
	    raw[0] != ED25519_ALG) {
		sodium_memzero(raw, sizeof(raw));
		*errstr = "clé mal formée : pas une clé Ed25519 en base64";
		return -1;
	}
	memcpy(name, s, nlen);
	name[nlen] = '\0';
	memcpy(key, raw + 1, 32);
	sodium_memzero(raw, sizeof(raw));
	return 0;
}

int
note_vkey_parse(const char *vkey, char *name, size_t namelen, uint8_t pk[32],
    uint32_t *keyid_r, const char **errstr)
{
	uint32_t keyid;

	if (key_split(vkey, name, namelen, &keyid, pk, errstr) != 0)
		return -1;
	if (keyid_raw(name, strlen(name), pk) != keyid) {
		*errstr = "clé mal formée : l'identifiant ne correspond pas "
		    "à la clé";
		return -1;
	}
	if (keyid_r != NULL)
		*keyid_r = keyid;
	return 0;
}

int
note_skey_parse(const char *skey, char *name, size_t namelen, uint8_t sk[64],
    const char **errstr)
{
	uint8_t seed[32], pk[32];
	uint32_t keyid;

	if (strncmp(skey, SKEY_PREFIX, SKEY_PREFIX_LEN) != 0) {
		*errstr = "clé privée mal formée : préfixe PRIVATE+KEY+ absent";
		return -1;
	}
	if (key_split(skey + SKEY_PREFIX_LEN, name, namelen, &keyid, seed,
	    errstr) != 0)
		return -1;
	if (crypto_sign_seed_keypair(pk, sk, seed) != 0) {
		sodium_memzero(seed, sizeof(seed));
		sodium_memzero(sk, 64);
		*errstr = "clé privée : dérivation Ed25519 impossible";
		return -1;
	}
	sodium_memzero(seed, sizeof(seed));
	if (keyid_raw(name, strlen(name), pk) != keyid) {
		sodium_memzero(sk, 64);
		*errstr = "clé privée mal formée : l'identifiant ne correspond "
		    "pas à la clé";
		return -1;
	}
	return 0;
}

/* Restore b to its first len bytes after a failed append sequence. */
static int
buf_rollback(struct buf *b, size_t len)
{
	b->len = len;
	if (b->p != NULL)
		b->p[len] = '\0';
	return -1;
}

int
note_sign(struct buf *out, const char *body, const char *name,
    const uint8_t sk[64])
{
	uint8_t raw[4 + crypto_sign_BYTES];
	char b64[SIG_B64_LEN + 1];
	size_t blen = strnlen(body, NOTE_MAX_LEN + 1), old = out->len;
	uint32_t keyid;

	if (blen == 0 || blen > NOTE_MAX_LEN || body[blen - 1] != '\n' ||
	    text_check(body, blen) != 0 || note_keyid(&keyid, name,
	    sk + 32) != 0)
		return -1;
	raw[0] = (uint8_t)(keyid >> 24);
	raw[1] = (uint8_t)(keyid >> 16);
	raw[2] = (uint8_t)(keyid >> 8);
	raw[3] = (uint8_t)keyid;
	if (crypto_sign_detached(raw + 4, NULL, (const uint8_t *)body, blen,
	    sk) != 0 || crypto_sign_verify_detached(raw + 4,
	    (const uint8_t *)body, blen, sk + 32) != 0)
		return -1;
	sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw),
	    sodium_base64_VARIANT_ORIGINAL);
	if (buf_append(out, body, blen) != 0 ||
	    buf_puts(out, "\n" SIG_PREFIX) != 0 || buf_puts(out, name) != 0 ||
	    buf_puts(out, " ") != 0 || buf_puts(out, b64) != 0 ||
	    buf_puts(out, "\n") != 0)
		return buf_rollback(out, old);
	return 0;
}

/* Verifier state while walking the signature lines. */
struct verifier {
	char		name[NOTE_NAME_MAX + 1];
	size_t		namelen;
	uint32_t	keyid;
	uint8_t		pk[32];
	const char	*text;
	size_t		textlen;
	int		verified;
};

/*
 * One signature line (without its '\n').  0 if well formed and either by
 * another key or verified; -1 with *errstr otherwise.
 */
static int
check_sig_line(struct verifier *v, const char *line, size_t len,
    const char **errstr)
{
	const char *sp, *b64;
	uint8_t *raw;
	size_t nlen, b64len, rawlen;
	uint32_t keyid;
	int r = 0;

	if (len < SIG_PREFIX_LEN || memcmp(line, SIG_PREFIX,
	    SIG_PREFIX_LEN) != 0) {
		*errstr = "note mal formée : ligne de signature attendue";
		return -1;
	}
	line += SIG_PREFIX_LEN;
	len -= SIG_PREFIX_LEN;
	if ((sp = memchr(line, ' ', len)) == NULL) {
		*errstr = "note mal formée : ligne de signature sans espace";
		return -1;
	}
	nlen = (size_t)(sp - line);
	b64 = sp + 1;
	b64len = len - nlen - 1;
	if (name_chars_check(line, nlen) != 0) {
		*errstr = "note mal formée : nom de clé invalide";
		return -1;
	}
	raw = xmalloc(b64len + 1);
	if (b64len == 0 || sodium_base642bin(raw, b64len, b64, b64len, NULL,
	    &rawlen, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || rawlen < 5) {
		*errstr = "note mal formée : signature base64 invalide";
		free(raw);
		return -1;
	}
	keyid = (uint32_t)raw[0] << 24 | (uint32_t)raw[1] << 16 |
	    (uint32_t)raw[2] << 8 | raw[3];
	if (nlen == v->namelen && memcmp(line, v->name, nlen) == 0 &&
	    keyid == v->keyid) {
		if (rawlen != 4 + crypto_sign_BYTES ||
		    crypto_sign_verify_detached(raw + 4,
		    (const uint8_t *)v->text, v->textlen, v->pk) != 0) {
			*errstr = "signature invalide : la note a été modifiée "
			    "ou n'a pas été signée par cette clé";
			r = -1;
		} else
			v->verified = 1;
	}
	free(raw);
	return r;
}

static int
check_sig_block(struct verifier *v, const char *p, const char *end,
    const char **errstr)
{
	const char *nl;
	size_t nsigs = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL || ++nsigs > NOTE_MAX_SIGS) {
			*errstr = "note mal formée : trop de signatures ou "
			    "fin de ligne manquante";
			return -1;
		}
		if (check_sig_line(v, p, (size_t)(nl - p), errstr) != 0)
			return -1;
		p = nl + 1;
	}
	return 0;
}

/* Offset of the last "\n\n" in s[0..len), or -1. */
static ptrdiff_t
last_blank_line(const char *s, size_t len)
{
	size_t i;

	for (i = len; i >= 2; i--)
		if (s[i - 1] == '\n' && s[i - 2] == '\n')
			return (ptrdiff_t)(i - 2);
	return -1;
}

int
note_verify(const char *note, size_t len, const char *vkey,
    const char **body_r, size_t *bodylen_r, const char **errstr)
{
	struct verifier v;
	ptrdiff_t split;

	*body_r = NULL;
	*bodylen_r = 0;
	if (note_vkey_parse(vkey, v.name, sizeof(v.name), v.pk, &v.keyid,
	    errstr) != 0)
		return -1;
	v.namelen = strlen(v.name);
	v.verified = 0;
	if (len > NOTE_MAX_LEN) {
		*errstr = "note trop longue";
		return -1;
	}
	if (text_check(note, len) != 0) {
		*errstr = "note mal formée : UTF-8 invalide ou caractère de "
		    "contrôle";
		return -1;
	}
	if ((split = last_blank_line(note, len)) < 0 ||
	    (size_t)split + 2 == len || note[len - 1] != '\n') {
		*errstr = E_MALFORMED;
		return -1;
	}
	v.text = note;
	v.textlen = (size_t)split + 1;
	if (check_sig_block(&v, note + split + 2, note + len, errstr) != 0)
		return -1;
	if (!v.verified) {
		*errstr = "aucune signature de la clé de vérification attendue";
		return -1;
	}
	*body_r = v.text;
	*bodylen_r = v.textlen;
	return 0;
}

int
checkpoint_format(struct buf *body, const char *origin, uint64_t size,
    const uint8_t root[32])
{
	char b64[ROOT_B64_LEN + 1];
	size_t old = body->len;

	if (note_name_check(origin) != 0)
		return -1;
	sodium_bin2base64(b64, sizeof(b64), root, 32,
	    sodium_base64_VARIANT_ORIGINAL);
	if (buf_puts(body, origin) != 0 ||
	    buf_printf(body, "\n%llu\n%s\n", (unsigned long long)size,
	    b64) != 0)
		return buf_rollback(body, old);
	return 0;
}

/* Decimal without sign or leading zero, fitting in uint64_t. */
static int
parse_size(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned)(unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int
checkpoint_parse(const char *body, size_t len, char *origin,
    size_t originlen, uint64_t *size_r, uint8_t root[32], const char **errstr)
{
	const char *line[3], *p = body, *end = body + len, *nl;
	size_t linelen[3], n = 0;

	*errstr = "point de contrôle mal formé : moins de trois lignes, "
	    "ligne vide ou fin de ligne manquante";
	if (text_check(body, len) != 0) {
		*errstr = "point de contrôle mal formé : UTF-8 invalide ou "
		    "caractère de contrôle";
		return -1;
	}
	for (; p < end; p = nl + 1, n++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL ||
		    nl == p)
			return -1;
		if (n < 3) {
			line[n] = p;
			linelen[n] = (size_t)(nl - p);
		}
	}
	if (n < 3)
		return -1;
	if (linelen[0] >= originlen) {
		*errstr = "point de contrôle : origine trop longue";
		return -1;
	}
	if (parse_size(line[1], linelen[1], size_r) != 0) {
		*errstr = "point de contrôle : taille de l'arbre invalide";
		return -1;
	}
	if (b64_exact(root, 32, line[2], linelen[2]) != 0) {
		*errstr = "point de contrôle : racine invalide (base64 de "
		    "32 octets attendu)";
		return -1;
	}
	memcpy(origin, line[0], linelen[0]);
	origin[linelen[0]] = '\0';
	return 0;
}
