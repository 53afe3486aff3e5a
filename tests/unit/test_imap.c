/*
 * test_imap - adapters/imap without a network: the FETCH list line parser
 * (untrusted server text) and the configuration checks made before any
 * connection; relay/inbox's contained parser (fork, limits, pipe, re-check)
 * and its zygote (one child per mail, pipelined requests, fallback to a
 * root of its own when the zygote is gone); the memory of a zygote and of
 * a child it forked, read through /proc/PID/mem, holds none of the keys
 * nor the passwords the daemon holds (a plain fork of this process does).
 */
#include "adapters/imap.h"
#include "adapters/mime.h"
#include "relay/inbox.h"
#include "relay/instance.h"
#include "tests/unit/t.h"

#include <fcntl.h>
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

static int	parses_good(struct parsed_mail *m);

/*
 * Does the memory of pid hold needle[0..n)?  Reads every readable mapping
 * of /proc/pid/maps (up to 64 MiB each) through /proc/pid/mem.  1 found, 0 not found, -1
 * nothing could be read (no right to read that process).
 */
static int
mem_holds(pid_t pid, const void *needle, size_t n)
{
	static char chunk[1 << 20];
	char path[64], line[512], perm[8];
	unsigned long lo, hi;
	size_t readable = 0;
	FILE *f;
	int fd, hit = 0;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/mem", (int)pid);
	if ((fd = open(path, O_RDONLY)) < 0) {
		fclose(f);
		return -1;
	}
	while (!hit && fgets(line, sizeof(line), f)) {
		unsigned long a;

		/* Mappings over 64 MiB are reservations (ASan's shadow
		 * memory: terabytes, reading them would fault in page tables
		 * for hours), not where a key or a password is kept. */
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perm) != 3 || perm[0] != 'r' ||
		    strstr(line, "[vvar") || strstr(line, "[vsyscall]") ||
		    hi - lo > 64UL * 1024 * 1024)
			continue;
		/* Chunks overlap by n - 1 bytes: no needle cut in two. */
		for (a = lo; a < hi && !hit; a += sizeof(chunk) - n) {
			size_t want = hi - a < sizeof(chunk) ? hi - a : sizeof(chunk);
			ssize_t got = pread(fd, chunk, want, (off_t)a);

			if (got <= 0)
				break;
			readable += (size_t)got;
			if ((size_t)got >= n && memmem(chunk, (size_t)got, needle, n))
				hit = 1;
			if ((size_t)got < want)
				break;
		}
	}
	close(fd);
	fclose(f);
	return hit ? 1 : readable ? 0 : -1;
}

/* The secrets of a daemon, made at run time (a literal would be in the
 * binary's image, hence in any process running it). */
struct secrets {
	uint8_t	identity[32];		/* the relay's age X25519 secret */
	char	identity_text[80];	/* its file's text (hex here) */
	char	imap_pw[40], smtp_pw[40];
};

static void
secrets_make(struct instance *in, struct secrets *s)
{
	uint8_t **keys[] = { &in->kek, &in->index_key, &in->hmac_key, &in->signing_sk };
	uint8_t r[16];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		size_t n = keys[i] == &in->signing_sk ? 64 : 32;

		*keys[i] = sodium_malloc(n);
		randombytes_buf(*keys[i], n);
		sodium_mprotect_readonly(*keys[i]);
	}
	randombytes_buf(s->identity, sizeof(s->identity));
	sodium_bin2hex(s->identity_text, sizeof(s->identity_text), s->identity,
	    sizeof(s->identity));
	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(s->imap_pw, sizeof(s->imap_pw), r, sizeof(r));
	randombytes_buf(r, sizeof(r));
	sodium_bin2hex(s->smtp_pw, sizeof(s->smtp_pw), r, sizeof(r));
	/* The configuration holds the passwords as the daemon's would. */
	in->cfg.imap_password_file = strdup(s->imap_pw);
	in->cfg.smtp_password_file = strdup(s->smtp_pw);
}

