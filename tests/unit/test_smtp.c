/*
 * test_smtp - offline checks of adapters/smtp: envelope addresses, URL and
 * configuration validation, message checks, and proof that a refused input
 * never opens a connection (a listening socket of our own sees no
 * connection, while a valid call does reach it).
 * Sessions, against a fake SMTP server of our own (a child process, GnuTLS,
 * throw-away self-signed certificate, on 127.0.0.1) that reports every
 * connection, EHLO, AUTH, MAIL, message body, accepted message and QUIT:
 * with implicit TLS one connection and one AUTH carry several messages;
 * after a refused recipient the next message goes on a fresh connection;
 * a kept connection closed by the server is replaced without losing or
 * doubling a message; a connection lost after the body is not retried (no
 * duplicate); with STARTTLS every message has its own connection; a wrong
 * CA gets no SMTP command at all.  The live checks against the real mail
 * stack are in tests/live/smtp_live.c.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "adapters/smtp.h"
#include "tests/unit/t.h"

static const char msg[] = "From: <a@b.test>\r\nSubject: x\r\n\r\nbody\r\n";

static int lsock = -1;
static char lurl[64];

/* A listening socket on 127.0.0.1 that never accepts by itself. */
static int
listener(void)
{
	struct sockaddr_in	sa;
	socklen_t		sl = sizeof(sa);

	if ((lsock = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lsock, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(lsock, 8) == -1 ||
	    getsockname(lsock, (struct sockaddr *)&sa, &sl) == -1 ||
	    fcntl(lsock, F_SETFL, O_NONBLOCK) == -1)
		return -1;
	snprintf(lurl, sizeof(lurl), "smtps://127.0.0.1:%d",
	    ntohs(sa.sin_port));
	return 0;
}

/* Number of connections that reached the listener since the last call. */
static int
connections(void)
{
	int	fd, n = 0;

	while ((fd = accept(lsock, NULL, NULL)) != -1) {
		close(fd);
		n++;
	}
	return n;
}

static void
conf_default(struct smtp_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->url = lurl;
	c->user = "relais@relay.fsrelay.test";
	c->password = "secret";
	c->ca_file = "/nonexistent/ca.pem";
	c->timeout_s = 1;
}

static void
test_addresses(void)
{
	char	long_addr[300];

	CHECK(smtp_address_ok("relais@relay.fsrelay.test"));
	CHECK(smtp_address_ok("relais+abc_DEF-1@relay.fsrelay.test"));
	CHECK(smtp_address_ok("delphine.kaczmar@dgfip.finances.gouv.fr"));
	CHECK(!smtp_address_ok(NULL));
	CHECK(!smtp_address_ok(""));
	CHECK(!smtp_address_ok("a@b\r\nRCPT TO:<x@evil.test>"));
	CHECK(!smtp_address_ok("a@b\nRSET"));
	CHECK(!smtp_address_ok("a@b\r"));
	CHECK(!smtp_address_ok("a b@c.test"));
	CHECK(!smtp_address_ok("a\t@c.test"));
	CHECK(!smtp_address_ok("a@c.test\x01"));
	CHECK(!smtp_address_ok("a@c.test\x7f"));
	CHECK(!smtp_address_ok("<a@c.test>"));
	CHECK(!smtp_address_ok("a@c.test> SIZE=1"));
	CHECK(!smtp_address_ok("\xc3\xa9@c.test"));
	CHECK(!smtp_address_ok("nodomain"));
	CHECK(!smtp_address_ok("@c.test"));
	CHECK(!smtp_address_ok("a@"));
	CHECK(!smtp_address_ok("a@b@c.test"));
	memset(long_addr, 'a', sizeof(long_addr) - 1);
	long_addr[sizeof(long_addr) - 1] = '\0';
	long_addr[10] = '@';
	CHECK(!smtp_address_ok(long_addr));
	long_addr[SMTP_ADDR_MAX + 1] = '\0';	/* 255 bytes */
	CHECK(!smtp_address_ok(long_addr));
	long_addr[SMTP_ADDR_MAX] = '\0';		/* 254 bytes */
	CHECK(smtp_address_ok(long_addr));
}

static int
url_ok(const char *url, int starttls)
{
	struct smtp_conf	c;
	char			err[200];

	conf_default(&c);
	c.url = url;
	c.starttls = starttls;
	return smtp_conf_check(&c, err, sizeof(err)) == 0;
}

static void
test_conf(void)
{
	struct smtp_conf	c;
	char			err[200];

	CHECK(url_ok("smtps://smtp.example.fr:465", 0));
	CHECK(url_ok("smtps://smtp.example.fr", 0));
	CHECK(url_ok("smtps://127.0.0.2:10465", 0));
	CHECK(url_ok("smtps://[::1]:465", 0));
	CHECK(url_ok("smtp://smtp.example.fr:587", 1));
	CHECK(!url_ok("smtp://smtp.example.fr:587", 0));
	CHECK(!url_ok("smtps://smtp.example.fr:465", 1));
	CHECK(!url_ok("imaps://smtp.example.fr:993", 0));
	CHECK(!url_ok("SMTPS://smtp.example.fr", 0));
	CHECK(!url_ok("smtps://smtp.example.fr:465/", 0));
	CHECK(!url_ok("smtps://smtp.example.fr:465/evil.test", 0));
	CHECK(!url_ok("smtps://smtp.example.fr/x\r\nRSET", 0));
	CHECK(!url_ok("smtps://smtp.example.fr\r\n:465", 0));
	CHECK(!url_ok("smtps://user:pw@smtp.example.fr:465", 0));
	CHECK(!url_ok("smtps://smtp.example.fr:465?x=1", 0));
	CHECK(!url_ok("smtps://smtp.example.fr:465#f", 0));
	CHECK(!url_ok("smtps://smtp.example.fr:0", 0));
	CHECK(!url_ok("smtps://smtp.example.fr:65536", 0));
	CHECK(!url_ok("smtps://smtp.example.fr:", 0));
	CHECK(!url_ok("smtps://smtp.example.fr:46a", 0));
	CHECK(!url_ok("smtps://", 0));
	CHECK(!url_ok("smtps://[]:465", 0));
	CHECK(!url_ok("smtps://smtp example.fr", 0));
	CHECK(!url_ok(NULL, 0));

	conf_default(&c);
	CHECK_INT(smtp_conf_check(&c, err, sizeof(err)), 0);
	c.ca_file = NULL;
	CHECK_INT(smtp_conf_check(&c, err, sizeof(err)), -1);
	CHECK(strstr(err, "CA") != NULL);
	c.ca_file = "";
	CHECK_INT(smtp_conf_check(&c, err, sizeof(err)), -1);
	conf_default(&c);
	c.password = NULL;
	CHECK_INT(smtp_conf_check(&c, err, sizeof(err)), -1);
	conf_default(&c);
	c.timeout_s = -1;
	CHECK_INT(smtp_conf_check(&c, err, sizeof(err)), -1);
	conf_default(&c);
	c.starttls = 2;
	CHECK_INT(smtp_conf_check(&c, err, sizeof(err)), -1);
	CHECK_INT(smtp_conf_check(NULL, err, sizeof(err)), -1);
}

/* smtp_send must refuse before connecting: status, reason, no connection. */
static void
refused(const struct smtp_conf *c, const char *from, const char *rcpt,
    const char *m, size_t len, enum smtp_status want, const char *reason)
{
	char	err[200];

	CHECK_INT(smtp_send(c, from, rcpt, m, len, err, sizeof(err)), want);
	if (!t_check(strstr(err, reason) != NULL, reason, __FILE__, __LINE__))
		fprintf(stderr, "    got \"%s\"\n", err);
	CHECK_INT(connections(), 0);
}

static void
test_refused_offline(void)
{
	struct smtp_conf	 c;
	const char		*from = "relais@relay.fsrelay.test";
	const char		*to = "agent1@fs-fontenay.test";
	size_t			 len = sizeof(msg) - 1;
	char			 url[128];

	conf_default(&c);
	refused(&c, from, "x@y.test\r\nRCPT TO:<evil@evil.test>", msg, len,
	    SMTP_PERMFAIL, "destinataire invalide");
	refused(&c, from, "x@y.test\nDATA", msg, len, SMTP_PERMFAIL,
	    "destinataire invalide");
	refused(&c, from, "<x@y.test>", msg, len, SMTP_PERMFAIL,
	    "destinataire invalide");
	refused(&c, from, "x @y.test", msg, len, SMTP_PERMFAIL,
	    "destinataire invalide");
	refused(&c, "relais@relay.fsrelay.test\r\nRSET", to, msg, len,
	    SMTP_TEMPFAIL, "expéditeur invalide");
	refused(&c, "relais@relay.fsrelay.test>", to, msg, len,
	    SMTP_TEMPFAIL, "expéditeur invalide");
	refused(&c, from, to, "a\nb\r\n", 5, SMTP_PERMFAIL, "CR ou LF isolé");
	refused(&c, from, to, "a\rb\r\n", 5, SMTP_PERMFAIL, "CR ou LF isolé");
	refused(&c, from, to, "a\r\n\0b\r\n", 7, SMTP_PERMFAIL, "NUL");
	refused(&c, from, to, "abc\r", 4, SMTP_PERMFAIL, "CR ou LF isolé");
	refused(&c, from, to, msg, 0, SMTP_PERMFAIL, "vide");

	snprintf(url, sizeof(url), "%s/evil.test", lurl);
	c.url = url;
	refused(&c, from, to, msg, len, SMTP_TEMPFAIL, "URL SMTP");
	snprintf(url, sizeof(url), "%s\r\n", lurl);
	refused(&c, from, to, msg, len, SMTP_TEMPFAIL, "URL SMTP");
	c.url = lurl;
	c.starttls = 1;
	refused(&c, from, to, msg, len, SMTP_TEMPFAIL, "schéma");
	c.starttls = 0;
	c.ca_file = NULL;
	refused(&c, from, to, msg, len, SMTP_TEMPFAIL, "fichier CA");
}

static void
test_long_line(void)
{
	struct smtp_conf	c;
	char			m[1100];

	conf_default(&c);
	memset(m, 'x', sizeof(m));
	m[998] = '\r';
	m[999] = '\n';
	/* a 998-byte line is fine: only checked here up to the connection,
	 * so use an invalid recipient to stop before it */
	refused(&c, "a@b.test", "bad", m, 1000, SMTP_PERMFAIL,
	    "destinataire invalide");
	m[998] = 'x';
	m[1098] = '\r';
	m[1099] = '\n';
	refused(&c, "a@b.test", "c@d.test", m, 1100, SMTP_PERMFAIL,
	    "998 octets");
}

/* Control: a valid call does reach our listener (so the zero counts above
 * mean something); with no TLS server behind it, it ends in a timeout. */
static void
test_control_connects(void)
{
	struct smtp_conf	c;
	char			err[200];

	conf_default(&c);
	c.ca_file = "/etc/ssl/certs/ca-certificates.crt";
	CHECK_INT(smtp_send(&c, "a@b.test", "c@d.test", msg, sizeof(msg) - 1,
	    err, sizeof(err)), SMTP_TEMPFAIL);
	CHECK(strstr(err, "CURLE 28") != NULL);
	CHECK_INT(connections(), 1);
}

static void
test_closed_port(void)
{
	struct smtp_conf	c;
	char			err[200], url[64];
	struct sockaddr_in	sa;
	socklen_t		sl = sizeof(sa);
	int			s;

	/* bind a port, close it: nobody listens there */
	CHECK((s = socket(AF_INET, SOCK_STREAM, 0)) != -1);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CHECK(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CHECK(getsockname(s, (struct sockaddr *)&sa, &sl) == 0);
	close(s);
	snprintf(url, sizeof(url), "smtps://127.0.0.1:%d", ntohs(sa.sin_port));
	conf_default(&c);
	c.url = url;
	CHECK_INT(smtp_send(&c, "a@b.test", "c@d.test", msg, sizeof(msg) - 1,
	    err, sizeof(err)), SMTP_TEMPFAIL);
	CHECK_STR(err, "connexion refusée ou impossible (CURLE 7)");
}

/* ---- a fake SMTP server ------------------------------------------------ */

struct fake {
	pid_t	pid;
	int	ev;		/* read end: one byte per event */
	char	url[64];
	char	seen[4096];	/* every event so far */
	size_t	nseen;
};

struct fconn {
	int			fd;
	gnutls_session_t	tls;	/* NULL before TLS (STARTTLS) */
};

static char ca_path[] = "/tmp/fsr-test-smtp-ca.XXXXXX";
static gnutls_certificate_credentials_t srv_cred;

/* A self-signed ECDSA certificate for IP 127.0.0.1, written to ca_path (the
 * client's CA file) and loaded as the server's credentials. */
static int
make_cert(void)
{
	gnutls_x509_privkey_t	key;
	gnutls_x509_crt_t	crt;
	gnutls_datum_t		pem = { NULL, 0 };
	unsigned char		serial[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	unsigned char		ip[4] = { 127, 0, 0, 1 };
	time_t			now = time(NULL);
	int			fd, r = -1;

	if (gnutls_x509_privkey_init(&key) < 0)
		return -1;
	if (gnutls_x509_crt_init(&crt) < 0) {
		gnutls_x509_privkey_deinit(key);
		return -1;
	}
	if (gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
	    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ||
	    gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + 86400) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0,
	    "fsrelay test", 12) < 0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 1, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE |
	    GNUTLS_KEY_KEY_CERT_SIGN) < 0 ||
	    gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip,
	    sizeof(ip), GNUTLS_FSAN_SET) < 0 ||
	    gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0 ||
	    gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem) < 0 ||
	    gnutls_certificate_allocate_credentials(&srv_cred) < 0 ||
	    gnutls_certificate_set_x509_key(srv_cred, &crt, 1, key) < 0)
		goto out;
	if ((fd = mkstemp(ca_path)) == -1)
		goto out;
	if (write(fd, pem.data, pem.size) == (ssize_t)pem.size)
		r = 0;
	close(fd);
