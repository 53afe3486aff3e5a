/*
 * test_match - unit tests of relay/match on hand-built parsed mails: the
 * closed lists of names, tag finding, key order and conflicts, HMAC
 * checking, sender tiers, auto-reply signals (and the human reply that
 * mentions an absence), DMARC reading, DSN checks, callback failures.
 */
#include "adapters/mime.h"
#include "relay/match.h"
#include "relay/token.h"
#include "relay/util.h"

#include "tests/unit/t.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define REF_A	"FS-92032-2026-000101"
#define REF_B	"FS-92032-2026-000102"
#define REF_X	"FS-75056-2026-000007"	/* closed */
#define RELAY	"relais@relay.fsrelay.test"

static uint8_t key[32];
static char tok_a[TOKEN_REPLY_LEN + 1];
static int fail_callbacks;
static int calls;

static const char *const rcpt_a[] = { "ref.a@caf.exemple.fr",
    "ref.a2@caf.exemple.fr" };
static const char *const rcpt_b[] = { "ref.b@cpam.exemple.fr" };

static int
cb_ref(void *arg, const char *ref, struct match_case *out)
{
	(void)arg;
	calls++;
	if (fail_callbacks)
		return -1;
	fs_strlcpy(out->ref, ref, sizeof(out->ref));
	if (strcmp(ref, REF_A) == 0) {
		out->state = CASE_AWAITING;
		fs_strlcpy(out->partner, "caf", sizeof(out->partner));
		out->recipients = rcpt_a;
		out->n_recipients = 2;
		return 0;
	}
	if (strcmp(ref, REF_B) == 0 || strcmp(ref, REF_X) == 0) {
		out->state = ref[3] == '7' ? CASE_RESOLVED : CASE_ANSWERED;
		fs_strlcpy(out->partner, "cpam", sizeof(out->partner));
		out->recipients = rcpt_b;
		out->n_recipients = 1;
		return 0;
	}
	return 1;
}

static int
cb_token(void *arg, const char *tok, struct match_case *out)
{
	if (strcmp(tok, tok_a) != 0)
		return 1;
	return cb_ref(arg, REF_A, out);
}

static int
cb_delivery(void *arg, const char *ref, int64_t id, char *addr, size_t len)
{
	(void)arg;
	if (strcmp(ref, REF_A) != 0 || id != 1)
		return 1;
	fs_strlcpy(addr, "ref.a@caf.exemple.fr", len);
	return 0;
}

static int
cb_directory(void *arg, const char *addr)
{
	(void)arg;
	return strcmp(addr, "ref.a@caf.exemple.fr") == 0 ||
	    strcmp(addr, "collegue@caf.exemple.fr") == 0;
}

static int
cb_domain(void *arg, const char *partner, const char *dom)
{
	(void)arg;
	return (strcmp(partner, "caf") == 0 &&
	    strcmp(dom, "caf.exemple.fr") == 0) ||
	    (strcmp(partner, "cpam") == 0 &&
	    strcmp(dom, "assurance-maladie.exemple.fr") == 0);
}

static int trusts_auth;	/* partner_trusts_auth answers this for caf */

static int
cb_trusts(void *arg, const char *partner)
{
	(void)arg;
	if (fail_callbacks)
		return -1;
	return trusts_auth && strcmp(partner, "caf") == 0;
}

static struct match_ctx ctx = {
	.relay_address = RELAY,
	.authserv_id = "mx.relay.fsrelay.test",
	.hmac_key = key,
	.case_by_ref = cb_ref,
	.case_by_token = cb_token,
	.delivery_recipient = cb_delivery,
	.is_directory_address = cb_directory,
	.partner_has_domain = cb_domain,
	.partner_trusts_auth = cb_trusts,
};

/* A minimal mail built in static storage (not freed with mime_free). */
struct tmail {
	struct parsed_mail	 m;
	char			*refs[4];
	char			*to[4];
	char			*ar[4];
	char			 mid[3][TOKEN_MSGID_MAX];
};

static void
tm_init(struct tmail *t, const char *from, const char *subject,
    const char *text)
{
	memset(t, 0, sizeof(*t));
	t->m.from = (char *)(uintptr_t)from;
	t->m.subject = (char *)(uintptr_t)subject;
	t->m.text = (char *)(uintptr_t)text;
	t->m.text_len = strlen(text);
	t->m.references.v = t->refs;
	t->m.to.v = t->to;
	t->m.auth_results.v = t->ar;
}

