/*
 * test_sanitize - relay/sanitize: what a stranger's text becomes before a
 * terminal, a JSON value or a page sees it (ESC sequences, C1 CSI, bidi
 * overrides, invalid UTF-8), the one piece-name check (the U+009B name
 * that used to pass escalate and fail sealing), the on-disk names and
 * their numbering, and json_str going through it.
 */
#include "relay/json.h"
#include "relay/sanitize.h"
#include "relay/util.h"

#include "tests/unit/t.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char *
san(const char *s, int flags)
{
	static char out[1024];
	struct buf b;

	buf_init(&b, 4096);
	(void)san_append(&b, s, strlen(s), flags);
	fs_strlcpy(out, b.p ? b.p : "", sizeof(out));
	buf_free(&b);
	return out;
}

static void
test_text(void)
{
	struct buf b;

	/* Terminal attacks: window title, screen clear, OSC 52 clipboard. */
	CHECK_STR(san("a\x1b]0;pwn\x07" "b", 0), "a\xe2\x90\x9b]0;pwn\xe2\x90\x87" "b");
	CHECK_STR(san("\x1b[2J\x1b]52;c;ZWNobw==\x07", SAN_LINES),
	    "\xe2\x90\x9b[2J\xe2\x90\x9b]52;c;ZWNobw==\xe2\x90\x87");
	/* C1 CSI (U+009B) and NEL, DEL. */
	CHECK_STR(san("x\xc2\x9b" "31m\xc2\x85y\x7f", 0), "x<U+009B>31m<U+0085>y\xe2\x90\xa1");
	/* Bidirectional overrides and isolates, marks, separators. */
	CHECK_STR(san("x\xe2\x80\xae" "fdp.exe", 0), "x<U+202E>fdp.exe");
	CHECK_STR(san("\xe2\x81\xa6\xe2\x81\xa9\xe2\x80\x8f\xe2\x80\xa8\xd8\x9c", 0),
	    "<U+2066><U+2069><U+200F><U+2028><U+061C>");
	/* Invalid UTF-8 → U+FFFD, one per bad byte. */
	CHECK_STR(san("a\xff" "b\xc3", 0), "a\xef\xbf\xbd" "b\xef\xbf\xbd");
	/* Texts keep LF and TAB, drop the CR of CRLF, show a lone CR. */
	CHECK_STR(san("l1\r\nl2\tfin\rX\n", SAN_LINES), "l1\nl2\tfin\xe2\x90\x8dX\n");
	/* One-line values show LF and TAB. */
	CHECK_STR(san("a\nb\tc", 0), "a\xe2\x90\x8a" "b\xe2\x90\x89" "c");
	/* Ordinary French text is untouched, and so counted. */
	buf_init(&b, 4096);
	{
		const char *fr = "Réponse déjà vue — 12 € «ok»\n";

		CHECK_INT(san_append(&b, fr, strlen(fr), SAN_LINES), 0);
	}
	CHECK_STR(b.p, "Réponse déjà vue — 12 € «ok»\n");
	buf_free(&b);
	buf_init(&b, 4096);
	CHECK_INT(san_append(&b, "\x1b\xc2\x9b\r\n", 5, SAN_LINES), 3);
	buf_free(&b);
	CHECK_INT(san_clean("déjà\n", strlen("déjà\n"), SAN_LINES), 1);
	CHECK_INT(san_clean("déjà\n", strlen("déjà\n"), 0), 0);
	CHECK_INT(san_clean("x\xc2\x9b", 3, SAN_LINES), 0);
	CHECK_INT(san_clean("x\xe2\x80\xae", 4, SAN_LINES), 0);
	/* A full buffer cuts before the replacement, never inside it. */
	buf_init(&b, 6);
	(void)san_append(&b, "abcd\x1b" "efgh", 9, 0);
	CHECK_STR(b.p, "abcd");
	buf_free(&b);
	CHECK(san_dup(NULL, 0) == NULL);
	{
		char *d = san_dup("t\x1b", 0);

		CHECK_STR(d, "t\xe2\x90\x9b");
		free(d);
	}
}