out:
	gnutls_free(pem.data);
	gnutls_x509_crt_deinit(crt);
	gnutls_x509_privkey_deinit(key);
	return r;
}

static int
fc_write(struct fconn *c, const char *s)
{
	size_t	n = strlen(s);

	if (c->tls != NULL)
		return gnutls_record_send(c->tls, s, n) == (ssize_t)n ? 0 : -1;
	return write(c->fd, s, n) == (ssize_t)n ? 0 : -1;
}

/* One line (CRLF removed); -1 on EOF or error. */
static int
fc_line(struct fconn *c, char *buf, size_t size)
{
	size_t	n = 0;
	ssize_t	r;
	char	ch;

	for (;;) {
		r = c->tls != NULL ? gnutls_record_recv(c->tls, &ch, 1) :
		    read(c->fd, &ch, 1);
		if (r != 1)
			return -1;
		if (ch == '\n')
			break;
		if (n + 1 < size)
			buf[n++] = ch;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

static int
fc_tls(struct fconn *c)
{
	int	r;

	if (gnutls_init(&c->tls, GNUTLS_SERVER) < 0 ||
	    gnutls_set_default_priority(c->tls) < 0 ||
	    gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE,
	    srv_cred) < 0)
		return -1;
	gnutls_transport_set_int(c->tls, c->fd);
	do
		r = gnutls_handshake(c->tls);
	while (r < 0 && gnutls_error_is_fatal(r) == 0);
	return r < 0 ? -1 : 0;
}

/* Event codes: C connection, E EHLO, A AUTH, F MAIL FROM, B body
 * received, M message accepted (250 sent), Q QUIT. */
static void
ev(int fd, char e)
{
	if (write(fd, &e, 1) != 1)
		_exit(2);
}

/* One SMTP session.  Recipients steer it: "inconnu@" is refused with
 * 550 5.1.1, "ferme@" closes the connection after the 250 to DATA,
 * "coupe@" closes it after the body without any reply, "fin@" makes it
 * answer the next MAIL FROM with 421 and close (idle timeout). */
static void
fake_session(struct fconn *c, int starttls, int evfd)
{
	char	line[1100], rcpt[1100] = "", *sz;
	int	bye_next = 0;

	if (!starttls && fc_tls(c) == -1)
		return;
	if (fc_write(c, "220 fake ESMTP\r\n") == -1)
		return;
	while (fc_line(c, line, sizeof(line)) == 0) {
		if (strncmp(line, "EHLO", 4) == 0) {
			ev(evfd, 'E');
			fc_write(c, "250-fake\r\n");
			if (starttls && c->tls == NULL)
				fc_write(c, "250-STARTTLS\r\n");
			fc_write(c, "250-SIZE 4096\r\n250-AUTH PLAIN\r\n"
			    "250 ENHANCEDSTATUSCODES\r\n");
		} else if (strcmp(line, "STARTTLS") == 0 && c->tls == NULL) {
			fc_write(c, "220 2.0.0 go\r\n");
			if (fc_tls(c) == -1)
				return;
		} else if (strncmp(line, "AUTH PLAIN", 10) == 0) {
			if (line[10] == '\0' && (fc_write(c, "334 \r\n") == -1 ||
			    fc_line(c, line, sizeof(line)) == -1))
				return;
			ev(evfd, 'A');
			fc_write(c, "235 2.7.0 ok\r\n");
		} else if (strncmp(line, "MAIL FROM:", 10) == 0) {
			ev(evfd, 'F');
			if (bye_next) {
				fc_write(c, "421 4.4.2 fake: timeout\r\n");
				return;
			}
			/* RFC 1870: the client said how big; over SIZE, 552 */
			if ((sz = strstr(line, " SIZE=")) != NULL &&
			    strtoul(sz + 6, NULL, 10) > 4096)
				fc_write(c, "552 5.3.4 Message size exceeds "
				    "fixed limit\r\n");
			else
				fc_write(c, "250 2.1.0 ok\r\n");
		} else if (strncmp(line, "RCPT TO:", 8) == 0) {
			snprintf(rcpt, sizeof(rcpt), "%s", line + 8);
			fc_write(c, strstr(rcpt, "<inconnu@") != NULL ?
			    "550 5.1.1 <inconnu@dgfip.finances.gouv.fr>: "
			    "unknown user\r\n" : "250 2.1.5 ok\r\n");
		} else if (strcmp(line, "DATA") == 0) {
			fc_write(c, "354 go\r\n");
			while (fc_line(c, line, sizeof(line)) == 0 &&
			    strcmp(line, ".") != 0)
				;
			ev(evfd, 'B');
			if (strstr(rcpt, "<coupe@") != NULL)
				return;
			ev(evfd, 'M');
			fc_write(c, "250 2.0.0 queued\r\n");
			if (strstr(rcpt, "<ferme@") != NULL)
				return;
			bye_next = strstr(rcpt, "<fin@") != NULL;
		} else if (strcmp(line, "NOOP") == 0) {
			fc_write(c, "250 2.0.0 ok\r\n");
		} else if (strcmp(line, "QUIT") == 0) {
			ev(evfd, 'Q');
			fc_write(c, "221 2.0.0 bye\r\n");
			return;
		} else
			fc_write(c, "502 5.5.2 unknown command\r\n");
	}
}

static void
fake_serve(int ls, int starttls, int evfd)
{
	struct fconn	c;

	for (;;) {
		memset(&c, 0, sizeof(c));
		if ((c.fd = accept(ls, NULL, NULL)) == -1)
			_exit(errno == EINTR ? 0 : 1);
		ev(evfd, 'C');
		fake_session(&c, starttls, evfd);
		if (c.tls != NULL) {
			(void)gnutls_bye(c.tls, GNUTLS_SHUT_WR);
			gnutls_deinit(c.tls);
		}
		close(c.fd);
	}
}

static int
fake_start(struct fake *f, int starttls)
{
	struct sockaddr_in	sa;
	socklen_t		sl = sizeof(sa);
	int			ls, p[2];

	memset(f, 0, sizeof(*f));
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(ls, 8) == -1 ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) == -1 ||
	    pipe(p) == -1) {
		close(ls);
		return -1;
	}
	snprintf(f->url, sizeof(f->url), "%s://127.0.0.1:%d",
	    starttls ? "smtp" : "smtps", ntohs(sa.sin_port));
	if ((f->pid = fork()) == -1)
		return -1;
	if (f->pid == 0) {
		/* a client that hangs up must not kill the server */
		signal(SIGPIPE, SIG_IGN);
		close(p[0]);
		fake_serve(ls, starttls, p[1]);
		_exit(0);
	}
	close(ls);
	close(p[1]);
	f->ev = p[0];
	return 0;
}

