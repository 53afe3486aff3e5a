/*
 * audit - see audit.h.  Reads the events and checkpoints through
 * adapters/store, hashes with relay/merkle, signs and verifies with
 * relay/note.  The signing key is read from its file only for the time of
 * one signature, in sodium_malloc'd memory, then wiped.
 */
#include "relay/audit.h"
#include "relay/breach.h"
#include "relay/calendar.h"
#include "relay/json.h"
#include "relay/instance.h"
#include "relay/merkle.h"
#include "relay/note.h"
#include "relay/outbox.h"
#include "relay/port/store_audit.h"
#include "keys/keystore.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AUDIT_LEAF_MAX	(1024 * 1024)	/* one event never comes near */
#define VKEY_MAX	512

static int
put_field(struct buf *out, const char *p, size_t len)
{
	uint8_t n[4];

	if (len > UINT32_MAX)
		return -1;
	n[0] = (uint8_t)(len >> 24);
	n[1] = (uint8_t)(len >> 16);
	n[2] = (uint8_t)(len >> 8);
	n[3] = (uint8_t)len;
	if (buf_append(out, n, sizeof(n)) < 0 || (len && buf_append(out, p, len) < 0))
		return -1;
	return 0;
}

int
audit_leaf_encode(struct buf *out, const struct store_event_view *ev)
{
	const uint8_t version = AUDIT_LEAF_VERSION;
	char seq[24], at[CAL_RFC3339_LEN];
	size_t start = out->len;
	int k;

	snprintf(seq, sizeof(seq), "%lld", (long long)ev->seq);
	if (cal_format_rfc3339_utc(at, ev->at) < 0)
		return -1;
	if (buf_append(out, &version, 1) < 0 || put_field(out, seq, strlen(seq)) < 0 ||
	    put_field(out, at, strlen(at)) < 0)
		goto fail;
	for (k = 0; k < 4; k++)
		if (put_field(out, ev->field[k], ev->len[k]) < 0)
			goto fail;
	return 0;
fail:
	out->len = start;
	return -1;
}

/* ---- verification --------------------------------------------------- */

/* A tree head the log must match: a stored checkpoint or an exported one. */
struct target {
	uint64_t	size;
	uint8_t		root[32];
	char		label[96];
};

struct scan {
	struct merkle_compact	 tree;
	struct buf		 leaf;
	struct target		*t;
	size_t			 nt, next;
	int64_t			 expect;	/* next seq */
	int64_t			 bad_seq;
	char			*err;
	size_t			 errlen;
	int			 mismatch;	/* 1: err says why */
};

static int
target_cmp(const void *a, const void *b)
{
	const struct target *x = a, *y = b;

	return x->size < y->size ? -1 : x->size > y->size;
}

/* Compare the targets whose size is the tree's current size. */
static int
check_targets(struct scan *s)
{
	uint8_t root[32];

	merkle_compact_root(&s->tree, root);
	for (; s->next < s->nt && s->t[s->next].size == s->tree.size; s->next++) {
		if (sodium_memcmp(root, s->t[s->next].root, 32) != 0) {
			snprintf(s->err, s->errlen, "%s : la racine des %llu premiers événements"
			    " ne correspond plus (événements modifiés, supprimés ou réordonnés)",
			    s->t[s->next].label, (unsigned long long)s->tree.size);
			s->mismatch = 1;
			return 1;
		}
	}
	return 0;
}

static int
scan_event(void *arg, const struct store_event_view *ev)
{
	struct scan *s = arg;
	uint8_t h[32];

	if (ev->seq != s->expect) {
		snprintf(s->err, s->errlen, "numéro de séquence %lld attendu, %lld trouvé"
		    " (événement supprimé ou inséré)", (long long)s->expect, (long long)ev->seq);
		s->bad_seq = s->expect;
		s->mismatch = 1;
		return 1;
	}
	s->leaf.len = 0;
	if (audit_leaf_encode(&s->leaf, ev) < 0) {
		snprintf(s->err, s->errlen, "événement %lld illisible (date hors limites)",
		    (long long)ev->seq);
		s->bad_seq = ev->seq;
		s->mismatch = 1;
		return 1;
	}
	merkle_leaf_hash(h, (const uint8_t *)s->leaf.p, s->leaf.len);
	if (merkle_compact_append(&s->tree, h) < 0)
		return -1;
	s->expect++;
	if (check_targets(s)) {
		s->bad_seq = 0;
		return 1;
	}
	return 0;
}

