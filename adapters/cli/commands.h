/*
 * commands - the subcommands of the fsrelay binary (docs/cli.md).  Each
 * takes the words after its name and returns the exit status: 0 ok,
 * 1 refused or failed (French reason on stderr), 2 usage.
 */
#ifndef FSRELAY_ADAPTERS_CLI_COMMANDS_H
#define FSRELAY_ADAPTERS_CLI_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

struct instance;

int	cmd_init(int argc, char **argv);
int	cmd_check(int argc, char **argv);
int	cmd_keys(int argc, char **argv);
int	cmd_referents(int argc, char **argv);
int	cmd_agents(int argc, char **argv);
int	cmd_web(int argc, char **argv);
int	cmd_escalate(int argc, char **argv);
int	cmd_cases(int argc, char **argv);
int	cmd_show(int argc, char **argv);
int	cmd_cancel(int argc, char **argv);
int	cmd_mandate(int argc, char **argv);	/* adapters/cli/cmd_mandate.c */
int	cmd_serve(int argc, char **argv);
int	cmd_open(int argc, char **argv);
int	cmd_wait(int argc, char **argv);
int	cmd_resume(int argc, char **argv);
int	cmd_status(int argc, char **argv);
int	cmd_report(int argc, char **argv);	/* adapters/cli/cmd_report.c */
/* adapters/cli/cmd_reply.c (issue 4) */
int	cmd_send(int argc, char **argv);
int	cmd_reroute(int argc, char **argv);
int	cmd_close(int argc, char **argv);
int	cmd_quarantine(int argc, char **argv);
/* adapters/cli/cmd_audit.c, adapters/cli/cmd_breach.c (issue 6) */
int	cmd_audit(int argc, char **argv);
int	cmd_breach(int argc, char **argv);
int	cmd_keys_compromised(int argc, char **argv);

#endif
