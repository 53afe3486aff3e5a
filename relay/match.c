/*
 * match - classify an incoming mail and decide its case (see match.h).
 *
 * Pure: no I/O, no store; the context's callbacks answer every question
 * about cases, the directory and partners.  Trusts: the context.  Nothing
 * in the mail is trusted: Message-IDs count only with a valid HMAC, tokens
 * and tags only when a case answers to them, and the sender is checked
 * against the case whatever key matched.
 */
#include "relay/match.h"
#include "relay/quote.h"
#include "relay/token.h"
#include "relay/util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KEYS_MAX	8	/* distinct cases remembered while matching */
#define SCAN_MAX	50	/* candidate ids/tags looked at in a text */
#define OPENING_LINES	3	/* non-blank lines that make "the opening" */

struct keys {
	char		 ref[KEYS_MAX][CASE_REF_LEN + 1];
	enum match_key	 how[KEYS_MAX];
	size_t		 n;
	int64_t		 delivery_id;	/* from the first Message-ID */
	int		 conflict;
};

/* ---- names ---- */

const char *
mail_class_name(enum mail_class c)
{
	switch (c) {
	case MAIL_DSN: return "dsn";
	case MAIL_LOOP: return "loop";
	case MAIL_AUTOREPLY: return "auto-reply";
	case MAIL_HUMAN: return "human";
	case MAIL_MALFORMED: return "malformed";
	}
	return NULL;
}

static const char *const reason_names[] = {
	[QR_NONE] = "-",
	[QR_STRANGER] = "stranger",
	[QR_CONFLICTING_KEYS] = "conflicting-keys",
	[QR_NO_CASE] = "no-case",
	[QR_CASE_CLOSED] = "case-closed",
	[QR_DMARC_FAIL] = "dmarc-fail",
	[QR_MALFORMED] = "malformed",
	[QR_LOOP] = "loop",
	[QR_DSN_UNMATCHED] = "dsn-unmatched",
	[QR_UNVERIFIED] = "unverified",
	[QR_DSN_IMPLAUSIBLE] = "dsn-implausible",
};

const char *
quarantine_reason_name(enum quarantine_reason r)
{
	if ((unsigned)r >= FS_ARRAY_LEN(reason_names))
		return NULL;
	return reason_names[r];
}

int
quarantine_reason_parse(const char *name, enum quarantine_reason *r)
{
	size_t i;

	for (i = 1; i < FS_ARRAY_LEN(reason_names); i++)
		if (strcmp(name, reason_names[i]) == 0) {
			*r = (enum quarantine_reason)i;
			return 0;
		}
	return -1;
}

const char *
match_key_name(enum match_key k)
{
	switch (k) {
	case MK_NONE: return "-";
	case MK_MESSAGE_ID: return "message-id";
	case MK_TOKEN: return "token";
	case MK_TAG: return "tag";
	}
	return NULL;
}

/* ---- small helpers ---- */

static void
why(struct match_decision *d, const char *msg)
{
	fs_strlcpy(d->why, msg, sizeof(d->why));
}

static const char *
domain_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : "";
}

/* Case-insensitive search of needle in hay (both UTF-8; ASCII folding). */
static int
contains_ci(const char *hay, const char *needle)
{
	return hay != NULL && strcasestr(hay, needle) != NULL;
}

static int
any_ci(const char *hay, const char *const *needles)
{
	for (; *needles != NULL; needles++)
		if (contains_ci(hay, *needles))
			return 1;
	return 0;
}

int
match_find_tag(const char *s, char ref[CASE_REF_LEN + 1])
{
	const char *p = s;

	while (p != NULL && (p = strchr(p, '[')) != NULL) {
		if (strlen(p) >= CASE_REF_LEN + 2 && p[CASE_REF_LEN + 1] == ']') {
			memcpy(ref, p + 1, CASE_REF_LEN);
			ref[CASE_REF_LEN] = '\0';
			if (case_ref_valid(ref))
				return 0;
		}
		p++;
	}
	ref[0] = '\0';
	return -1;
}

/* ---- keys ---- */

/* Record that a key points to ref. */
static void
keys_add(struct keys *k, const char *ref, enum match_key how)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		if (strcmp(k->ref[i], ref) == 0)
			return;
	if (k->n > 0)
		k->conflict = 1;
	if (k->n < KEYS_MAX) {
		fs_strlcpy(k->ref[k->n], ref, sizeof(k->ref[k->n]));
		k->how[k->n] = how;
		k->n++;
	}
}

