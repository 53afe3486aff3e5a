/*
 * test_desk - the agent's use cases (relay/desk) on a real SQLite store
 * (adapters/store), through the same functions the CLI and the web desk
 * call: every state change goes through the lifecycle (relay/lifecycle,
 * relay/transition), so a forbidden move is refused with the table's
 * French reason and leaves the case as it was, and an allowed one writes
 * the table's new state and its audit event.  The refusals that come
 * before the lifecycle (reference, unknown case, agent of another
 * structure, required texts) are checked too, and the lists' filters.
 * Then the directory of config/ imported through the core
 * (admin_directory_import) and escalate's refusals on it: agent, structure,
 * partner, topic, mandate, a referent without a pinned key; nothing stored.
 * And an agent disabled or removed (account_admin, as `agents disable|
 * remove` and the web desk call it): refused as an actor, its cases kept,
 * its notices sent to its structure's manager.
 */
#include "tests/unit/t.h"
#include "tests/unit/t_store.h"
#include "relay/account.h"
#include "relay/admin.h"
#include "relay/directory.h"
#include "relay/age.h"
#include "relay/desk.h"
#include "relay/lifecycle.h"
#include "relay/outbox.h"
#include "relay/tick.h"

#define T0	1772445600	/* 2026-03-02T10:00:00Z */