static const char *
mid(struct tmail *t, int slot, const char *ref, int64_t id)
{
	CHECK_INT(token_message_id(t->mid[slot], sizeof(t->mid[slot]), key,
	    ref, id, "relay.fsrelay.test"), 0);
	return t->mid[slot];
}

static struct match_decision
decide(const struct tmail *t)
{
	struct match_decision d;

	CHECK_INT(match_decide(&t->m, &ctx, &d), 0);
	return d;
}

static void
test_names(void)
{
	enum quarantine_reason r;
	char ref[CASE_REF_LEN + 1];

	CHECK_STR(quarantine_reason_name(QR_NONE), "-");
	CHECK_STR(quarantine_reason_name(QR_STRANGER), "stranger");
	CHECK_STR(quarantine_reason_name(QR_CONFLICTING_KEYS),
	    "conflicting-keys");
	CHECK_STR(quarantine_reason_name(QR_DSN_UNMATCHED), "dsn-unmatched");
	CHECK(quarantine_reason_name((enum quarantine_reason)99) == NULL);
	CHECK_INT(quarantine_reason_parse("case-closed", &r), 0);
	CHECK_INT(r, QR_CASE_CLOSED);
	CHECK_INT(quarantine_reason_parse("-", &r), -1);
	CHECK_INT(quarantine_reason_parse("Stranger", &r), -1);
	CHECK_STR(mail_class_name(MAIL_AUTOREPLY), "auto-reply");
	CHECK(mail_class_name((enum mail_class)42) == NULL);
	CHECK_STR(match_key_name(MK_TOKEN), "token");

	CHECK_INT(match_find_tag("RE: [FS-92032-2026-000101] x", ref), 0);
	CHECK_STR(ref, REF_A);
	CHECK_INT(match_find_tag("[x] [FS-2A004-2026-000015]", ref), 0);
	CHECK_STR(ref, "FS-2A004-2026-000015");
	CHECK_INT(match_find_tag("[FS-92032-2026-00010]", ref), -1);
	CHECK_INT(match_find_tag("FS-92032-2026-000101", ref), -1);
	CHECK_INT(match_find_tag("[FS-9203X-2026-000101]", ref), -1);
	CHECK_INT(match_find_tag("[", ref), -1);
}

static void
test_keys(void)
{
	struct tmail t;
	struct match_decision d;
	char forged[TOKEN_MSGID_MAX];
	char to[128];

	/* Message-ID in In-Reply-To. */
	tm_init(&t, "ref.a@caf.exemple.fr", "Re: x", "ok\n");
	t.m.in_reply_to = (char *)(uintptr_t)mid(&t, 0, REF_A, 2);
	d = decide(&t);
	CHECK_INT(d.cls, MAIL_HUMAN);
	CHECK_INT(d.reason, QR_NONE);
	CHECK_STR(d.ref, REF_A);
	CHECK_INT(d.key, MK_MESSAGE_ID);
	CHECK_INT(d.delivery_id, 2);
	CHECK(d.why[0] != '\0');

	/* A forged HMAC is no key: the sender is a directory address with
	 * no case → no-case. */
	fs_strlcpy(forged, t.mid[0], sizeof(forged));
	forged[CASE_REF_LEN + 3] = forged[CASE_REF_LEN + 3] == 'a' ? 'b' : 'a';
	t.m.in_reply_to = forged;
	d = decide(&t);
	CHECK_INT(d.reason, QR_NO_CASE);
	CHECK_STR(d.ref, "");

	/* References only, rightmost wins ties; same case twice is fine. */
	t.m.in_reply_to = NULL;
	t.refs[0] = (char *)(uintptr_t)"unrelated@elsewhere";
	t.refs[1] = (char *)(uintptr_t)mid(&t, 1, REF_A, 1);
	t.m.references.n = 2;
	t.m.subject = (char *)(uintptr_t)"Re: [" REF_A "]";
	d = decide(&t);
	CHECK_INT(d.reason, QR_NONE);
	CHECK_STR(d.ref, REF_A);
	CHECK_INT(d.key, MK_MESSAGE_ID);

	/* Tag of another case → conflicting keys, no ref given. */
	t.m.subject = (char *)(uintptr_t)"Re: [" REF_B "]";
	d = decide(&t);
	CHECK_INT(d.reason, QR_CONFLICTING_KEYS);
	CHECK_STR(d.ref, "");

	/* Token alone, in To. */
	tm_init(&t, "ref.a@caf.exemple.fr", "suite", "ok\n");
	snprintf(to, sizeof(to), "relais+%s@relay.fsrelay.test", tok_a);
	t.to[0] = to;
	t.m.to.n = 1;
	d = decide(&t);
	CHECK_INT(d.reason, QR_NONE);
	CHECK_STR(d.ref, REF_A);
	CHECK_INT(d.key, MK_TOKEN);
	/* Case-insensitive. */
	for (size_t i = 0; to[i] != '\0'; i++)
		if (to[i] >= 'a' && to[i] <= 'z')
			to[i] = (char)(to[i] - 'a' + 'A');
	d = decide(&t);
	CHECK_INT(d.reason, QR_NONE);
	CHECK_INT(d.key, MK_TOKEN);
	/* Token on another domain or another local part is no key. */
	snprintf(to, sizeof(to), "relais+%s@autre.exemple.fr", tok_a);
	CHECK_INT(decide(&t).reason, QR_NO_CASE);
	snprintf(to, sizeof(to), "autre+%s@relay.fsrelay.test", tok_a);
	CHECK_INT(decide(&t).reason, QR_NO_CASE);

	/* A tag of a case that does not exist is no key. */
	tm_init(&t, "ref.a@caf.exemple.fr", "[FS-99999-2026-000001]", "x\n");
	CHECK_INT(decide(&t).reason, QR_NO_CASE);
}

