/*
 * test_dpo - the DPO's use cases (relay/dpo) on a real SQLite store and
 * the real register (relay/breach): each refusal with its French reason
 * (required fields, risk, nature, dates in the future or before the
 * start, control characters, late notification without reasons, art.
 * 34(3) exemption without justification, a closed entry), nothing saved
 * on a refusal; and the success path declare → assess (suspected becomes
 * open) → notify (initial, then complementary) → communicate → close,
 * each a new version with its audit event.
 */
#include "tests/unit/t.h"
#include "tests/unit/t_store.h"
#include "relay/dpo.h"

#define T0	1772445600	/* 2026-03-02T10:00:00Z */

static void
setup(struct instance *in)
{
	t_store_open(in, "dpo", T0);
	in->cfg.notification_hours = 72;
	in->cfg.dpo_name = xstrdup("Délégué à la protection des données (test)");
	in->cfg.dpo_address = xstrdup("dpo@fs-fontenay.test");
}

static void
teardown(struct instance *in)
{
	t_store_close(in);
}

static long
count(struct instance *in, const char *sql)
{
	return t_store_count(in, sql, NULL);
}

static long
versions(struct instance *in)
{
	return count(in, "SELECT count(*) FROM breach_versions");
}

static void
test_declare_refusals(void)
{
	struct instance in;
	struct dpo_assess a;
	struct breach b;
	char err[512];

	setup(&in);
	memset(&a, 0, sizeof(a));
	CHECK_INT(dpo_declare(&in, &a, &b, err, sizeof(err)), -1);
	CHECK_STR(err, "--nature et --facts sont obligatoires");
	a.nature = "CX";
	a.facts = "Ordinateur volé au guichet";
	CHECK_INT(dpo_declare(&in, &a, &b, err, sizeof(err)), -1);
	CHECK_STR(err, "--nature : lettres C (confidentialité), I (intégrité) ou A"
	    " (disponibilité) attendues");
	a.nature = "c";
	a.risk = "grave";
	CHECK_INT(dpo_declare(&in, &a, &b, err, sizeof(err)), -1);
	CHECK_STR(err, "--risk : none, risk ou high attendu");
	a.risk = NULL;
	a.aware_at = "2026-03-03T10:00:00Z";	/* tomorrow */
	CHECK_INT(dpo_declare(&in, &a, &b, err, sizeof(err)), -1);
	CHECK_STR(err, "--aware-at : date dans le futur");
	a.aware_at = "hier";
	CHECK_INT(dpo_declare(&in, &a, &b, err, sizeof(err)), -1);
	CHECK(strncmp(err, "--aware-at : date invalide « hier »", 36) == 0);
	a.aware_at = NULL;
	a.started = "2026-03-01T10:00:00Z";
	a.ended = "2026-02-01T10:00:00Z";
	CHECK_INT(dpo_declare(&in, &a, &b, err, sizeof(err)), -1);
	CHECK_STR(err, "--ended-at : antérieure au début de la violation");
	a.ended = NULL;
	a.facts = "Ordinateur\033[2J volé";
	CHECK_INT(dpo_declare(&in, &a, &b, err, sizeof(err)), -1);
	CHECK_STR(err, "--facts : caractère de contrôle refusé");
	a.facts = "Ordinateur volé";
	a.subjects = "beaucoup";
	CHECK_INT(dpo_declare(&in, &a, &b, err, sizeof(err)), -1);
	CHECK_STR(err, "--subjects : nombre invalide « beaucoup »");
	CHECK_INT(versions(&in), 0);	/* nothing saved by a refusal */
	teardown(&in);
}