/* Verify a signed note with vkey and fill a target from it.  0 / 1 with err. */
static int
note_target(const char *note, size_t len, const char *vkey, const char *label,
    struct target *t, char *err, size_t errlen)
{
	const char *body, *why = NULL;
	size_t bodylen;
	char origin[NOTE_NAME_MAX + 1];

	memset(t, 0, sizeof(*t));
	fs_strlcpy(t->label, label, sizeof(t->label));
	if (note_verify(note, len, vkey, &body, &bodylen, &why) < 0) {
		snprintf(err, errlen, "%s : signature invalide : %s", label, why ? why : "?");
		return 1;
	}
	if (checkpoint_parse(body, bodylen, origin, sizeof(origin), &t->size, t->root,
	    &why) < 0) {
		snprintf(err, errlen, "%s : point de contrôle illisible : %s", label,
		    why ? why : "?");
		return 1;
	}
	if (strcmp(origin, AUDIT_ORIGIN) != 0) {
		snprintf(err, errlen, "%s : origine « %s » au lieu de « %s »", label, origin,
		    AUDIT_ORIGIN);
		return 1;
	}
	return 0;
}

/* The stored checkpoints as targets, each checked against its note. */
static int
stored_targets(struct instance *in, const char *vkey, struct target **tp, size_t *ntp,
    char *err, size_t errlen)
{
	struct audit_checkpoint_row *c = NULL;
	size_t n = 0, i;
	uint64_t prev = 0;
	int r = 0;

	if (store_audit_checkpoint_list(in->st, &c, &n) < 0) {
		snprintf(err, errlen, "lecture des points de contrôle : %s", store_errmsg(in->st));
		return -1;
	}
	*tp = xcalloc(n + 1, sizeof(**tp));
	for (i = 0; i < n && r == 0; i++) {
		struct target *t = &(*tp)[i];
		char label[64];

		snprintf(label, sizeof(label), "point de contrôle n° %lld", (long long)c[i].id);
		if ((r = note_target(c[i].note, strlen(c[i].note), vkey, label, t, err,
		    errlen)) != 0)
			break;
		if (t->size != c[i].size || sodium_memcmp(t->root, c[i].root, 32) != 0) {
			snprintf(err, errlen, "%s : taille ou racine enregistrée différente de"
			    " celle signée", label);
			r = 1;
		} else if (t->size < prev) {
			snprintf(err, errlen, "%s : taille %llu inférieure à celle du point"
			    " précédent (%llu)", label, (unsigned long long)t->size,
			    (unsigned long long)prev);
			r = 1;
		}
		prev = t->size;
	}
	*ntp = n;
	store_audit_checkpoint_free(c, n);
	return r;
}

int
audit_verify(struct instance *in, const char *note, size_t notelen, const char *vkey,
    struct audit_report *rep, char *err, size_t errlen)
{
	struct scan s;
	char own[VKEY_MAX];
	int r;

	memset(rep, 0, sizeof(*rep));
	memset(&s, 0, sizeof(s));
	err[0] = '\0';
	if (audit_vkey(in, own, sizeof(own), err, errlen) < 0)
		return -1;
	if ((r = stored_targets(in, own, &s.t, &s.nt, err, errlen)) != 0) {
		free(s.t);
		return r;
	}
	rep->checkpoints = s.nt;
	if (note != NULL) {
		if ((r = note_target(note, notelen, vkey ? vkey : own, "point de contrôle exporté",
		    &s.t[s.nt], err, errlen)) != 0) {
			free(s.t);
			return r;
		}
		s.nt++;
	}
	qsort(s.t, s.nt, sizeof(*s.t), target_cmp);
	merkle_compact_init(&s.tree);
	buf_init(&s.leaf, AUDIT_LEAF_MAX);
	s.expect = 1;
	s.err = err;
	s.errlen = errlen;
	r = check_targets(&s);
	if (r == 0)
		r = store_event_scan(in->st, INT64_MIN, INT64_MAX, scan_event, &s);
	if (r < 0 && !s.mismatch)
		snprintf(err, errlen, "lecture du journal : %s", store_errmsg(in->st));
	else if (r == 0 && s.next < s.nt) {
		snprintf(err, errlen, "%s : il couvre %llu événements mais le journal n'en"
		    " contient que %llu (journal tronqué)", s.t[s.next].label,
		    (unsigned long long)s.t[s.next].size, (unsigned long long)s.tree.size);
		r = 1;
	}
	rep->events = s.tree.size;
	merkle_compact_root(&s.tree, rep->root);
	rep->first_bad_seq = s.bad_seq;
	buf_free(&s.leaf);
	free(s.t);
	return r < 0 ? -1 : r > 0 ? 1 : 0;
}

