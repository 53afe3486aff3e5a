/*
 * cli - see cli.h.  argv is untrusted only in the sense of being the
 * agent's typing: every value is checked later by the command.
 */
#include "adapters/cli/cli.h"
#include "relay/calendar.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_config_path;

int
cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fsrelay %s : ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage : fsrelay %s\n(voir « fsrelay %s --help »)\n",
	    cmd->usage, cmd->name);
	return EXIT_USAGE;
}

int
cli_fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fsrelay : ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_REFUSED;
}

static const struct cli_opt *
find_opt(const struct cli_opt *opts, const char *name, size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
			return opts;
	return NULL;
}

static int
take_value(const struct cli_cmd *cmd, const struct cli_opt *o, const char *v)
{
	if (o->value) {
		if (*o->value != NULL)
			return cli_usage(cmd, "option --%s donnée deux fois", o->name);
		*o->value = v;
	} else {
		*o->multi = xreallocarray(*o->multi, *o->n_multi + 1, sizeof(char *));
		(*o->multi)[(*o->n_multi)++] = v;
	}
	return 0;
}

int
cli_parse(const struct cli_cmd *cmd, int argc, char **argv,
    const struct cli_opt *opts, const char ***pos, int *npos)
{
	int i, only_pos = 0, r;

	*pos = xcalloc((size_t)argc + 1, sizeof(char *));
	*npos = 0;
	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *eq;
		const struct cli_opt *o;

		if (only_pos || a[0] != '-' || a[1] == '\0') {
			(*pos)[(*npos)++] = a;
			continue;
		}
		if (strcmp(a, "--") == 0) {
			only_pos = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			printf("usage : fsrelay %s\n\n%s", cmd->usage, cmd->help);
			return CLI_HELP_SHOWN;
		}
		if (a[1] != '-')
			return cli_usage(cmd, "option inconnue « %s »", a);
		eq = strchr(a + 2, '=');
		o = find_opt(opts, a + 2, eq ? (size_t)(eq - a - 2) : strlen(a + 2));
		if (o == NULL)
			return cli_usage(cmd, "option inconnue « %s »", a);
		if (o->flag) {
			if (eq)
				return cli_usage(cmd, "l'option --%s ne prend pas de valeur", o->name);
			*o->flag = 1;
			continue;
		}
		if (eq)
			r = take_value(cmd, o, eq + 1);
		else if (i + 1 < argc)
			r = take_value(cmd, o, argv[++i]);
		else
			return cli_usage(cmd, "l'option --%s attend une valeur", o->name);
		if (r != 0)
			return r;
	}
	if (*npos < cmd->min_pos)
		return cli_usage(cmd, "argument manquant");
	if (*npos > cmd->max_pos)
		return cli_usage(cmd, "argument en trop « %s »", (*pos)[cmd->max_pos]);
	return 0;
}

int
cli_emit(struct buf *b)
{
	int r = 0;

	if (b->len && fwrite(b->p, 1, b->len, stdout) != b->len)
		r = -1;
	if (fflush(stdout) != 0)
		r = -1;
	buf_free(b);
	return r < 0 ? cli_fail("écriture sur la sortie impossible") : EXIT_OK;
}

int
cli_group_help(int argc, char **argv, const char *name, const char *const *lines)
{
	if (argc < 1 || (strcmp(argv[0], "--help") != 0 && strcmp(argv[0], "-h") != 0))
		return 0;
	printf("usage : fsrelay %s SOUS-COMMANDE [OPTIONS]\n\nSous-commandes :\n", name);
	for (; *lines; lines++)
		printf("  fsrelay %s\n", *lines);
	printf("\n« fsrelay %s SOUS-COMMANDE --help » détaille chacune.\n", name);
	return 1;
}