static void
test_tiers(void)
{
	struct tmail t;
	struct match_decision d;

	/* The subject tag alone (guessable) attaches nothing: unverified,
	 * the case named for the agent, even from a recipient (issue 16). */
	tm_init(&t, "ref.a2@caf.exemple.fr", "Re: [" REF_A "]", "ok\n");
	d = decide(&t);
	CHECK_INT(d.reason, QR_UNVERIFIED);
	CHECK_STR(d.ref, REF_A);
	CHECK_INT(d.key, MK_TAG);
	CHECK_INT(d.security_event, 1);
	CHECK_INT(d.suspected_breach, 0);
	t.m.auto_submitted = (char *)(uintptr_t)"auto-replied (vacation)";
	d = decide(&t);
	CHECK_INT(d.cls, MAIL_AUTOREPLY);
	CHECK_INT(d.reason, QR_UNVERIFIED);	/* a forged absence moves nothing */
	t.m.auto_submitted = NULL;

	/* With our Message-ID, the sender tiers apply. */
	t.m.in_reply_to = (char *)(uintptr_t)mid(&t, 2, REF_A, 1);
	d = decide(&t);
	CHECK_INT(d.reason, QR_NONE);
	CHECK_INT(d.flagged, 0);
	CHECK_INT(d.security_event, 0);
	CHECK_INT(d.key, MK_MESSAGE_ID);

	/* A valid key but a sender the case was not sent to (a directory
	 * address, the partner's domain): key and sender disagree, the
	 * agent confirms (issue 16, point 1). */
	t.m.from = (char *)(uintptr_t)"collegue@caf.exemple.fr";
	d = decide(&t);
	CHECK_INT(d.reason, QR_UNVERIFIED);
	CHECK_STR(d.ref, REF_A);
	CHECK_INT(d.key, MK_MESSAGE_ID);
	CHECK_INT(d.flagged, 1);
	CHECK_INT(d.security_event, 1);
	CHECK_INT(d.suspected_breach, 0);
	/* Same with the reply token. */
	t.m.in_reply_to = NULL;
	{
		char to[128];

		snprintf(to, sizeof(to), "relais+%s@relay.fsrelay.test", tok_a);
		t.to[0] = to;
		t.m.to.n = 1;
		d = decide(&t);
		CHECK_INT(d.reason, QR_UNVERIFIED);
		CHECK_INT(d.key, MK_TOKEN);
		t.m.from = (char *)(uintptr_t)"ref.a@caf.exemple.fr";
		CHECK_INT(decide(&t).reason, QR_NONE);
		t.m.to.n = 0;
	}

	/* Partner's (national) domain. */
	tm_init(&t, "inconnu@assurance-maladie.exemple.fr", "Re: [" REF_B "]",
	    "ok\n");
	t.m.in_reply_to = (char *)(uintptr_t)mid(&t, 2, REF_B, 1);
	d = decide(&t);
	CHECK_INT(d.reason, QR_UNVERIFIED);
	CHECK_STR(d.ref, REF_B);
	CHECK_INT(d.flagged, 1);
	/* ...but not the domain of another partner. */
	t.m.from = (char *)(uintptr_t)"inconnu@caf.exemple.fr";
	d = decide(&t);
	CHECK_INT(d.reason, QR_STRANGER);
	CHECK_INT(d.suspected_breach, 1);
	CHECK_INT(d.security_event, 1);
	CHECK_STR(d.ref, REF_B);

	/* Stranger without keys: no breach, unless the text quotes one. */
	tm_init(&t, "x@spam.exemple.net", "Promo", "Achetez !\n");
	d = decide(&t);
	CHECK_INT(d.reason, QR_STRANGER);
	CHECK_INT(d.suspected_breach, 0);
	CHECK_INT(d.security_event, 1);
	t.m.text = (char *)(uintptr_t)"voir le dossier " REF_A " svp\n";
	CHECK_INT(decide(&t).suspected_breach, 1);
	t.m.text = (char *)(uintptr_t)"voir FS-99999-2026-000001\n";
	CHECK_INT(decide(&t).suspected_breach, 0);
	{
		char text[400];

		snprintf(text, sizeof(text), "> Message-ID: <%s>\n",
		    mid(&t, 0, "FS-13055-2026-000999", 1));
		t.m.text = text;
		CHECK_INT(decide(&t).suspected_breach, 1);
	}

	/* Closed case; the stranger check comes first. */
	tm_init(&t, "ref.b@cpam.exemple.fr", "Re: [" REF_X "]", "x\n");
	d = decide(&t);
	CHECK_INT(d.reason, QR_CASE_CLOSED);
	CHECK_STR(d.ref, REF_X);
	t.m.from = (char *)(uintptr_t)"x@spam.exemple.net";
	CHECK_INT(decide(&t).reason, QR_STRANGER);
}