/* Number of events e so far, after reading what the server reported;
 * waits up to wait_ms for more while there are fewer than want. */
static int
fake_wait(struct fake *f, char e, int want, int wait_ms)
{
	struct pollfd	pfd = { f->ev, POLLIN, 0 };
	ssize_t		r;
	size_t		i;
	int		n, more = 1;

	for (;;) {
		for (i = 0, n = 0; i < f->nseen; i++)
			n += f->seen[i] == e;
		if (!more || f->nseen == sizeof(f->seen) ||
		    poll(&pfd, 1, n < want ? wait_ms : 0) != 1)
			return n;
		r = read(f->ev, f->seen + f->nseen, sizeof(f->seen) - f->nseen);
		if (r <= 0)
			more = 0;
		else
			f->nseen += (size_t)r;
	}
}

/* Events the server wrote before its last reply are all in the pipe when
 * the client has that reply: no need to wait for them. */
static int
fake_count(struct fake *f, char e)
{
	return fake_wait(f, e, 0, 0);
}

static void
fake_stop(struct fake *f)
{
	int	status;

	kill(f->pid, SIGTERM);
	(void)waitpid(f->pid, &status, 0);
	close(f->ev);
}

static void
conf_fake(struct smtp_conf *c, const struct fake *f)
{
	memset(c, 0, sizeof(*c));
	c->url = f->url;
	c->user = "relais@relay.fsrelay.test";
	c->password = "secret";
	c->ca_file = ca_path;
	c->starttls = strncmp(f->url, "smtp:", 5) == 0;
	c->timeout_s = 5;
}

