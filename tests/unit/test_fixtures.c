/*
 * test_fixtures - run mime_parse + match_decide over every message of
 * tests/fixtures/mail/ with a fake context (four cases, a directory, the
 * partners' domains) and compare with tests/fixtures/mail/expected.txt.
 * Fails on a missing file, on a .eml without an expected line, and on any
 * difference.  Each parsed mail also goes through mime_serialize /
 * mime_deserialize and must give the same decision.
 */
#include "adapters/mime.h"
#include "relay/match.h"
#include "relay/token.h"
#include "relay/util.h"

#include "tests/unit/t.h"

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIXDIR	"tests/fixtures/mail"

struct fcase {
	const char		*ref;
	enum case_state		 state;
	const char		*partner;
	const char		*token;
	const char *const	*rcpt;
	size_t			 n;
};

static const char *const rcpt_a[] = { "sophie.martin@caf92.exemple.fr",
    "marc.leroy@caf92.exemple.fr" };
static const char *const rcpt_b[] = { "claire.dubois@cpam92.exemple.fr" };
static const char *const rcpt_c[] = { "julien.petit@dgfip.exemple.fr" };
static const char *const rcpt_d[] = { "nadia.benali@ants.exemple.fr" };

static struct fcase cases[] = {
	{ "FS-92032-2026-000101", CASE_AWAITING, "caf", NULL, rcpt_a, 2 },
	{ "FS-92032-2026-000102", CASE_AWAITING, "cpam", NULL, rcpt_b, 1 },
	{ "FS-75056-2026-000007", CASE_RESOLVED, "dgfip", NULL, rcpt_c, 1 },
	{ "FS-2A004-2026-000015", CASE_AWAITING, "ants", NULL, rcpt_d, 1 },
};
static char tokens[FS_ARRAY_LEN(cases)][TOKEN_REPLY_LEN + 1];

static const char *const directory[] = { "sophie.martin@caf92.exemple.fr",
    "marc.leroy@caf92.exemple.fr", "helene.roux@caf92.exemple.fr",
    "claire.dubois@cpam92.exemple.fr", "julien.petit@dgfip.exemple.fr",
    "nadia.benali@ants.exemple.fr" };

static const char *const domains[][2] = {
	{ "caf", "caf92.exemple.fr" }, { "cpam", "cpam92.exemple.fr" },
	{ "cpam", "assurance-maladie.exemple.fr" },
	{ "dgfip", "dgfip.exemple.fr" }, { "ants", "ants.exemple.fr" },
};

static const struct { const char *ref; int64_t id; const char *to; }
    deliveries[] = {
	{ "FS-92032-2026-000101", 1, "sophie.martin@caf92.exemple.fr" },
	{ "FS-92032-2026-000101", 2, "marc.leroy@caf92.exemple.fr" },
	{ "FS-92032-2026-000102", 1, "claire.dubois@cpam92.exemple.fr" },
	{ "FS-92032-2026-000102", 2, "claire.dubois@cpam92.exemple.fr" },
	{ "FS-75056-2026-000007", 1, "julien.petit@dgfip.exemple.fr" },
	{ "FS-2A004-2026-000015", 1, "nadia.benali@ants.exemple.fr" },
};

static void
fill(const struct fcase *c, struct match_case *out)
{
	fs_strlcpy(out->ref, c->ref, sizeof(out->ref));
	out->state = c->state;
	fs_strlcpy(out->partner, c->partner, sizeof(out->partner));
	out->recipients = c->rcpt;
	out->n_recipients = c->n;
}

static int
cb_ref(void *arg, const char *ref, struct match_case *out)
{
	size_t i;

	(void)arg;
	for (i = 0; i < FS_ARRAY_LEN(cases); i++)
		if (strcmp(cases[i].ref, ref) == 0) {
			fill(&cases[i], out);
			return 0;
		}
	return 1;
}

static int
cb_token(void *arg, const char *tok, struct match_case *out)
{
	size_t i;

	(void)arg;
	for (i = 0; i < FS_ARRAY_LEN(cases); i++)
		if (strcmp(tokens[i], tok) == 0) {
			fill(&cases[i], out);
			return 0;
		}
	return 1;
}

