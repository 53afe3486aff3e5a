/*
 * cli - what every subcommand shares: option parsing (long options only,
 * "--name value" or "--name=value"), French error reporting with the exit
 * codes of docs/cli.md (0 ok, 1 refused or failed, 2 usage), and JSON
 * output helpers (closed enums, times as YYYY-MM-DDTHH:MM:SSZ or null).
 */
#ifndef FSRELAY_ADAPTERS_CLI_H
#define FSRELAY_ADAPTERS_CLI_H

#include <stddef.h>
#include <stdint.h>

#include "relay/json.h"
#include "relay/util.h"

#define EXIT_OK		0
#define EXIT_REFUSED	1
#define EXIT_USAGE	2
#define CLI_HELP_SHOWN	(-1)	/* cli_parse printed --help: exit 0 */

/* One accepted option.  Exactly one of value, flag or multi is set. */
struct cli_opt {
	const char	 *name;		/* without the leading "--" */
	const char	**value;	/* option with one argument */
	int		 *flag;		/* option without argument */
	const char	***multi;	/* repeatable option with argument */
	size_t		 *n_multi;
};

struct cli_cmd {
	const char	*name;		/* "escalate", "referents import" */
	const char	*usage;		/* one-line synopsis */
	const char	*help;		/* full French help text */
	int		 min_pos, max_pos;	/* positional arguments */
};

/*
 * Parse argv[0..argc) (argv[0] is the first word after the command's name)
 * against opts.  Positional arguments are returned in pos (points into
 * argv; caller frees the array).  Returns 0, CLI_HELP_SHOWN after printing
 * the help on stdout, or EXIT_USAGE after printing the reason on stderr.
 */
int	 cli_parse(const struct cli_cmd *cmd, int argc, char **argv,
	    const struct cli_opt *opts, const char ***pos, int *npos);

/*
 * For a command with subcommands: if argv[0] is --help or -h, print the
 * synopsis and the subcommands' lines on stdout and return 1; else 0.
 */
int	 cli_group_help(int argc, char **argv, const char *name, const char *const *lines);

/* "fsrelay <cmd> : <message>" on stderr; returns EXIT_USAGE / EXIT_REFUSED. */
int	 cli_usage(const struct cli_cmd *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	 cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print b on stdout and free it; EXIT_OK, or EXIT_REFUSED on a write error. */
int	 cli_emit(struct buf *b);

/* The configuration path: -c, else $FSRELAY_CONFIG, else the default. */
extern const char *cli_config_path;
#define CLI_DEFAULT_CONFIG "/etc/fsrelay/fsrelay.conf"

#endif
