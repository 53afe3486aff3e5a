/*
 * test_envelope - the sealed case: round trip with non-ASCII text and
 * names, decryption by the stock age binary, and every tampering we can
 * think of (age bytes, truncation, other relay key, other identity,
 * altered attachment, manifest or signature, reordered, missing or extra
 * parts, bad base64, duplicate names).  Needs /usr/bin/age (Debian "age").
 * Both versions (envelope.h): the round trip, age and the tampering checks
 * run on each; version 2's raw attachments have their own structure checks,
 * and each version's manifest is refused over the other's encoding.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "relay/age.h"
#include "relay/envelope.h"
#include "relay/util.h"
#include "tests/unit/t.h"

#define REF	"FS-92032-2026-000123"
#define MSGID	"fs.3f2a9c@relais.example.fr"
#define T0	1772445600LL	/* 2026-03-02T10:00:00Z */
#define BIN_LEN	(100 * 1024)
#define AGE_MAX	(128 * 1024 * 1024)

static const char desc_text[] = "Mme X. n’a pas reçu son avis d’impôt 2025.\n"
    "À rappeler avant vendredi ; « urgent ».\n";
static const char txt_doc[] = "Relevé : 1 234,56 €\r\nligne 2\n";

static uint8_t id_sk[32], id_pk[32], id2_sk[32], id2_pk[32];
static uint8_t relay_pk[32], relay_sk[64], other_pk[32], other_sk[64];
static uint8_t bin_doc[BIN_LEN];

static struct envelope_doc docs[3];
static int cur_version;		/* what make_input asks envelope_seal for */

static void
make_input(struct envelope_in *in, const uint8_t *pk)
{
	memset(in, 0, sizeof(*in));
	in->ref = REF;
	in->from = "relais@fs-antony.example.fr";
	in->to = "delphine.kaczmar@dgfip.finances.gouv.fr";
	in->subject = "[" REF "] DGFiP – Impôts des particuliers";
	in->message_id = MSGID;
	in->time = T0;
	in->recipient_pk = pk;
	in->description = desc_text;
	in->description_len = strlen(desc_text);
	in->docs = docs;
	in->n_docs = 3;
	in->version = cur_version;
}

static int
seal(struct buf *out, const struct envelope_in *in)
{
	char err[256] = "";
	int r;

	buf_init(out, AGE_MAX);
	r = envelope_seal(out, in, relay_sk, err, sizeof(err));
	if (r != 0)
		fprintf(stderr, "    seal: %s\n", err);
	return r;
}

/* envelope_open; the reason in err.  0 / -1. */
static int
try_open(const struct buf *f, const uint8_t *sk, const uint8_t *rpk, char *err, size_t errlen)
{
	struct envelope_opened o;
	int r;

	err[0] = '\0';
	r = envelope_open(&o, (const uint8_t *)f->p, f->len, sk, rpk, err, errlen);
	envelope_opened_free(&o);
	return r;
}

/* Parse a clear .eml given as a buf; the reason in err. */
static int
try_parse(const struct buf *e, char *err, size_t errlen)
{
	struct envelope_opened o;
	int r;

	err[0] = '\0';
	r = envelope_parse_eml(&o, e->p, e->len, err, errlen);
	envelope_opened_free(&o);
	return r;
}

/* Re-encrypt a (modified) clear .eml to id_pk and open it. */
static int
reseal_open(const struct buf *eml, char *err, size_t errlen)
{
	struct buf f;
	int r;

	buf_init(&f, AGE_MAX);
	if (age_encrypt(&f, (const uint8_t (*)[32])&id_pk, 1, (const uint8_t *)eml->p,
	    eml->len) < 0) {
		buf_free(&f);
		return 99;
	}
	r = try_open(&f, id_sk, relay_pk, err, errlen);
	buf_free(&f);
	return r;
}

static void
copy_buf(struct buf *dst, const char *p, size_t n)
{
	buf_init(dst, AGE_MAX);
	if (buf_append(dst, p, n) < 0)
		abort();
}

/* Offset of the first occurrence of needle in b at or after from. */
static size_t
find(const struct buf *b, const char *needle, size_t from)
{
	size_t n = strlen(needle), i;

	for (i = from; i + n <= b->len; i++)
		if (memcmp(b->p + i, needle, n) == 0)
			return i;
	return SIZE_MAX;
}

/* Offsets of the "--boundary" lines starting each part; returns how many
 * (the closing delimiter is included as the last one). */
static size_t
part_offsets(const struct buf *b, size_t *offs, size_t max)
{
	char delim[64];
	size_t at = find(b, "boundary=\"", 0), n = 0;

	if (at == SIZE_MAX)
		return 0;
	snprintf(delim, sizeof(delim), "\r\n--%.40s", b->p + at + 10);
	for (at = 0; n < max && (at = find(b, delim, at)) != SIZE_MAX; at += 2)
		offs[n++] = at + 2;
	return n;
}