/* One of our Message-IDs (valid HMAC) whose case exists: 1 and *ref,
 * 0 not ours or no case, -1 callback failure. */
static int
our_msgid(const struct match_ctx *ctx, const char *id, char ref[CASE_REF_LEN + 1],
    int64_t *did)
{
	struct match_case mc;
	int rc;

	if (id == NULL || token_message_id_check(id, ctx->hmac_key, ref,
	    CASE_REF_LEN + 1, did) == -1)
		return 0;
	memset(&mc, 0, sizeof(mc));
	if ((rc = ctx->case_by_ref(ctx->arg, ref, &mc)) == -1)
		return -1;
	return rc == 0 ? 1 : 0;
}

static int
keys_msgids(const struct parsed_mail *m, const struct match_ctx *ctx,
    struct keys *k)
{
	char ref[CASE_REF_LEN + 1];
	int64_t did = 0;
	size_t i;
	int rc;

	if ((rc = our_msgid(ctx, m->in_reply_to, ref, &did)) == -1)
		return -1;
	if (rc == 1) {
		k->delivery_id = did;
		keys_add(k, ref, MK_MESSAGE_ID);
	}
	for (i = m->references.n; i-- > 0;) {	/* right to left */
		if ((rc = our_msgid(ctx, m->references.v[i], ref, &did)) == -1)
			return -1;
		if (rc == 1) {
			if (k->delivery_id == 0)
				k->delivery_id = did;
			keys_add(k, ref, MK_MESSAGE_ID);
		}
	}
	return 0;
}

/* The token of addr when it is local+token@relay-domain, else NULL. */
static int
addr_token(const char *addr, const char *relay, char tok[TOKEN_REPLY_LEN + 1])
{
	const char *rat = strrchr(relay, '@'), *at = strrchr(addr, '@');
	size_t ll, i;

	if (rat == NULL || at == NULL || strcasecmp(at, rat) != 0)
		return -1;
	ll = (size_t)(rat - relay);
	if ((size_t)(at - addr) != ll + 1 + TOKEN_REPLY_LEN ||
	    strncasecmp(addr, relay, ll) != 0 || addr[ll] != '+')
		return -1;
	for (i = 0; i < TOKEN_REPLY_LEN; i++) {
		if (!isxdigit((unsigned char)addr[ll + 1 + i]))
			return -1;
		tok[i] = (char)tolower((unsigned char)addr[ll + 1 + i]);
	}
	tok[TOKEN_REPLY_LEN] = '\0';
	return 0;
}

static int
keys_tokens(const struct parsed_mail *m, const struct match_ctx *ctx,
    struct keys *k)
{
	const struct mime_list *lists[] = { &m->to, &m->cc, &m->delivered_to };
	char tok[TOKEN_REPLY_LEN + 1];
	struct match_case mc;
	size_t l, i;
	int rc;

	for (l = 0; l < FS_ARRAY_LEN(lists); l++)
		for (i = 0; i < lists[l]->n; i++) {
			if (addr_token(lists[l]->v[i], ctx->relay_address,
			    tok) == -1)
				continue;
			memset(&mc, 0, sizeof(mc));
			if ((rc = ctx->case_by_token(ctx->arg, tok, &mc)) == -1)
				return -1;
			if (rc == 0)
				keys_add(k, mc.ref, MK_TOKEN);
		}
	return 0;
}

/* Every tag of s whose case exists; 0 / -1 callback failure. */
static int
keys_tags(const char *s, const struct match_ctx *ctx, struct keys *k,
    enum match_key how)
{
	char ref[CASE_REF_LEN + 1];
	struct match_case mc;
	int rc, seen = 0;

	while (s != NULL && seen++ < SCAN_MAX && match_find_tag(s, ref) == 0) {
		memset(&mc, 0, sizeof(mc));
		if ((rc = ctx->case_by_ref(ctx->arg, ref, &mc)) == -1)
			return -1;
		if (rc == 0)
			keys_add(k, ref, how);
		s = strstr(s, ref) + CASE_REF_LEN;
	}
	return 0;
}

