/*
 * test_imap - adapters/imap without a network: the FETCH list line parser
 * (untrusted server text) and the configuration checks made before any
 * connection; relay/inbox's contained parser (fork, limits, pipe, re-check)
 * and its zygote (one child per mail, pipelined requests, fallback to a
 * direct child when the zygote is gone, no key left in the zygote).
 */
#include "adapters/imap.h"
#include "adapters/mime.h"
#include "relay/inbox.h"
#include "relay/instance.h"
#include "tests/unit/t.h"

#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int
parse(const char *line, struct imap_msg *m)
{
	memset(m, 0, sizeof(*m));
	return imap_parse_fetch_line(line, strlen(line), m);
}

static void
test_fetch_lines(void)
{
	struct imap_msg m;

	CHECK_INT(parse("* 1 FETCH (UID 5 RFC822.SIZE 1234)", &m), 0);
	CHECK_INT(m.uid, 5);
	CHECK_INT(m.size, 1234);
	CHECK_INT(parse("* 12 FETCH (RFC822.SIZE 77 UID 4294967295)\r", &m), 0);
	CHECK_INT(m.uid, 4294967295U);
	CHECK_INT(m.size, 77);
	CHECK_INT(parse("* 3 fetch (uid 9 rfc822.size 0 FLAGS (\\Seen))", &m), 0);
	CHECK_INT(m.uid, 9);
	/* refused: overflow, zero UID, missing items, other answers */
	CHECK_INT(parse("* 1 FETCH (UID 4294967296 RFC822.SIZE 1)", &m), -1);
	CHECK_INT(parse("* 1 FETCH (UID 0 RFC822.SIZE 1)", &m), -1);
	CHECK_INT(parse("* 1 FETCH (UID 7)", &m), -1);
	CHECK_INT(parse("* 1 FETCH (RFC822.SIZE 7)", &m), -1);
	CHECK_INT(parse("* 2 EXISTS", &m), -1);
	CHECK_INT(parse("A004 OK FETCH (UID 1 RFC822.SIZE 2)", &m), -1);
	CHECK_INT(parse("* FETCH (UID 1 RFC822.SIZE 2)", &m), -1);
	CHECK_INT(parse("* 1 FETCH (XUID 1 RFC822.SIZE 2)", &m), -1);
	CHECK_INT(parse("", &m), -1);
}

static void
test_conf(void)
{
	struct imap_conf c = { "imaps://127.0.0.2:10993", "relais@x.test", "pw", "/ca.pem",
		0, 10 };
	struct imap_session *s;
	char err[256];

	s = imap_open(&c, err, sizeof(err));
	CHECK(s != NULL);
	imap_close(s);
	c.url = "imap://127.0.0.2:10143";
	CHECK(imap_open(&c, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "schéma") != NULL);
	c.starttls = 1;
	s = imap_open(&c, err, sizeof(err));
	CHECK(s != NULL);
	imap_close(s);
	c.starttls = 0;
	c.url = "imaps://127.0.0.2:10993/INBOX";
	CHECK(imap_open(&c, err, sizeof(err)) == NULL);
	c.url = "imaps://user@host:993";
	CHECK(imap_open(&c, err, sizeof(err)) == NULL);
	c.url = "imaps://host:99999";
	CHECK(imap_open(&c, err, sizeof(err)) == NULL);
	c.url = "imaps://host:993";
	c.ca_file = NULL;
	CHECK(imap_open(&c, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "CA") != NULL);
	c.ca_file = "/ca.pem";
	c.password = NULL;
	CHECK(imap_open(&c, err, sizeof(err)) == NULL);
}

static const char good[] = "From: Anne <Anne.Referente@caf.test>\r\n"
    "To: relais+0123456789abcdef0123@relay.test\r\nSubject: =?UTF-8?Q?R=C3=A9ponse?=\r\n"
    "Message-ID: <abc@caf.test>\r\n\r\nBonjour.\r\n";
static const char bad[] = "\x01\x02 ceci n'est pas un courriel";

static void
test_contained(void)
{
	struct parsed_mail m;
	char err[256];

	CHECK_INT(inbox_parse_contained(good, sizeof(good) - 1, &m, err, sizeof(err)), 0);
	CHECK_STR(m.from, "anne.referente@caf.test");
	CHECK_STR(m.subject, "Réponse");
	CHECK_STR(m.message_id, "abc@caf.test");
	CHECK(m.text != NULL && strstr(m.text, "Bonjour.") != NULL);
	mime_free(&m);
	CHECK_INT(inbox_parse_contained(bad, sizeof(bad) - 1, &m, err, sizeof(err)), -1);
	CHECK(strstr(err, "mal formé") != NULL);
	CHECK(m.from == NULL && m.n_att == 0);
}