static int
cb_delivery(void *arg, const char *ref, int64_t id, char *addr, size_t len)
{
	size_t i;

	(void)arg;
	for (i = 0; i < FS_ARRAY_LEN(deliveries); i++)
		if (strcmp(deliveries[i].ref, ref) == 0 &&
		    deliveries[i].id == id) {
			fs_strlcpy(addr, deliveries[i].to, len);
			return 0;
		}
	return 1;
}

static int
cb_directory(void *arg, const char *addr)
{
	size_t i;

	(void)arg;
	for (i = 0; i < FS_ARRAY_LEN(directory); i++)
		if (strcmp(directory[i], addr) == 0)
			return 1;
	return 0;
}

static int
cb_domain(void *arg, const char *partner, const char *dom)
{
	size_t i;

	(void)arg;
	for (i = 0; i < FS_ARRAY_LEN(domains); i++)
		if (strcmp(domains[i][0], partner) == 0 &&
		    strcmp(domains[i][1], dom) == 0)
			return 1;
	return 0;
}

static uint8_t hmac_key[32];

static const struct match_ctx ctx = {
	.relay_address = "relais@relay.fsrelay.test",
	.authserv_id = "mx.relay.fsrelay.test",
	.hmac_key = hmac_key,
	.case_by_ref = cb_ref,
	.case_by_token = cb_token,
	.delivery_recipient = cb_delivery,
	.is_directory_address = cb_directory,
	.partner_has_domain = cb_domain,
	.arg = NULL,
};

/* Decide for one raw message; 0 parsed, -1 malformed. */
static int
decide_raw(const char *raw, size_t len, struct match_decision *d,
    struct match_decision *d2)
{
	struct parsed_mail m, m2;
	struct buf ser;
	char err[128];
	int rc = 0;

	if (mime_parse(raw, len, &m, err, sizeof(err)) == -1) {
		CHECK(err[0] != '\0');
		CHECK_INT(match_decide(NULL, &ctx, d), 0);
		*d2 = *d;
		return -1;
	}
	CHECK_INT(match_decide(&m, &ctx, d), 0);
	buf_init(&ser, 64 * 1024 * 1024);
	CHECK_INT(mime_serialize(&m, &ser), 0);
	if (mime_deserialize((const uint8_t *)ser.p, ser.len, &m2) == 0) {
		CHECK_INT(match_decide(&m2, &ctx, d2), 0);
		mime_free(&m2);
	} else {
		CHECK(!"mime_deserialize refused what mime_serialize wrote");
		rc = -1;
	}
	buf_free(&ser);
	mime_free(&m);
	return rc;
}

/* Compare one optional "key=value" of an expected line. */
static int
check_opt(const char *file, const char *opt, const struct match_decision *d)
{
	const char *eq = strchr(opt, '=');
	int want, got;

	if (eq == NULL)
		return -1;
	if (strncmp(opt, "key=", 4) == 0)
		return strcmp(match_key_name(d->key), eq + 1) == 0 ? 0 :
		    (fprintf(stderr, "%s: key %s\n", file,
		    match_key_name(d->key)), -1);
	if ((eq[1] != '0' && eq[1] != '1') || eq[2] != '\0')
		return -1;
	want = eq[1] - '0';
	if (strncmp(opt, "breach=", 7) == 0)
		got = d->suspected_breach;
	else if (strncmp(opt, "permanent=", 10) == 0)
		got = d->dsn_permanent;
	else if (strncmp(opt, "mismatch=", 9) == 0)
		got = d->final_recipient_mismatch;
	else if (strncmp(opt, "security=", 9) == 0)
		got = d->security_event;
	else
		return -1;
	if (got != want)
		fprintf(stderr, "%s: %.*s got %d\n", file, (int)(eq - opt), opt,
		    got);
	return got == want ? 0 : -1;
}

static int
same_decision(const struct match_decision *a, const struct match_decision *b)
{
	return a->cls == b->cls && a->reason == b->reason &&
	    strcmp(a->ref, b->ref) == 0 && a->flagged == b->flagged &&
	    a->absence == b->absence && a->dsn_permanent == b->dsn_permanent &&
	    a->final_recipient_mismatch == b->final_recipient_mismatch &&
	    a->security_event == b->security_event &&
	    a->suspected_breach == b->suspected_breach;
}

