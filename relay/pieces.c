/*
 * pieces - see pieces.h.  The files are the agent's; their names and
 * contents are untrusted in shape and personal in substance.
 */
#include "relay/pieces.h"
#include "relay/case.h"
#include "relay/instance.h"
#include "relay/outbox.h"
#include "relay/sanitize.h"
#include "relay/sealed.h"
#include "relay/port/store_cases.h"
#include "relay/port/store_directory.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int
name_reserved(const char *name)
{
	static const char *const reserved[] = { PERSON_PART_NAME, "description.txt",
		"manifest.json", "manifest.sig" };
	size_t i;

	for (i = 0; i < FS_ARRAY_LEN(reserved); i++)
		if (strcmp(name, reserved[i]) == 0)
			return 1;
	return 0;
}

/* Check the i-th name against the rules and the names before it. */
static int
name_ok(const struct pieces *p, size_t i, char *err, size_t errlen)
{
	const char *why;
	size_t j;

	/* The one name check, also applied when the envelope is sealed:
	 * what passes here seals on every rung. */
	if (san_name_check(p->names[i], strlen(p->names[i]), CASE_FIELD_MAX, &why) < 0) {
		snprintf(err, errlen, "--piece : nom de fichier refusé : %s (pièce %zu)", why, i + 1);
		return -1;
	}
	if (name_reserved(p->names[i])) {
		snprintf(err, errlen, "--piece : nom de fichier réservé (%zu) : renommez la"
		    " pièce", i + 1);
		return -1;
	}
	for (j = 0; j < i; j++)
		if (strcmp(p->names[j], p->names[i]) == 0) {
			snprintf(err, errlen, "--piece : les pièces %zu et %zu portent le même"
			    " nom : renommez l'une d'elles", j + 1, i + 1);
			return -1;
		}
	return 0;
}

int
pieces_check(const struct pieces *p, const char *partner, char *err, size_t errlen)
{
	size_t i, total = 0;

	if (p == NULL)
		return 0;
	if (p->n > CASE_PIECES_MAX_COUNT) {
		snprintf(err, errlen, "trop de pièces jointes (%d au plus)", CASE_PIECES_MAX_COUNT);
		return -1;
	}
	for (i = 0; i < p->n; i++) {
		if (name_ok(p, i, err, errlen) < 0)
			return -1;
		if (p->data[i].len > CASE_PIECE_MAX) {
			snprintf(err, errlen, "pièce jointe %zu trop grosse (%d Mio au plus)", i + 1,
			    CASE_PIECE_MAX / (1024 * 1024));
			return -1;
		}
		total += p->data[i].len;
		if (total > CASE_PIECES_TOTAL_MAX) {
			snprintf(err, errlen, "pièces jointes trop grosses au total (%d Mio au plus)",
			    CASE_PIECES_TOTAL_MAX / (1024 * 1024));
			return -1;
		}
	}
	return partner ? pieces_nir_check(p, partner, err, errlen) : 0;
}

void
pieces_free(struct pieces *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		buf_free(&p->data[i]);
		free(p->names[i]);
	}
	free(p->data);
	free(p->names);
	memset(p, 0, sizeof(*p));
}

const char *
pieces_media_type(const char *name)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".pdf", "application/pdf" }, { ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" }, { ".png", "image/png" },
		{ ".txt", "text/plain" }, { ".odt", "application/vnd.oasis.opendocument.text" },
		{ ".docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document" },
	};
	const char *dot = strrchr(name, '.');
	size_t i;

	for (i = 0; dot && i < FS_ARRAY_LEN(types); i++)
		if (strcasecmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

int
pieces_seal(struct instance *in, const uint8_t *dek, int64_t case_id, int64_t msg_id,
    const struct pieces *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct document_row d;
		uint8_t h[crypto_hash_sha256_BYTES];

		memset(&d, 0, sizeof(d));
		d.case_id = case_id;
		d.message_id = msg_id;
		fs_strlcpy(d.kind, "piece", sizeof(d.kind));
		d.size = (int64_t)p->data[i].len;
		crypto_hash_sha256(h, (const uint8_t *)p->data[i].p, p->data[i].len);
		fs_hex(d.sha256, h, sizeof(h));
		fs_strlcpy(d.media_type, pieces_media_type(p->names[i]), sizeof(d.media_type));
		if (store_document_insert(in->st, &d) < 0 ||
		    sealed_put(in, dek, "documents", "name", d.id, p->names[i],
		    strlen(p->names[i])) < 0 ||
		    sealed_put(in, dek, "documents", "content", d.id, p->data[i].p,
		    p->data[i].len) < 0)
			return -1;
	}
	return 0;
}

int
pieces_nir_check(const struct pieces *p, const char *partner, char *err, size_t errlen)
{
	const char *why;
	size_t i;

	for (i = 0; i < p->n; i++)
		if (case_nir_check(partner, p->names[i], strlen(p->names[i]), &why) < 0) {
			snprintf(err, errlen, "--piece %zu : son nom %s", i + 1, why);
			return -1;
		}
	return 0;
}

int
pieces_mandate_sha256(const uint8_t *copy, size_t len, char hex[65], char *err,
    size_t errlen)
{
	uint8_t h[crypto_hash_sha256_BYTES];

	hex[0] = '\0';
	if (len > CASE_PIECE_MAX) {
		snprintf(err, errlen, "mandat : plus de %d octets", CASE_PIECE_MAX);
		return -1;
	}
	crypto_hash_sha256(h, copy, len);
	fs_hex(hex, h, sizeof(h));
	return 0;
}