static void
test_json(void)
{
	struct buf b;

	buf_init(&b, 4096);
	json_str(&b, "a\"\\\n\t\x1b[31m\xc2\x9b\xe2\x80\xae");
	CHECK_STR(b.p, "\"a\\\"\\\\\\n\\t\xe2\x90\x9b[31m<U+009B><U+202E>\"");
	buf_free(&b);
	buf_init(&b, 64);
	json_str(&b, NULL);
	CHECK_STR(b.p, "null");
	buf_free(&b);
}

static void
test_names(void)
{
	const char *why = NULL;

	CHECK_INT(san_name_check("justificatif.pdf", 16, 200, &why), 0);
	CHECK_INT(san_name_check("relevé d'impôt 2025.pdf", 25, 200, &why), 0);
	/* U+009B passed escalate (valid UTF-8, not C0) and failed sealing. */
	CHECK_INT(san_name_check("a\xc2\x9b.pdf", 7, 200, &why), -1);
	CHECK(strstr(why, "contrôle") != NULL);
	CHECK_INT(san_name_check("x\xe2\x80\xae" "fdp.exe", 11, 200, &why), -1);
	CHECK(strstr(why, "sens d'écriture") != NULL);
	CHECK_INT(san_name_check("a\x1b.pdf", 6, 200, &why), -1);
	CHECK_INT(san_name_check("a\n.pdf", 6, 200, &why), -1);
	CHECK(strstr(why, "retour à la ligne") != NULL);
	CHECK_INT(san_name_check("a/b.pdf", 7, 200, &why), -1);
	CHECK_INT(san_name_check("", 0, 200, &why), -1);
	CHECK_INT(san_name_check("ab\xff", 3, 200, &why), -1);
	CHECK(strstr(why, "UTF-8") != NULL);
	CHECK_INT(san_name_check("abcdef", 6, 5, &why), -1);
	CHECK(strstr(why, "trop long") != NULL);
}

static void
test_disk(void)
{
	char stem[SAN_DISK_MAX + 1], ext[SAN_DISK_MAX + 1], used[512], err[256];
	char dir[] = "/tmp/fsrelay-test-sanitize-XXXXXX";
	char big[400];
	int dfd, fd, i;

	san_disk_name("../../.bashrc", stem, ext);
	CHECK_STR(stem, "bashrc");
	CHECK_STR(ext, "");
	san_disk_name("C:\\Users\\x\\x\xe2\x80\xae" "fdp.exe", stem, ext);
	CHECK_STR(stem, "x_fdp");
	CHECK_STR(ext, ".exe");
	san_disk_name("a:b\x1b\xc2\x9b\xff.pdf", stem, ext);
	CHECK_STR(stem, "a_b___");
	CHECK_STR(ext, ".pdf");
	san_disk_name("...", stem, ext);
	CHECK_STR(stem, "piece");
	memset(big, 'a', sizeof(big) - 5);
	memcpy(big + sizeof(big) - 5, ".pdf", 5);
	san_disk_name(big, stem, ext);
	CHECK_INT((int)(strlen(stem) + strlen(ext)), SAN_DISK_MAX);
	CHECK_STR(ext, ".pdf");

	/* Clashes numbered as `open` does: name, name-1, name-2... */
	CHECK(mkdtemp(dir) != NULL);
	dfd = open(dir, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	for (i = 0; i < 3; i++) {
		fd = san_create(dfd, "releve.pdf", used, sizeof(used), err, sizeof(err));
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
		CHECK_STR(used, i == 0 ? "releve.pdf" : i == 1 ? "releve-1.pdf" :
		    "releve-2.pdf");
	}
	/* Never through a symlink. */
	CHECK_INT(symlinkat("/tmp", dfd, "lien"), 0);
	fd = san_create(dfd, "lien", used, sizeof(used), err, sizeof(err));
	CHECK(fd >= 0);
	CHECK_STR(used, "lien-1");
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, "lien", 0);
	unlinkat(dfd, "lien-1", 0);
	unlinkat(dfd, "releve.pdf", 0);
	unlinkat(dfd, "releve-1.pdf", 0);
	unlinkat(dfd, "releve-2.pdf", 0);
	close(dfd);
	CHECK_INT(rmdir(dir), 0);
}

int
main(void)
{
	test_text();
	test_json();
	test_names();
	test_disk();
	return t_done();
}