static void
setup(struct instance *in)
{
	char err[512];

	t_store_open(in, "desk", T0);
	if (config_parse(&in->cfg, "data_dir = d\nrelay_address = relais@fs.test\n",
	    t_store_dir, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
}

static void
teardown(struct instance *in)
{
	t_store_close(in);
}

/* A case numbered k in state, entered by agent1 of fontenay. */
static void
add_case(struct instance *in, int k, const char *state)
{
	struct case_row c;

	memset(&c, 0, sizeof(c));
	snprintf(c.ref, sizeof(c.ref), "FS-92032-2026-%06d", k);
	fs_strlcpy(c.structure, "fontenay", sizeof(c.structure));
	fs_strlcpy(c.partner, "dgfip", sizeof(c.partner));
	fs_strlcpy(c.topic, "impots", sizeof(c.topic));
	fs_strlcpy(c.agent, "agent1", sizeof(c.agent));
	fs_strlcpy(c.state, state, sizeof(c.state));
	c.created_at = T0;
	c.due_at = T0 + 86400;
	CHECK_INT(store_case_insert(in->st, &c), 0);
}

static const char *
ref(int k)
{
	static char r[32];

	snprintf(r, sizeof(r), "FS-92032-2026-%06d", k);
	return r;
}

/* The case's state now, from the store. */
static const char *
state(struct instance *in, int k)
{
	static struct case_row c;

	if (store_case_get(in->st, ref(k), &c) != 0)
		return "?";
	return c.state;
}

/* How many audit events `action` the case has. */
static long
events(struct instance *in, const char *action, int k)
{
	char *sql = xasprintf("SELECT count(*) FROM events WHERE action = '%s' AND"
	    " case_ref = ?1", action);
	long n = t_store_count(in, sql, ref(k));

	free(sql);
	return n;
}

static void
test_refusals_before_the_case(void)
{
	struct instance in;
	struct agent a;
	char err[512];

	setup(&in);
	add_case(&in, 1, "awaiting");
	CHECK_INT(desk_close(&in, "FS-1", NULL, "fin", err, sizeof(err)), -1);
	CHECK(strstr(err, "référence invalide « FS-1 »") != NULL);
	CHECK_INT(desk_close(&in, ref(9), NULL, "fin", err, sizeof(err)), -1);
	CHECK_STR(err, "dossier inconnu");
	CHECK_INT(desk_close(&in, ref(1), NULL, NULL, err, sizeof(err)), -1);
	CHECK(strncmp(err, "--resolution : ", 15) == 0);
	CHECK_INT(desk_cancel(&in, ref(1), NULL, "", err, sizeof(err)), -1);
	CHECK(strncmp(err, "--motif : ", 10) == 0);
	/* an agent that does not exist, then one of another structure */
	CHECK_INT(desk_close(&in, ref(1), "nobody", "fin", err, sizeof(err)), -1);
	CHECK_STR(err, "refusé : agent inconnu « nobody »");
	memset(&a, 0, sizeof(a));
	fs_strlcpy(a.id, "other", sizeof(a.id));
	fs_strlcpy(a.structure, "vanves", sizeof(a.structure));
	fs_strlcpy(a.name, "Autre", sizeof(a.name));
	fs_strlcpy(a.email, "autre@fs.test", sizeof(a.email));
	fs_strlcpy(a.role, "agent", sizeof(a.role));
	CHECK_INT(store_agent_add(in.st, &a, T0), 0);
	CHECK_INT(desk_close(&in, ref(1), "other", "fin", err, sizeof(err)), -1);
	CHECK(strstr(err, "relève de fontenay : l'agent other (vanves) n'y a pas accès"));
	CHECK_STR(state(&in, 1), "awaiting");
	teardown(&in);
}

/* Each use case refused by the lifecycle, through the real function: the
 * table's reason after the reference, nothing written. */
static void
test_forbidden_moves(void)
{
	static const struct pieces none;
	struct instance in;
	char err[512];

	setup(&in);
	add_case(&in, 1, "resolved");
	add_case(&in, 2, "cancelled");
	add_case(&in, 3, "failed");
	add_case(&in, 4, "answered");
	add_case(&in, 5, "awaiting");
	add_case(&in, 6, "shredded");

	/* close of a closed case, of a cancelled one */
	CHECK_INT(desk_close(&in, ref(1), NULL, "fin", err, sizeof(err)), -1);
	CHECK_STR(err, "FS-92032-2026-000001 : impossible dans l'état « resolved »");
	CHECK_INT(desk_close(&in, ref(2), NULL, "fin", err, sizeof(err)), -1);
	CHECK_STR(err, "FS-92032-2026-000002 : impossible dans l'état « cancelled »");
	/* send and reroute on a closed case, on a failed one */
	CHECK_INT(desk_send(&in, ref(1), NULL, "suite", 5, &none, err, sizeof(err)), -1);
	CHECK_STR(err, "FS-92032-2026-000001 : impossible dans l'état « resolved »");
	CHECK_INT(desk_send(&in, ref(3), NULL, "suite", 5, &none, err, sizeof(err)), -1);
	CHECK_STR(err, "FS-92032-2026-000003 : impossible dans l'état « failed »");
	CHECK_INT(desk_reroute(&in, ref(1), NULL, NULL, NULL, NULL, err, sizeof(err)), -1);
	CHECK_STR(err, "FS-92032-2026-000001 : impossible dans l'état « resolved »");
	/* wait on an answered case, resume on an awaiting one */
	CHECK_INT(desk_wait(&in, ref(4), NULL, err, sizeof(err)), -1);
	CHECK_STR(err, "FS-92032-2026-000004 : seul un dossier en attente de réponse"
	    " (awaiting) peut être mis en attente de l'usager ; celui-ci est « answered »");
	CHECK_INT(desk_resume(&in, ref(5), NULL, NULL, NULL, err, sizeof(err)), -1);
	CHECK_STR(err, "FS-92032-2026-000005 : le dossier n'est pas en attente de l'usager"
	    " (état « awaiting »)");
	/* a shredded case: every action says so */
	CHECK_INT(desk_close(&in, ref(6), NULL, "fin", err, sizeof(err)), -1);
	CHECK_STR(err, "FS-92032-2026-000006 : dossier détruit");
	CHECK_INT(desk_cancel(&in, ref(6), NULL, "doublon", err, sizeof(err)), -1);
	CHECK_STR(err, "FS-92032-2026-000006 : dossier déjà détruit");
	/* the mandate renewal of a closed case */
	CHECK_INT(outbox_mandate_renew(&in, ref(1), "2026-03-01", NULL, "cli", err,
	    sizeof(err)), -1);
	CHECK_STR(err, "FS-92032-2026-000001 : le dossier est « resolved » : rien à renouveler");
	/* nothing moved, nothing recorded */
	CHECK_STR(state(&in, 1), "resolved");
	CHECK_STR(state(&in, 2), "cancelled");
	CHECK_STR(state(&in, 3), "failed");
	CHECK_STR(state(&in, 4), "answered");
	CHECK_STR(state(&in, 5), "awaiting");
	CHECK_STR(state(&in, 6), "shredded");
	CHECK_INT(events(&in, "case.resolved", 1), 0);
	CHECK_INT(events(&in, "case.waiting_user", 4), 0);
	teardown(&in);
}

/* The allowed moves write the table's state and their event. */
static void
test_allowed_moves(void)
{
	struct instance in;
	struct case_row *list = NULL;
	struct desk_filter f;
	size_t n = 0;
	char err[512];
	int r;

	setup(&in);
	add_case(&in, 1, "failed");
	add_case(&in, 2, "awaiting");
	add_case(&in, 3, "resolved");
	/* close of a failed case: resolved */
	CHECK_INT(desk_close(&in, ref(1), NULL, "repris au guichet", err, sizeof(err)), 0);
	CHECK_STR(state(&in, 1), "resolved");
	CHECK_INT(events(&in, "case.resolved", 1), 1);
	/* wait: waiting_user with a pause; resume: awaiting again */
	CHECK_INT(desk_wait(&in, ref(2), NULL, err, sizeof(err)), 0);
	CHECK_STR(state(&in, 2), "waiting_user");
	CHECK_INT(events(&in, "case.waiting_user", 2), 1);
	in.now += 3600;
	CHECK_INT(desk_resume(&in, ref(2), NULL, NULL, NULL, err, sizeof(err)), 0);
	CHECK_STR(state(&in, 2), "awaiting");
	CHECK_INT(events(&in, "case.resumed", 2), 1);
	/* cancel of a resolved case: cancelled, then shredded at once */
	r = desk_cancel(&in, ref(3), NULL, "doublon", err, sizeof(err));
	CHECK(r == 0 || r == 1);
	CHECK_STR(state(&in, 3), "shredded");
	CHECK_INT(events(&in, "case.cancelled", 3), 1);
	CHECK_INT(events(&in, "case.shredded", 3), 1);
	/* the list by state */
	memset(&f, 0, sizeof(f));
	f.state = "awaiting";
	CHECK_INT(desk_list(&in, &f, &list, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 1);
	if (n == 1)
		CHECK_STR(list[0].ref, ref(2));
	free(list);
	f.state = "open";
	CHECK_INT(desk_list(&in, &f, &list, &n, err, sizeof(err)), DESK_EINPUT);
	CHECK_STR(err, "état inconnu « open »");
	CHECK_STR(desk_state_label("waiting_user"), "en attente de l'usager");
	CHECK_STR(desk_state_label("autre"), "autre");
	teardown(&in);
}

static int
slurp(const char *path, struct buf *b)
{
	buf_init(b, 8 * 1024 * 1024);
	return buf_read_file(b, path);
}

/* The directory through the core, then escalate's refusals. */
/* The rules of agents add for any face (the web desk's form included):
 * every field checked by the core, the refused field named, the actor's
 * right, the actor in the event. */
static void
admin_agent_checks(struct instance *in, const struct agent *base)
{
	struct account admin, agent;
	struct agent a = *base;
	enum admin_agent_field f;
	char err[512];

	memset(&admin, 0, sizeof(admin));
	fs_strlcpy(admin.id, "chef", sizeof(admin.id));
	admin.role = ROLE_ADMIN;
	agent = admin;
	fs_strlcpy(agent.id, "agent1", sizeof(agent.id));
	agent.role = ROLE_AGENT;
	fs_strlcpy(a.id, "nouvelle.agente", sizeof(a.id));
	CHECK_INT(admin_agent_add_by(in, &agent, &a, &f, err, sizeof(err)), -1);
	CHECK(strncmp(err, "refusé", 7) == 0);
	fs_strlcpy(a.id, "Nouvelle Agente", sizeof(a.id));
	CHECK_INT(admin_agent_add_by(in, &admin, &a, &f, err, sizeof(err)), -1);
	CHECK_INT(f, ADMIN_AGENT_ID);
	CHECK(strncmp(err, "identifiant invalide « Nouvelle Agente »", 42) == 0);
	fs_strlcpy(a.id, "nouvelle.agente", sizeof(a.id));
	fs_strlcpy(a.name, "Ligne\ncoupée", sizeof(a.name));
	CHECK_INT(admin_agent_add_by(in, &admin, &a, &f, err, sizeof(err)), -1);
	CHECK_INT(f, ADMIN_AGENT_NAME);
	CHECK_STR(err, "nom : retour à la ligne interdit");
	fs_strlcpy(a.name, "Nouvelle Agente", sizeof(a.name));
	fs_strlcpy(a.email, "sans-arobase", sizeof(a.email));
	CHECK_INT(admin_agent_add_by(in, &admin, &a, &f, err, sizeof(err)), -1);
	CHECK_INT(f, ADMIN_AGENT_EMAIL);
	CHECK_STR(err, "adresse invalide « sans-arobase »");
	fs_strlcpy(a.email, "nouvelle@fs.test", sizeof(a.email));
	fs_strlcpy(a.role, "chef", sizeof(a.role));
	CHECK_INT(admin_agent_add_by(in, &admin, &a, &f, err, sizeof(err)), -1);
	CHECK_INT(f, ADMIN_AGENT_ROLE);
	fs_strlcpy(a.role, "responsable", sizeof(a.role));
	fs_strlcpy(a.structure, "nulle-part", sizeof(a.structure));
	CHECK_INT(admin_agent_add_by(in, &admin, &a, &f, err, sizeof(err)), -1);
	CHECK_INT(f, ADMIN_AGENT_STRUCTURE);
	fs_strlcpy(a.structure, base->structure, sizeof(a.structure));
	CHECK_INT(t_store_count(in, "SELECT count(*) FROM agents WHERE id = 'nouvelle.agente'",
	    NULL), 0);
	CHECK_INT(admin_agent_add_by(in, &admin, &a, &f, err, sizeof(err)), 0);
	CHECK_INT(t_store_count(in, "SELECT count(*) FROM agents WHERE id = 'nouvelle.agente'"
	    " AND role = 'responsable'", NULL), 1);
	CHECK_INT(t_store_count(in, "SELECT count(*) FROM events WHERE action = 'agent.added'"
	    " AND actor = 'chef' AND outcome = 'nouvelle.agente'", NULL), 1);
	CHECK_INT(admin_agent_add_by(in, &admin, &a, &f, err, sizeof(err)), -1);
	CHECK_INT(f, ADMIN_AGENT_ID);
	CHECK_STR(err, "l'agent « nouvelle.agente » existe déjà");
}

/* Pinning by an account, the fingerprint shown before, the referents
 * with their keys, the coverage. */
static void
admin_key_checks(struct instance *in, const char *rcpt)
{
	struct account admin, dpo;
	struct admin_referents rs;
	struct dir_coverage_counts c;
	struct pinned_key k;
	struct buf report;
	char err[512], fp[128];
	size_t i, pinned = 0;
	int gaps;

	memset(&admin, 0, sizeof(admin));
	fs_strlcpy(admin.id, "chef", sizeof(admin.id));
	admin.role = ROLE_ADMIN;
	dpo = admin;
	dpo.role = ROLE_DPO;
	CHECK_INT(admin_key_fingerprint("age1pasunecle", fp, sizeof(fp), err, sizeof(err)), -1);
	CHECK(strncmp(err, "clé age invalide : ", 20) == 0);
	CHECK_INT(admin_key_fingerprint(rcpt, fp, sizeof(fp), err, sizeof(err)), 0);
	CHECK(strncmp(fp, "SHA256:", 7) == 0);
	CHECK_INT(admin_key_pin_by(in, &dpo, "Djouara.Bakouch@cafnanterre.cnafmail.fr", rcpt,
	    "test", &k, err, sizeof(err)), -1);
	CHECK(strncmp(err, "refusé", 7) == 0);
	CHECK_INT(admin_key_pin_by(in, &admin, "Djouara.Bakouch@cafnanterre.cnafmail.fr", rcpt,
	    "", &k, err, sizeof(err)), -1);
	CHECK_STR(err, "vérifiée par : valeur vide");
	CHECK_INT(admin_key_pin_by(in, &admin, "Djouara.Bakouch@cafnanterre.cnafmail.fr", rcpt,
	    "Par téléphone\r\n", &k, err, sizeof(err)), -1);
	CHECK(strncmp(err, "vérifiée par : ", 16) == 0);
	CHECK_INT(admin_key_pin_by(in, &admin, "Djouara.Bakouch@cafnanterre.cnafmail.fr", rcpt,
	    "Camille, par téléphone", &k, err, sizeof(err)), 0);
	CHECK_STR(k.fingerprint, fp);
	CHECK_INT(t_store_count(in, "SELECT count(*) FROM events WHERE action = 'key.replaced'"
	    " AND actor = 'chef'", NULL), 1);
	CHECK_INT(admin_referents(in, &dpo, &rs, err, sizeof(err)), -1);
	CHECK_INT(admin_referents(in, &admin, &rs, err, sizeof(err)), 0);
	CHECK(rs.n > 0);
	for (i = 0; i < rs.n; i++)
		if (rs.v[i].pinned) {
			pinned++;
			CHECK_STR(rs.v[i].e->email_lc, "djouara.bakouch@cafnanterre.cnafmail.fr");
			CHECK_STR(rs.v[i].k->verified_by, "Camille, par téléphone");
		}
	CHECK(pinned >= 1);
	admin_referents_free(&rs);
	buf_init(&report, 1 << 20);
	CHECK_INT(admin_directory_check(in, &dpo, &report, &c, err, sizeof(err)), -1);
	gaps = admin_directory_check(in, &admin, &report, &c, err, sizeof(err));
	CHECK(gaps >= 0 && (size_t)gaps == c.gaps);
	CHECK(report.len > 0 && strstr(report.p, "GAP ") != NULL);
	buf_free(&report);
}

static void
put_agent(struct instance *in, const char *id, const char *structure, const char *role)
{
	struct agent a;

	memset(&a, 0, sizeof(a));
	fs_strlcpy(a.id, id, sizeof(a.id));
	fs_strlcpy(a.structure, structure, sizeof(a.structure));
	fs_strlcpy(a.name, "Nom", sizeof(a.name));
	snprintf(a.email, sizeof(a.email), "%s@fs.test", id);
	fs_strlcpy(a.role, role, sizeof(a.role));
	CHECK_INT(store_agent_add(in->st, &a, T0), 0);
}

/* How many notices of kind to recipient. */
static long
notices_to(struct instance *in, const char *kind, const char *to)
{
	char *sql = xasprintf("SELECT count(*) FROM notices WHERE kind = '%s' AND"
	    " recipient = ?1", kind);
	long n = t_store_count(in, sql, to);

	free(sql);
	return n;
}

static void
test_disabled_and_removed_agent(void)
{
	struct instance in;
	struct account_port port;
	struct case_row c;
	struct agent a;
	char err[512];

	setup(&in);
	put_agent(&in, "agent1", "fontenay", "agent");
	put_agent(&in, "resp", "fontenay", "responsable");
	put_agent(&in, "resp2", "vanves", "responsable");
	add_case(&in, 1, "awaiting");
	store_account_port(in.st, &port);
	CHECK_INT(store_case_get(in.st, ref(1), &c), 0);

	CHECK_INT(outbox_agent_notice(&in, "t1", &c, "s", "b", "t1:1"), 0);
	CHECK_INT(notices_to(&in, "t1", "agent1@fs.test"), 1);
	CHECK_INT(notices_to(&in, "t1", "resp@fs.test"), 0);

	/* disabled: refused as the actor of a case, the case unchanged */
	CHECK_INT(account_admin(&port, NULL, "agent1", ACCOUNT_OP_DISABLE, ROLE_AGENT, NULL, 0,
	    T0, err, sizeof(err)), 0);
	CHECK_INT(t_store_count(&in, "SELECT count(*) FROM events WHERE actor = 'admin' AND"
	    " action = 'account.disabled' AND outcome = 'agent1'", NULL), 1);
	CHECK_INT(store_agent_get(in.st, "agent1", &a), 0);
	CHECK(a.disabled && !a.removed);
	CHECK_INT(desk_close(&in, ref(1), "agent1", "fin", err, sizeof(err)), -1);
	CHECK_STR(err, "refusé : le compte de l'agent « agent1 » est désactivé (fsrelay agents"
	    " enable pour le réactiver)");
	CHECK_STR(state(&in, 1), "awaiting");
	/* its notices go to its structure's manager, not another's */
	CHECK_INT(outbox_agent_notice(&in, "t2", &c, "s", "b", "t2:1"), 0);
	CHECK_INT(notices_to(&in, "t2", "agent1@fs.test"), 0);
	CHECK_INT(notices_to(&in, "t2", "resp@fs.test"), 1);
	CHECK_INT(notices_to(&in, "t2", "resp2@fs.test"), 0);
	CHECK_INT(outbox_agent_notice(&in, "t2", &c, "s", "b", "t2:1"), 0);
	CHECK_INT(notices_to(&in, "t2", "resp@fs.test"), 1);	/* once */

	/* enabled again: acts again */
	CHECK_INT(account_admin(&port, NULL, "agent1", ACCOUNT_OP_ENABLE, ROLE_AGENT, NULL, 0,
	    T0, err, sizeof(err)), 0);
	CHECK_INT(store_agent_get(in.st, "agent1", &a), 0);
	CHECK(!a.disabled && !a.removed);
	CHECK_INT(outbox_agent_notice(&in, "t4", &c, "s", "b", "t4:1"), 0);
	CHECK_INT(notices_to(&in, "t4", "agent1@fs.test"), 1);

	/* removed: a tombstone; the case stays, its notices to the manager */
	CHECK_INT(account_admin(&port, NULL, "agent1", ACCOUNT_OP_REMOVE, ROLE_AGENT, NULL, 0,
	    T0, err, sizeof(err)), 0);
	CHECK_INT(store_agent_get(in.st, "agent1", &a), 0);
	CHECK(a.removed && a.disabled);
	CHECK_STR(a.name, "");
	CHECK_STR(a.email, "");
	CHECK_INT(t_store_count(&in, "SELECT count(*) FROM events WHERE actor = 'admin' AND"
	    " action = 'account.removed' AND outcome = 'agent1'", NULL), 1);
	CHECK_INT(desk_close(&in, ref(1), "agent1", "fin", err, sizeof(err)), -1);
	CHECK_STR(err, "refusé : le compte de l'agent « agent1 » est supprimé");
	CHECK_STR(state(&in, 1), "awaiting");
	CHECK_INT(account_admin(&port, NULL, "agent1", ACCOUNT_OP_ENABLE, ROLE_AGENT, NULL, 0,
	    T0, err, sizeof(err)), -1);
	CHECK_STR(err, "refusé : le compte « agent1 » a été supprimé");
	CHECK_INT(store_agent_add(in.st, &a, T0), 1);	/* the id is never given again */
	CHECK_INT(outbox_agent_notice(&in, "t3", &c, "s", "b", "t3:1"), 0);
	CHECK_INT(notices_to(&in, "t3", "resp@fs.test"), 1);
	CHECK_INT(t_store_count(&in, "SELECT count(*) FROM notices WHERE kind = 't3'", NULL), 1);
	/* the case is still there for the structure's others */
	CHECK_INT(desk_close(&in, ref(1), "resp", "fin", err, sizeof(err)), 0);
	teardown(&in);
}

static void
test_import_and_escalate_refusals(void)
{
	struct instance in;
	struct buf annex, structures, topics, changes;
	struct admin_csv fa = { "annexe.csv", NULL, 0 }, fs = { "structures.csv", NULL, 0 };
	struct admin_csv ft = { "topics.csv", NULL, 0 }, none = { "x", NULL, 0 };
	struct desk_intake d;
	struct agent a;
	char err[1024], ref[CASE_REF_LEN + 1];
	size_t entries = 0;
	int n = 0;

	setup(&in);
	CHECK_INT(slurp("config/annex6-hauts-de-seine.csv", &annex), 0);
	CHECK_INT(slurp("config/structures-hauts-de-seine.csv", &structures), 0);
	CHECK_INT(slurp("config/topics.csv", &topics), 0);
	buf_init(&changes, 1024 * 1024);
	fa.text = annex.p, fa.len = annex.len;
	fs.text = structures.p, fs.len = structures.len;
	ft.text = topics.p, ft.len = topics.len;
	/* the first import needs the structures and the topics */
	CHECK_INT(admin_directory_import(&in, &fa, &none, &none, &changes, &entries, &n, err,
	    sizeof(err)), -1);
	CHECK_STR(err, "structures ou motifs inconnus : donnez --structures et --topics lors"
	    " du premier import");
	/* a file the parser refuses: named, nothing written */
	{
		struct admin_csv bad = { "abimé.csv", "partner,topic\n", 14 };

		CHECK_INT(admin_directory_import(&in, &fa, &fs, &bad, &changes, &entries, &n,
		    err, sizeof(err)), -1);
		CHECK(strncmp(err, "abimé.csv : ", 13) == 0);
	}
	CHECK_INT(t_store_count(&in, "SELECT count(*) FROM referents", NULL), 0);
	CHECK_INT(admin_directory_import(&in, &fa, &fs, &ft, &changes, &entries, &n, err,
	    sizeof(err)), 0);
	CHECK(entries > 0);
	CHECK(n > 0);
	CHECK_INT(t_store_count(&in, "SELECT count(*) FROM referents", NULL), (long)entries);
	CHECK_INT(t_store_count(&in, "SELECT count(*) FROM events WHERE action ="
	    " 'directory.imported'", NULL), 1);
	/* again: the same rows, no change */
	CHECK_INT(admin_directory_import(&in, &fa, &none, &none,
	    &changes, &entries, &n, err, sizeof(err)), 0);
	CHECK_INT(n, 0);

	memset(&a, 0, sizeof(a));
	fs_strlcpy(a.id, "agent1", sizeof(a.id));
	fs_strlcpy(a.structure, "fontenay-aux-roses", sizeof(a.structure));
	fs_strlcpy(a.name, "Agent Un", sizeof(a.name));
	fs_strlcpy(a.email, "agent1@fs.test", sizeof(a.email));
	fs_strlcpy(a.role, "agent", sizeof(a.role));
	/* agents add and referents key through the core */
	fs_strlcpy(a.structure, "nulle-part", sizeof(a.structure));
	CHECK_INT(admin_agent_add(&in, &a, err, sizeof(err)), -1);
	CHECK_STR(err, "structure inconnue « nulle-part »");
	fs_strlcpy(a.structure, "fontenay-aux-roses", sizeof(a.structure));
	CHECK_INT(admin_agent_add(&in, &a, err, sizeof(err)), 0);
	CHECK_INT(admin_agent_add(&in, &a, err, sizeof(err)), -1);
	CHECK_STR(err, "l'agent « agent1 » existe déjà");
	{
		struct pinned_key k;
		uint8_t sk[32], pk[32];
		char rcpt[128];

		CHECK_INT(age_keygen(sk, pk), 0);
		CHECK_INT(age_recipient_format(rcpt, sizeof(rcpt), pk), 0);
		CHECK_INT(admin_key_pin(&in, "x@y.fr", "age1nimportequoi", "test", &k, err,
		    sizeof(err)), -1);
		CHECK(strncmp(err, "clé age invalide : ", 20) == 0);
		CHECK_INT(admin_key_pin(&in, "inconnu@caf.fr", rcpt, "test", &k, err,
		    sizeof(err)), -1);
		CHECK_STR(err, "inconnu@caf.fr n'est pas une adresse de l'annuaire");
		CHECK_INT(admin_key_pin(&in, "Djouara.Bakouch@cafnanterre.cnafmail.fr", rcpt,
		    "test", &k, err, sizeof(err)), 0);
		CHECK_STR(k.email_lc, "djouara.bakouch@cafnanterre.cnafmail.fr");
		CHECK(strncmp(k.fingerprint, "SHA256:", 7) == 0);
		CHECK_INT(t_store_count(&in, "SELECT count(*) FROM events WHERE action ="
		    " 'key.pinned'", NULL), 1);
		admin_key_checks(&in, rcpt);
	}
	admin_agent_checks(&in, &a);
	memset(&d, 0, sizeof(d));
	d.structure = "fontenay-aux-roses";
	d.partner = "caf";
	d.topic = "logement";
	d.agent = "agent1";
	d.nom = "Durand";
	d.prenom = "Paul";
	d.mandat_signe_le = "2026-02-01";
	d.description = "Dossier bloqué.";
	d.description_len = strlen(d.description);

	d.agent = "agent9";
	CHECK_INT(desk_escalate(&in, &d, ref, err, sizeof(err)), -1);
	CHECK_STR(err, "agent inconnu « agent9 »");
	d.agent = "agent1";
	{
		struct account_port port;

		store_account_port(in.st, &port);
		CHECK_INT(account_admin(&port, NULL, "agent1", ACCOUNT_OP_DISABLE, ROLE_AGENT,
		    NULL, 0, in.now, err, sizeof(err)), 0);
		CHECK_INT(desk_escalate(&in, &d, ref, err, sizeof(err)), -1);
		CHECK(strstr(err, "« agent1 » est désactivé") != NULL);
		CHECK_INT(account_admin(&port, NULL, "agent1", ACCOUNT_OP_ENABLE, ROLE_AGENT,
		    NULL, 0, in.now, err, sizeof(err)), 0);
	}
	d.structure = "nulle-part";
	CHECK_INT(desk_escalate(&in, &d, ref, err, sizeof(err)), -1);
	CHECK_STR(err, "structure inconnue « nulle-part »");
	d.structure = "fontenay-aux-roses";
	d.partner = "banque";
	CHECK_INT(desk_escalate(&in, &d, ref, err, sizeof(err)), -1);
	CHECK_STR(err, "partenaire inconnu « banque »");
	d.partner = "caf";
	d.mandat_signe_le = "2026-03-03";
	CHECK_INT(desk_escalate(&in, &d, ref, err, sizeof(err)), -1);
	CHECK_STR(err, "mandat signé le 2026-03-03 : date dans le futur");
	d.mandat_signe_le = "2025-03-01";
	CHECK_INT(desk_escalate(&in, &d, ref, err, sizeof(err)), -1);
	CHECK_STR(err, "mandat signé le 2025-03-01 : expiré (valable un an)");
	d.mandat_signe_le = NULL;
	CHECK_INT(desk_escalate(&in, &d, ref, err, sizeof(err)), -1);
	CHECK_STR(err, "--mandat-signe-le : date obligatoire");
	/* a request of the person dated after today: refused like a mandate */
	d.mandat_signe_le = "2026-02-01";
	d.sollicite_le = "2026-03-03";
	CHECK_INT(desk_escalate(&in, &d, ref, err, sizeof(err)), -1);
	CHECK_STR(err, "--sollicite-le 2026-03-03 : date dans le futur");
	d.sollicite_le = "2027-01-01";
	CHECK_INT(desk_escalate(&in, &d, ref, err, sizeof(err)), -1);
	CHECK_STR(err, "--sollicite-le 2027-01-01 : date dans le futur");
	/* today is not the future (the refusal below is the keys', later) */
	d.sollicite_le = "2026-03-02";
	CHECK_INT(desk_escalate(&in, &d, ref, err, sizeof(err)), -1);
	CHECK(strstr(err, " : aucune clé épinglée pour ") != NULL);
	d.sollicite_le = NULL;
	/* identifiers as a person types them: found whatever their case */
	d.partner = "CAF";
	d.topic = "Logement";
	d.structure = "Fontenay-Aux-Roses";
	CHECK_INT(desk_escalate(&in, &d, ref, err, sizeof(err)), -1);
	CHECK(strstr(err, " : aucune clé épinglée pour ") != NULL);
	CHECK_INT(desk_routable(&in, "FONTENAY-aux-roses", "Caf", "LOGEMENT", err,
	    sizeof(err)), -1);
	CHECK(strstr(err, " : aucune clé épinglée pour ") != NULL);
	d.partner = "CAFX";
	CHECK_INT(desk_escalate(&in, &d, ref, err, sizeof(err)), -1);
	CHECK_STR(err, "partenaire inconnu « cafx »");
	d.partner = "caf";
	d.topic = "logement";
	d.structure = "fontenay-aux-roses";
	/* every field right, but no referent key pinned: refused, nothing kept */
	CHECK_INT(desk_escalate(&in, &d, ref, err, sizeof(err)), -1);
	CHECK(strstr(err, " : aucune clé épinglée pour ") != NULL);
	CHECK_STR(ref, "");
	CHECK_INT(t_store_count(&in, "SELECT count(*) FROM cases", NULL), 0);
	buf_free(&annex);
	buf_free(&structures);
	buf_free(&topics);
	buf_free(&changes);
	teardown(&in);
}

/* « Mes dossiers » a page at a time: desk_list_page gives, page after
 * page, exactly what desk_list sorted by urgency gives (the same filters,
 * the same order), the agent's cases only, and the total. */
static void
test_list_page(void)
{
	static const char *const states[] = { "awaiting", "waiting_user", "queued", "resolved",
	    "answered", "failed", "awaiting", "awaiting" };
	static const char *const filter_states[] = { NULL, "awaiting", "waiting_user", NULL };
	struct instance in;
	struct desk_filter f;
	struct case_row *all = NULL, *page = NULL, c;
	size_t n_all = 0, n = 0, total = 0, off, i, j, k;
	char err[512];
	int ok;

	setup(&in);
	for (i = 0; i < 137; i++) {
		memset(&c, 0, sizeof(c));
		snprintf(c.ref, sizeof(c.ref), "FS-92032-2026-%06zu", i + 1);
		fs_strlcpy(c.structure, "fontenay", sizeof(c.structure));
		fs_strlcpy(c.partner, "dgfip", sizeof(c.partner));
		fs_strlcpy(c.topic, "impots", sizeof(c.topic));
		fs_strlcpy(c.agent, i % 10 == 9 ? "agent2" : "agent1", sizeof(c.agent));
		fs_strlcpy(c.state, states[i % FS_ARRAY_LEN(states)], sizeof(c.state));
		c.created_at = T0;
		/* deadlines past, soon, later, none; some equal (order by id) */
		c.due_at = i % 5 == 0 ? 0 : T0 + ((int64_t)(i % 7) - 2) * 43200;
		c.user_due_at = i % 3 == 0 ? 0 : T0 + (int64_t)(i % 4) * 86400;
		CHECK_INT(store_case_insert(in.st, &c), 0);
	}
	CHECK_INT(sqlite3_exec(in.st->db, "UPDATE cases SET overdue = 1 WHERE id % 11 = 0",
	    NULL, NULL, NULL), SQLITE_OK);
	for (k = 0; k < FS_ARRAY_LEN(filter_states); k++) {
		memset(&f, 0, sizeof(f));
		f.agent = "agent1";
		f.state = filter_states[k];
		f.overdue = k == 3;
		CHECK_INT(desk_list(&in, &f, &all, &n_all, err, sizeof(err)), 0);
		tick_sort_by_urgency(all, n_all, in.now);
		ok = 1;
		for (off = 0, j = 0; off < n_all + 50; off += 50) {
			CHECK_INT(desk_list_page(&in, &f, off, 50, &page, &n, &total, err,
			    sizeof(err)), 0);
			ok &= total == n_all && n == (off < n_all ? (n_all - off < 50 ? n_all - off :
			    50) : 0);
			for (i = 0; i < n && j < n_all; i++, j++)
				ok &= page[i].id == all[j].id && strcmp(page[i].agent, "agent1") == 0;
			free(page);
		}
		ok &= j == n_all;
		if (!CHECK(ok))
			fprintf(stderr, "    (filtre %zu : %zu dossiers)\n", k, n_all);
		CHECK(n_all > 0);
		free(all);
	}
	/* the filters it does not have: refused, not ignored */
	memset(&f, 0, sizeof(f));
	CHECK_INT(desk_list_page(&in, &f, 0, 50, &page, &n, &total, err, sizeof(err)), DESK_EINPUT);
	f.agent = "agent1";
	f.due_before = T0;
	CHECK_INT(desk_list_page(&in, &f, 0, 50, &page, &n, &total, err, sizeof(err)), DESK_EINPUT);
	f.due_before = 0;
	f.state = "open";
	CHECK_INT(desk_list_page(&in, &f, 0, 50, &page, &n, &total, err, sizeof(err)), DESK_EINPUT);
	CHECK_STR(err, "état inconnu « open »");
	teardown(&in);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_refusals_before_the_case();
	test_forbidden_moves();
	test_allowed_moves();
	test_import_and_escalate_refusals();
	test_disabled_and_removed_agent();
	test_list_page();
	return t_done();
}