static void
test_autoreply(void)
{
	struct tmail t;
	struct match_decision d;

	tm_init(&t, "ref.a@caf.exemple.fr", "Re: [" REF_A "]", "Merci\n");
	t.m.in_reply_to = (char *)(uintptr_t)mid(&t, 2, REF_A, 1);
	t.m.auto_submitted = (char *)(uintptr_t)"no";
	CHECK_INT(decide(&t).cls, MAIL_HUMAN);
	t.m.auto_submitted = (char *)(uintptr_t)"auto-replied";
	d = decide(&t);
	CHECK_INT(d.cls, MAIL_AUTOREPLY);
	CHECK_INT(d.absence, 0);
	CHECK_INT(d.reason, QR_NONE);
	t.m.auto_submitted = (char *)(uintptr_t)"auto-replied (vacation)";
	CHECK_INT(decide(&t).absence, 1);
	t.m.auto_submitted = NULL;
	t.m.precedence = (char *)(uintptr_t)"list";
	CHECK_INT(decide(&t).cls, MAIL_AUTOREPLY);
	t.m.precedence = (char *)(uintptr_t)"first-class";
	CHECK_INT(decide(&t).cls, MAIL_HUMAN);
	t.m.precedence = NULL;
	t.m.x_autorespond = (char *)(uintptr_t)"";
	CHECK_INT(decide(&t).cls, MAIL_AUTOREPLY);
	t.m.x_autorespond = NULL;

	/* Subject. */
	t.m.subject = (char *)(uintptr_t)"Réponse automatique : [" REF_A "]";
	d = decide(&t);
	CHECK_INT(d.cls, MAIL_AUTOREPLY);
	CHECK_INT(d.absence, 0);
	t.m.subject = (char *)(uintptr_t)"Out of Office: [" REF_A "]";
	d = decide(&t);
	CHECK_INT(d.cls, MAIL_AUTOREPLY);
	CHECK_INT(d.absence, 1);

	/* Opening of the text, after a greeting, no quote. */
	t.m.subject = (char *)(uintptr_t)"Re: [" REF_A "]";
	t.m.text = (char *)(uintptr_t)"Bonjour,\n\nJe suis absente jusqu'au "
	    "25 mai.\n";
	d = decide(&t);
	CHECK_INT(d.cls, MAIL_AUTOREPLY);
	CHECK_INT(d.absence, 1);
	/* Same words deep in a human reply: human. */
	t.m.text = (char *)(uintptr_t)"Bonjour,\nLe dossier est traité.\n"
	    "Le paiement suit.\nL'usager est prévenu.\nJe suis absente "
	    "demain.\n";
	d = decide(&t);
	CHECK_INT(d.cls, MAIL_HUMAN);
	CHECK_INT(d.absence, 0);
	/* At the opening, but the mail quotes ours: a person replied. */
	t.m.text = (char *)(uintptr_t)"Je suis absente demain mais voici la "
	    "réponse : c'est fait.\n\nLe 12 mai 2026, relais a écrit :\n"
	    "> Bonjour\n";
	CHECK_INT(decide(&t).cls, MAIL_HUMAN);
	/* Read receipt. */
	t.m.text = (char *)(uintptr_t)"Lu.\n";
	t.m.report_mdn = 1;
	d = decide(&t);
	CHECK_INT(d.cls, MAIL_AUTOREPLY);
	CHECK_INT(d.absence, 0);
}

