/*
 * cmd_deadline - the deadline commands: `wait REF` and `resume REF` (the
 * referent's clock paused while the person is asked for something), and
 * `status` (queue, last mailbox poll, cases by state, overdue by
 * partner).  The work is in relay/tick; this file parses and prints.
 * Trusts: relay/cli for arguments, the store for what it reads.  Prints
 * references, states, partner ids, counts and times only.
 */
#include "adapters/cli/commands.h"
#include "relay/admin.h"
#include "relay/desk.h"
#include "relay/calendar.h"
#include "relay/case.h"
#include "adapters/cli/cli.h"
#include "relay/instance.h"
#include "relay/tick.h"
#include "adapters/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ERRLEN	1024
#define OUT_MAX	(4 * 1024 * 1024)

/* ---- wait / resume ------------------------------------------------------ */

static const struct cli_cmd wait_cmd = { "wait", "wait RÉFÉRENCE",
	"Met un dossier en attente de l'usager (état waiting_user) : le référent\n"
	"attend une pièce ou une information de la personne.  L'horloge du référent\n"
	"est suspendue : ni rappel ni passage au palier suivant pendant l'attente.\n"
	"Seul un dossier en attente de réponse (awaiting) peut être mis en attente.\n"
	"« fsrelay resume » relance l'horloge.\n", 1, 1 };

static const struct cli_cmd resume_cmd = { "resume", "resume RÉFÉRENCE [--json]",
	"Relance l'horloge du référent d'un dossier en attente de l'usager : le\n"
	"dossier repasse en attente de réponse et son échéance est repoussée du\n"
	"temps ouvré passé en attente, exactement (docs/deadlines.md §7).\n"
	"Affiche la nouvelle échéance (UTC, RFC 3339).\n"
	"  --json   objet JSON (docs/json.md)\n", 1, 1 };