/* Does the text carry one of our Message-IDs or a known case reference
 * (quoted tag or bare)?  1 yes (the case's reference in found), 0 no, -1
 * callback failure. */
static int
text_carries_keys(const char *text, const struct match_ctx *ctx,
    char found[CASE_REF_LEN + 1])
{
	const char *p = text;
	char ref[CASE_REF_LEN + 1], id[TOKEN_MSGID_MAX];
	struct match_case mc;
	int64_t did;
	size_t n;
	int rc, seen = 0;

	while ((p = strstr(p, "FS-")) != NULL && seen++ < SCAN_MAX) {
		n = strcspn(p, " \t\n<>\"'[](),;");
		if (n < sizeof(id)) {
			memcpy(id, p, n);
			id[n] = '\0';
			if (token_message_id_check(id, ctx->hmac_key, ref,
			    sizeof(ref), &did) == 0) {
				fs_strlcpy(found, ref, CASE_REF_LEN + 1);
				return 1;
			}
		}
		if (strlen(p) >= CASE_REF_LEN) {
			memcpy(ref, p, CASE_REF_LEN);
			ref[CASE_REF_LEN] = '\0';
			if (case_ref_valid(ref)) {
				memset(&mc, 0, sizeof(mc));
				if ((rc = ctx->case_by_ref(ctx->arg, ref,
				    &mc)) == -1)
					return -1;
				if (rc == 0) {
					fs_strlcpy(found, ref, CASE_REF_LEN + 1);
					return 1;
				}
			}
		}
		p += 3;
	}
	return 0;
}

/* ---- DMARC ---- */

/* Does d (a DKIM signing domain) align with the From domain (relaxed)? */
static int
aligned(const char *from_dom, const char *d, size_t dlen)
{
	size_t fl = strlen(from_dom);

	if (dlen == 0)
		return 0;
	if (fl == dlen && strncasecmp(from_dom, d, dlen) == 0)
		return 1;
	if (fl > dlen && from_dom[fl - dlen - 1] == '.' &&
	    strncasecmp(from_dom + fl - dlen, d, dlen) == 0)
		return 1;
	return dlen > fl && d[dlen - fl - 1] == '.' &&
	    strncasecmp(d + dlen - fl, from_dom, fl) == 0;
}

/* The value of property prop ("header.d") in one resinfo s[0..n). */
static size_t
prop(const char *s, size_t n, const char *name, const char **v)
{
	const char *p = s, *end = s + n;
	size_t k = strlen(name), l;

	while (p < end) {
		if ((size_t)(end - p) > k && strncasecmp(p, name, k) == 0 &&
		    p[k] == '=' && (p == s || p[-1] == ' ' || p[-1] == '\t')) {
			*v = p + k + 1;
			for (l = 0; *v + l < end && (*v)[l] != ' ' &&
			    (*v)[l] != '\t' && (*v)[l] != ';'; l++)
				;
			/* header.i=@example.fr */
			if (l > 0 && (*v)[0] == '@') {
				(*v)++;
				l--;
			} else if (memchr(*v, '@', l) != NULL) {
				const char *at = memchr(*v, '@', l);

				l -= (size_t)(at + 1 - *v);
				*v = at + 1;
			}
			return l;
		}
		p++;
	}
	return 0;
}

struct auth_verdict {
	int	dmarc_fail, dmarc_pass, dkim_fail, dkim_aligned_pass;
	int	dmarc_pass_from;	/* dmarc=pass whose header.from (when
					 * given) is the From domain */
	int	spf_aligned_pass;	/* spf=pass, smtp.mailfrom aligned */
};

/* Read one Authentication-Results value if its authserv-id is trusted. */
static void
auth_one(const char *ar, const char *authserv, const char *from_dom,
    struct auth_verdict *v)
{
	const char *p = ar, *semi, *eq, *d = NULL;
	size_t idl, n, rl, dl;