/* How many of the secrets pid's memory holds (-1: unreadable). */
static int
secrets_in(pid_t pid, const struct instance *in, const struct secrets *s)
{
	const void *p[] = { in->kek, in->index_key, in->hmac_key, in->signing_sk,
		s->identity, s->identity_text, s->imap_pw, s->smtp_pw };
	const size_t n[] = { 32, 32, 32, 64, 32, strlen(s->identity_text),
		strlen(s->imap_pw), strlen(s->smtp_pw) };
	size_t i;
	int found = 0, r;

	for (i = 0; i < sizeof(p) / sizeof(p[0]); i++) {
		if ((r = mem_holds(pid, p[i], n[i])) < 0)
			return -1;
		found += r;
	}
	return found;
}

/* Wait (up to 5 s) until pid runs the new image: between fork and
 * execve it is still a copy of this process (it reads nothing then). */
static int
executed(pid_t pid)
{
	char path[64], argv0[64];
	int i;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	for (i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		size_t n = f ? fread(argv0, 1, sizeof(argv0) - 1, f) : 0;

		if (f)
			fclose(f);
		argv0[n] = '\0';
		if (strcmp(argv0, "fsrelay-analyseur") == 0)
			return 1;
		usleep(10000);
	}
	return 0;
}

/* The first child of pid (/proc), waited for up to 5 s; -1 if none. */
static pid_t
first_child(pid_t pid)
{
	char path[80];
	int i, c = -1;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	for (i = 0; i < 500 && c <= 0; i++) {
		FILE *f = fopen(path, "r");

		if (f == NULL || fscanf(f, "%d", &c) != 1)
			c = -1;
		if (f)
			fclose(f);
		if (c <= 0)
			usleep(10000);
	}
	return c;
}

static void
test_memory(void)
{
	struct instance in;
	struct secrets s;
	struct inbox_parser *p;
	struct parsed_mail m;
	char err[256];
	pid_t plain, zpid, kid;

	memset(&in, 0, sizeof(in));
	CHECK(sodium_init() >= 0);
	secrets_make(&in, &s);
	/* The scan finds them where they are: in a plain fork of this
	 * process (what a zygote forked from the daemon was). */
	if ((plain = fork()) == 0) {
		pause();
		_exit(0);
	}
	CHECK(plain > 0);
	CHECK_INT(secrets_in(plain, &in, &s), 8);
	kill(plain, SIGKILL);
	waitpid(plain, NULL, 0);

	/* A zygote: none of them, before and after a parse. */
	p = inbox_parser_start(&in);
	CHECK(p != NULL);
	zpid = inbox_parser_pid(p);
	CHECK(executed(zpid));
	CHECK_INT(secrets_in(zpid, &in, &s), 0);
	CHECK_INT(inbox_parser_parse(p, good, sizeof(good) - 1, &m, err, sizeof(err)), 0);
	CHECK(parses_good(&m));
	CHECK_INT(secrets_in(zpid, &in, &s), 0);
	inbox_parser_stop(p);

	/* A child caught while parsing (the hook keeps it alive): none. */
	in.cfg.test_clock = 1;
	setenv("FSRELAY_TEST_FAULT", "parser-hold", 1);
	p = inbox_parser_start(&in);
	CHECK(p != NULL);
	zpid = inbox_parser_pid(p);
	CHECK_INT(inbox_parser_send(p, good, sizeof(good) - 1), 0);
	kid = first_child(zpid);
	CHECK(kid > 0);
	CHECK(mem_holds(kid, "relais+0123456789abcdef0123@relay.test", 38) == 1);
	CHECK_INT(secrets_in(kid, &in, &s), 0);
	CHECK_INT(kill(kid, SIGKILL), 0);
	CHECK_INT(inbox_parser_recv(p, good, sizeof(good) - 1, &m, err, sizeof(err)), -1);
	CHECK(strstr(err, "signal 9") != NULL);
	inbox_parser_stop(p);
	/* Hooks off again for the next roots. */
	unsetenv("FSRELAY_TEST_FAULT");
	inbox_parser_stop(inbox_parser_start(&in));
	in.cfg.test_clock = 0;
	free(in.cfg.imap_password_file);
	free(in.cfg.smtp_password_file);
	sodium_free(in.kek);
	sodium_free(in.index_key);
	sodium_free(in.hmac_key);
	sodium_free(in.signing_sk);
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
	/* a fresh image: the key's pages are not mapped there, only here */
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
	test_memory();
	return t_done();
}
