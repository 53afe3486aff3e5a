/*
 * test_breach - the breach register (relay/breach): versions round-trip
 * through the sealed body, detectors open one suspected entry (repeats
 * do not multiply it), the DPO alerts fire at detection, 1/3, 2/3, 5/6
 * and overdue exactly once each, moving aware_at re-arms only alerts not
 * sent yet, closing needs the mandatory fields, a compromised referent
 * key gives the right counts and stops its pending deliveries, and the
 * CNIL export matches tests/golden/breach-export.txt
 * (FSRELAY_WRITE_GOLDEN=1 rewrites it; review the diff).
 */
#include "tests/unit/t.h"
#include "relay/breach.h"
#include "relay/instance.h"
#include "relay/vault.h"
#include "adapters/store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define GOLDEN	"tests/golden/breach-export.txt"
#define T0	1772445600	/* 2026-03-02T10:00:00Z */

static char dir[64], db[128];

static void
setup(struct instance *in)
{
	char err[256];

	memset(in, 0, sizeof(*in));
	fs_strlcpy(dir, "/tmp/fsr-test-breach.XXXXXX", sizeof(dir));
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(db, sizeof(db), "%s/fsrelay.db", dir);
	if (store_open(&in->st, db, 1, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	in->kek = sodium_malloc(32);
	randombytes_buf(in->kek, 32);
	vault_kek_id(in->kek_id, in->kek);
	in->cfg.notification_hours = 72;
	in->cfg.dpo_name = "Délégué à la protection des données (test)";
	in->cfg.dpo_address = "dpo@fs-fontenay.test";
	in->cfg.organisation_name = "Commune de Fontenay-aux-Roses (test)";
	in->cfg.organisation_siren = "219200326";
	in->cfg.organisation_address = "10 rue Boucicaut, 92260 Fontenay-aux-Roses";
	in->cfg.breach_contact_name = "Responsable France Services (test)";
	in->cfg.breach_contact_phone = "01 41 13 20 00";
	in->cfg.subcontractors = "hébergeur du relais ; prestataire de messagerie";
	in->cfg.cross_border = "aucun : données traitées en France";
	in->now = T0;
}

static void
teardown(struct instance *in)
{
	static const char *const p[] = { "fsrelay.db", "fsrelay.db-wal", "fsrelay.db-shm" };
	size_t i;

	store_close(&in->st);
	sodium_free(in->kek);
	for (i = 0; i < FS_ARRAY_LEN(p); i++) {
		char *f = xasprintf("%s/%s", dir, p[i]);

		unlink(f);
		free(f);
	}
	rmdir(dir);
}

/* Alerts queued for breach id so far, and the subject of the last one. */
static size_t
alerts(struct instance *in, int64_t id, char *last, size_t lastlen)
{
	struct notice_row *n = NULL;
	size_t nn = 0, i, count = 0;
	char tag[32];

	snprintf(tag, sizeof(tag), "Violation n° %lld :", (long long)id);
	CHECK_INT(store_notice_due(in->st, INT64_MAX, 1000, &n, &nn), 0);
	for (i = 0; i < nn; i++)
		if (strcmp(n[i].kind, "breach-alert") == 0 && strstr(n[i].subject, tag)) {
			count++;
			if (last)
				fs_strlcpy(last, n[i].subject, lastlen);
			CHECK_STR(n[i].recipient, "dpo@fs-fontenay.test");
		}
	free(n);
	return count;
}

/* 1 if breach id's alerts were queued in the order of the stages. */
static int
alert_order(struct instance *in, int64_t id)
{
	static const char *const want[] = { "nouvelle violation", "1/3 du", "2/3 du", "5/6 du",
	    "DÉPASSÉ" };
	struct notice_row *n = NULL;
	size_t nn = 0, i, k = 0;
	char tag[32];
	int ok = 1;

	snprintf(tag, sizeof(tag), "Violation n° %lld :", (long long)id);
	CHECK_INT(store_notice_due(in->st, INT64_MAX, 1000, &n, &nn), 0);
	for (i = 0; i < nn; i++)
		if (strcmp(n[i].kind, "breach-alert") == 0 && strstr(n[i].subject, tag))
			ok &= k < FS_ARRAY_LEN(want) && strstr(n[i].subject, want[k++]) != NULL;
	free(n);
	return ok && k == FS_ARRAY_LEN(want);
}

static void
tick_at(struct instance *in, int64_t t)
{
	char err[256];

	in->now = t;
	CHECK_INT(breach_tick(in, err, sizeof(err)), 0);
}

static void
test_suspect_and_alerts(void)
{
	struct instance in;
	struct breach *b = xcalloc(1, sizeof(*b));
	struct breach_version_row *rows = NULL;
	char subj[256], err[256];
	int64_t id = 0, id2 = 0;
	size_t n = 0;

	setup(&in);
	CHECK_INT(breach_suspect_id(&in, BREACH_SRC_STRANGER, "FS-92032-2026-000007",
	    "Courriel d'un inconnu citant l'étiquette du dossier", &id), 0);
	CHECK_INT(id, 1);
	CHECK_INT(alerts(&in, 1, subj, sizeof(subj)), 1);
	CHECK(strstr(subj, "nouvelle violation") != NULL);
	/* The same source and case again: no new entry, no new alert. */
	CHECK_INT(breach_suspect_id(&in, BREACH_SRC_STRANGER, "FS-92032-2026-000007",
	    "encore", &id2), 0);
	CHECK_INT(id2, 1);
	CHECK_INT(store_breach_list(in.st, &rows, &n), 0);
	CHECK_INT(n, 1);
	free(rows);
	CHECK_INT(breach_load(&in, 1, b, err, sizeof(err)), 0);
	CHECK_STR(b->status, "suspected");
	CHECK_STR(b->source, "stranger-mail");
	CHECK_STR(b->nature, "C");
	CHECK_INT(b->detected_at, T0);
	CHECK_INT(b->aware_at, 0);
	CHECK_INT(b->deadline_at, T0 + 72 * 3600);
	CHECK_INT(b->affected_cases, 1);
	CHECK_STR(b->linked_cases, "FS-92032-2026-000007");

	/* 1/3, 2/3, 5/6, overdue: each once, at its hour. */
	tick_at(&in, T0 + 24 * 3600 - 1);
	CHECK_INT(alerts(&in, 1, NULL, 0), 1);
	tick_at(&in, T0 + 24 * 3600);
	CHECK_INT(alerts(&in, 1, subj, sizeof(subj)), 2);
	CHECK(strstr(subj, "1/3") != NULL);
	tick_at(&in, T0 + 30 * 3600);
	CHECK_INT(alerts(&in, 1, NULL, 0), 2);
	tick_at(&in, T0 + 48 * 3600);
	CHECK_INT(alerts(&in, 1, subj, sizeof(subj)), 3);
	CHECK(strstr(subj, "2/3") != NULL);
	tick_at(&in, T0 + 60 * 3600);
	CHECK_INT(alerts(&in, 1, subj, sizeof(subj)), 4);
	CHECK(strstr(subj, "5/6") != NULL);
	tick_at(&in, T0 + 71 * 3600);
	CHECK_INT(alerts(&in, 1, NULL, 0), 4);
	tick_at(&in, T0 + 72 * 3600);
	CHECK_INT(alerts(&in, 1, subj, sizeof(subj)), 5);
	CHECK(strstr(subj, "DÉPASSÉ") != NULL);
	tick_at(&in, T0 + 200 * 3600);
	CHECK_INT(alerts(&in, 1, NULL, 0), 5);

	/* Moving aware_at: the alert already sent is not sent again, the
	 * next ones follow the new deadline. */
	in.now = T0;
	CHECK_INT(breach_suspect_id(&in, BREACH_SRC_DSN, "FS-92032-2026-000008", "DSN", &id), 0);
	CHECK_INT(id, 2);
	tick_at(&in, T0 + 25 * 3600);
	CHECK_INT(alerts(&in, 2, NULL, 0), 2);
	CHECK_INT(breach_load(&in, 2, b, err, sizeof(err)), 0);
	b->aware_at = T0 + 20 * 3600;
	fs_strlcpy(b->status, "open", sizeof(b->status));
	CHECK_INT(breach_save(&in, b, "dpo", "assessed", err, sizeof(err)), 0);
	CHECK_INT(b->deadline_at, T0 + 92 * 3600);
	tick_at(&in, T0 + 45 * 3600);		/* 1/3 of the new period: sent already */
	CHECK_INT(alerts(&in, 2, NULL, 0), 2);
	tick_at(&in, T0 + 67 * 3600);
	CHECK_INT(alerts(&in, 2, NULL, 0), 2);
	tick_at(&in, T0 + 68 * 3600);		/* 2/3 of the new period */
	CHECK_INT(alerts(&in, 2, subj, sizeof(subj)), 3);
	CHECK(strstr(subj, "2/3") != NULL);
	/* Once notified, the clock stops. */
	fs_strlcpy(b->status, "notified", sizeof(b->status));
	CHECK_INT(breach_save(&in, b, "dpo", "notified", err, sizeof(err)), 0);
	tick_at(&in, T0 + 300 * 3600);
	CHECK_INT(alerts(&in, 2, NULL, 0), 3);
	/* Several stages due in one pass: each sent once, in order. */
	in.now = T0;
	CHECK_INT(breach_suspect_id(&in, BREACH_SRC_DSN, "FS-92032-2026-000009", "DSN", &id), 0);
	CHECK_INT(id, 3);
	tick_at(&in, T0 + 49 * 3600);		/* 1/3 and 2/3 at once */
	CHECK_INT(alerts(&in, 3, subj, sizeof(subj)), 3);
	CHECK(strstr(subj, "2/3") != NULL);
	tick_at(&in, T0 + 73 * 3600);		/* 5/6 and the deadline at once */
	CHECK_INT(alerts(&in, 3, subj, sizeof(subj)), 5);
	CHECK(strstr(subj, "DÉPASSÉ") != NULL);
	CHECK_INT(alert_order(&in, 3), 1);
	tick_at(&in, T0 + 80 * 3600);
	CHECK_INT(alerts(&in, 3, NULL, 0), 5);
	/* the daemon down from detection to past the deadline: all five */
	in.now = T0;
	CHECK_INT(breach_suspect_id(&in, BREACH_SRC_DSN, "FS-92032-2026-000010", "DSN", &id), 0);
	CHECK_INT(id, 4);
	tick_at(&in, T0 + 500 * 3600);
	CHECK_INT(alerts(&in, 4, NULL, 0), 5);
	CHECK_INT(alert_order(&in, 4), 1);

	free(b);
	teardown(&in);
}

static void
fill(struct breach *b)
{
	b->aware_at = T0 + 2 * 3600;
	fs_strlcpy(b->status, "open", sizeof(b->status));
	b->started_at = T0 - 86400;
	b->ongoing = 0;
	b->ended_at = T0 - 3600;
	fs_strlcpy(b->nature, "C", sizeof(b->nature));
	fs_strlcpy(b->cause, "interne-accidentelle", sizeof(b->cause));
	fs_strlcpy(b->risk_level, "high", sizeof(b->risk_level));
	b->affected_cases = 1;
	b->subjects_approx = 1;
	b->records_approx = 4;
	fs_strlcpy(b->linked_cases, "FS-92032-2026-000012", sizeof(b->linked_cases));
	fs_strlcpy(b->facts, "Un agent a envoyé à la main, depuis sa messagerie, le dossier"
	    " d'un usager à une adresse erronée (homonyme chez un autre partenaire).",
	    sizeof(b->facts));
	fs_strlcpy(b->subject_categories, "usagers de France Services", sizeof(b->subject_categories));
	fs_strlcpy(b->data_categories, "identité, numéro fiscal, avis d'imposition",
	    sizeof(b->data_categories));
	fs_strlcpy(b->measures_in_place, "aucune pour cet envoi manuel (hors relais)",
	    sizeof(b->measures_in_place));
	fs_strlcpy(b->likely_consequences, "usurpation d'identité possible",
	    sizeof(b->likely_consequences));
	fs_strlcpy(b->measures_taken, "demande de suppression au destinataire, confirmée",
	    sizeof(b->measures_taken));
	fs_strlcpy(b->measures_proposed, "rappel aux agents : passer par le relais",
	    sizeof(b->measures_proposed));
	fs_strlcpy(b->risk_rationale, "données fiscales lisibles par un tiers",
	    sizeof(b->risk_rationale));
}

static void
test_roundtrip_close_export(void)
{
	struct instance in;
	struct breach *b = xcalloc(1, sizeof(*b)), *c = xcalloc(1, sizeof(*c));
	struct buf out, gold;
	char err[256], why[512];

	setup(&in);
	breach_init(&in, b, BREACH_SRC_MANUAL);
	fill(b);
	CHECK_INT(breach_save(&in, b, "dpo", "declared", err, sizeof(err)), 0);
	CHECK_INT(b->id, 1);
	CHECK_INT(b->version, 1);
	CHECK_INT(b->deadline_at, T0 + 74 * 3600);
	CHECK_INT(breach_load(&in, 1, c, err, sizeof(err)), 0);
	CHECK_INT(c->version, 1);
	CHECK_STR(c->author, "dpo");
	CHECK_STR(c->facts, b->facts);
	CHECK_STR(c->risk_rationale, b->risk_rationale);
	CHECK_INT(c->started_at, b->started_at);
	CHECK_INT(c->records_approx, 4);
	CHECK_INT(c->n_notif, 0);

	/* Close needs the notification (or a reason) and the art. 34 decision. */
	CHECK_INT(breach_close_check(c, why, sizeof(why)), -1);
	CHECK(strstr(why, "notification") != NULL);
	c->n_notif = 1;
	fs_strlcpy(c->notif[0].kind, "initial", sizeof(c->notif[0].kind));
	c->notif[0].sent_at = T0 + 80 * 3600;
	fs_strlcpy(c->notif[0].cnil_ref, "NOTIF-2026-0042", sizeof(c->notif[0].cnil_ref));
	fs_strlcpy(c->notif[0].delay_reasons, "week-end prolongé, DPO absent",
	    sizeof(c->notif[0].delay_reasons));
	CHECK_INT(breach_close_check(c, why, sizeof(why)), -1);
	CHECK(strstr(why, "article 34") != NULL || strstr(why, "art. 34") != NULL);
	fs_strlcpy(c->art34, "communicated", sizeof(c->art34));
	c->communicated_at = T0 + 82 * 3600;
	fs_strlcpy(c->channel, "courrier postal", sizeof(c->channel));
	CHECK_INT(breach_close_check(c, why, sizeof(why)), 0);
	CHECK_INT(breach_save(&in, c, "dpo", "notified", err, sizeof(err)), 0);
	CHECK_INT(breach_load(&in, 1, b, err, sizeof(err)), 0);
	CHECK_INT(b->version, 2);
	CHECK_STR(b->cause, "interne-accidentelle");	/* kept in the sealed body */
	CHECK_INT(b->n_notif, 1);
	CHECK_STR(b->notif[0].cnil_ref, "NOTIF-2026-0042");
	CHECK_STR(b->notif[0].delay_reasons, "week-end prolongé, DPO absent");

	/* The CNIL text against the golden file. */
	buf_init(&out, 1024 * 1024);
	buf_init(&gold, 1024 * 1024);
	CHECK_INT(breach_export_text(&in, b, &out), 0);
	if (getenv("FSRELAY_WRITE_GOLDEN")) {
		FILE *f = fopen(GOLDEN, "w");

		CHECK(f != NULL && fwrite(out.p, 1, out.len, f) == out.len && fclose(f) == 0);
	}
	CHECK_INT(buf_read_file(&gold, GOLDEN), 0);
	CHECK(gold.len == out.len && memcmp(gold.p, out.p, out.len) == 0);
	if (gold.len != out.len || memcmp(gold.p, out.p, out.len) != 0)
		fprintf(stderr, "export différent de %s :\n%s\n", GOLDEN, out.p);
	buf_free(&out);
	buf_free(&gold);

	/* The body is bound to its row: no version opens with another KEK. */
	randombytes_buf(in.kek, 32);
	vault_kek_id(in.kek_id, in.kek);
	CHECK_INT(breach_load(&in, 1, b, err, sizeof(err)), -1);
	CHECK_INT(breach_load(&in, 9, b, err, sizeof(err)), 1);
	free(b);
	free(c);
	teardown(&in);
}

static int64_t
add_case(struct instance *in, int k, uint8_t person)
{
	struct case_row c;

	memset(&c, 0, sizeof(c));
	snprintf(c.ref, sizeof(c.ref), "FS-92032-2026-%06d", k);
	fs_strlcpy(c.structure, "fontenay-aux-roses", sizeof(c.structure));
	fs_strlcpy(c.partner, "dgfip", sizeof(c.partner));
	fs_strlcpy(c.topic, "impots-particuliers", sizeof(c.topic));
	fs_strlcpy(c.agent, "agent1", sizeof(c.agent));
	fs_strlcpy(c.state, "awaiting", sizeof(c.state));
	c.created_at = T0;
	memset(c.blind_index, person, sizeof(c.blind_index));
	CHECK_INT(store_case_insert(in->st, &c), 0);
	return c.id;
}

static void
add_delivery(struct instance *in, int64_t case_id, uint8_t person, const char *fp,
    const char *state)
{
	struct delivery_row d;

	memset(&d, 0, sizeof(d));
	d.case_id = case_id;
	fs_strlcpy(d.recipient, "ref@dgfip.test", sizeof(d.recipient));
	fs_strlcpy(d.recipient_lc, "ref@dgfip.test", sizeof(d.recipient_lc));
	fs_strlcpy(d.key_recipient, "age1xyz", sizeof(d.key_recipient));
	fs_strlcpy(d.key_fingerprint, fp, sizeof(d.key_fingerprint));
	memset(d.blind_index, person, sizeof(d.blind_index));
	fs_strlcpy(d.state, "pending", sizeof(d.state));
	CHECK_INT(store_delivery_insert(in->st, &d), 0);
	fs_strlcpy(d.state, state, sizeof(d.state));
	CHECK_INT(store_delivery_update(in->st, &d), 0);
}

static void
test_key_compromised(void)
{
	struct instance in;
	struct pinned_key k;
	struct breach *b = xcalloc(1, sizeof(*b));
	struct delivery_row *d = NULL;
	char err[512];
	int64_t id = 0, c5;
	long stopped = -1;
	size_t n = 0;

	setup(&in);
	memset(&k, 0, sizeof(k));
	fs_strlcpy(k.email_lc, "ref@dgfip.test", sizeof(k.email_lc));
	fs_strlcpy(k.recipient, "age1xyz", sizeof(k.recipient));
	fs_strlcpy(k.fingerprint, "SHA256:aaaa", sizeof(k.fingerprint));
	fs_strlcpy(k.verified_by, "test", sizeof(k.verified_by));
	CHECK_INT(store_key_pin(in.st, &k), 0);
	add_delivery(&in, add_case(&in, 1, 1), 1, "SHA256:aaaa", "sent");
	add_delivery(&in, add_case(&in, 2, 2), 2, "SHA256:aaaa", "sent");
	add_delivery(&in, add_case(&in, 3, 1), 1, "SHA256:aaaa", "sent");
	add_delivery(&in, add_case(&in, 4, 3), 3, "SHA256:bbbb", "sent");
	c5 = add_case(&in, 5, 4);
	add_delivery(&in, c5, 4, "SHA256:aaaa", "pending");

	CHECK_INT(breach_key_compromised(&in, "referent", "nobody@x.test", &id, &stopped, err,
	    sizeof(err)), 1);
	CHECK_INT(breach_key_compromised(&in, "moon", NULL, &id, &stopped, err, sizeof(err)), 1);
	CHECK_INT(breach_key_compromised(&in, "referent", "Ref@DGFiP.test", &id, &stopped, err,
	    sizeof(err)), 0);
	CHECK_INT(stopped, 1);
	CHECK_INT(breach_load(&in, id, b, err, sizeof(err)), 0);
	CHECK_INT(b->affected_cases, 3);
	CHECK_INT(b->subjects_approx, 2);
	CHECK_STR(b->linked_cases, "FS-92032-2026-000001 FS-92032-2026-000002 FS-92032-2026-000003");
	CHECK_STR(b->source, "key-compromised");
	CHECK_STR(b->status, "suspected");
	CHECK_INT(store_key_get(in.st, "ref@dgfip.test", &k), 0);
	CHECK_INT(k.compromised_at, T0);
	CHECK_INT(store_delivery_list(in.st, c5, &d, &n), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(d[0].state, "failed");
	free(d);
	/* Twice: refused. */
	CHECK_INT(breach_key_compromised(&in, "referent", "ref@dgfip.test", &id, &stopped, err,
	    sizeof(err)), 1);
	/* The KEK: every case whose key is stored (none here). */
	CHECK_INT(breach_key_compromised(&in, "kek", NULL, &id, &stopped, err, sizeof(err)), 0);
	CHECK_INT(breach_load(&in, id, b, err, sizeof(err)), 0);
	CHECK_INT(b->affected_cases, 0);
	/* The signing key: every case sent (4 cases, 3 persons). */
	CHECK_INT(breach_key_compromised(&in, "signing", NULL, &id, &stopped, err, sizeof(err)), 0);
	CHECK_INT(breach_load(&in, id, b, err, sizeof(err)), 0);
	CHECK_INT(b->affected_cases, 4);
	CHECK_INT(b->subjects_approx, 3);
	CHECK_STR(b->nature, "I");
	free(b);
	teardown(&in);
}

static void
test_detectors(void)
{
	struct instance in;
	struct breach *b = xcalloc(1, sizeof(*b));
	char err[256];

	setup(&in);
	CHECK_INT(breach_blocked_send(&in, "FS-92032-2026-000003"), 0);
	CHECK_INT(breach_load(&in, 1, b, err, sizeof(err)), 0);
	CHECK_STR(b->source, "pre-send-scan");
	CHECK_STR(b->risk_level, "high");
	CHECK_INT(breach_integrity_failure(&in, "cases", "person", 12), 0);
	CHECK_INT(breach_load(&in, 2, b, err, sizeof(err)), 0);
	CHECK_STR(b->nature, "I");
	CHECK(strstr(b->facts, "cases.person") != NULL);
	/* The fault hook is off unless test_clock is set. */
	setenv("FSRELAY_TEST_FAULT", "leak-subject", 1);
	CHECK_INT(breach_test_fault(&in, "leak-subject"), 0);
	in.cfg.test_clock = 1;
	CHECK_INT(breach_test_fault(&in, "leak-subject"), 1);
	CHECK_INT(breach_test_fault(&in, "other"), 0);
	unsetenv("FSRELAY_TEST_FAULT");
	/* No instance keys: detectors fail closed without crashing. */
	{
		struct instance bare;

		memset(&bare, 0, sizeof(bare));
		CHECK_INT(breach_suspect(&bare, BREACH_SRC_AUDIT, NULL, "x"), -1);
	}
	free(b);
	teardown(&in);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_suspect_and_alerts();
	test_roundtrip_close_export();
	test_key_compromised();
	test_detectors();
	return t_done();
}