	while (*p == ' ' || *p == '\t')
		p++;
	idl = strcspn(p, " \t;(");
	if (idl != strlen(authserv) || strncasecmp(p, authserv, idl) != 0)
		return;
	if ((p = strchr(p, ';')) == NULL)
		return;
	for (p++; *p != '\0'; p = *semi != '\0' ? semi + 1 : semi) {
		semi = p + strcspn(p, ";");
		while (*p == ' ' || *p == '\t')
			p++;
		n = (size_t)(semi - p);
		if ((eq = memchr(p, '=', n)) == NULL)
			continue;
		rl = strcspn(eq + 1, " \t;(");
		if ((size_t)(eq - p) == 5 && strncasecmp(p, "dmarc", 5) == 0) {
			if (rl == 4 && strncasecmp(eq + 1, "fail", 4) == 0)
				v->dmarc_fail = 1;
			else if (rl == 4 && strncasecmp(eq + 1, "pass", 4) == 0) {
				v->dmarc_pass = 1;
				d = NULL;
				dl = prop(p, n, "header.from", &d);
				if (d == NULL || (dl == strlen(from_dom) &&
				    strncasecmp(d, from_dom, dl) == 0))
					v->dmarc_pass_from = 1;
			}
		} else if ((size_t)(eq - p) == 3 &&
		    strncasecmp(p, "spf", 3) == 0) {
			if (rl == 4 && strncasecmp(eq + 1, "pass", 4) == 0) {
				d = NULL;
				dl = prop(p, n, "smtp.mailfrom", &d);
				if (d != NULL && aligned(from_dom, d, dl))
					v->spf_aligned_pass = 1;
			}
		} else if ((size_t)(eq - p) == 4 &&
		    strncasecmp(p, "dkim", 4) == 0) {
			if (rl == 4 && strncasecmp(eq + 1, "fail", 4) == 0)
				v->dkim_fail = 1;
			else if (rl == 4 && strncasecmp(eq + 1, "pass", 4) == 0) {
				d = NULL;
				if ((dl = prop(p, n, "header.d", &d)) == 0)
					dl = prop(p, n, "header.i", &d);
				if (d != NULL && aligned(from_dom, d, dl))
					v->dkim_aligned_pass = 1;
			}
		}
	}
}

/*
 * 1 when an Authentication-Results header of the trusted authserv-id says
 * the From domain fails: dmarc=fail, or (no dmarc pass) dkim=fail with no
 * aligned dkim=pass.  0 otherwise (or when no authserv-id is configured).
 */
static void
auth_read(const struct parsed_mail *m, const struct match_ctx *ctx,
    struct auth_verdict *v)
{
	size_t i;

	memset(v, 0, sizeof(*v));
	if (ctx->authserv_id == NULL || ctx->authserv_id[0] == '\0')
		return;
	for (i = 0; i < m->auth_results.n; i++)
		auth_one(m->auth_results.v[i], ctx->authserv_id,
		    domain_of(m->from), v);
}

static int
dmarc_fails(const struct parsed_mail *m, const struct match_ctx *ctx)
{
	struct auth_verdict v;

	auth_read(m, ctx, &v);
	if (v.dmarc_fail)
		return 1;
	return !v.dmarc_pass && v.dkim_fail && !v.dkim_aligned_pass;
}

/*
 * 1 when our MX (trusted authserv-id) authenticated the From domain:
 * dmarc=pass for it, or an aligned dkim=pass or spf=pass, and nothing
 * of it failed.  Only then may a partner configured to trust these
 * results attach a mail whose own keys do not prove it (issue 16).
 */
static int
auth_passes(const struct parsed_mail *m, const struct match_ctx *ctx)
{
	struct auth_verdict v;

	auth_read(m, ctx, &v);
	if (v.dmarc_fail || (v.dkim_fail && !v.dkim_aligned_pass &&
	    !v.dmarc_pass))
		return 0;
	return v.dmarc_pass_from || v.dkim_aligned_pass || v.spf_aligned_pass;
}

/* ---- classification ---- */

static int
is_loop(const struct parsed_mail *m, const struct match_ctx *ctx)
{
	char ref[CASE_REF_LEN + 1], tok[TOKEN_REPLY_LEN + 1];
	int64_t did;
	size_t i;

	if (strcasecmp(m->from, ctx->relay_address) == 0 ||
	    addr_token(m->from, ctx->relay_address, tok) == 0)
		return 1;
	for (i = 0; i < m->x_loop.n; i++)
		if (contains_ci(m->x_loop.v[i], ctx->relay_address))
			return 1;
	return m->message_id != NULL && token_message_id_check(m->message_id,
	    ctx->hmac_key, ref, sizeof(ref), &did) == 0;
}