#define FROM	"relais@relay.fsrelay.test"
#define TO	"delphine.kaczmar@dgfip.finances.gouv.fr"

static enum smtp_status
ssend(struct smtp_session *s, const char *to, char *err, size_t errlen)
{
	return smtp_session_send(s, FROM, to, msg, sizeof(msg) - 1, err,
	    errlen);
}

/* Implicit TLS: one connection, one EHLO, one AUTH for three messages;
 * QUIT at close.  smtp_send, for comparison, connects every time. */
static void
test_session_reuse(void)
{
	struct fake		 f;
	struct smtp_conf	 c;
	struct smtp_session	*s;
	char			 err[200];

	if (!CHECK(fake_start(&f, 0) == 0))
		return;
	conf_fake(&c, &f);
	CHECK((s = smtp_session_open(&c, err, sizeof(err))) != NULL);
	CHECK_INT(fake_count(&f, 'C'), 0);	/* no I/O at open */
	CHECK_INT(ssend(s, TO, err, sizeof(err)), SMTP_SENT);
	CHECK_STR(err, "250 message accepté");
	CHECK_INT(ssend(s, TO, err, sizeof(err)), SMTP_SENT);
	CHECK_INT(ssend(s, TO, err, sizeof(err)), SMTP_SENT);
	CHECK_INT(fake_count(&f, 'M'), 3);
	CHECK_INT(fake_count(&f, 'F'), 3);
	CHECK_INT(fake_count(&f, 'C'), 1);
	CHECK_INT(fake_count(&f, 'E'), 1);
	CHECK_INT(fake_count(&f, 'A'), 1);
	CHECK_INT(fake_count(&f, 'Q'), 0);
	smtp_session_close(s);
	CHECK_INT(fake_wait(&f, 'Q', 1, 5000), 1);
	smtp_session_close(NULL);

	/* the one-shot call still connects (and quits) every time */
	CHECK_INT(smtp_send(&c, FROM, TO, msg, sizeof(msg) - 1, err,
	    sizeof(err)), SMTP_SENT);
	CHECK_INT(smtp_send(&c, FROM, TO, msg, sizeof(msg) - 1, err,
	    sizeof(err)), SMTP_SENT);
	CHECK_INT(fake_count(&f, 'C'), 3);
	CHECK_INT(fake_count(&f, 'M'), 5);
	fake_stop(&f);
}

