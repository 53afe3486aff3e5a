/*
 * cmd_report - `report --trimestre AAAA-TN`: the quarterly report of the
 * convention (relay/report), from the store's metadata only (cases,
 * deliveries, messages and events rows; nothing sealed is opened, so it
 * works for shredded cases too and needs no key).
 * Trusts: relay/cli for arguments; relay/tick builds the rows.  Prints
 * partner and topic labels and numbers only.
 */
#include "adapters/cli/commands.h"
#include "adapters/cli/cli.h"
#include "relay/instance.h"
#include "relay/report.h"
#include "relay/tick.h"

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
	struct report_period period;
	struct report_row *rows = NULL;
	struct buf out, svg;
	char err[ERRLEN];
	size_t nrows = 0;
	int npos, r;

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
	if (structure)
		fs_strlcpy(period.structure, structure, sizeof(period.structure));
	if (tick_report(&in, &period, &rows, &nrows, err, sizeof(err)) < 0) {
		r = cli_fail("report : %s", err);
		goto out;
	}
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
out:
	buf_free(&out);
	buf_free(&svg);
	free(rows);
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}