static void
test_loop_dmarc(void)
{
	struct tmail t;
	struct match_decision d;

	tm_init(&t, RELAY, "[" REF_A "]", "x\n");
	CHECK_INT(decide(&t).reason, QR_LOOP);
	tm_init(&t, "ref.a@caf.exemple.fr", "[" REF_A "]", "x\n");
	t.m.message_id = (char *)(uintptr_t)mid(&t, 0, REF_A, 3);
	d = decide(&t);
	CHECK_INT(d.cls, MAIL_LOOP);
	CHECK_INT(d.reason, QR_LOOP);
	t.m.message_id = NULL;
	t.m.x_loop.v = t.refs;
	t.refs[0] = (char *)(uintptr_t)"Relais@Relay.FSRelay.test";
	t.m.x_loop.n = 1;
	CHECK_INT(decide(&t).reason, QR_LOOP);
	t.m.x_loop.n = 0;
	t.m.in_reply_to = (char *)(uintptr_t)mid(&t, 2, REF_A, 1);

	/* DMARC: only the trusted authserv-id counts. */
	t.ar[0] = (char *)(uintptr_t)"mx.autre.exemple.net; dmarc=fail";
	t.m.auth_results.n = 1;
	CHECK_INT(decide(&t).reason, QR_NONE);
	t.ar[0] = (char *)(uintptr_t)"mx.relay.fsrelay.test 1; spf=pass; "
	    "dmarc=fail (p=none) header.from=caf.exemple.fr";
	d = decide(&t);
	CHECK_INT(d.reason, QR_DMARC_FAIL);
	CHECK_INT(d.security_event, 1);
	CHECK_STR(d.ref, REF_A);
	t.ar[0] = (char *)(uintptr_t)"MX.relay.fsrelay.test; dkim=fail "
	    "header.d=caf.exemple.fr; dkim=pass header.d=caf.exemple.fr";
	CHECK_INT(decide(&t).reason, QR_NONE);
	t.ar[0] = (char *)(uintptr_t)"mx.relay.fsrelay.test; dkim=fail "
	    "header.d=caf.exemple.fr; dkim=pass header.d=autre.exemple.net";
	CHECK_INT(decide(&t).reason, QR_DMARC_FAIL);
	t.ar[0] = (char *)(uintptr_t)"mx.relay.fsrelay.test; dkim=fail; "
	    "dkim=pass header.i=@mail.caf.exemple.fr";
	CHECK_INT(decide(&t).reason, QR_NONE);
	t.ar[0] = (char *)(uintptr_t)"mx.relay.fsrelay.test; dkim=fail; "
	    "dmarc=pass";
	CHECK_INT(decide(&t).reason, QR_NONE);
	t.ar[0] = (char *)(uintptr_t)"mx.relay.fsrelay.test; dmarc=failed";
	CHECK_INT(decide(&t).reason, QR_NONE);
	t.ar[0] = (char *)(uintptr_t)"mx.relay.fsrelay.test;dmarc=fail";
	CHECK_INT(decide(&t).reason, QR_DMARC_FAIL);
	ctx.authserv_id = NULL;
	CHECK_INT(decide(&t).reason, QR_NONE);
	ctx.authserv_id = "mx.relay.fsrelay.test";
}

/* Per-partner trust in our MX's Authentication-Results (issue 16): off
 * by default; on, an authenticated From domain may stand in for the
 * missing key (tag only) or recipient; a stranger stays a stranger. */