/* Split s in place on blanks into at most max words. */
static size_t
split_words(char *s, char **w, size_t max)
{
	size_t n = 0;

	while (*s != '\0' && n < max) {
		while (*s == ' ' || *s == '\t')
			*s++ = '\0';
		if (*s == '\0')
			break;
		w[n++] = s;
		s += strcspn(s, " \t");
	}
	return n;
}

/* Check one line of expected.txt; returns 0 when it matches. */
static int
check_line(char *line)
{
	char *tok[16], path[512];
	struct match_decision d, d2;
	struct buf raw;
	size_t n = 0, i;
	int ok = 1;

	n = split_words(line, tok, 16);
	if (n < 6) {
		fprintf(stderr, "expected.txt: ligne invalide (%s)\n", line);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", FIXDIR, tok[0]);
	buf_init(&raw, MIME_MSG_MAX + 1);
	if (buf_read_file(&raw, path) == -1) {
		fprintf(stderr, "%s: fichier absent\n", path);
		return -1;
	}
	(void)decide_raw(raw.p, raw.len, &d, &d2);
	buf_free(&raw);
	if (strcmp(mail_class_name(d.cls), tok[1]) != 0 ||
	    strcmp(quarantine_reason_name(d.reason), tok[2]) != 0 ||
	    strcmp(d.ref[0] ? d.ref : "-", tok[3]) != 0 ||
	    d.flagged != tok[4][0] - '0' || d.absence != tok[5][0] - '0') {
		fprintf(stderr, "%s: got %s %s %s %d %d (%s)\n", tok[0],
		    mail_class_name(d.cls), quarantine_reason_name(d.reason),
		    d.ref[0] ? d.ref : "-", d.flagged, d.absence, d.why);
		ok = 0;
	}
	for (i = 6; i < n; i++)
		if (check_opt(tok[0], tok[i], &d) == -1)
			ok = 0;
	if (!same_decision(&d, &d2)) {
		fprintf(stderr, "%s: decision differs after serialisation\n",
		    tok[0]);
		ok = 0;
	}
	return ok ? 0 : -1;
}

/* Every .eml of the directory must be listed. */
static void
check_all_listed(const char *listed)
{
	DIR *dir = opendir(FIXDIR);
	struct dirent *e;
	size_t l;
	int n = 0;

	CHECK(dir != NULL);
	while (dir != NULL && (e = readdir(dir)) != NULL) {
		l = strlen(e->d_name);
		if (l < 5 || strcmp(e->d_name + l - 4, ".eml") != 0)
			continue;
		n++;
		if (strstr(listed, e->d_name) == NULL) {
			fprintf(stderr, "%s: pas de ligne dans expected.txt\n",
			    e->d_name);
			CHECK(!"fixture not listed");
		}
	}
	if (dir != NULL)
		closedir(dir);
	CHECK(n >= 40);
}

int
main(void)
{
	struct buf exp, names;
	char *line, *nl;
	int lines = 0;
	size_t i;

	if (sodium_init() < 0)
		return 1;
	memset(hmac_key, 0x42, sizeof(hmac_key));
	for (i = 0; i < FS_ARRAY_LEN(cases); i++)
		token_reply(tokens[i], hmac_key, cases[i].ref);
	buf_init(&exp, 1024 * 1024);
	buf_init(&names, 1024 * 1024);
	CHECK_INT(buf_read_file(&exp, FIXDIR "/expected.txt"), 0);
	for (line = exp.p; line != NULL && *line != '\0';
	    line = nl != NULL ? nl + 1 : NULL) {
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		lines++;
		(void)buf_append(&names, line, strcspn(line, " \t"));
		(void)buf_puts(&names, "\n");
		if (check_line(line) == 0)
			CHECK(1);
		else
			CHECK(!"fixture outcome differs");
	}
	CHECK(lines >= 40);
	check_all_listed(names.p != NULL ? names.p : "");
	buf_free(&exp);
	buf_free(&names);
	return t_done();
}