/* A copy of e with bytes [a, b) replaced by ins (n bytes). */
static void
splice_buf(struct buf *out, const struct buf *e, size_t a, size_t b, const char *ins, size_t n)
{
	buf_init(out, AGE_MAX);
	if (buf_append(out, e->p, a) < 0 || buf_append(out, ins, n) < 0 ||
	    buf_append(out, e->p + b, e->len - b) < 0)
		abort();
}

/* A copy of e with the adjacent ranges [a, b) and [b, c) swapped. */
static void
swap_parts(struct buf *out, const struct buf *e, size_t a, size_t b, size_t c)
{
	buf_init(out, AGE_MAX);
	if (buf_append(out, e->p, a) < 0 || buf_append(out, e->p + b, c - b) < 0 ||
	    buf_append(out, e->p + a, b - a) < 0 || buf_append(out, e->p + c, e->len - c) < 0)
		abort();
}

/* Replace the manifest part's JSON by the result of swapping old for new
 * (same length) in it, re-encoded in the same base64 layout. */
static int
edit_manifest(struct buf *out, const struct buf *e, const char *old, const char *new)
{
	const char *hdr = "filename=\"manifest.json\"\r\n\r\n";
	size_t a = find(e, hdr, 0), b, n = 0, i, k;
	uint8_t json[8192];
	char line[80];
	struct buf enc;
	char *p;

	if (a == SIZE_MAX)
		return -1;
	a += strlen(hdr);
	b = find(e, "\r\n--", a) + 2;
	if (sodium_base642bin(json, sizeof(json) - 1, e->p + a, b - a, "\r\n", &n, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0)
		return -1;
	json[n] = 0;
	if ((p = strstr((char *)json, old)) == NULL || strlen(old) != strlen(new))
		return -1;
	memcpy(p, new, strlen(new));
	buf_init(&enc, 65536);
	for (i = 0; i < n; i += k) {
		k = n - i < 57 ? n - i : 57;
		sodium_bin2base64(line, sizeof(line), json + i, k, sodium_base64_VARIANT_ORIGINAL);
		buf_puts(&enc, line);
		buf_puts(&enc, "\r\n");
	}
	splice_buf(out, e, a, b, enc.p, enc.len);
	buf_free(&enc);
	return 0;
}

/* 1 if b holds needle (binary-safe: version 2 carries raw bytes). */
static int
has(const struct buf *b, const char *needle)
{
	return b->p != NULL && memmem(b->p, b->len, needle, strlen(needle)) != NULL;
}

/* Run "age -d -i idfile agefile" and collect its stdout.  Exit status. */
static int
run_age(const char *idfile, const char *agefile, struct buf *out)
{
	char chunk[65536];
	ssize_t n;
	int fds[2], st = -1;
	pid_t pid;

	if (pipe(fds) < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execlp("age", "age", "-d", "-i", idfile, agefile, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], chunk, sizeof(chunk))) > 0)
		if (buf_append(out, chunk, (size_t)n) < 0)
			break;
	close(fds[0]);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int
write_file(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, p, n) == (ssize_t)n;
	return close(fd) == 0 && ok ? 0 : -1;
}