/* First token of a header value, compared case-insensitively. */
static int
token_is(const char *v, const char *want)
{
	size_t n;

	while (*v == ' ' || *v == '\t')
		v++;
	n = strcspn(v, " \t;(");
	return n == strlen(want) && strncasecmp(v, want, n) == 0;
}

static int
auto_headers(const struct parsed_mail *m)
{
	static const char *const prec[] = { "bulk", "junk", "list",
	    "auto_reply", NULL };
	size_t i;

	if (m->auto_submitted != NULL && !token_is(m->auto_submitted, "no"))
		return 1;
	if (m->x_autoreply != NULL && !token_is(m->x_autoreply, "no") &&
	    !token_is(m->x_autoreply, "false"))
		return 1;
	if (m->x_autorespond != NULL)
		return 1;
	if (m->precedence != NULL)
		for (i = 0; prec[i] != NULL; i++)
			if (token_is(m->precedence, prec[i]))
				return 1;
	return m->report_mdn;
}

/* Phrases that make a subject or an opening automatic. */
static const char *const auto_phrases[] = {
	"réponse automatique", "reponse automatique", "RÉPONSE AUTOMATIQUE",
	"message automatique", "absence du bureau", "absent du bureau",
	"absente du bureau", "absent(e) du bureau", "out of office",
	"out of the office", "automatic reply", "auto-reply", "autoreply",
	"auto reply", "message d'absence", "message d’absence",
	"je suis absent", "je serai absent", "je suis actuellement absent",
	"je suis en congé", "je suis en conge", "i am away",
	"i am currently away", "i'm currently away", "away from the office",
	"away from my desk", "i will be traveling", "i will be travelling",
	"i am traveling", "i am travelling", "je suis en déplacement",
	"je serai en déplacement", "je suis actuellement en déplacement",
	"je suis en deplacement", "je serai de retour", "de retour le",
	"i am currently out", "i'm out of", "i am out of", "accusé de réception automatique",
	NULL
};

/* Of those, the ones that announce an absence. */
static const char *const absence_phrases[] = {
	"absen", "ABSEN", "out of office", "out of the office", "i'm out of",
	"i am out of", "i am currently out", "i am away", "congé", "conge",
	"currently away", "away from", "traveling", "travelling",
	"déplacement", "deplacement", "de retour le", "je serai de retour",
	"vacation", "vacances", NULL
};

/* Copy into out the first OPENING_LINES non-blank lines of text that are
 * not a bare greeting ("Bonjour,", "Hello,"). */