/* Does /proc/pid/maps still show an address (a mapping holding it)? */
static int
mapped_in(pid_t pid, const void *addr)
{
	char path[64], line[512];
	unsigned long lo, hi, a = (unsigned long)addr;
	FILE *f;
	int hit = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && a >= lo && a < hi)
			hit = 1;
	fclose(f);
	return hit;
}

static int
parses_good(struct parsed_mail *m)
{
	int ok = m->from && strcmp(m->from, "anne.referente@caf.test") == 0 &&
	    m->subject && strcmp(m->subject, "Réponse") == 0 &&
	    m->text && strstr(m->text, "Bonjour.") != NULL;

	mime_free(m);
	return ok;
}

static void
test_zygote(void)
{
	struct instance in;
	struct inbox_parser *p;
	struct parsed_mail m;
	char err[256];
	pid_t zpid;
	int i, ok = 1;

	/* A KEK like instance_open's: sodium_malloc'd, read-only. */
	memset(&in, 0, sizeof(in));
	CHECK(sodium_init() >= 0);
	in.kek = sodium_malloc(32);
	CHECK(in.kek != NULL);
	memset(in.kek, 0x5a, 32);
	sodium_mprotect_readonly(in.kek);

	p = inbox_parser_start(&in);
	CHECK(p != NULL);
	zpid = inbox_parser_pid(p);
	CHECK(zpid > 0 && zpid != getpid());
	CHECK_INT(inbox_parser_parse(p, good, sizeof(good) - 1, &m, err, sizeof(err)), 0);
	CHECK(parses_good(&m));
	/* the zygote dropped the key: its pages are unmapped there, not here */
	CHECK_INT(mapped_in(zpid, in.kek), 0);
	CHECK_INT(mapped_in(getpid(), in.kek), 1);
	CHECK(in.kek[0] == 0x5a);
	/* a malformed mail fails alone; the next one parses */
	CHECK_INT(inbox_parser_parse(p, bad, sizeof(bad) - 1, &m, err, sizeof(err)), -1);
	CHECK(strstr(err, "mal formé") != NULL);
	CHECK(m.from == NULL && m.n_att == 0);
	for (i = 0; i < 50; i++) {
		if (inbox_parser_parse(p, good, sizeof(good) - 1, &m, err, sizeof(err)) != 0 ||
		    !parses_good(&m))
			ok = 0;
	}
	CHECK(ok);
	CHECK_INT(inbox_parser_pid(p), zpid);	/* still the same zygote */
	/* split: one request outstanding at most */
	CHECK_INT(inbox_parser_send(p, good, sizeof(good) - 1), 0);
	CHECK_INT(inbox_parser_send(p, bad, sizeof(bad) - 1), -1);
	CHECK_INT(inbox_parser_recv(p, good, sizeof(good) - 1, &m, err, sizeof(err)), 0);
	CHECK(parses_good(&m));
	/* the zygote dies with a request outstanding: the mail is parsed by
	 * a direct child, and so are the next ones */
	CHECK_INT(inbox_parser_send(p, good, sizeof(good) - 1), 0);
	CHECK_INT(kill(zpid, SIGKILL), 0);
	CHECK_INT(inbox_parser_recv(p, good, sizeof(good) - 1, &m, err, sizeof(err)), 0);
	CHECK(parses_good(&m));
	CHECK_INT(inbox_parser_pid(p), -1);
	CHECK_INT(inbox_parser_send(p, good, sizeof(good) - 1), -1);
	CHECK_INT(inbox_parser_parse(p, bad, sizeof(bad) - 1, &m, err, sizeof(err)), -1);
	CHECK(strstr(err, "mal formé") != NULL);
	inbox_parser_stop(p);
	/* reaped: no child of ours is left */
	CHECK(waitpid(-1, NULL, WNOHANG) < 0);
	/* no zygote at all (could not start): a direct child */
	CHECK_INT(inbox_parser_parse(NULL, good, sizeof(good) - 1, &m, err, sizeof(err)), 0);
	CHECK(parses_good(&m));
	inbox_parser_stop(NULL);
	sodium_free(in.kek);
}

int
main(void)
{
	test_fetch_lines();
	test_conf();
	test_contained();
	test_zygote();
	return t_done();
}