static void
test_roundtrip_and_age(const struct buf *f)
{
	struct envelope_opened o;
	char err[256] = "", fpr[72], dir[] = "/tmp/test_envelope.XXXXXX";
	char idpath[128], agepath[128], idtext[AGE_IDENTITY_LEN + 1];
	char rcpt[AGE_RECIPIENT_LEN + 1], head[64];
	uint8_t sig[64], h[32];
	struct buf idfile, dec;
	size_t i;

	CHECK(f->len > 22 && memcmp(f->p, "age-encryption.org/v1\n", 22) == 0);
	CHECK_INT(envelope_open(&o, (const uint8_t *)f->p, f->len, id_sk, relay_pk, err,
	    sizeof(err)), 0);
	CHECK_STR(err, "");
	CHECK_STR(o.ref, REF);
	CHECK_STR(o.message_id, MSGID);
	CHECK_INT(o.time, T0);
	crypto_hash_sha256(h, id_pk, 32);
	memcpy(fpr, "SHA256:", 7);
	fs_hex(fpr + 7, h, 32);
	CHECK_STR(o.recipient_fingerprint, fpr);
	envelope_fingerprint(fpr, id_pk);
	CHECK_STR(o.recipient_fingerprint, fpr);
	CHECK_STR(o.description.name, "description.txt");
	CHECK_INT(o.description.len, strlen(desc_text));
	CHECK(o.description.data && memcmp(o.description.data, desc_text, strlen(desc_text)) == 0);
	CHECK_INT(o.n_docs, 3);
	for (i = 0; i < o.n_docs && i < 3; i++) {
		CHECK_STR(o.docs[i].name, docs[i].name);
		CHECK_STR(o.docs[i].media_type, docs[i].media_type);
		CHECK_INT(o.docs[i].len, docs[i].len);
		CHECK(o.docs[i].len == docs[i].len &&
		    memcmp(o.docs[i].data, docs[i].data, docs[i].len) == 0);
	}
	/* The .eml as mail clients see it. */
	CHECK_INT(o.version, cur_version);
	CHECK(has(&o.eml, "\r\nSubject: =?UTF-8?B?"));
	CHECK(has(&o.eml, "\r\nDate: Mon, 02 Mar 2026 10:00:00 +0000\r\n"));
	CHECK(has(&o.eml, "\r\nMessage-ID: <" MSGID ">\r\n"));
	CHECK(has(&o.eml, "filename=\"releve-2026.pdf\"\r\n"));
	CHECK(has(&o.eml, "filename*=utf-8''avis%20d%27imp%C3%B4t%20%E2%80%93%202025.txt"
	    "\r\n"));
	CHECK(has(&o.eml, "filename*=utf-8''note%20%22urgente%22%5Cv2.txt\r\n"));
	snprintf(head, sizeof(head), "{\"version\":%d,\"ref\":\"" REF "\",", cur_version);
	CHECK(o.manifest_json.p && strncmp(o.manifest_json.p, head, strlen(head)) == 0);
	CHECK(has(&o.manifest_json, "\",\"recipient_fingerprint\":\"SHA256:"));
	CHECK(strstr(o.manifest_json.p, "\"time\":\"2026-03-02T10:00:00Z\"") != NULL);
	CHECK(strstr(o.manifest_json.p, "{\"name\":\"note \\\"urgente\\\"\\\\v2.txt\","
	    "\"size\":") != NULL);
	/* The signature checks with plain libsodium. */
	CHECK_INT(o.manifest_sig.len, 88);
	CHECK(sodium_base642bin(sig, 64, o.manifest_sig.p, o.manifest_sig.len, NULL, NULL,
	    NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
	    crypto_sign_verify_detached(sig, (const uint8_t *)o.manifest_json.p,
	    o.manifest_json.len, relay_pk) == 0);

	/* The stock age binary decrypts it to the same bytes. */
	CHECK(mkdtemp(dir) != NULL);
	snprintf(idpath, sizeof(idpath), "%s/key.txt", dir);
	snprintf(agepath, sizeof(agepath), "%s/%s.age", dir, REF);
	CHECK_INT(age_identity_format(idtext, sizeof(idtext), id_sk), 0);
	CHECK_INT(age_recipient_format(rcpt, sizeof(rcpt), id_pk), 0);
	buf_init(&idfile, 4096);
	buf_printf(&idfile, "# created: 2026-03-02T10:00:00Z\n# public key: %s\n%s\n", rcpt,
	    idtext);
	CHECK_INT(write_file(idpath, idfile.p, idfile.len), 0);
	CHECK_INT(write_file(agepath, f->p, f->len), 0);
	buf_init(&dec, AGE_MAX);
	CHECK_INT(run_age(idpath, agepath, &dec), 0);
	CHECK_INT(dec.len, o.eml.len);
	CHECK(dec.len == o.eml.len && memcmp(dec.p, o.eml.p, dec.len) == 0);
	/* ... and parse_eml reads what age gave back. */
	{
		struct envelope_opened p;

		CHECK_INT(envelope_parse_eml(&p, dec.p, dec.len, err, sizeof(err)), 0);
		CHECK_INT(p.n_docs, 3);
		envelope_opened_free(&p);
	}
	unlink(idpath);
	unlink(agepath);
	rmdir(dir);
	sodium_memzero(idtext, sizeof(idtext));
	buf_free(&idfile);
	buf_free(&dec);
	envelope_opened_free(&o);
	envelope_opened_free(&o);	/* twice is harmless */
}

static void
test_age_level_failures(const struct buf *f)
{
	char err[256];
	size_t pos[] = { 0, 5, 30, 100, f->len / 2, f->len - 17, f->len - 1 };
	size_t cut[] = { 0, 21, 100, f->len / 2, f->len - 1 };
	struct buf g;
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(pos); i++) {
		copy_buf(&g, f->p, f->len);
		g.p[pos[i]] ^= 0x01;
		CHECK_INT(try_open(&g, id_sk, relay_pk, err, sizeof(err)), -1);
		CHECK(strncmp(err, "déchiffrement impossible", 25) == 0);
		buf_free(&g);
	}
	for (i = 0; i < FS_ARRAY_LEN(cut); i++) {
		copy_buf(&g, f->p, cut[i]);
		CHECK_INT(try_open(&g, id_sk, relay_pk, err, sizeof(err)), -1);
		CHECK(err[0] != '\0');
		buf_free(&g);
	}
	CHECK_INT(try_open(f, id2_sk, relay_pk, err, sizeof(err)), -1);
	CHECK(strncmp(err, "déchiffrement impossible", 25) == 0);
	CHECK_INT(try_open(f, id_sk, other_pk, err, sizeof(err)), -1);
	CHECK_STR(err, "signature du relais invalide");
	CHECK_INT(try_open(f, id_sk, relay_pk, err, sizeof(err)), 0);
}