/* ---- checkpoints ---------------------------------------------------- */

static uint8_t *
load_log_key(struct instance *in, char *err, size_t errlen)
{
	char *path = xasprintf("%s/%s", in->keys_dir, KEYSTORE_AUDIT);
	char why[KEYSTORE_ERR_MAX];
	uint8_t *sk = keystore_read_b64(path, 64, why, sizeof(why));

	if (sk == NULL)
		snprintf(err, errlen, "clé du journal d'audit : %s", why);
	free(path);
	return sk;
}

static int
sign_and_store(struct instance *in, const struct audit_report *rep, struct buf *out,
    char *err, size_t errlen)
{
	struct buf body, note;
	uint8_t *sk;
	char outcome[64];
	int r = -1;

	if ((sk = load_log_key(in, err, errlen)) == NULL)
		return -1;
	buf_init(&body, 4096);
	buf_init(&note, 8192);
	if (checkpoint_format(&body, AUDIT_ORIGIN, rep->events, rep->root) < 0 ||
	    note_sign(&note, body.p, AUDIT_LOG_NAME, sk) < 0)
		snprintf(err, errlen, "signature du point de contrôle impossible");
	else if (store_audit_checkpoint_add(in->st, rep->events, rep->root, in->now,
	    note.p) < 0 || (snprintf(outcome, sizeof(outcome), "size %llu",
	    (unsigned long long)rep->events), store_event(in->st, in->now, "relay",
	    "audit.checkpoint", NULL, outcome)) < 0)
		snprintf(err, errlen, "enregistrement du point de contrôle : %s",
		    store_errmsg(in->st));
	else if (buf_append(out, note.p, note.len) < 0)
		snprintf(err, errlen, "point de contrôle trop long");
	else
		r = 0;
	keystore_key_free(sk);
	buf_free(&body);
	buf_free(&note);
	return r;
}

int
audit_checkpoint(struct instance *in, struct buf *out, char *err, size_t errlen)
{
	struct audit_report rep;
	int r;

	if (store_begin(in->st) < 0) {
		snprintf(err, errlen, "base : %s", store_errmsg(in->st));
		return -1;
	}
	r = audit_verify(in, NULL, 0, NULL, &rep, err, errlen);
	if (r == 0)
		r = sign_and_store(in, &rep, out, err, errlen);
	if (r != 0 || store_commit(in->st) < 0) {
		store_rollback(in->st);
		if (r == 0) {
			snprintf(err, errlen, "base : %s", store_errmsg(in->st));
			r = -1;
		}
	}
	return r;
}

/* The checkpoint as a notice to the DPO: the off-host copy. */
static int
mail_checkpoint(struct instance *in, const struct buf *note)
{
	char when[CAL_RFC3339_LEN], once[128];
	uint64_t size = 0;
	const char *nl;
	char *subject, *body;
	int r;

	if (in->cfg.dpo_address == NULL)
		return 0;
	/* The size is the note's second line. */
	if ((nl = strchr(note->p, '\n')) != NULL)
		size = strtoull(nl + 1, NULL, 10);
	cal_format_rfc3339_utc(when, in->now);
	snprintf(once, sizeof(once), "audit-checkpoint:%llu:%lld", (unsigned long long)size,
	    (long long)in->now);
	subject = xasprintf("[fsrelay] Point de contrôle du journal d'audit (%llu événements)",
	    (unsigned long long)size);
	body = xasprintf("Bonjour,\n\nVoici le point de contrôle signé du journal d'audit du"
	    " relais au %s (%llu événements).\nConservez ce message hors du serveur : il"
	    " permet de prouver plus tard que le journal\nn'a pas été réécrit (fsrelay audit"
	    " verify --checkpoint FICHIER, ou tests/note_check.py ;\nvoir docs/dpo.md).  Il ne"
	    " contient aucune donnée personnelle.\n\n%s\n-- \nRelais sécurisé fsrelay\n", when,
	    (unsigned long long)size, note->p);
	r = outbox_notice(in, "audit-checkpoint", in->cfg.dpo_address, NULL, subject, body, once);
	free(subject);
	free(body);
	return r;
}