/* A failed transaction does not poison the next: fresh connection after
 * it; a connection closed by the server is replaced (message sent once);
 * a connection lost after the body is not retried (no duplicate). */
static void
test_session_failures(void)
{
	struct fake		 f;
	struct smtp_conf	 c;
	struct smtp_session	*s;
	char			 err[200];

	if (!CHECK(fake_start(&f, 0) == 0))
		return;
	conf_fake(&c, &f);
	if (!CHECK((s = smtp_session_open(&c, err, sizeof(err))) != NULL)) {
		fake_stop(&f);
		return;
	}
	CHECK_INT(ssend(s, TO, err, sizeof(err)), SMTP_SENT);
	CHECK_INT(ssend(s, "inconnu@dgfip.finances.gouv.fr", err,
	    sizeof(err)), SMTP_PERMFAIL);
	/* the server's own text follows, its address masked */
	CHECK_STR(err, "550 5.1.1 destinataire inconnu (serveur : <...>: unknown user)");
	CHECK_INT(fake_count(&f, 'C'), 1);
	CHECK_INT(ssend(s, TO, err, sizeof(err)), SMTP_SENT);
	CHECK_INT(fake_count(&f, 'C'), 2);	/* a fresh connection */
	CHECK_INT(fake_count(&f, 'M'), 2);

	/* the server closes after this one: the next message is sent once,
	 * on a new connection */
	CHECK_INT(ssend(s, "ferme@dgfip.finances.gouv.fr", err, sizeof(err)),
	    SMTP_SENT);
	CHECK_INT(ssend(s, TO, err, sizeof(err)), SMTP_SENT);
	CHECK_INT(fake_count(&f, 'C'), 3);
	CHECK_INT(fake_count(&f, 'B'), 4);
	CHECK_INT(fake_count(&f, 'M'), 4);

	/* 421 to MAIL FROM on the kept connection: once more on a fresh one */
	CHECK_INT(ssend(s, "fin@dgfip.finances.gouv.fr", err, sizeof(err)),
	    SMTP_SENT);
	CHECK_INT(ssend(s, TO, err, sizeof(err)), SMTP_SENT);
	CHECK_INT(fake_count(&f, 'C'), 4);
	CHECK_INT(fake_count(&f, 'F'), 8);	/* 421, then the fresh one */
	CHECK_INT(fake_count(&f, 'M'), 6);
	CHECK_INT(fake_count(&f, 'B'), 6);

	/* lost after the body: a temporary failure, never sent again */
	CHECK_INT(ssend(s, "coupe@dgfip.finances.gouv.fr", err, sizeof(err)),
	    SMTP_TEMPFAIL);
	CHECK_INT(fake_count(&f, 'B'), 7);
	CHECK_INT(fake_count(&f, 'C'), 4);
	CHECK_INT(ssend(s, TO, err, sizeof(err)), SMTP_SENT);
	CHECK_INT(fake_count(&f, 'C'), 5);
	CHECK_INT(fake_count(&f, 'M'), 7);

	/* refused before any I/O, as smtp_send: no connection */
	CHECK_INT(ssend(s, "x@y.test\r\nRCPT TO:<evil@evil.test>", err,
	    sizeof(err)), SMTP_PERMFAIL);
	CHECK(strstr(err, "destinataire invalide") != NULL);
	CHECK_INT(smtp_session_send(s, FROM, TO, "a\nb\r\n", 5, err,
	    sizeof(err)), SMTP_PERMFAIL);
	CHECK_INT(fake_count(&f, 'C'), 5);
	CHECK_INT(fake_count(&f, 'F'), 10);
	smtp_session_close(s);
	fake_stop(&f);
}