static void
test_tampered_inside(const struct buf *eml)
{
	char err[256];
	struct buf g;
	size_t a;

	/* Untouched, re-encrypted: still opens. */
	CHECK_INT(reseal_open(eml, err, sizeof(err)), 0);

	/* One base64 character of the binary attachment. */
	a = find(eml, "filename=\"releve-2026.pdf\"\r\n\r\n", 0);
	CHECK(a != SIZE_MAX);
	copy_buf(&g, eml->p, eml->len);
	a += strlen("filename=\"releve-2026.pdf\"\r\n\r\n") + 10;
	g.p[a] = g.p[a] == 'Q' ? 'R' : 'Q';
	CHECK_INT(reseal_open(&g, err, sizeof(err)), -1);
	CHECK_STR(err, "pièce « releve-2026.pdf » modifiée (empreinte)");
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	CHECK_STR(err, "pièce « releve-2026.pdf » modifiée (empreinte)");
	buf_free(&g);

	/* One character of the description. */
	a = find(eml, "filename=\"description.txt\"\r\n\r\n", 0);
	copy_buf(&g, eml->p, eml->len);
	a += strlen("filename=\"description.txt\"\r\n\r\n") + 3;
	g.p[a] = g.p[a] == 'Q' ? 'R' : 'Q';
	CHECK_INT(reseal_open(&g, err, sizeof(err)), -1);
	CHECK(strstr(err, "description") != NULL);
	buf_free(&g);

	/* The manifest (another reference): the signature no longer holds. */
	CHECK_INT(edit_manifest(&g, eml, "2026-000123", "2026-000124"), 0);
	CHECK_INT(reseal_open(&g, err, sizeof(err)), -1);
	CHECK_STR(err, "signature du relais invalide");
	CHECK_INT(try_parse(&g, err, sizeof(err)), 0);	/* well-formed, unsigned */
	buf_free(&g);

	/* The signature. */
	a = find(eml, "filename=\"manifest.sig\"\r\n\r\n", 0);
	copy_buf(&g, eml->p, eml->len);
	a += strlen("filename=\"manifest.sig\"\r\n\r\n") + 4;
	g.p[a] = g.p[a] == 'Q' ? 'R' : 'Q';
	CHECK_INT(reseal_open(&g, err, sizeof(err)), -1);
	CHECK_STR(err, "signature du relais invalide");
	buf_free(&g);
}

static void
test_structure(const struct buf *eml)
{
	char err[256];
	size_t off[16], n;
	struct buf g;

	CHECK_INT(try_parse(eml, err, sizeof(err)), 0);
	n = part_offsets(eml, off, 16);
	CHECK_INT(n, 7);	/* description, 3 docs, manifest, sig, end */
	if (n != 7)
		return;

	/* Missing signature part. */
	splice_buf(&g, eml, off[5], off[6], "", 0);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	CHECK(err[0] != '\0');
	buf_free(&g);
	/* Missing attachment. */
	splice_buf(&g, eml, off[2], off[3], "", 0);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	buf_free(&g);
	/* Extra part (an attachment twice). */
	splice_buf(&g, eml, off[2], off[2], eml->p + off[2], off[3] - off[2]);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	CHECK(strstr(err, "en double") != NULL);
	buf_free(&g);
	/* Attachments out of order; manifest and signature swapped. */
	swap_parts(&g, eml, off[1], off[2], off[3]);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	CHECK(strstr(err, "manifeste") != NULL);
	buf_free(&g);
	swap_parts(&g, eml, off[4], off[5], off[6]);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	buf_free(&g);
	/* Description moved after an attachment. */
	swap_parts(&g, eml, off[0], off[1], off[2]);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	buf_free(&g);

	/* Bad base64: a character outside the alphabet, and two lines
	 * joined (same bytes, other layout). */
	copy_buf(&g, eml->p, eml->len);
	g.p[find(&g, "filename=\"releve-2026.pdf\"\r\n\r\n", 0) + 40] = '*';
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	CHECK(strstr(err, "base64") != NULL);
	buf_free(&g);
	{
		size_t a = find(eml, "filename=\"releve-2026.pdf\"\r\n\r\n", 0) +
		    strlen("filename=\"releve-2026.pdf\"\r\n\r\n") + 76;

		splice_buf(&g, eml, a, a + 2, "", 0);
		CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
		buf_free(&g);
	}

	/* LF line ends, trailing bytes, a truncated end. */
	{
		size_t i;

		buf_init(&g, AGE_MAX);
		for (i = 0; i < eml->len; i++)
			if (eml->p[i] != '\r')
				buf_append(&g, eml->p + i, 1);
		CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
		buf_free(&g);
	}
	splice_buf(&g, eml, eml->len, eml->len, "x\r\n", 3);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	buf_free(&g);
	copy_buf(&g, eml->p, eml->len - 2);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	buf_free(&g);
	copy_buf(&g, "", 0);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	buf_free(&g);

	/* A manifest that does not parse (an unknown version), or is not in
	 * canonical form. */
	CHECK_INT(edit_manifest(&g, eml, "{\"version\":1", "{\"version\":3"), 0);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	CHECK_STR(err, "manifest.json illisible");
	buf_free(&g);
	/* Version 2 announced over base64 attachments. */
	CHECK_INT(edit_manifest(&g, eml, "{\"version\":1", "{\"version\":2"), 0);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	CHECK_STR(err, "encodage des pièces différent de la version 2 du manifeste");
	buf_free(&g);
	CHECK_INT(edit_manifest(&g, eml, "\"ref\":", "\"REF\":"), 0);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	buf_free(&g);
	CHECK_INT(edit_manifest(&g, eml, ":102400,", ":0102400"), 0);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	buf_free(&g);
	/* A size that no longer matches. */
	CHECK_INT(edit_manifest(&g, eml, ":102400,", ":102401,"), 0);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	CHECK(strstr(err, "releve-2026.pdf") != NULL);
	buf_free(&g);

	/* Headers out of order. */
	{
		size_t from = find(eml, "From: ", 0);
		size_t subj = find(eml, "Subject: ", 0);
		struct buf x;

		splice_buf(&x, eml, from, subj, "", 0);
		splice_buf(&g, &x, find(&x, "Date: ", 0), find(&x, "Date: ", 0), eml->p + from,
		    subj - from);
		CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
		buf_free(&g);
		buf_free(&x);
	}
	/* An ASCII name in the RFC 2231 form (not what the writer does). */
	{
		const char *q = "filename=\"releve-2026.pdf\"";
		const char *e = "filename*=utf-8''releve-2026.pdf";
		size_t a = find(eml, q, 0);

		splice_buf(&g, eml, a, a + strlen(q), e, strlen(e));
		CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
		CHECK(strstr(err, "en-têtes mal formés") != NULL);
		buf_free(&g);
	}
	/* Message-ID header that disagrees with the manifest. */
	{
		size_t a = find(eml, "Message-ID: <fs.", 0) + 16;

		copy_buf(&g, eml->p, eml->len);
		g.p[a] = 'Z';
		CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
		CHECK(strstr(err, "Message-ID") != NULL);
		buf_free(&g);
	}
}