static void
opening(const char *text, char *out, size_t outlen)
{
	static const char *const greet[] = { "bonjour", "hello", "hi",
	    "madame", "monsieur", "bonsoir", "cher", "chère", "dear", NULL };
	const char *p = text, *nl;
	size_t n, k;
	int lines = 0, g;

	out[0] = '\0';
	while (*p != '\0' && lines < OPENING_LINES) {
		nl = strchr(p, '\n');
		n = nl != NULL ? (size_t)(nl - p) : strlen(p);
		while (n > 0 && (*p == ' ' || *p == '\t')) {
			p++;
			n--;
		}
		if (n > 0) {
			for (g = 0, k = 0; greet[k] != NULL; k++)
				if (n < 40 && strncasecmp(p, greet[k],
				    strlen(greet[k])) == 0)
					g = 1;
			if (!g) {
				char line[512];

				snprintf(line, sizeof(line), "%.*s\n",
				    (int)(n < 500 ? n : 500), p);
				fs_strlcat(out, line, outlen);
				lines++;
			}
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
}

/* Auto-reply signals: headers, subject, opening.  *absence_r set when the
 * subject or the opening announce an absence. */
static int
auto_reply(const struct parsed_mail *m, int *absence_r)
{
	char open[OPENING_LINES * 512 + 1];
	int hdr, subj, body = 0;

	*absence_r = 0;
	hdr = auto_headers(m);
	subj = any_ci(m->subject, auto_phrases);
	opening(m->text, open, sizeof(open));
	if (any_ci(open, auto_phrases)) {
		/* An auto-reply does not quote; a person pressing "Répondre"
		 * usually does.  Without headers or subject, require that. */
		if (hdr || subj || quote_history_marks(m->text) == 0)
			body = 1;
	}
	if (!hdr && !subj && !body)
		return 0;
	if (any_ci(m->subject, absence_phrases) ||
	    (any_ci(open, auto_phrases) && any_ci(open, absence_phrases)) ||
	    (m->auto_submitted != NULL && contains_ci(m->auto_submitted,
	    "vacation")))
		*absence_r = 1;
	return 1;
}

/* ---- sender tiers ---- */

enum tier { TIER_RECIPIENT, TIER_KNOWN, TIER_STRANGER };

static int
sender_tier(const struct parsed_mail *m, const struct match_ctx *ctx,
    const struct match_case *mc, enum tier *t)
{
	size_t i;
	int rc;

	for (i = 0; i < mc->n_recipients; i++)
		if (mc->recipients[i] != NULL &&
		    strcasecmp(mc->recipients[i], m->from) == 0) {
			*t = TIER_RECIPIENT;
			return 0;
		}
	if ((rc = ctx->is_directory_address(ctx->arg, m->from)) == -1)
		return -1;
	if (rc == 0 && (rc = ctx->partner_has_domain(ctx->arg, mc->partner,
	    domain_of(m->from))) == -1)
		return -1;
	*t = rc == 1 ? TIER_KNOWN : TIER_STRANGER;
	return 0;
}

static int
state_closed(enum case_state s)
{
	return s == CASE_RESOLVED || s == CASE_CANCELLED || s == CASE_SHREDDED;
}

/* ---- the decision ---- */

static void
quarantine(struct match_decision *d, enum quarantine_reason r, const char *w)
{
	d->reason = r;
	why(d, w);
}

/* d is dom or one of its subdomains (mx1.caf.fr for caf.fr). */
static int
domain_within(const char *d, const char *dom)
{
	size_t ld = strlen(d), lm = strlen(dom);

	if (lm == 0 || ld < lm)
		return 0;
	if (strcasecmp(d + ld - lm, dom) != 0)
		return 0;
	return ld == lm || d[ld - lm - 1] == '.';
}

/*
 * Who may tell us a mail was not delivered: our own MTA (the relay's
 * domain or a configured bounce domain) or the failed recipient's side.
 * A stranger who knows a Message-ID (it travels in clear headers) and
 * writes from anywhere else is not believed.
 */
static int
dsn_origin_plausible(const struct parsed_mail *m, const struct match_ctx *ctx,
    const char *recipient)
{
	const char *from = domain_of(m->from ? m->from : ""), *dot;
	const char *const *b;

	/* "From: <>" or "MAILER-DAEMON" without a domain: the host that
	 * says it reports (Reporting-MTA), else the domain of the bounce's
	 * own Message-ID, under the same rule (no weaker than a From). */
	if (*from == '\0' && m->dsn.reporting_mta != NULL)
		from = m->dsn.reporting_mta;
	if (*from == '\0' && m->message_id != NULL)
		from = domain_of(m->message_id);
	if (*from == '\0')
		return 0;
	if (ctx->relay_address && domain_within(from,
	    domain_of(ctx->relay_address)))
		return 1;
	for (b = ctx->bounce_domains; b != NULL && *b != NULL; b++)
		if (domain_within(from, *b))
			return 1;
	/* Our MX (the authserv-id host) or its parent domain, when that is
	 * more than a top-level domain: mx.relay.example.fr vouches for
	 * relay.example.fr, mx.example.fr not for "fr". */
	if (ctx->authserv_id != NULL && ctx->authserv_id[0] != '\0') {
		if (strcasecmp(from, ctx->authserv_id) == 0)
			return 1;
		dot = strchr(ctx->authserv_id, '.');
		if (dot != NULL && strchr(dot + 1, '.') != NULL &&
		    strcasecmp(from, dot + 1) == 0)
			return 1;
	}
	return recipient != NULL && domain_within(from, domain_of(recipient));
}

static int
decide_dsn(const struct parsed_mail *m, const struct match_ctx *ctx,
    struct match_decision *d)
{
	const struct mime_dsn *dsn = &m->dsn;
	struct match_case mc;
	char addr[321];
	int rc;

	d->cls = MAIL_DSN;
	d->dsn_permanent = dsn->permanent;
	if ((rc = our_msgid(ctx, dsn->original_message_id, d->ref,
	    &d->delivery_id)) == -1)
		return -1;
	if (rc == 0) {
		d->ref[0] = '\0';
		d->delivery_id = 0;
		quarantine(d, QR_DSN_UNMATCHED, "avis de non-remise pour un "
		    "message qui n'est pas le nôtre");
		return 0;
	}
	d->key = MK_MESSAGE_ID;
	if (dmarc_fails(m, ctx)) {
		d->security_event = 1;
		quarantine(d, QR_DMARC_FAIL, "avis de non-remise dont le "
		    "domaine échoue à DMARC");
		return 0;
	}
	addr[0] = '\0';
	if (ctx->delivery_recipient != NULL) {
		rc = ctx->delivery_recipient(ctx->arg, d->ref, d->delivery_id,
		    addr, sizeof(addr));
		if (rc == -1)
			return -1;
		if (rc != 0)
			addr[0] = '\0';
	}
	/* A forwarded address: Final-Recipient is the forwarding target,
	 * Original-Recipient the address we sent to. */
	if (addr[0] && dsn->final_recipient != NULL &&
	    strcasecmp(addr, dsn->final_recipient) != 0 &&
	    (dsn->original_recipient == NULL ||
	    strcasecmp(addr, dsn->original_recipient) != 0)) {
		d->final_recipient_mismatch = 1;
		d->security_event = 1;
	}
	memset(&mc, 0, sizeof(mc));
	if ((rc = ctx->case_by_ref(ctx->arg, d->ref, &mc)) == -1)
		return -1;
	if (rc == 0 && state_closed(mc.state)) {
		quarantine(d, QR_CASE_CLOSED, "avis de non-remise pour un "
		    "dossier clos");
		return 0;
	}
	if (!dsn_origin_plausible(m, ctx, addr[0] ? addr : NULL)) {
		d->final_recipient_mismatch = 0;
		d->security_event = 1;
		quarantine(d, QR_DSN_IMPLAUSIBLE, "avis de non-remise venu "
		    "d'un serveur qui n'a ni envoyé ni reçu ce message");
		return 0;
	}
	/* A bounce that names another failed recipient than the one that
	 * delivery went to proves nothing about our delivery (a stranger
	 * who read the Message-ID can write one from the referent's own
	 * domain): held, never a state change; the mismatch stays a
	 * suspected breach (our mail may have reached someone else). */
	if (d->final_recipient_mismatch) {
		quarantine(d, QR_DSN_IMPLAUSIBLE, "avis de non-remise pour un autre "
		    "destinataire que celui de l'envoi");
		return 0;
	}
	why(d, d->dsn_permanent ? "avis de non-remise définitif" :
	    "avis de non-remise temporaire");
	return 0;
}

/* No key: a directory address wrote without one (no-case), or anybody
 * else (stranger; a breach if the text quotes one of our keys). */
static int
decide_keyless(const struct parsed_mail *m, const struct match_ctx *ctx,
    struct match_decision *d)
{
	int rc;

	if ((rc = ctx->is_directory_address(ctx->arg, m->from)) == -1)
		return -1;
	if (rc == 1) {
		quarantine(d, QR_NO_CASE, "aucune référence de dossier "
		    "reconnue");
		return 0;
	}
	/* The case it cites is named (the breach register links the entry
	 * to it, `quarantine assign` gets the hint). */
	if ((rc = text_carries_keys(m->text, ctx, d->ref)) == -1)
		return -1;
	d->security_event = 1;
	d->suspected_breach = rc;
	quarantine(d, QR_STRANGER, rc ? "expéditeur inconnu citant une "
	    "référence de dossier" : "expéditeur inconnu, sans référence "
	    "de dossier");
	return 0;
}

static int
collect_keys(const struct parsed_mail *m, const struct match_ctx *ctx,
    struct keys *k)
{
	memset(k, 0, sizeof(*k));
	if (keys_msgids(m, ctx, k) == -1 || keys_tokens(m, ctx, k) == -1 ||
	    keys_tags(m->subject, ctx, k, MK_TAG) == -1)
		return -1;
	return 0;
}

static int
decide_keyed(const struct parsed_mail *m, const struct match_ctx *ctx,
    const struct keys *k, struct match_decision *d)
{
	struct match_case mc;
	enum tier t;
	int rc;

	fs_strlcpy(d->ref, k->ref[0], sizeof(d->ref));
	d->key = k->how[0];
	d->delivery_id = k->how[0] == MK_MESSAGE_ID ? k->delivery_id : 0;
	memset(&mc, 0, sizeof(mc));
	if ((rc = ctx->case_by_ref(ctx->arg, d->ref, &mc)) == -1)
		return -1;
	if (rc == 1) {		/* vanished between two callbacks */
		quarantine(d, QR_NO_CASE, "dossier introuvable");
		return 0;
	}
	if (sender_tier(m, ctx, &mc, &t) == -1)
		return -1;
	if (t == TIER_STRANGER) {
		d->security_event = 1;
		d->suspected_breach = 1;
		quarantine(d, QR_STRANGER, "expéditeur étranger au dossier "
		    "portant une référence du relais");
		return 0;
	}
	if (t == TIER_KNOWN)
		d->flagged = 1;
	if (state_closed(mc.state)) {
		quarantine(d, QR_CASE_CLOSED, "réponse à un dossier clos");
		return 0;
	}
	/*
	 * Proof that the mail answers this case (issue 16, point 1): one of
	 * our keys (HMAC-checked Message-ID or reply token: the tag is the
	 * case reference, sequential and guessable) AND a sender the case
	 * was sent to.  Without it, only a partner configured to trust our
	 * MX's Authentication-Results may vouch for an authenticated From.
	 */
	rc = 0;
	if ((d->key == MK_TAG || t != TIER_RECIPIENT) &&
	    ctx->partner_trusts_auth != NULL &&
	    (rc = ctx->partner_trusts_auth(ctx->arg, mc.partner)) == -1)
		return -1;
	if ((d->key == MK_TAG || t != TIER_RECIPIENT) &&
	    !(rc == 1 && auth_passes(m, ctx))) {
		d->security_event = 1;
		quarantine(d, QR_UNVERIFIED, d->key != MK_TAG ?
		    "clé du relais venue d'un expéditeur qui n'est pas "
		    "destinataire du dossier : à confirmer par l'agent" :
		    d->cls == MAIL_AUTOREPLY ?
		    "réponse automatique citant la référence sans clé du relais"
		    " : à confirmer par l'agent" : "réponse citant la référence "
		    "sans clé du relais : à confirmer par l'agent");
		return 0;
	}
	if (d->flagged)
		d->security_event = 1;
	if (d->cls == MAIL_AUTOREPLY)
		why(d, d->absence ? "réponse automatique d'absence" :
		    "réponse automatique");
	else
		why(d, d->flagged ? "réponse d'une adresse de l'annuaire hors "
		    "destinataires du dossier" : "réponse d'un destinataire "
		    "du dossier");
	return 0;
}

int
match_decide(const struct parsed_mail *m, const struct match_ctx *ctx,
    struct match_decision *d)
{
	struct keys k;

	memset(d, 0, sizeof(*d));
	if (m == NULL) {
		d->cls = MAIL_MALFORMED;
		quarantine(d, QR_MALFORMED, "message illisible");
		return 0;
	}
	if (m->dsn.kind != MIME_DSN_NONE)
		return decide_dsn(m, ctx, d);
	if (is_loop(m, ctx)) {
		d->cls = MAIL_LOOP;
		quarantine(d, QR_LOOP, "message émis par le relais lui-même");
		return 0;
	}
	d->cls = auto_reply(m, &d->absence) ? MAIL_AUTOREPLY : MAIL_HUMAN;
	if (d->cls != MAIL_AUTOREPLY)
		d->absence = 0;
	if (collect_keys(m, ctx, &k) == -1)
		return -1;
	if (dmarc_fails(m, ctx)) {
		if (k.n > 0 && !k.conflict) {
			fs_strlcpy(d->ref, k.ref[0], sizeof(d->ref));
			d->key = k.how[0];
		}
		d->security_event = 1;
		quarantine(d, QR_DMARC_FAIL, "le domaine de l'expéditeur échoue "
		    "à DMARC/DKIM");
		return 0;
	}
	if (k.conflict) {
		quarantine(d, QR_CONFLICTING_KEYS, "les références du message "
		    "désignent des dossiers différents");
		return 0;
	}
	if (k.n == 0)
		return decide_keyless(m, ctx, d);
	return decide_keyed(m, ctx, &k, d);
}