static void
test_auth_trust(void)
{
	struct tmail t;
	struct match_decision d;
	static const char *const pass_cases[] = {
		"mx.relay.fsrelay.test; dmarc=pass header.from=caf.exemple.fr",
		"mx.relay.fsrelay.test; dmarc=pass",
		"mx.relay.fsrelay.test; dkim=pass header.d=caf.exemple.fr",
		"mx.relay.fsrelay.test; spf=pass smtp.mailfrom=bounce.caf.exemple.fr",
		NULL
	};
	static const char *const no_cases[] = {
		/* another authserv-id: could be written by anybody */
		"mx.autre.exemple.net; dmarc=pass header.from=caf.exemple.fr",
		/* a pass for another domain */
		"mx.relay.fsrelay.test; dmarc=pass header.from=autre.exemple.net",
		"mx.relay.fsrelay.test; dkim=pass header.d=autre.exemple.net",
		"mx.relay.fsrelay.test; spf=pass smtp.mailfrom=autre.exemple.net",
		"mx.relay.fsrelay.test; spf=pass",
		"mx.relay.fsrelay.test; dmarc=none; spf=softfail",
		NULL
	};
	size_t i;

	tm_init(&t, "ref.a@caf.exemple.fr", "Re: [" REF_A "]", "ok\n");
	t.m.auth_results.n = 1;
	t.ar[0] = (char *)(uintptr_t)pass_cases[0];
	CHECK_INT(decide(&t).reason, QR_UNVERIFIED);	/* off by default */
	trusts_auth = 1;
	for (i = 0; pass_cases[i] != NULL; i++) {
		t.ar[0] = (char *)(uintptr_t)pass_cases[i];
		d = decide(&t);
		if (d.reason != QR_NONE)
			fprintf(stderr, "pass case %zu: %s\n", i, d.why);
		CHECK_INT(d.reason, QR_NONE);
		CHECK_STR(d.ref, REF_A);
		CHECK_INT(d.key, MK_TAG);
		CHECK_INT(d.flagged, 0);
	}
	for (i = 0; no_cases[i] != NULL; i++) {
		t.ar[0] = (char *)(uintptr_t)no_cases[i];
		d = decide(&t);
		if (d.reason != QR_UNVERIFIED)
			fprintf(stderr, "no case %zu: %d\n", i, d.reason);
		CHECK_INT(d.reason, QR_UNVERIFIED);
	}
	/* Without a configured authserv-id, nothing is trusted. */
	t.ar[0] = (char *)(uintptr_t)pass_cases[0];
	ctx.authserv_id = NULL;
	CHECK_INT(decide(&t).reason, QR_UNVERIFIED);
	ctx.authserv_id = "mx.relay.fsrelay.test";
	/* A pass next to a DKIM failure without aligned pass: dmarc-fail. */
	t.ar[0] = (char *)(uintptr_t)"mx.relay.fsrelay.test; dkim=fail "
	    "header.d=caf.exemple.fr; spf=pass smtp.mailfrom=caf.exemple.fr";
	CHECK_INT(decide(&t).reason, QR_DMARC_FAIL);
	/* An authenticated colleague of the partner: attached, flagged. */
	t.ar[0] = (char *)(uintptr_t)pass_cases[0];
	t.m.from = (char *)(uintptr_t)"collegue@caf.exemple.fr";
	d = decide(&t);
	CHECK_INT(d.reason, QR_NONE);
	CHECK_INT(d.flagged, 1);
	CHECK_INT(d.security_event, 1);
	/* Only for the partner that trusts: CPAM's case stays unverified. */
	tm_init(&t, "ref.b@cpam.exemple.fr", "Re: [" REF_B "]", "ok\n");
	t.m.auth_results.n = 1;
	t.ar[0] = (char *)(uintptr_t)"mx.relay.fsrelay.test; dmarc=pass "
	    "header.from=cpam.exemple.fr";
	CHECK_INT(decide(&t).reason, QR_UNVERIFIED);
	/* A stranger who passes DMARC for their own domain: stranger. */
	tm_init(&t, "x@spam.exemple.net", "Re: [" REF_A "]", "ok\n");
	t.m.auth_results.n = 1;
	t.ar[0] = (char *)(uintptr_t)"mx.relay.fsrelay.test; dmarc=pass "
	    "header.from=spam.exemple.net";
	CHECK_INT(decide(&t).reason, QR_STRANGER);
	/* A failing callback fails the decision. */
	tm_init(&t, "ref.a@caf.exemple.fr", "Re: [" REF_A "]", "ok\n");
	fail_callbacks = 1;
	CHECK_INT(match_decide(&t.m, &ctx, &d), -1);
	fail_callbacks = 0;
	trusts_auth = 0;
}