/* Version 2: the attachments are their own bytes; what breaks them. */
static void
test_structure_v2(const struct buf *eml)
{
	static const char cte[] = "Content-Transfer-Encoding: binary\r\n";
	const char *hdr = "filename=\"releve-2026.pdf\"\r\n\r\n";
	char err[256];
	size_t a, off[16], n, count = 0;
	struct buf g;

	CHECK_INT(try_parse(eml, err, sizeof(err)), 0);
	n = part_offsets(eml, off, 16);
	CHECK_INT(n, 7);
	a = find(eml, hdr, 0);
	CHECK(a != SIZE_MAX);
	if (n != 7 || a == SIZE_MAX)
		return;
	a += strlen(hdr);
	/* The raw bytes, then the CRLF of the next boundary line. */
	CHECK(memcmp(eml->p + a, bin_doc, BIN_LEN) == 0);
	CHECK_INT(off[2], a + BIN_LEN + 2);
	for (size_t at = 0; (at = find(eml, cte, at)) != SIZE_MAX; at++)
		count++;
	CHECK_INT(count, 3);
	/* No base64 growth: the .eml is the attachments plus a few KB. */
	CHECK(eml->len < BIN_LEN + 4096);

	/* One byte less: the size no longer matches the manifest. */
	splice_buf(&g, eml, a, a + 1, "", 0);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	CHECK_STR(err, "pièce « releve-2026.pdf » modifiée (type ou taille)");
	buf_free(&g);
	/* The same bytes said to be base64. */
	copy_buf(&g, eml->p, eml->len);
	memcpy(g.p + find(&g, cte, 0) + 27, "base64", 6);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	CHECK(err[0] != '\0');
	buf_free(&g);
	/* The boundary line after the raw bytes is gone: the part runs into
	 * the next one and no longer matches. */
	splice_buf(&g, eml, off[2] - 2, off[2] + 2 + 40 + 2, "", 0);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	buf_free(&g);
	/* Cut in the middle of the raw bytes. */
	copy_buf(&g, eml->p, a + BIN_LEN / 2);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	CHECK(strstr(err, "mal formé") != NULL);
	buf_free(&g);
	/* Version 1 announced over raw attachments. */
	CHECK_INT(edit_manifest(&g, eml, "{\"version\":2", "{\"version\":1"), 0);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	CHECK_STR(err, "encodage des pièces différent de la version 1 du manifeste");
	buf_free(&g);
	CHECK_INT(edit_manifest(&g, eml, "{\"version\":2", "{\"version\":3"), 0);
	CHECK_INT(try_parse(&g, err, sizeof(err)), -1);
	CHECK_STR(err, "manifest.json illisible");
	buf_free(&g);
}

/* Raw bytes that look like MIME (a boundary line of the same shape, CR, LF,
 * NUL, a trailing CRLF) and an empty attachment come back unchanged. */