/* A message bigger than the server's SIZE (EHLO): the 552 to MAIL FROM
 * (SIZE=) is a permanent failure naming the limit, with the server's
 * text; once known, a bigger message is refused before any I/O; the
 * probe learns SIZE without any MAIL FROM. */
static void
test_session_size(void)
{
	struct fake		 f;
	struct smtp_conf	 c;
	struct smtp_session	*s;
	unsigned long long	 size = 1;
	char			 err[300], big[6000];
	size_t			 i, n = 0;

	n += (size_t)snprintf(big, sizeof(big), "From: <a@b.test>\r\nSubject: x\r\n\r\n");
	for (i = 0; i < 50; i++) {
		memset(big + n, 'x', 98);
		memcpy(big + n + 98, "\r\n", 2);
		n += 100;
	}
	if (!CHECK(fake_start(&f, 0) == 0))
		return;
	conf_fake(&c, &f);
	if (!CHECK((s = smtp_session_open(&c, err, sizeof(err))) != NULL)) {
		fake_stop(&f);
		return;
	}
	CHECK(smtp_session_size(s) == 0);	/* nothing asked yet */
	CHECK_INT(smtp_session_send(s, FROM, TO, big, n, err, sizeof(err)),
	    SMTP_PERMFAIL);
	CHECK_STR(err, "552 5.3.4 message trop gros pour le serveur (limite SIZE : "
	    "4096 octets) (serveur : Message size exceeds fixed limit)");
	CHECK_INT(fake_count(&f, 'F'), 1);
	CHECK_INT(fake_count(&f, 'B'), 0);
	CHECK(smtp_session_size(s) == 4096);
	CHECK_INT(smtp_session_send(s, FROM, TO, big, n, err, sizeof(err)),
	    SMTP_PERMFAIL);
	CHECK(strstr(err, "refusé avant envoi") != NULL);
	CHECK(strstr(err, "4096 octets") != NULL);
	CHECK_INT(fake_count(&f, 'C'), 1);	/* no new connection */
	CHECK_INT(fake_count(&f, 'F'), 1);
	CHECK_INT(ssend(s, TO, err, sizeof(err)), SMTP_SENT);
	CHECK_INT(fake_count(&f, 'M'), 1);
	smtp_session_close(s);

	CHECK_INT(smtp_probe(&c, &size, err, sizeof(err)), 0);
	CHECK(size == 4096);
	CHECK_INT(fake_count(&f, 'F'), 2);	/* the probe sent no MAIL FROM */
	CHECK_INT(fake_wait(&f, 'E', 3, 5000), 3);
	CHECK_INT(fake_count(&f, 'M'), 1);
	fake_stop(&f);

	/* nobody listening: -1 with a reason, no size */
	c.url = "smtps://127.0.0.1:1";
	size = 1;
	CHECK_INT(smtp_probe(&c, &size, err, sizeof(err)), -1);
	CHECK(size == 0);
	CHECK(strstr(err, "connexion") != NULL);
}

