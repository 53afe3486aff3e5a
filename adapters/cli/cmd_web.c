/*
 * cmd_web - fsrelay web [--listen ADDR:PORT]: the web desk of the
 * instance (adapters/http/web.h), until SIGTERM.
 */
#include "adapters/cli/commands.h"
#include "adapters/cli/cli.h"
#include "relay/instance.h"
#include "adapters/http/web.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_cmd web_cmd = { "web", "web [--listen ADRESSE:PORT]",
	"Le guichet web des agents, des responsables, du DPO et des administrateurs\n"
	"(docs/web.md), jusqu'à SIGTERM.  Adresse d'écoute : --listen, sinon la clé\n"
	"web_listen, sinon 127.0.0.1:8443.  Avec web_tls_cert et web_tls_key : HTTPS.\n"
	"Sans certificat : HTTP sur la boucle locale seulement (127.0.0.1 ou ::1),\n"
	"derrière un mandataire inverse TLS.  Tourne à côté de « fsrelay serve ».\n", 0, 0 };

int
cmd_web(int argc, char **argv)
{
	const char *listen = NULL, **pos = NULL;
	const struct cli_opt opts[] = {
		{ "listen", &listen, NULL, NULL, NULL },
		{ NULL, NULL, NULL, NULL, NULL },
	};
	struct web_opts o;
	struct instance in;
	char err[1024];
	int npos, r;

	memset(&in, 0, sizeof(in));
	if ((r = cli_parse(&web_cmd, argc, argv, opts, &pos, &npos)) != 0)
		goto out;
	memset(&o, 0, sizeof(o));
	o.listen = listen;
	/* INST_SIGNING: escalate and send build their mails at once. */
	if (instance_open(&in, cli_config_path, INST_STORE | INST_KEYS | INST_SIGNING, err,
	    sizeof(err)) < 0 || web_run(&in, &o, err, sizeof(err)) < 0)
		r = cli_fail("web : %s", err);
out:
	instance_close(&in);
	free(pos);
	return r == CLI_HELP_SHOWN ? EXIT_OK : r;
}