int
cmd_wait(int argc, char **argv)
{
	const char **pos = NULL;
	const struct cli_opt opts[] = {
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&wait_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0)
		r = cli_fail("wait : %s", err);
	else if (desk_wait(&in, pos[0], NULL, err, sizeof(err)) < 0)
		r = cli_fail("wait : %s", err);
	else
		fprintf(stderr, "fsrelay : dossier %s en attente de l'usager ; horloge du"
		    " référent suspendue\n", pos[0]);
out:
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

int
cmd_resume(int argc, char **argv)
{
	const char **pos = NULL;
	int as_json = 0;
	const struct cli_opt opts[] = {
		{ "json", NULL, &as_json, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	struct case_row c;
	struct buf out;
	char err[ERRLEN], due[CAL_RFC3339_LEN] = "-";
	int64_t shift = 0;
	int npos, r;

	memset(&in, 0, sizeof(in));
	buf_init(&out, 4096);
	if ((r = cli_parse(&resume_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0) {
		r = cli_fail("resume : %s", err);
		goto out;
	}
	if (desk_resume(&in, pos[0], NULL, &c, &shift, err, sizeof(err)) < 0) {
		r = cli_fail("resume : %s", err);
		goto out;
	}
	if (as_json) {
		buf_puts(&out, "{\"ref\":");
		json_str(&out, c.ref);
		buf_puts(&out, ",\"state\":");
		json_str(&out, c.state);
		buf_puts(&out, ",\"due_at\":");
		json_time(&out, c.due_at);
		buf_printf(&out, ",\"paused_seconds\":%lld}\n", (long long)shift);
	} else {
		if (c.due_at)
			cal_format_rfc3339_utc(due, c.due_at);
		buf_printf(&out, "%s\n", due);
	}
	r = cli_emit(&out);
	fprintf(stderr, "fsrelay : dossier %s relancé ; échéance repoussée de %lld h %02lld"
	    " min de temps ouvré\n", c.ref, (long long)(shift / 3600),
	    (long long)(shift % 3600 / 60));
out:
	buf_free(&out);
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}

/* ---- status ------------------------------------------------------------- */

static const struct cli_cmd status_cmd = { "status", "status [--json]",
	"État du relais : envois et avis en file, dernière relève de la boîte aux\n"
	"lettres (« jamais » si aucune), nombre de dossiers par état, dossiers en\n"
	"retard par partenaire.  Aucune donnée personnelle.\n"
	"  --json   objet JSON (docs/json.md)\n", 0, 0 };

static void
status_text(struct buf *b, long deliveries, long notices, int64_t poll,
    const int64_t refused[2],
    const long *counts,
    const struct store_count_row *pc, size_t np)
{
	char t[CAL_PARIS_LEN];
	size_t i;

	buf_printf(b, "File d'envoi : %ld envoi(s) de dossier, %ld avis\n", deliveries, notices);
	if (poll)
		cal_format_paris(t, poll);
	buf_printf(b, "Dernière relève de la boîte : %s\n", poll ? t : "jamais");
	for (i = 0; i < 2; i++)
		if (refused[i]) {
			cal_format_rfc3339_utc(t, refused[i]);
			buf_printf(b, "%s : authentification refusée depuis %s (serve"
			    " réessaie, délai doublé jusqu'à 5 min)\n", i == 0 ?
			    "Boîte du relais" : "Serveur d'envoi", t);
		}
	buf_puts(b, "Dossiers par état :");
	for (i = 0; i < CASE_STATE_COUNT; i++)
		buf_printf(b, " %s %ld%s", case_state_name(i), counts[i],
		    i + 1 < CASE_STATE_COUNT ? "," : "\n");
	buf_puts(b, "En retard par partenaire :");
	for (i = 0; i < np; i++)
		buf_printf(b, " %s %ld%s", pc[i].key, pc[i].n, i + 1 < np ? "," : "");
	buf_puts(b, np ? "\n" : " aucun\n");
}

static void
status_json(struct buf *b, long deliveries, long notices, int64_t poll,
    const int64_t refused[2],
    const long *counts,
    const struct store_count_row *pc, size_t np)
{
	size_t i;

	buf_printf(b, "{\"queue\":{\"deliveries_pending\":%ld,\"notices_pending\":%ld},"
	    "\"last_mailbox_poll\":", deliveries, notices);
	json_time(b, poll);
	buf_puts(b, ",\"mailbox_login_refused_since\":");
	json_time(b, refused[0]);
	buf_puts(b, ",\"submission_login_refused_since\":");
	json_time(b, refused[1]);
	buf_puts(b, ",\"cases\":{");
	for (i = 0; i < CASE_STATE_COUNT; i++)
		buf_printf(b, "%s\"%s\":%ld", i ? "," : "", case_state_name(i), counts[i]);
	buf_puts(b, "},\"overdue\":{");
	for (i = 0; i < np; i++) {
		buf_puts(b, i ? "," : "");
		json_str(b, pc[i].key);
		buf_printf(b, ":%ld", pc[i].n);
	}
	buf_puts(b, "}}\n");
}

int
cmd_status(int argc, char **argv)
{
	const char **pos = NULL;
	int as_json = 0;
	const struct cli_opt opts[] = {
		{ "json", NULL, &as_json, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	struct admin_status s;
	struct buf out;
	char err[ERRLEN];
	int npos, r;

	memset(&in, 0, sizeof(in));
	memset(&s, 0, sizeof(s));
	buf_init(&out, OUT_MAX);
	if ((r = cli_parse(&status_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0) {
		r = cli_fail("status : %s", err);
		goto out;
	}
	if (admin_status(&in, &s, err, sizeof(err)) < 0) {
		r = cli_fail("status : %s", err);
		goto out;
	}
	{
		const int64_t refused[2] = { s.mailbox_login_refused_since,
			s.submission_login_refused_since };

		if (as_json)
			status_json(&out, s.deliveries_pending, s.notices_pending,
			    s.last_mailbox_poll, refused, s.cases, s.overdue, s.n_overdue);
		else
			status_text(&out, s.deliveries_pending, s.notices_pending,
			    s.last_mailbox_poll, refused, s.cases, s.overdue, s.n_overdue);
	}
	r = cli_emit(&out);
out:
	buf_free(&out);
	admin_status_free(&s);
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}