/* STARTTLS: no reuse, each message on its own connection. */
static void
test_session_starttls(void)
{
	struct fake		 f;
	struct smtp_conf	 c;
	struct smtp_session	*s;
	char			 err[200];

	if (!CHECK(fake_start(&f, 1) == 0))
		return;
	conf_fake(&c, &f);
	CHECK_INT(c.starttls, 1);
	if (!CHECK((s = smtp_session_open(&c, err, sizeof(err))) != NULL)) {
		fake_stop(&f);
		return;
	}
	CHECK_INT(ssend(s, TO, err, sizeof(err)), SMTP_SENT);
	CHECK_INT(ssend(s, TO, err, sizeof(err)), SMTP_SENT);
	CHECK_INT(ssend(s, TO, err, sizeof(err)), SMTP_SENT);
	CHECK_INT(fake_count(&f, 'M'), 3);
	CHECK_INT(fake_count(&f, 'C'), 3);
	CHECK_INT(fake_count(&f, 'A'), 3);
	CHECK_INT(fake_wait(&f, 'Q', 3, 5000), 3);	/* closed after each */
	smtp_session_close(s);
	fake_stop(&f);
}

/* A certificate from another CA: not a single SMTP command is sent. */
static void
test_session_bad_ca(void)
{
	struct fake		 f;
	struct smtp_conf	 c;
	struct smtp_session	*s;
	char			 err[200];

	if (!CHECK(fake_start(&f, 0) == 0))
		return;
	conf_fake(&c, &f);
	c.ca_file = "/etc/ssl/certs/ca-certificates.crt";
	if (!CHECK((s = smtp_session_open(&c, err, sizeof(err))) != NULL)) {
		fake_stop(&f);
		return;
	}
	CHECK_INT(ssend(s, TO, err, sizeof(err)), SMTP_TEMPFAIL);
	CHECK(strncmp(err, "TLS", 3) == 0);
	CHECK_INT(ssend(s, TO, err, sizeof(err)), SMTP_TEMPFAIL);
	CHECK_INT(fake_count(&f, 'C'), 2);
	CHECK_INT(fake_count(&f, 'E'), 0);
	CHECK_INT(fake_count(&f, 'F'), 0);
	smtp_session_close(s);
	fake_stop(&f);

	c.url = "smtp://127.0.0.1:25";	/* smtp:// without starttls */
	CHECK(smtp_session_open(&c, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "schéma") != NULL);
}

/* A message read in pieces of at most `step` bytes (struct smtp_source). */
struct pieces {
	const char	*p;
	size_t		 len, off, step;
	int		 fail_at;	/* -1 never; else the read at this offset fails */
	int		 rewinds;
};