static void
test_binary_lookalikes(void)
{
	static const char fake[] = "x\r\n--fsrelay-00000000000000000000000000000000\r\n"
	    "Content-Type: text/plain\r\n\r\n--fsrelay-0000--\r\n\0\r\r\n\n\r\n";
	struct envelope_doc d[3] = {
		{ "faux-mime.bin", "application/octet-stream", (const uint8_t *)fake,
		    sizeof(fake), NULL },
		{ "vide.bin", "application/octet-stream", NULL, 0, NULL },
		{ "crlf.txt", "text/plain", (const uint8_t *)"\r\n", 2, NULL },
	};
	struct envelope_in in;
	struct envelope_opened o;
	struct buf f;
	char err[256];
	size_t i;

	make_input(&in, id_pk);
	in.docs = d;
	in.version = ENVELOPE_V2;
	CHECK_INT(seal(&f, &in), 0);
	CHECK_INT(envelope_open(&o, (const uint8_t *)f.p, f.len, id_sk, relay_pk, err,
	    sizeof(err)), 0);
	CHECK_INT(o.version, ENVELOPE_V2);
	CHECK_INT(o.n_docs, 3);
	for (i = 0; i < o.n_docs && i < 3; i++)
		CHECK(o.docs[i].len == d[i].len && (d[i].len == 0 ||
		    memcmp(o.docs[i].data, d[i].data, d[i].len) == 0));
	envelope_opened_free(&o);
	buf_free(&f);
	in.version = 3;
	buf_init(&f, AGE_MAX);
	CHECK_INT(envelope_seal(&f, &in, relay_sk, err, sizeof(err)), -1);
	CHECK_STR(err, "version de dossier inconnue");
	buf_free(&f);
}

/* A digest the caller already has goes into the manifest as given (the
 * outbox passes the store's, computed at intake: a piece hashed once); a
 * malformed one is computed again. */
/* Issue 11: a UTF-8 text piece says charset=utf-8 in its part (a mail
 * program opening the decrypted .eml reads « Prénom », not « Pr��nom »);
 * a text piece in another charset and a binary piece say nothing; the
 * manifest and the reader keep the bare media type. */
static void
test_charset(void)
{
	struct envelope_doc three[3] = {
		{ "personne.txt", "text/plain", (const uint8_t *)"Prénom : Léa\n", 15, NULL },
		{ "latin1.txt", "text/plain", (const uint8_t *)"Pr\xe9nom", 7, NULL },
		{ "b.pdf", "application/pdf", (const uint8_t *)"%PDF", 4, NULL },
	};
	struct envelope_in in;
	struct envelope_opened o;
	struct buf f;
	char err[256];
	size_t i;

	make_input(&in, id_pk);
	in.docs = three;
	in.n_docs = 3;
	CHECK_INT(seal(&f, &in), 0);
	CHECK_INT(envelope_open(&o, (const uint8_t *)f.p, f.len, id_sk, relay_pk, err,
	    sizeof(err)), 0);
	CHECK(find(&o.eml, "Content-Type: text/plain; charset=utf-8\r\n"
	    "Content-Transfer-Encoding", 0) != SIZE_MAX);
	CHECK_INT(o.n_docs, 3);
	for (i = 0; i < o.n_docs && i < 3; i++)
		CHECK_STR(o.docs[i].media_type, three[i].media_type);
	CHECK(find(&o.eml, "Content-Type: application/pdf; charset", 0) == SIZE_MAX);
	CHECK(find(&o.manifest_json, "charset", 0) == SIZE_MAX);
	{
		/* the latin-1 piece's part: no charset */
		size_t at = find(&o.eml, "filename=\"latin1.txt\"", 0), ct;

		for (ct = at; ct > 0 && memcmp(o.eml.p + ct, "Content-Type: ", 14) != 0; ct--)
			;
		CHECK(at != SIZE_MAX && memcmp(o.eml.p + ct, "Content-Type: text/plain\r\n", 26) == 0);
	}
	envelope_opened_free(&o);
	buf_free(&f);
}

static void
test_given_digest(void)
{
	struct envelope_doc one[1] = { { "a.txt", "text/plain", (const uint8_t *)"one", 3, NULL } };
	struct envelope_in in;
	struct envelope_opened o;
	struct buf f;
	uint8_t h[crypto_hash_sha256_BYTES];
	char hex[65], other[65], err[256];

	crypto_hash_sha256(h, (const uint8_t *)"one", 3);
	fs_hex(hex, h, sizeof(h));
	crypto_hash_sha256(h, (const uint8_t *)"two", 3);
	fs_hex(other, h, sizeof(h));
	make_input(&in, id_pk);
	in.docs = one;
	in.n_docs = 1;
	one[0].sha256 = hex;
	CHECK_INT(seal(&f, &in), 0);
	CHECK_INT(envelope_open(&o, (const uint8_t *)f.p, f.len, id_sk, relay_pk, err,
	    sizeof(err)), 0);
	envelope_opened_free(&o);
	buf_free(&f);
	/* taken as given, not computed: the reader sees the mismatch */
	one[0].sha256 = other;
	CHECK_INT(seal(&f, &in), 0);
	CHECK_INT(envelope_open(&o, (const uint8_t *)f.p, f.len, id_sk, relay_pk, err,
	    sizeof(err)), -1);
	envelope_opened_free(&o);
	buf_free(&f);
	one[0].sha256 = "ABC";
	CHECK_INT(seal(&f, &in), 0);
	CHECK_INT(envelope_open(&o, (const uint8_t *)f.p, f.len, id_sk, relay_pk, err,
	    sizeof(err)), 0);
	envelope_opened_free(&o);
	buf_free(&f);
}

