/*
 * cmd_report - `report --trimestre AAAA-TN`: the quarterly report of the
 * convention (relay/report), from the store's metadata only (cases,
 * deliveries, messages and events rows; nothing sealed is opened, so it
 * works for shredded cases too and needs no key).
 * Trusts: relay/cli for arguments, the store and the directory.  Prints
 * partner and topic labels and numbers only.
 */
#include "adapters/cli/commands.h"
#include "adapters/cli/cli.h"
#include "relay/directory.h"
#include "relay/instance.h"
#include "relay/report.h"
#include "relay/tick.h"
#include "adapters/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ERRLEN	1024
#define OUT_MAX	(4 * 1024 * 1024)

static const struct cli_cmd report_cmd = { "report",
	"report --trimestre AAAA-TN [--structure S] [--csv | --json] [--svg FICHIER]",
	"Rapport trimestriel de la convention (article 4.7) : pour chaque partenaire\n"
	"et chaque motif, les dossiers transmis pendant le trimestre (heure de Paris),\n"
	"les annulés, ceux qui ont reçu une réponse d'un référent, dont dans le délai\n"
	"du premier échelon, le délai médian de la première réponse (depuis le premier\n"
	"envoi, en temps ouvré du partenaire, mises en attente de l'usager déduites),\n"
	"ceux restés sans réponse et ceux en retard ; un sous-total par partenaire et\n"
	"un total.  Aucune donnée personnelle : des nombres par partenaire et motif.\n"
	"Les dossiers détruits comptent aussi (seules leurs métadonnées servent).\n"
	"  --trimestre AAAA-TN   le trimestre, par exemple 2026-T1 (T1 à T4)\n"
	"  --structure S         une seule structure (par défaut : toutes)\n"
	"  --csv                 CSV (RFC 4180, UTF-8, une ligne par partenaire et\n"
	"                        motif, sous-totaux « * »)\n"
	"  --json                objet JSON (docs/json.md)\n"
	"  --svg FICHIER         écrit aussi un graphique SVG par partenaire\n", 0, 0 };

/* Each case's facts: labels from the directory, delay on its partner's clock. */
static int
case_facts_to_report(struct instance *in, const struct directory *dir,
    const struct case_facts *f, size_t n, struct report_case *out)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct case_row *c = &f[i].c;
		const struct dir_topic *t = directory_find_topic(dir, c->partner, c->topic);
		struct report_case *r = &out[i];

		memset(r, 0, sizeof(*r));
		fs_strlcpy(r->partner, c->partner, sizeof(r->partner));
		fs_strlcpy(r->partner_label, directory_partner_label(dir, c->partner),
		    sizeof(r->partner_label));
		fs_strlcpy(r->topic, c->topic, sizeof(r->topic));
		fs_strlcpy(r->topic_label, t ? t->label : c->topic, sizeof(r->topic_label));
		/* Long labels are cut: between characters, never inside one. */
		fs_utf8_clip(r->partner_label);
		fs_utf8_clip(r->topic_label);
		r->cancelled = f[i].cancelled;
		r->overdue = tick_case_overdue(c->state, c->overdue, c->due_at, in->now);
		if (f[i].first_reply_at == 0)
			continue;
		r->answered = 1;
		/* A reply with no sending recorded before it: answered, but no
		 * delay to measure (left out of the median and the deadline). */
		if (f[i].first_sent_at == 0 || f[i].first_reply_at <= f[i].first_sent_at)
			continue;
		r->timed = 1;
		if (tick_reply_delay(in, dir, c, f[i].first_sent_at, f[i].first_reply_at,
		    &r->delay, &r->in_time, &r->unit_hours) < 0)
			return -1;
	}
	return 0;
}

/* Create or replace path (not through a symbolic link); no half file. */
static int
write_svg(const char *path, const struct buf *svg)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	int w, c, e;

	if (fd < 0)
		return cli_fail("report : %s : %s", path, strerror(errno));
	w = fs_write_all(fd, svg->p, svg->len);
	e = errno;
	c = close(fd);
	if (w == 0 && c == 0)
		return EXIT_OK;
	if (w == 0)
		e = errno;
	(void)unlink(path);
	return cli_fail("report : %s : écriture impossible : %s", path, strerror(e));
}

int
cmd_report(int argc, char **argv)
{
	const char **pos = NULL, *quarter = NULL, *structure = NULL, *svg_path = NULL;
	int as_csv = 0, as_json = 0;
	const struct cli_opt opts[] = {
		{ "trimestre", &quarter, NULL, NULL, NULL },
		{ "structure", &structure, NULL, NULL, NULL },
		{ "csv", NULL, &as_csv, NULL, NULL },
		{ "json", NULL, &as_json, NULL, NULL },
		{ "svg", &svg_path, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct instance in;
	struct directory dir;
	struct report_period period;
	struct case_facts *facts = NULL;
	struct report_case *cases = NULL;
	struct report_row *rows = NULL;
	struct buf out, svg;
	char err[ERRLEN];
	size_t n = 0, nrows = 0;
	int npos, r, dir_loaded = 0;

	memset(&in, 0, sizeof(in));
	buf_init(&out, OUT_MAX);
	buf_init(&svg, OUT_MAX);
	if ((r = cli_parse(&report_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	if (quarter == NULL) {
		r = cli_usage(&report_cmd, "--trimestre est obligatoire (par exemple 2026-T1)");
		goto out;
	}
	if (as_csv && as_json) {
		r = cli_usage(&report_cmd, "--csv et --json s'excluent");
		goto out;
	}
	if (report_period_parse(&period, quarter) < 0) {
		r = cli_usage(&report_cmd, "--trimestre : « %.20s » : attendu AAAA-TN, N de 1 à 4"
		    " (par exemple 2026-T1)", quarter);
		goto out;
	}
	if (instance_open(&in, cli_config_path, INST_STORE, err, sizeof(err)) < 0) {
		r = cli_fail("report : %s", err);
		goto out;
	}
	if (store_directory_load(in.st, &dir) < 0)
		goto store_fail;
	dir_loaded = 1;
	if (structure) {
		if (directory_find_structure(&dir, structure) == NULL) {
			r = cli_fail("report : refusé : structure inconnue « %.64s »", structure);
			goto out;
		}
		fs_strlcpy(period.structure, structure, sizeof(period.structure));
	}
	if (store_case_facts(in.st, period.from, period.to, structure, &facts, &n) < 0)
		goto store_fail;
	cases = xcalloc(n ? n : 1, sizeof(*cases));
	if (case_facts_to_report(&in, &dir, facts, n, cases) < 0) {
		r = cli_fail("report : délai de réponse incalculable (base, ou calendrier d'un"
		    " partenaire dans fsrelay.conf : voir fsrelay check) : %s",
		    store_errmsg(in.st));
		goto out;
	}
	report_build(cases, n, &rows, &nrows);
	if (svg_path) {
		(void)report_svg(&svg, &period, rows, nrows);
		if ((r = write_svg(svg_path, &svg)) != EXIT_OK)
			goto out;
	}
	if (as_csv)
		(void)report_csv(&out, &period, rows, nrows);
	else if (as_json)
		(void)report_json(&out, &period, rows, nrows);
	else
		(void)report_text(&out, &period, rows, nrows);
	r = cli_emit(&out);
	goto out;
store_fail:
	r = cli_fail("report : base : %s", store_errmsg(in.st));
out:
	buf_free(&out);
	buf_free(&svg);
	free(facts);
	free(cases);
	free(rows);
	if (dir_loaded)
		directory_free(&dir);
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}