int
audit_tick(struct instance *in, char *err, size_t errlen)
{
	/* After a failed verification, the daemon retries at the next
	 * interval, not at every pass (the breach entry is already open). */
	static int64_t failed_at = INT64_MIN;
	int64_t last = 0, interval = (int64_t)in->cfg.checkpoint_interval_hours * 3600;
	struct buf note;
	int r;

	/* Due one interval after the last checkpoint, or after the log's
	 * first event when there is none yet. */
	if ((r = store_audit_checkpoint_last_at(in->st, &last)) == 1)
		r = store_event_first_at(in->st, &last);
	if (r < 0) {
		snprintf(err, errlen, "base : %s", store_errmsg(in->st));
		return -1;
	}
	if (r == 1 || in->now - last < interval)
		return 0;
	if (failed_at != INT64_MIN && in->now - failed_at < interval && in->now >= failed_at)
		return 0;
	buf_init(&note, NOTE_MAX_LEN);
	r = audit_checkpoint(in, &note, err, errlen);
	if (r == 0) {
		failed_at = INT64_MIN;
		if (mail_checkpoint(in, &note) < 0) {
			snprintf(err, errlen, "base : %s", store_errmsg(in->st));
			r = -1;
		}
	} else if (r == 1) {
		failed_at = in->now;
		fprintf(stderr, "fsrelay serve : journal d'audit : %s\n", err);
		r = breach_suspect(in, BREACH_SRC_AUDIT, NULL,
		    "vérification du journal d'audit en échec avant un point de contrôle") < 0 ?
		    -1 : 0;
		if (r < 0)
			snprintf(err, errlen, "registre des violations : %s", store_errmsg(in->st));
	}
	buf_free(&note);
	return r;
}

/* ---- export --------------------------------------------------------- */

struct export {
	struct buf	*out;
	struct buf	 leaf;
	int		 failed;
};

static void
json_bytes(struct buf *b, const char *p, size_t len)
{
	char *s = xstrndup(p, len);

	json_str(b, s);
	free(s);
}

static int
export_event(void *arg, const struct store_event_view *ev)
{
	struct export *x = arg;
	static const char *const names[4] = { "actor", "action", "case_ref", "outcome" };
	uint8_t h[32];
	char *hex;
	int k;

	x->leaf.len = 0;
	if (audit_leaf_encode(&x->leaf, ev) < 0) {
		x->failed = 1;
		return 1;
	}
	merkle_leaf_hash(h, (const uint8_t *)x->leaf.p, x->leaf.len);
	buf_printf(x->out, "{\"seq\":%lld,\"at\":", (long long)ev->seq);
	json_time(x->out, ev->at);
	for (k = 0; k < 4; k++) {
		buf_printf(x->out, ",\"%s\":", names[k]);
		json_bytes(x->out, ev->field[k], ev->len[k]);
	}
	hex = xmalloc(x->leaf.len * 2 + 1);
	fs_hex(hex, (const uint8_t *)x->leaf.p, x->leaf.len);
	buf_printf(x->out, ",\"leaf\":\"%s\"", hex);
	free(hex);
	hex = xmalloc(65);
	fs_hex(hex, h, sizeof(h));
	if (buf_printf(x->out, ",\"leaf_hash\":\"%s\"}\n", hex) < 0)
		x->failed = 1;
	free(hex);
	return x->failed;
}

int
audit_export(struct instance *in, int64_t from, int64_t to, struct buf *out, char *err,
    size_t errlen)
{
	struct export x;
	int r;

	memset(&x, 0, sizeof(x));
	x.out = out;
	buf_init(&x.leaf, AUDIT_LEAF_MAX);
	r = store_event_scan(in->st, from, to, export_event, &x);
	buf_free(&x.leaf);
	if (r < 0 || x.failed) {
		if (x.failed)
			snprintf(err, errlen, "export trop volumineux ou événement illisible");
		else
			snprintf(err, errlen, "lecture du journal : %s", store_errmsg(in->st));
		return -1;
	}
	return 0;
}

int
audit_vkey(const struct instance *in, char *out, size_t outlen, char *err, size_t errlen)
{
	uint8_t pk[32];

	if (instance_public_key(in, KEYSTORE_AUDIT, pk, err, errlen) < 0)
		return -1;
	if (note_vkey_format(out, outlen, AUDIT_LOG_NAME, pk) < 0) {
		snprintf(err, errlen, "clé du journal d'audit : format impossible");
		return -1;
	}
	return 0;
}
