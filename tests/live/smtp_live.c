/*
 * smtp_live - live checks of adapters/smtp against the test mail stack
 * (tests/mailstack/start DIR; . DIR/env) and against throw-away
 * `openssl s_server` instances on 127.0.0.3 that record what the client
 * sends after the handshake.
 *
 * Proves: a message is delivered into the recipient's Maildir; an untrusted
 * CA, a wrong host name and a TLS 1.1-only server are refused with a TLS
 * reason, and the client never sends a single SMTP command (no EHLO, no
 * MAIL FROM) to such a server, while a control server whose certificate
 * verifies does receive MAIL FROM through the same recording; an unknown
 * recipient is a PERMFAIL, with Postfix's text, its address masked; the
 * probe learns Postfix's SIZE (41943040 on smtps, 10240000 on STARTTLS)
 * and an 11 MB message on STARTTLS is a PERMFAIL 552 5.3.4 naming it; a closed port, a wrong password are TEMPFAILs;
 * none of the refused messages is delivered.  Also STARTTLS when
 * FSRELAY_TEST_SMTP_STARTTLS_URL is set.
 *
 * Needs: FSRELAY_TEST_SMTP_URL, FSRELAY_TEST_CA, FSRELAY_TEST_PASSWORD,
 * FSRELAY_TEST_RELAY_ADDRESS, FSRELAY_TEST_MAILDIRS (fails without them),
 * the openssl tool, and 127.0.0.3:FSRELAY_TEST_FAKE_PORT (10466) free.
 * Trusts: the test stack and openssl.  Not part of `make test`.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "adapters/smtp.h"
#include "relay/util.h"
#include "tests/unit/t.h"

#define RCPT_OK		"delphine.kaczmar@dgfip.finances.gouv.fr"
#define RCPT_DIR	"dgfip.finances.gouv.fr/delphine.kaczmar/Maildir"
#define RCPT_UNKNOWN	"personne.inconnue@dgfip.finances.gouv.fr"
#define FAKE_IP		"127.0.0.3"

extern char **environ;

static const char *e_url, *e_ca, *e_pass, *e_relay, *e_maildirs;
static char tmpdir[] = "/tmp/fsr-smtp-live.XXXXXX";
static char fake_port[8] = "10466";
static long fake_port_n = 10466;

static const char *
need_env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "smtp_live : variable %s absente "
		    "(sourcer DIR/env de tests/mailstack/start)\n", name);
		exit(1);
	}
	return v;
}

/* Run argv with stdout/stderr to `out` (or /dev/null), stdin from fd `in`
 * (-1: /dev/null).  Returns the pid, -1 on failure. */