static void
test_lifecycle_of_an_entry(void)
{
	struct instance in;
	struct dpo_assess a;
	struct breach b;
	char err[512], id[32];
	long v;

	setup(&in);
	memset(&a, 0, sizeof(a));
	a.nature = "ci";
	a.facts = "Ordinateur volé au guichet";
	CHECK_INT(dpo_declare(&in, &a, &b, err, sizeof(err)), 0);
	CHECK_STR(b.status, "suspected");
	CHECK_STR(b.nature, "CI");
	CHECK_STR(b.source, "manual");
	snprintf(id, sizeof(id), "%lld", (long long)b.id);
	CHECK_INT(versions(&in), 1);
	CHECK_INT(count(&in, "SELECT count(*) FROM events WHERE action = 'breach.declared'"), 1);

	/* unknown or malformed ids */
	CHECK_INT(dpo_assess(&in, "x", &a, &b, err, sizeof(err)), -1);
	CHECK_STR(err, "identifiant invalide « x »");
	CHECK_INT(dpo_assess(&in, "0", &a, &b, err, sizeof(err)), -1);

	/* notify before the DPO knew: refused */
	CHECK_INT(dpo_notify(&in, id, "CNIL-1", NULL, NULL, &b, err, sizeof(err)), -1);
	CHECK(strncmp(err, "enregistrez d'abord la prise de connaissance", 44) == 0);
	CHECK_INT(dpo_notify(&in, id, NULL, NULL, NULL, &b, err, sizeof(err)), -1);
	CHECK_STR(err, "--cnil-ref est obligatoire");

	/* aware: open, with a deadline 72 h later */
	memset(&a, 0, sizeof(a));
	a.aware_at = "2026-03-02T09:00:00Z";
	a.risk = "high";
	CHECK_INT(dpo_assess(&in, id, &a, &b, err, sizeof(err)), 0);
	CHECK_STR(b.status, "open");
	CHECK_INT(b.deadline_at - b.aware_at, 72 * 3600);

	/* past the deadline, a first notification needs its reasons */
	in.now = T0 + 4 * 86400;
	CHECK_INT(dpo_notify(&in, id, "CNIL-1", NULL, NULL, &b, err, sizeof(err)), -1);
	CHECK(strstr(err, "--reasons-for-delay est obligatoire (article 33(1))") != NULL);
	CHECK_INT(dpo_notify(&in, id, "CNIL-1", NULL, "enquête interne", &b, err,
	    sizeof(err)), 0);
	CHECK_STR(b.status, "notified");
	CHECK_STR(b.notif[0].kind, "initial");
	CHECK_INT(dpo_notify(&in, id, "CNIL-1", NULL, NULL, &b, err, sizeof(err)), 0);
	CHECK_STR(b.notif[1].kind, "complementary");

	/* art. 34: an exemption needs a reason a, b or c and a justification */
	CHECK_INT(dpo_exempt(&in, id, "d", "x", &b, err, sizeof(err)), -1);
	CHECK_STR(err, "--reason a, b ou c est obligatoire (article 34(3))");
	CHECK_INT(dpo_exempt(&in, id, "a", "  ", &b, err, sizeof(err)), -1);
	CHECK(strncmp(err, "exemption refusée : --justification est obligatoire", 51) == 0);
	CHECK_INT(dpo_communicate(&in, id, NULL, "courrier", "Madame, Monsieur", 16, &b, err,
	    sizeof(err)), 0);
	CHECK_STR(b.art34, "communicated");

	/* close: refused while a required field is missing, then done */
	v = versions(&in);
	if (dpo_close(&in, id, &b, err, sizeof(err)) < 0) {
		CHECK_INT(versions(&in), v);
		memset(&a, 0, sizeof(a));
		a.subject_cat = "usagers";
		a.data_cat = "identité";
		a.subjects = "1";
		a.records = "1";
		a.consequences = "usurpation possible";
		a.in_place = "chiffrement";
		a.taken = "clés changées";
		a.proposed = "aucune";
		a.rationale = "données chiffrées";
		a.started = "2026-03-01T10:00:00Z";
		a.ended = "2026-03-01T11:00:00Z";
		CHECK_INT(dpo_assess(&in, id, &a, &b, err, sizeof(err)), 0);
		CHECK_INT(dpo_close(&in, id, &b, err, sizeof(err)), 0);
	}
	CHECK_STR(b.status, "closed");
	CHECK_INT(count(&in, "SELECT count(*) FROM events WHERE action = 'breach.closed'"), 1);

	/* the CNIL export: the text, and the export in the audit log */
	{
		struct buf out;

		buf_init(&out, 1024 * 1024);
		CHECK_INT(dpo_export(&in, &b, &out, err, sizeof(err)), 0);
		CHECK(out.len > 0 && strstr(out.p, "CNIL-1") != NULL);
		CHECK_INT(count(&in, "SELECT count(*) FROM events WHERE action ="
		    " 'breach.exported'"), 1);
		buf_free(&out);
	}

	/* a closed entry changes no more */
	v = versions(&in);
	memset(&a, 0, sizeof(a));
	a.risk = "none";
	CHECK_INT(dpo_assess(&in, id, &a, &b, err, sizeof(err)), -1);
	CHECK(strstr(err, "est close : plus aucune modification") != NULL);
	CHECK_INT(dpo_notify(&in, id, "CNIL-2", NULL, NULL, &b, err, sizeof(err)), -1);
	CHECK(strstr(err, "est close : plus aucune modification") != NULL);
	CHECK_INT(versions(&in), v);
	teardown(&in);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_declare_refusals();
	test_lifecycle_of_an_entry();
	return t_done();
}
