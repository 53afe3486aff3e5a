/*
 * test_imap - adapters/imap without a network: the FETCH list line parser
 * (untrusted server text) and the configuration checks made before any
 * connection; relay/inbox's contained parser (fork, limits, pipe, re-check).
 */
#include "adapters/imap.h"
#include "adapters/mime.h"
#include "relay/inbox.h"
#include "tests/unit/t.h"

#include <stdlib.h>
#include <string.h>

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

static void
test_contained(void)
{
	static const char good[] = "From: Anne <Anne.Referente@caf.test>\r\n"
	    "To: relais+0123456789abcdef0123@relay.test\r\nSubject: =?UTF-8?Q?R=C3=A9ponse?=\r\n"
	    "Message-ID: <abc@caf.test>\r\n\r\nBonjour.\r\n";
	static const char bad[] = "\x01\x02 ceci n'est pas un courriel";
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

int
main(void)
{
	test_fetch_lines();
	test_conf();
	test_contained();
	return t_done();
}