static void
test_dsn(void)
{
	struct tmail t;
	struct match_decision d;

	tm_init(&t, "mailer-daemon@caf.exemple.fr", "Undelivered", "x\n");
	t.m.dsn.kind = MIME_DSN_REPORT;
	t.m.dsn.permanent = 1;
	t.m.dsn.final_recipient = (char *)(uintptr_t)"ref.a@caf.exemple.fr";
	t.m.dsn.original_message_id = (char *)(uintptr_t)mid(&t, 0, REF_A, 1);
	t.m.auto_submitted = (char *)(uintptr_t)"auto-replied";
	d = decide(&t);
	CHECK_INT(d.cls, MAIL_DSN);
	CHECK_INT(d.reason, QR_NONE);
	CHECK_STR(d.ref, REF_A);
	CHECK_INT(d.delivery_id, 1);
	CHECK_INT(d.dsn_permanent, 1);
	CHECK_INT(d.final_recipient_mismatch, 0);
	/* Another failed recipient than ours: held, never believed (issue
	 * 16 point 2: a stranger can write it from the referent's domain). */
	t.m.dsn.final_recipient = (char *)(uintptr_t)"ailleurs@perso.exemple";
	d = decide(&t);
	CHECK_INT(d.final_recipient_mismatch, 1);
	CHECK_INT(d.security_event, 1);
	CHECK_INT(d.reason, QR_DSN_IMPLAUSIBLE);
	CHECK_INT(d.cls, MAIL_DSN);
	CHECK_STR(d.ref, REF_A);
	/* Forwarded address: Final-Recipient the target, Original-Recipient
	 * ours: no mismatch (issue 16, point 5). */
	t.m.dsn.original_recipient = (char *)(uintptr_t)"ref.a@caf.exemple.fr";
	d = decide(&t);
	CHECK_INT(d.final_recipient_mismatch, 0);
	CHECK_INT(d.security_event, 0);
	t.m.dsn.original_recipient = (char *)(uintptr_t)"autre@caf.exemple.fr";
	CHECK_INT(decide(&t).final_recipient_mismatch, 1);
	t.m.dsn.original_recipient = NULL;
	/* "From: <>": the Reporting-MTA, else the bounce's Message-ID
	 * domain, stands in for the From domain, under the same rule. */
	t.m.dsn.final_recipient = (char *)(uintptr_t)"ref.a@caf.exemple.fr";
	t.m.from = (char *)(uintptr_t)"";
	CHECK_INT(decide(&t).reason, QR_DSN_IMPLAUSIBLE);
	t.m.dsn.reporting_mta = (char *)(uintptr_t)"mx1.caf.exemple.fr";
	CHECK_INT(decide(&t).reason, QR_NONE);
	t.m.dsn.reporting_mta = (char *)(uintptr_t)"mx.attaquant.exemple.net";
	CHECK_INT(decide(&t).reason, QR_DSN_IMPLAUSIBLE);
	t.m.dsn.reporting_mta = NULL;
	t.m.message_id = (char *)(uintptr_t)"1779.2a@smtp.caf.exemple.fr";
	CHECK_INT(decide(&t).reason, QR_NONE);
	t.m.message_id = (char *)(uintptr_t)"1779.2a@attaquant.exemple.net";
	CHECK_INT(decide(&t).reason, QR_DSN_IMPLAUSIBLE);
	t.m.message_id = NULL;
	t.m.from = (char *)(uintptr_t)"mailer-daemon@caf.exemple.fr";
	/* Unknown delivery: nothing to compare. */
	t.m.dsn.original_message_id = (char *)(uintptr_t)mid(&t, 1, REF_A, 7);
	CHECK_INT(decide(&t).final_recipient_mismatch, 0);
	/* Not ours / forged / absent. */
	t.m.dsn.original_message_id = (char *)(uintptr_t)"abc@elsewhere";
	d = decide(&t);
	CHECK_INT(d.reason, QR_DSN_UNMATCHED);
	CHECK_STR(d.ref, "");
	t.m.dsn.original_message_id = NULL;
	CHECK_INT(decide(&t).reason, QR_DSN_UNMATCHED);
	/* Closed case. */
	t.m.dsn.original_message_id = (char *)(uintptr_t)mid(&t, 2, REF_X, 1);
	CHECK_INT(decide(&t).reason, QR_CASE_CLOSED);

	/* Plausibility (issue 16): a bounce quoting our Message-ID from a
	 * foreign domain moves nothing; from the recipient's side (a
	 * subdomain too), our relay's domain or a bounce domain, it counts. */
	t.m.dsn.original_message_id = (char *)(uintptr_t)mid(&t, 0, REF_A, 1);
	t.m.dsn.final_recipient = (char *)(uintptr_t)"ref.a@caf.exemple.fr";
	t.m.from = (char *)(uintptr_t)"mailer-daemon@attaquant.exemple.net";
	d = decide(&t);
	CHECK_INT(d.reason, QR_DSN_IMPLAUSIBLE);
	CHECK_INT(d.security_event, 1);
	CHECK_STR(d.ref, REF_A);
	t.m.from = (char *)(uintptr_t)"mailer-daemon@xcaf.exemple.fr";
	CHECK_INT(decide(&t).reason, QR_DSN_IMPLAUSIBLE);
	t.m.from = (char *)(uintptr_t)"postmaster@mx2.caf.exemple.fr";
	CHECK_INT(decide(&t).reason, QR_NONE);
	t.m.from = (char *)(uintptr_t)"MAILER-DAEMON@relay.fsrelay.test";
	CHECK_INT(decide(&t).reason, QR_NONE);
	t.m.from = (char *)(uintptr_t)"MAILER-DAEMON@smtp.relay.fsrelay.test";
	CHECK_INT(decide(&t).reason, QR_NONE);
	/* Our MX (authserv-id) and its parent domain, not a bare TLD. */
	t.m.from = (char *)(uintptr_t)"mailer-daemon@mx.relay.fsrelay.test";
	CHECK_INT(decide(&t).reason, QR_NONE);
	ctx.authserv_id = "mx.exemple-mta.fr";
	t.m.from = (char *)(uintptr_t)"mailer-daemon@exemple-mta.fr";
	CHECK_INT(decide(&t).reason, QR_NONE);
	t.m.from = (char *)(uintptr_t)"mailer-daemon@autre.exemple-mta.fr";
	CHECK_INT(decide(&t).reason, QR_DSN_IMPLAUSIBLE);
	ctx.authserv_id = "mx.fr";
	t.m.from = (char *)(uintptr_t)"mailer-daemon@fr";
	CHECK_INT(decide(&t).reason, QR_DSN_IMPLAUSIBLE);
	ctx.authserv_id = "mx.relay.fsrelay.test";
	t.m.from = (char *)(uintptr_t)"mailer-daemon@smtp.fai.exemple.net";
	CHECK_INT(decide(&t).reason, QR_DSN_IMPLAUSIBLE);
	{
		const char *const ours[] = { "fai.exemple.net", NULL };

		ctx.bounce_domains = ours;
		CHECK_INT(decide(&t).reason, QR_NONE);
		ctx.bounce_domains = NULL;
	}
	/* Unknown delivery: only our own side is believed. */
	t.m.dsn.original_message_id = (char *)(uintptr_t)mid(&t, 1, REF_A, 7);
	t.m.from = (char *)(uintptr_t)"mailer-daemon@caf.exemple.fr";
	CHECK_INT(decide(&t).reason, QR_DSN_IMPLAUSIBLE);
	CHECK_STR(quarantine_reason_name(QR_UNVERIFIED), "unverified");
	CHECK_STR(quarantine_reason_name(QR_DSN_IMPLAUSIBLE), "dsn-implausible");
	/* A DSN from the relay's own address is still a DSN. */
	t.m.from = (char *)(uintptr_t)RELAY;
	CHECK_INT(decide(&t).cls, MAIL_DSN);
}

static void
test_failures(void)
{
	struct tmail t;
	struct match_decision d;

	CHECK_INT(match_decide(NULL, &ctx, &d), 0);
	CHECK_INT(d.cls, MAIL_MALFORMED);
	CHECK_INT(d.reason, QR_MALFORMED);

	tm_init(&t, "ref.a@caf.exemple.fr", "Re: [" REF_A "]", "x\n");
	fail_callbacks = 1;
	CHECK_INT(match_decide(&t.m, &ctx, &d), -1);
	fail_callbacks = 0;

	/* Many tags in a subject: bounded work. */
	{
		char subj[4096] = "";
		int i;

		for (i = 0; i < 150; i++)
			fs_strlcat(subj, "[" REF_A "]", sizeof(subj));
		t.m.subject = subj;
		calls = 0;
		CHECK_INT(decide(&t).reason, QR_UNVERIFIED);
		CHECK(calls < 120);
	}
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	memset(key, 0x42, sizeof(key));
	token_reply(tok_a, key, REF_A);
	test_names();
	test_keys();
	test_tiers();
	test_autoreply();
	test_loop_dmarc();
	test_auth_trust();
	test_dsn();
	test_failures();
	return t_done();
}
