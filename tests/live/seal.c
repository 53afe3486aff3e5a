/*
 * seal - a test tool: seal a case file in a given version of the envelope
 * format (relay/envelope.h), so the readers' support of the former form
 * (version 1, pieces in base64) is checked against the real writer by
 * tests/integration/deliver.sh (fsrelay open, the opener's source).
 *
 *   live_seal VERSION RECIPIENT REF MESSAGE-ID PUBOUT DESCRIPTION [PIECE...]
 *
 * Signs with a fresh Ed25519 key whose public half (44 characters of
 * base64, the form of « fsrelay keys show signing ») goes to PUBOUT, and
 * writes the age file, encrypted to RECIPIENT (age1...), on stdout.  Each
 * piece keeps its base name, as application/octet-stream.  Exit 0, or 1
 * with the reason on stderr.
 */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "relay/age.h"
#include "relay/envelope.h"
#include "relay/util.h"

#define MAX_PIECES	16

static int
fail(const char *what)
{
	fprintf(stderr, "live_seal : %s\n", what);
	return 1;
}

int
main(int argc, char **argv)
{
	struct envelope_doc docs[MAX_PIECES];
	struct buf data[MAX_PIECES], desc, out;
	struct envelope_in in;
	uint8_t pk[32], spk[32], ssk[64];
	char err[512], pub[64];
	const char *why = NULL;
	FILE *f;
	int i, n;

	if (argc < 7 || argc - 7 > MAX_PIECES)
		return fail("usage : VERSION RECIPIENT REF MESSAGE-ID PUBOUT DESCRIPTION [PIECE...]");
	if (sodium_init() < 0 || crypto_sign_keypair(spk, ssk) != 0)
		return fail("libsodium");
	if (age_recipient_parse(argv[2], pk, &why) < 0)
		return fail(why ? why : "destinataire invalide");
	buf_init(&desc, ENVELOPE_MAX_EML);
	if (buf_read_file(&desc, argv[6]) < 0)
		return fail("lecture de la description impossible");
	n = argc - 7;
	for (i = 0; i < n; i++) {
		buf_init(&data[i], ENVELOPE_MAX_EML);
		if (buf_read_file(&data[i], argv[7 + i]) < 0)
			return fail("lecture d'une pièce impossible");
		docs[i] = (struct envelope_doc){ basename(argv[7 + i]),
		    "application/octet-stream", (const uint8_t *)data[i].p, data[i].len,
		    NULL };
	}
	memset(&in, 0, sizeof(in));
	in.version = atoi(argv[1]);
	in.ref = argv[3];
	in.from = "relais@relay.fsrelay.test";
	in.to = "referent@example.fr";
	in.subject = "dossier de test";
	in.message_id = argv[4];
	in.time = 1772445600;	/* 2026-03-02T10:00:00Z */
	in.recipient_pk = pk;
	in.description = desc.p ? desc.p : "";
	in.description_len = desc.len;
	in.docs = docs;
	in.n_docs = (size_t)n;
	buf_init(&out, 2 * ENVELOPE_MAX_EML);
	if (envelope_seal(&out, &in, ssk, err, sizeof(err)) < 0)
		return fail(err);
	sodium_bin2base64(pub, sizeof(pub), spk, sizeof(spk), sodium_base64_VARIANT_ORIGINAL);
	if ((f = fopen(argv[5], "w")) == NULL || fprintf(f, "%s\n", pub) < 0 || fclose(f) != 0)
		return fail("écriture de la clé publique impossible");
	if (fwrite(out.p, 1, out.len, stdout) != out.len || fflush(stdout) != 0)
		return fail("écriture du dossier impossible");
	return 0;
}