static pid_t
spawn(char *const argv[], const char *out, int in)
{
	posix_spawn_file_actions_t	fa;
	pid_t				pid;
	int				r;

	posix_spawn_file_actions_init(&fa);
	if (in >= 0)
		posix_spawn_file_actions_adddup2(&fa, in, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
		    O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null",
	    O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return r == 0 ? pid : -1;
}

static int
run(char *const argv[])
{
	pid_t	pid;
	int	st;

	if ((pid = spawn(argv, NULL, -1)) == -1)
		return -1;
	if (waitpid(pid, &st, 0) == -1)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* Path of a file in tmpdir; a ring of 16 buffers (make_certs needs 10
 * at once). */
static char *
tpath(const char *name)
{
	static char	p[16][256];
	static int	i;

	i = (i + 1) % 16;
	snprintf(p[i], sizeof(p[i]), "%s/%s", tmpdir, name);
	return p[i];
}

/* Throw-away CA2 (trusted by nobody), a cert for 127.0.0.3 and one for
 * "wrong.example", both issued by CA2. */
static int
make_certs(void)
{
	char *ca[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
	    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
	    "/CN=fsrelay untrusted test CA", "-keyout", tpath("ca2.key"),
	    "-out", tpath("ca2.pem"), NULL };
	char *ok[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
	    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
	    "/CN=" FAKE_IP, "-addext", "subjectAltName=IP:" FAKE_IP,
	    "-addext", "basicConstraints=critical,CA:FALSE",
	    "-CA", tpath("ca2.pem"), "-CAkey", tpath("ca2.key"),
	    "-keyout", tpath("ok.key"), "-out", tpath("ok.pem"), NULL };
	char *bad[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
	    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
	    "/CN=wrong.example", "-addext", "subjectAltName=DNS:wrong.example",
	    "-addext", "basicConstraints=critical,CA:FALSE",
	    "-CA", tpath("ca2.pem"), "-CAkey", tpath("ca2.key"),
	    "-keyout", tpath("wrong.key"), "-out", tpath("wrong.pem"), NULL };

	return run(ca) == 0 && run(ok) == 0 && run(bad) == 0 ? 0 : -1;
}

static char *
build_msg(const char *marker, size_t *len)
{
	static char	m[1024];
	int		n;

	n = snprintf(m, sizeof(m), "From: <%s>\r\nTo: <%s>\r\n"
	    "Subject: [FS-TEST] %s\r\nMessage-ID: <%s@relay.fsrelay.test>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "\r\nTest %s.\r\n.leading dot line\r\n", e_relay, RCPT_OK,
	    marker, marker, marker);
	*len = (size_t)n;
	return m;
}

static int
file_has(const char *path, const char *needle)
{
	char	buf[65536];
	size_t	n;
	FILE	*f;

	if ((f = fopen(path, "r")) == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* 1 if a file of the recipient's Maildir (new/ or cur/) contains needle;
 * `path` (if not NULL) gets that file. */
static int
maildir_has(const char *needle, char *path, size_t pathlen)
{
	static const char	*sub[] = { "new", "cur" };
	char			 d[512], f[1024];
	struct dirent		*de;
	DIR			*dp;
	size_t			 i;
	int			 found = 0;

	for (i = 0; i < 2 && !found; i++) {
		snprintf(d, sizeof(d), "%s/%s/%s", e_maildirs, RCPT_DIR, sub[i]);
		if ((dp = opendir(d)) == NULL)
			continue;
		while (!found && (de = readdir(dp)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(f, sizeof(f), "%s/%s", d, de->d_name);
			if ((found = file_has(f, needle)) && path != NULL)
				snprintf(path, pathlen, "%s", f);
		}
		closedir(dp);
	}
	return found;
}

static int
wait_delivered(const char *marker, char *path, size_t pathlen)
{
	struct timespec	ts = { 0, 100 * 1000 * 1000 };
	int		i;

	for (i = 0; i < 150; i++) {
		if (maildir_has(marker, path, pathlen))
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static void
conf_default(struct smtp_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->url = e_url;
	c->user = e_relay;
	c->password = e_pass;
	c->ca_file = e_ca;
	c->timeout_s = 20;
}

static enum smtp_status
send_marked(const struct smtp_conf *c, const char *rcpt, const char *marker,
    char *err, size_t errlen)
{
	size_t	 len;
	char	*m = build_msg(marker, &len);

	return smtp_send(c, e_relay, rcpt, m, len, err, errlen);
}

static void
test_delivery(const char *marker)
{
	struct smtp_conf	c;
	char			err[256], path[1100];
	enum smtp_status	st;

	conf_default(&c);
	st = send_marked(&c, RCPT_OK, marker, err, sizeof(err));
	CHECK_INT(st, SMTP_SENT);
	printf("  livraison : %s\n", err);
	CHECK(wait_delivered(marker, path, sizeof(path)));
	/* libcurl dot-stuffed the ".leading" line; the server un-stuffed it */
	CHECK(file_has(path, "\r\n.leading dot line") ||
	    file_has(path, "\n.leading dot line"));
}

static void
test_starttls(void)
{
	struct smtp_conf	c;
	const char		*u = getenv("FSRELAY_TEST_SMTP_STARTTLS_URL");
	char			 err[256], marker[64];

	if (u == NULL || *u == '\0') {
		printf("  STARTTLS : FSRELAY_TEST_SMTP_STARTTLS_URL absente, "
		    "non testé\n");
		return;
	}
	snprintf(marker, sizeof(marker), "fsr-live-%ld-starttls",
	    (long)getpid());
	conf_default(&c);
	c.url = u;
	c.starttls = 1;
	CHECK_INT(send_marked(&c, RCPT_OK, marker, err, sizeof(err)),
	    SMTP_SENT);
	CHECK(wait_delivered(marker, NULL, 0));
	/* smtp:// without starttls = 1 is refused before any I/O */
	c.starttls = 0;
	CHECK_INT(send_marked(&c, RCPT_OK, marker, err, sizeof(err)),
	    SMTP_TEMPFAIL);
	CHECK(strstr(err, "schéma") != NULL);
}

static void
test_untrusted_ca(const char *marker)
{
	struct smtp_conf	c;
	char			err[256];

	conf_default(&c);
	c.ca_file = tpath("ca2.pem");
	CHECK_INT(send_marked(&c, RCPT_OK, marker, err, sizeof(err)),
	    SMTP_TEMPFAIL);
	CHECK_STR(err, "TLS : certificat non vérifié (CURLE 60)");
	printf("  CA non reconnue (Postfix) : %s\n", err);
}

static void
test_unknown_rcpt(const char *marker)
{
	struct smtp_conf	c;
	char			err[256];

	conf_default(&c);
	CHECK_INT(send_marked(&c, RCPT_UNKNOWN, marker, err, sizeof(err)),
	    SMTP_PERMFAIL);
	/* then Postfix's own text, the address masked */
	CHECK(strncmp(err, "550 5.1.1 destinataire inconnu (serveur : <...>: ",
	    49) == 0);
	CHECK(strstr(err, "@") == NULL);
	printf("  destinataire inconnu : %s\n", err);
}

/* The stack's STARTTLS port keeps Postfix's default message_size_limit
 * (10240000), announced by EHLO: the probe learns it; a bigger message is
 * refused at MAIL FROM (552 5.3.4 to libcurl's SIZE=), a permanent
 * failure naming the limit.  The smtps port takes 40 MiB. */
static void
test_too_big(const char *marker)
{
	struct smtp_conf	 c;
	unsigned long long	 size = 0;
	const char		*u = getenv("FSRELAY_TEST_SMTP_STARTTLS_URL");
	char			 err[300], *m;
	size_t			 n, len = 11 * 1000 * 1000;

	conf_default(&c);
	CHECK_INT(smtp_probe(&c, &size, err, sizeof(err)), 0);
	CHECK(size == 41943040ULL);
	printf("  SIZE annoncé par Postfix (smtps) : %llu\n", size);
	if (!CHECK(u != NULL && *u != '\0'))
		return;
	c.url = u;
	c.starttls = 1;
	CHECK_INT(smtp_probe(&c, &size, err, sizeof(err)), 0);
	CHECK(size == 10240000ULL);
	printf("  SIZE annoncé par Postfix (STARTTLS) : %llu\n", size);
	if ((m = malloc(len)) == NULL)
		return;
	n = (size_t)snprintf(m, 512, "From: <%s>\r\nTo: <%s>\r\nSubject: %s\r\n\r\n",
	    e_relay, RCPT_OK, marker);
	while (n + 80 <= len) {
		memset(m + n, 'x', 78);
		memcpy(m + n + 78, "\r\n", 2);
		n += 80;
	}
	CHECK_INT(smtp_send(&c, e_relay, RCPT_OK, m, n, err, sizeof(err)), SMTP_PERMFAIL);
	CHECK(strncmp(err, "552 5.3.4 message trop gros pour le serveur (limite SIZE : "
	    "10240000 octets)", 74) == 0);
	CHECK(strstr(err, "(serveur : Message size exceeds fixed limit)") != NULL);
	printf("  message de %zu octets : %s\n", n, err);
	free(m);
}

static void
test_bad_password(const char *marker)
{
	struct smtp_conf	c;
	char			err[256];

	conf_default(&c);
	c.password = "mauvais-mot-de-passe";
	CHECK_INT(send_marked(&c, RCPT_OK, marker, err, sizeof(err)),
	    SMTP_TEMPFAIL);
	CHECK(strstr(err, "authentification refusée") != NULL);
	printf("  mot de passe faux : %s\n", err);
}

/* A port on 127.0.0.2 that nobody listens on: bind, read it, close. */
static int
closed_port(void)
{
	struct sockaddr_in	sa;
	socklen_t		sl = sizeof(sa);
	int			s, port = -1;

	if ((s = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = inet_addr("127.0.0.2");
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(s, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	close(s);
	return port;
}

static void
test_server_down(const char *marker)
{
	struct smtp_conf	c;
	char			err[256], url[64];
	int			port = closed_port();

	CHECK(port > 0);
	snprintf(url, sizeof(url), "smtps://127.0.0.2:%d", port);
	conf_default(&c);
	c.url = url;
	CHECK_INT(send_marked(&c, RCPT_OK, marker, err, sizeof(err)),
	    SMTP_TEMPFAIL);
	CHECK_STR(err, "connexion refusée ou impossible (CURLE 7)");
}

static int
fake_listening(void)
{
	char	line[512], key[32];
	FILE	*f;
	int	found = 0;

	snprintf(key, sizeof(key), "0300007F:%04lX", fake_port_n);
	if ((f = fopen("/proc/net/tcp", "r")) == NULL)
		return 0;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, key) != NULL && strstr(line, " 0A ");
	fclose(f);
	return found;
}

/*
 * Run one `openssl s_server` on FAKE_IP with cert/key, whose stdin already
 * holds a greeting and two "250" replies (so a client that passes TLS goes
 * through EHLO and MAIL FROM), let smtp_send talk to it with ca_file, and
 * return the smtp_send status; *out gets what the server printed, which
 * includes every byte the client sent after the handshake.
 */
static enum smtp_status
fake_exchange(char *cert, char *key, const char *ca_file,
    int tls11, char *err, size_t errlen, const char *outname)
{
	static const char	replies[] = "220 fake ESMTP\r\n"
	    "250 fake\r\n250 2.1.0 fake\r\n";
	char			 accept[64], url[64];
	char			*argv[20];
	struct smtp_conf	 c;
	struct timespec		 ts = { 0, 20 * 1000 * 1000 };
	enum smtp_status	 st = SMTP_SENT;
	int			 p[2], i, n = 0;
	pid_t			 pid;
	size_t			 len;
	char			*m;

	snprintf(accept, sizeof(accept), FAKE_IP ":%s", fake_port);
	snprintf(url, sizeof(url), "smtps://" FAKE_IP ":%s", fake_port);
	argv[n++] = "openssl"; argv[n++] = "s_server";
	argv[n++] = "-accept"; argv[n++] = accept;
	argv[n++] = "-naccept"; argv[n++] = "1";
	argv[n++] = "-cert"; argv[n++] = cert;
	argv[n++] = "-key"; argv[n++] = key;
	if (tls11) {
		argv[n++] = "-tls1_1";
		argv[n++] = "-cipher"; argv[n++] = "DEFAULT@SECLEVEL=0";
	}
	argv[n] = NULL;
	if (pipe(p) == -1 || write(p[1], replies, sizeof(replies) - 1) !=
	    (ssize_t)(sizeof(replies) - 1))
		return SMTP_SENT;
	pid = spawn(argv, outname, p[0]);
	close(p[0]);
	for (i = 0; pid > 0 && i < 250 && !fake_listening(); i++)
		nanosleep(&ts, NULL);
	if (pid > 0 && fake_listening()) {
		conf_default(&c);
		c.url = url;
		c.user = NULL;
		c.password = NULL;
		c.ca_file = ca_file;
		c.timeout_s = 3;
		m = build_msg("fsr-live-fake", &len);
		st = smtp_send(&c, e_relay, RCPT_OK, m, len, err, errlen);
	} else
		fprintf(stderr, "smtp_live : openssl s_server n'écoute pas "
		    "sur %s\n", accept);
	if (pid > 0) {
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
	}
	close(p[1]);
	return st;
}

static void
test_fake_servers(void)
{
	char	err[256];

	/* control: certificate verifies -> the recording sees MAIL FROM */
	CHECK_INT(fake_exchange(tpath("ok.pem"), tpath("ok.key"),
	    tpath("ca2.pem"), 0, err, sizeof(err), tpath("control.out")),
	    SMTP_TEMPFAIL);
	printf("  témoin (certificat valide, serveur muet) : %s\n", err);
	CHECK(file_has(tpath("control.out"), "EHLO"));
	CHECK(file_has(tpath("control.out"), "MAIL FROM:<"));

	/* wrong host name, right CA */
	CHECK_INT(fake_exchange(tpath("wrong.pem"), tpath("wrong.key"),
	    tpath("ca2.pem"), 0, err, sizeof(err), tpath("wrongname.out")),
	    SMTP_TEMPFAIL);
	CHECK_STR(err, "TLS : certificat non vérifié (CURLE 60)");
	printf("  mauvais nom d'hôte : %s\n", err);
	CHECK(!file_has(tpath("wrongname.out"), "EHLO"));
	CHECK(!file_has(tpath("wrongname.out"), "MAIL FROM"));

	/* right name, CA not trusted (the client trusts the stack CA) */
	CHECK_INT(fake_exchange(tpath("ok.pem"), tpath("ok.key"), e_ca, 0,
	    err, sizeof(err), tpath("untrusted.out")), SMTP_TEMPFAIL);
	CHECK_STR(err, "TLS : certificat non vérifié (CURLE 60)");
	printf("  CA non reconnue (s_server) : %s\n", err);
	CHECK(!file_has(tpath("untrusted.out"), "EHLO"));
	CHECK(!file_has(tpath("untrusted.out"), "MAIL FROM"));

	/* server limited to TLS 1.1 */
	CHECK_INT(fake_exchange(tpath("ok.pem"), tpath("ok.key"),
	    tpath("ca2.pem"), 1, err, sizeof(err), tpath("tls11.out")),
	    SMTP_TEMPFAIL);
	CHECK(strncmp(err, "TLS : ", 6) == 0);
	printf("  serveur TLS 1.1 seulement : %s\n", err);
	CHECK(!file_has(tpath("tls11.out"), "EHLO"));
	CHECK(!file_has(tpath("tls11.out"), "MAIL FROM"));
}

static void
cleanup_tmp(void)
{
	static const char *files[] = { "ca2.key", "ca2.pem", "ok.key",
	    "ok.pem", "wrong.key", "wrong.pem", "control.out",
	    "wrongname.out", "untrusted.out", "tls11.out" };
	size_t	i;

	if (getenv("FSRELAY_TEST_KEEP") != NULL) {
		printf("  fichiers gardés dans %s\n", tmpdir);
		return;
	}
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(tpath(files[i]));
	rmdir(tmpdir);
}

int
main(void)
{
	char		 neg[5][64], ok[64];
	const char	*fp;
	int		 i;

	e_url = need_env("FSRELAY_TEST_SMTP_URL");
	e_ca = need_env("FSRELAY_TEST_CA");
	e_pass = need_env("FSRELAY_TEST_PASSWORD");
	e_relay = need_env("FSRELAY_TEST_RELAY_ADDRESS");
	e_maildirs = need_env("FSRELAY_TEST_MAILDIRS");
	if ((fp = getenv("FSRELAY_TEST_FAKE_PORT")) != NULL) {
		if (fs_parse_long(fp, 1, 65535, &fake_port_n) == -1) {
			fprintf(stderr, "smtp_live : FSRELAY_TEST_FAKE_PORT "
			    "invalide\n");
			return 1;
		}
		snprintf(fake_port, sizeof(fake_port), "%ld", fake_port_n);
	}
	if (mkdtemp(tmpdir) == NULL || make_certs() == -1) {
		fprintf(stderr, "smtp_live : certificats de test impossibles\n");
		return 1;
	}
	if (smtp_global_init() == -1)
		return 1;
	for (i = 0; i < 5; i++)
		snprintf(neg[i], sizeof(neg[i]), "fsr-live-%ld-neg%d",
		    (long)getpid(), i);
	snprintf(ok, sizeof(ok), "fsr-live-%ld-ok", (long)getpid());

	test_untrusted_ca(neg[0]);
	test_unknown_rcpt(neg[1]);
	test_bad_password(neg[2]);
	test_too_big(neg[4]);
	test_server_down(neg[3]);
	test_fake_servers();
	test_delivery(ok);
	test_starttls();
	/* the good message has arrived: none of the refused ones did */
	for (i = 0; i < 5; i++)
		CHECK(!maildir_has(neg[i], NULL, 0));

	smtp_global_cleanup();
	cleanup_tmp();
	return t_done();
}