static void
test_duplicate_names(void)
{
	struct envelope_doc two[2] = {
		{ "a.txt", "text/plain", (const uint8_t *)"one", 3, NULL },
		{ "b.txt", "text/plain", (const uint8_t *)"two", 3, NULL },
	};
	struct envelope_in in;
	struct envelope_opened o;
	struct buf f, g, h;
	char err[256];
	size_t a;

	make_input(&in, id_pk);
	in.docs = two;
	in.n_docs = 2;
	CHECK_INT(seal(&f, &in), 0);
	CHECK_INT(envelope_open(&o, (const uint8_t *)f.p, f.len, id_sk, relay_pk, err,
	    sizeof(err)), 0);
	/* Rename b.txt to a.txt in the part and in the manifest. */
	a = find(&o.eml, "filename=\"b.txt\"", 0);
	CHECK(a != SIZE_MAX);
	copy_buf(&g, o.eml.p, o.eml.len);
	g.p[a + 10] = 'a';
	CHECK_INT(edit_manifest(&h, &g, "\"b.txt\"", "\"a.txt\""), 0);
	CHECK_INT(try_parse(&h, err, sizeof(err)), -1);
	CHECK_STR(err, "nom de pièce en double « a.txt »");
	buf_free(&g);
	buf_free(&h);
	envelope_opened_free(&o);
	buf_free(&f);

	/* The writer refuses them too. */
	two[1].name = "a.txt";
	buf_init(&f, AGE_MAX);
	CHECK_INT(envelope_seal(&f, &in, relay_sk, err, sizeof(err)), -1);
	CHECK_STR(err, "nom de pièce en double « a.txt »");
	CHECK_INT(f.len, 0);
	buf_free(&f);
}

static void
test_recipient_mismatch(void)
{
	struct envelope_in in;
	struct envelope_opened o;
	struct buf f;
	char err[256];

	/* Sealed for id2, then re-encrypted (by someone) to id. */
	make_input(&in, id2_pk);
	CHECK_INT(seal(&f, &in), 0);
	CHECK_INT(envelope_open(&o, (const uint8_t *)f.p, f.len, id2_sk, relay_pk, err,
	    sizeof(err)), 0);
	CHECK_INT(reseal_open(&o.eml, err, sizeof(err)), -1);
	CHECK(strstr(err, "autre clé") != NULL);
	envelope_opened_free(&o);
	buf_free(&f);
}

static void
test_seal_refusals(void)
{
	struct envelope_in in;
	struct envelope_doc bad[1] = { { "x.pdf", "application/pdf", (const uint8_t *)"x", 1, NULL } };
	struct buf f;
	char err[256];

#define REFUSE(stmt) do { make_input(&in, id_pk); stmt; buf_init(&f, AGE_MAX); \
	err[0] = '\0'; \
	CHECK_INT(envelope_seal(&f, &in, relay_sk, err, sizeof(err)), -1); \
	CHECK(err[0] != '\0'); CHECK_INT(f.len, 0); buf_free(&f); } while (0)

	REFUSE(in.ref = "FS-9203-2026-000123");
	REFUSE(in.ref = "FS-92032-2026-00012x");
	REFUSE(in.from = "Relais <relais@x.fr>");
	REFUSE(in.to = "a@b\r\nBcc: c@d");
	REFUSE(in.subject = "objet\r\nBcc: x@y");
	REFUSE(in.message_id = "a b@c");
	REFUSE(in.time = -1);
	REFUSE(in.description = "\xff\xfe"; in.description_len = 2);
	REFUSE(in.docs = bad; in.n_docs = 1; bad[0].name = "a\nb.pdf");
	REFUSE(in.docs = bad; in.n_docs = 1; bad[0].name = "");
	REFUSE(in.docs = bad; in.n_docs = 1; bad[0].name = "x.pdf"; bad[0].media_type = "pdf");
	REFUSE(in.docs = bad; in.n_docs = 1; bad[0].media_type = "application/pdf; x=1");
	REFUSE(in.docs = bad; in.n_docs = 1; bad[0].media_type = "application/pdf";
	    bad[0].len = (size_t)ENVELOPE_MAX_CONTENT + 1);
	REFUSE(in.n_docs = ENVELOPE_MAX_DOCS + 1);
#undef REFUSE

	/* Output maximum too small: refused, nothing appended. */
	make_input(&in, id_pk);
	buf_init(&f, 1000);
	buf_puts(&f, "prefix");
	CHECK_INT(envelope_seal(&f, &in, relay_sk, err, sizeof(err)), -1);
	CHECK_INT(f.len, 6);
	buf_free(&f);
}

