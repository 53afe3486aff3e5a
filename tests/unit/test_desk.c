/*
 * test_desk - the agent's use cases (relay/desk) on a real SQLite store
 * (adapters/store), through the same functions the CLI and the web desk
 * call: every state change goes through the lifecycle (relay/lifecycle,
 * relay/transition), so a forbidden move is refused with the table's
 * French reason and leaves the case as it was, and an allowed one writes
 * the table's new state and its audit event.  The refusals that come
 * before the lifecycle (reference, unknown case, agent of another
 * structure, required texts) are checked too, and the lists' filters.
 */
#include "tests/unit/t.h"
#include "tests/unit/t_store.h"
#include "relay/desk.h"
#include "relay/lifecycle.h"
#include "relay/outbox.h"

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
	config_free(&in->cfg);
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

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_refusals_before_the_case();
	test_forbidden_moves();
	test_allowed_moves();
	return t_done();
}