static ssize_t
pieces_read(void *ctx, uint8_t *p, size_t n)
{
	struct pieces	*m = ctx;
	size_t		 k = m->len - m->off;

	if (m->fail_at >= 0 && m->off >= (size_t)m->fail_at)
		return -1;
	if (k > m->step)
		k = m->step;
	if (k > n)
		k = n;
	memcpy(p, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

static int
pieces_rewind(void *ctx)
{
	((struct pieces *)ctx)->off = 0;
	((struct pieces *)ctx)->rewinds++;
	return 0;
}

/* The send of m (len bytes, announced as size) read step bytes at a time
 * on session s: its status, the reason in err. */
static enum smtp_status
psend(struct smtp_session *s, const char *m, size_t len, size_t size, size_t step,
    int fail_at, char *err, size_t errlen)
{
	struct pieces			pc = { m, len, 0, step, fail_at, 0 };
	const struct smtp_source	src = { pieces_read, pieces_rewind, &pc, size };

	return smtp_session_send_source(s, FROM, TO, &src, err, errlen);
}

/* The checks made before any I/O, on a message read in pieces: the same
 * verdicts whatever the pieces (a CRLF, a long line or a NUL cut across
 * two reads), none of them a connection; then a message in pieces of 1
 * and 7 bytes delivered to the fake server, and a read failure that is
 * ours (not the server's). */
static void
test_source_pieces(void)
{
	static const size_t	 steps[] = { 1, 2, 3, 7, 65536 };
	static char		 line[1101];
	struct smtp_conf	 c;
	struct smtp_session	*s;
	struct fake		 f;
	char			 err[200];
	size_t			 i;

	conf_default(&c);
	CHECK((s = smtp_session_open(&c, err, sizeof(err))) != NULL);
	memset(line, 'x', sizeof(line));
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]) && s != NULL; i++) {
		size_t k = steps[i];

		CHECK_INT(psend(s, "a\nb\r\n", 5, 5, k, -1, err, sizeof(err)), SMTP_PERMFAIL);
		CHECK(strstr(err, "CR ou LF isolé") != NULL);
		CHECK_INT(psend(s, "a\rb\r\n", 5, 5, k, -1, err, sizeof(err)), SMTP_PERMFAIL);
		CHECK(strstr(err, "CR ou LF isolé") != NULL);
		CHECK_INT(psend(s, "a\r\r\n", 4, 4, k, -1, err, sizeof(err)), SMTP_PERMFAIL);
		CHECK(strstr(err, "CR ou LF isolé") != NULL);
		CHECK_INT(psend(s, "abc\r", 4, 4, k, -1, err, sizeof(err)), SMTP_PERMFAIL);
		CHECK(strstr(err, "CR ou LF isolé") != NULL);
		CHECK_INT(psend(s, "a\r\n\0b\r\n", 7, 7, k, -1, err, sizeof(err)), SMTP_PERMFAIL);
		CHECK(strstr(err, "NUL") != NULL);
		/* 999 bytes, then CRLF */
		line[999] = '\r';
		line[1000] = '\n';
		CHECK_INT(psend(s, line, 1001, 1001, k, -1, err, sizeof(err)), SMTP_PERMFAIL);
		CHECK(strstr(err, "998 octets") != NULL);
		CHECK_INT(psend(s, line, 999, 999, k, -1, err, sizeof(err)), SMTP_PERMFAIL);
		CHECK(strstr(err, "998 octets") != NULL);
		line[999] = 'x';
		line[1000] = 'x';
		CHECK_INT(psend(s, msg, sizeof(msg) - 1, sizeof(msg), k, -1, err, sizeof(err)),
		    SMTP_PERMFAIL);
		CHECK(strstr(err, "taille") != NULL);
		CHECK_INT(psend(s, msg, sizeof(msg) - 1, sizeof(msg) - 1, k, 10, err,
		    sizeof(err)), SMTP_PERMFAIL);
		CHECK(strstr(err, "illisible") != NULL);
		CHECK_INT(psend(s, msg, 0, 0, k, -1, err, sizeof(err)), SMTP_PERMFAIL);
		CHECK(strstr(err, "vide") != NULL);
		CHECK_INT(connections(), 0);
	}
	smtp_session_close(s);

	if (!CHECK(fake_start(&f, 0) == 0))
		return;
	conf_fake(&c, &f);
	CHECK((s = smtp_session_open(&c, err, sizeof(err))) != NULL);
	/* a 998-byte line with its CRLF cut across reads is fine */
	memcpy(line, "Subject: x\r\n\r\n", 14);
	line[1012] = '\r';
	line[1013] = '\n';
	CHECK_INT(psend(s, line, 1014, 1014, 1, -1, err, sizeof(err)), SMTP_SENT);
	CHECK_INT(psend(s, msg, sizeof(msg) - 1, sizeof(msg) - 1, 7, -1, err, sizeof(err)),
	    SMTP_SENT);
	CHECK_STR(err, "250 message accepté");
	CHECK_INT(fake_count(&f, 'M'), 2);
	smtp_session_close(s);
	fake_stop(&f);
}

int
main(void)
{
	if (smtp_global_init() == -1 || listener() == -1) {
		fprintf(stderr, "test_smtp: setup failed\n");
		return 1;
	}
	test_addresses();
	test_conf();
	test_refused_offline();
	test_long_line();
	test_control_connects();
	test_closed_port();
	close(lsock);
	if (!CHECK(make_cert() == 0))
		return t_done();
	test_session_reuse();
	test_session_failures();
	test_session_size();
	test_session_starttls();
	test_session_bad_ca();
	test_source_pieces();
	unlink(ca_path);
	gnutls_certificate_free_credentials(srv_cred);
	smtp_global_cleanup();
	return t_done();
}