static void
test_minimal_and_dates(void)
{
	struct envelope_doc empty[1] = { { "vide.bin", "application/octet-stream", NULL, 0, NULL } };
	struct envelope_in in;
	struct envelope_opened o;
	struct buf f;
	char err[256];

	make_input(&in, id_pk);
	in.description = "";
	in.description_len = 0;
	in.n_docs = 0;
	in.time = 1709208000;	/* 2024-02-29T12:00:00Z, a Thursday */
	CHECK_INT(seal(&f, &in), 0);
	CHECK_INT(envelope_open(&o, (const uint8_t *)f.p, f.len, id_sk, relay_pk, err,
	    sizeof(err)), 0);
	CHECK_INT(o.n_docs, 0);
	CHECK_INT(o.description.len, 0);
	CHECK_INT(o.time, 1709208000);
	CHECK(o.eml.p && strstr(o.eml.p, "Date: Thu, 29 Feb 2024 12:00:00 +0000\r\n") != NULL);
	CHECK(o.manifest_json.p && strstr(o.manifest_json.p, "\"time\":\"2024-02-29T12:00:00Z\","
	    "\"description_sha256\":\"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b"
	    "7852b855\",\"documents\":[]}") != NULL);
	envelope_opened_free(&o);
	buf_free(&f);

	make_input(&in, id_pk);
	in.docs = empty;
	in.n_docs = 1;
	in.time = 0;
	CHECK_INT(seal(&f, &in), 0);
	CHECK_INT(envelope_open(&o, (const uint8_t *)f.p, f.len, id_sk, relay_pk, err,
	    sizeof(err)), 0);
	CHECK_INT(o.n_docs, 1);
	CHECK(o.n_docs == 1 && o.docs[0].len == 0);
	CHECK(o.manifest_json.p && strstr(o.manifest_json.p, "1970-01-01T00:00:00Z") != NULL);
	envelope_opened_free(&o);
	buf_free(&f);
}

/* The relay key as `keys show signing` prints it, and what is not one. */
static void
test_relay_key_parse(void)
{
	uint8_t pk[32], got[32];
	char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL)], *s;

	randombytes_buf(pk, sizeof(pk));
	sodium_bin2base64(b64, sizeof(b64), pk, sizeof(pk), sodium_base64_VARIANT_ORIGINAL);
	CHECK_INT(envelope_relay_key_parse(b64, got), 0);
	CHECK(memcmp(pk, got, 32) == 0);
	s = xasprintf("  %s \n", b64);
	CHECK_INT(envelope_relay_key_parse(s, got), 0);
	free(s);
	s = xasprintf("%s x", b64);
	CHECK_INT(envelope_relay_key_parse(s, got), -1);
	free(s);
	b64[43] = '\0';
	CHECK_INT(envelope_relay_key_parse(b64, got), -1);
	CHECK_INT(envelope_relay_key_parse("", got), -1);
	CHECK_INT(envelope_relay_key_parse("!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!=", got), -1);
}

int
main(void)
{
	struct envelope_in in;
	struct envelope_opened o;
	struct buf f;
	char err[256];
	size_t i;

	if (sodium_init() < 0)
		return 1;
	if (age_keygen(id_sk, id_pk) < 0 || age_keygen(id2_sk, id2_pk) < 0 ||
	    crypto_sign_keypair(relay_pk, relay_sk) != 0 ||
	    crypto_sign_keypair(other_pk, other_sk) != 0)
		return 1;
	for (i = 0; i < BIN_LEN; i++)
		bin_doc[i] = (uint8_t)(i * 7 + (i >> 8));
	docs[0] = (struct envelope_doc){ "releve-2026.pdf", "application/pdf", bin_doc, BIN_LEN, NULL };
	docs[1] = (struct envelope_doc){ "avis d'impôt – 2025.txt", "text/plain",
	    (const uint8_t *)txt_doc, strlen(txt_doc), NULL };
	docs[2] = (struct envelope_doc){ "note \"urgente\"\\v2.txt", "text/plain",
	    (const uint8_t *)"!", 1, NULL };

	for (cur_version = ENVELOPE_V1; cur_version <= ENVELOPE_V2; cur_version++) {
		test_charset();
		make_input(&in, id_pk);
		CHECK_INT(seal(&f, &in), 0);
		test_roundtrip_and_age(&f);
		test_age_level_failures(&f);
		CHECK_INT(envelope_open(&o, (const uint8_t *)f.p, f.len, id_sk, relay_pk, err,
		    sizeof(err)), 0);
		test_tampered_inside(&o.eml);
		if (cur_version == ENVELOPE_V1)
			test_structure(&o.eml);
		else
			test_structure_v2(&o.eml);
		envelope_opened_free(&o);
		buf_free(&f);
	}
	cur_version = 0;	/* the relay's default: version 2 */
	make_input(&in, id_pk);
	CHECK_INT(seal(&f, &in), 0);
	CHECK_INT(envelope_open(&o, (const uint8_t *)f.p, f.len, id_sk, relay_pk, err,
	    sizeof(err)), 0);
	CHECK_INT(o.version, ENVELOPE_VERSION);
	CHECK_INT(ENVELOPE_VERSION, ENVELOPE_V2);
	envelope_opened_free(&o);
	buf_free(&f);
	test_binary_lookalikes();
	test_duplicate_names();
	test_given_digest();
	test_recipient_mismatch();
	test_seal_refusals();
	test_minimal_and_dates();
	test_relay_key_parse();
	sodium_memzero(relay_sk, sizeof(relay_sk));
	sodium_memzero(id_sk, sizeof(id_sk));
	return t_done();
}
