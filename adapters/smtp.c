/*
 * smtp - the SMTP submission adapter: one verified-TLS SMTP transaction per
 * call with libcurl (GnuTLS build, 7.88.1 on Debian 12).
 *
 * Order of a call: validate the configuration, the envelope addresses and
 * the message (no I/O), then an easy handle restricted to smtps (or smtp +
 * mandatory STARTTLS), TLS >= 1.2, peer and host verified against the
 * configured CA file only, no proxy.  smtp_send: a fresh handle, no
 * connection reuse.  A session (smtps only) keeps one handle, reset before
 * each transaction, and so libcurl's connection to the server, whose TLS
 * options must match for libcurl to reuse it; after any failure the
 * handle is destroyed (QUIT, close).  STARTTLS never reuses.  A debug
 * callback follows which SMTP command was sent last and the reply code
 * received for it, so that a failure can be classified by stage; it keeps
 * the command verb, the numeric codes, the SIZE limit the server announces
 * in its EHLO reply, and the text of a refusal reduced to printable ASCII
 * with every <...> part (addresses) masked (never AUTH data).
 *
 * Trusts: libcurl/GnuTLS.  Distrusts: caller strings (validated) and the
 * server's replies (numbers, a SIZE figure and a masked, bounded text).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "adapters/libs.h"

#include "adapters/smtp.h"
#include "relay/util.h"

#define SMTP_URL_MAX		255
#define SMTP_LINE_MAX		998
#define SMTP_READ_CHUNK		65536	/* bytes read at a time by the check */
#define SMTP_DEFAULT_TIMEOUT	60L
#define SMTP_CONNECT_TIMEOUT	30L
#define SMTP_TEXT_MAX		120

enum stage {
	ST_CONNECT,	/* no command sent yet (greeting, TLS) */
	ST_EHLO,
	ST_STARTTLS,
	ST_AUTH,
	ST_NOOP,	/* smtp_probe's only command */
	ST_MAIL,
	ST_RCPT,
	ST_DATA,
	ST_BODY,	/* message sent, waiting for the final reply */
	ST_QUIT
};

/* The upload: a source (relay/port/transport.h) and whether it failed. */
struct src {
	const struct smtp_source	*in;
	int				 failed;
};

/* The source of a message in memory. */
struct mem_src {
	const char	*p;
	size_t		 len, off;
};

struct track {
	enum stage	 stage;		/* stage of the last command sent */
	enum stage	 reply_stage;	/* stage the last reply belongs to */
	int		 code;		/* last reply code (0: none) */
	char		 enh[12];	/* its enhanced status code, or "" */
	int		 data_sent;	/* DATA was sent: the message may
					 * have reached the server */
	unsigned long long size_max;	/* EHLO SIZE (0: none announced) */
	char		 text[SMTP_TEXT_MAX + 1];	/* text of the last
					 * reply >= 400, masked; or "" */
};



int
smtp_global_init(void)
{
	return libs_curl()->global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
smtp_global_cleanup(void)
{
	libs_curl()->global_cleanup();
}

int
smtp_address_ok(const char *addr)
{
	const unsigned char	*s;
	size_t			 n, at = 0, nat = 0;

	if (addr == NULL)
		return 0;
	for (s = (const unsigned char *)addr, n = 0; s[n] != '\0'; n++) {
		if (n >= SMTP_ADDR_MAX)
			return 0;
		if (s[n] <= 0x20 || s[n] >= 0x7f || s[n] == '<' || s[n] == '>')
			return 0;
		if (s[n] == '@') {
			at = n;
			nat++;
		}
	}
	return nat == 1 && at > 0 && at + 1 < n;
}

/* Host of a URL authority: a DNS name / IPv4 literal or a bracketed IPv6
 * literal.  Returns the number of bytes consumed, 0 if invalid. */
/* 0 if url is scheme://host[:port] with nothing after, -1 otherwise. */
static int
url_check(const char *url, int starttls, char *err, size_t errlen)
{
	const char	*scheme = starttls ? "smtp://" : "smtps://";

	if (url == NULL || strlen(url) > SMTP_URL_MAX) {
		fs_seterr(err, errlen, "URL SMTP absente ou trop longue");
		return -1;
	}
	if (strncmp(url, scheme, strlen(scheme)) != 0) {
		fs_seterr(err, errlen, "URL SMTP : le schéma doit être %.*s "
		    "(smtp:// seulement avec STARTTLS configuré)",
		    (int)strlen(scheme) - 3, scheme);
		return -1;
	}
	return fs_url_hostport_check(url + strlen(scheme), "SMTP", err, errlen);
}

int
smtp_conf_check(const struct smtp_conf *c, char *err, size_t errlen)
{
	fs_seterr(err, errlen, "OK");
	if (c == NULL) {
		fs_seterr(err, errlen, "configuration SMTP absente");
		return -1;
	}
	if (c->starttls != 0 && c->starttls != 1) {
		fs_seterr(err, errlen, "SMTP : starttls doit valoir 0 ou 1");
		return -1;
	}
	if (url_check(c->url, c->starttls, err, errlen) == -1)
		return -1;
	if (c->ca_file == NULL || c->ca_file[0] == '\0') {
		fs_seterr(err, errlen, "SMTP : fichier CA obligatoire "
		    "(vérification du certificat)");
		return -1;
	}
	if (c->user != NULL && (c->password == NULL || c->user[0] == '\0')) {
		fs_seterr(err, errlen, "SMTP : utilisateur sans mot de passe");
		return -1;
	}
	if (c->timeout_s < 0 || c->timeout_s > 3600) {
		fs_seterr(err, errlen, "SMTP : délai hors de [0, 3600] s");
		return -1;
	}
	return 0;
}

/* The line checks of a message read in pieces (no NUL, CRLF line ends
 * only, lines <= 998 bytes), carried across the pieces. */
struct msg_scan {
	size_t	line;	/* bytes of the current line, a trailing CR included */
	int	cr;	/* the last piece ended with CR */
	size_t	total;
};

static int
bare_end(char *err, size_t errlen)
{
	fs_seterr(err, errlen, "message : CR ou LF isolé (fins de ligne CRLF "
	    "exigées)");
	return -1;
}

static int
long_line(char *err, size_t errlen)
{
	fs_seterr(err, errlen, "message : ligne de plus de 998 octets");
	return -1;
}

static int
scan_feed(struct msg_scan *m, const char *p, size_t n, char *err, size_t errlen)
{
	const char	*nl, *cr;
	size_t		 k;
	int		 crlf;

	m->total += n;
	if (memchr(p, '\0', n) != NULL) {
		fs_seterr(err, errlen, "message : octet NUL");
		return -1;
	}
	/* line by line with memchr: messages are large (attachments) */
	while (n > 0) {
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) : n;
		if (m->cr && k > 0)
			return bare_end(err, errlen);	/* CR, then not LF */
		if (k > 0 && (cr = memchr(p, '\r', k)) != NULL && cr != p + k - 1)
			return bare_end(err, errlen);
		m->line += k;
		if (nl == NULL) {
			m->cr = p[k - 1] == '\r';
			if (m->line - (size_t)m->cr > SMTP_LINE_MAX)
				return long_line(err, errlen);
			break;
		}
		crlf = k > 0 ? p[k - 1] == '\r' : m->cr;
		if (m->line - (size_t)crlf > SMTP_LINE_MAX)
			return long_line(err, errlen);
		if (!crlf)
			return bare_end(err, errlen);	/* LF without CR */
		m->line = 0;
		m->cr = 0;
		p += k + 1;
		n -= k + 1;
	}
	return 0;
}

/* The whole source read once and checked, then rewound: 0 / -1. */
static int
msg_check(const struct smtp_source *in, char *err, size_t errlen)
{
	struct msg_scan	 m = { 0, 0, 0 };
	char		*chunk;
	ssize_t		 got;
	int		 r = 0;

	if (in == NULL || in->size == 0 || in->size > SMTP_MSG_MAX) {
		fs_seterr(err, errlen, "message vide ou trop gros");
		return -1;
	}
	if (in->rewind(in->ctx) < 0) {
		fs_seterr(err, errlen, "message illisible");
		return -1;
	}
	chunk = xmalloc(SMTP_READ_CHUNK);
	while (r == 0 && (got = in->read(in->ctx, (uint8_t *)chunk,
	    SMTP_READ_CHUNK)) != 0) {
		if (got < 0) {
			fs_seterr(err, errlen, "message illisible");
			r = -1;
		} else
			r = scan_feed(&m, chunk, (size_t)got, err, errlen);
	}
	free(chunk);
	if (r == 0 && m.cr)
		r = bare_end(err, errlen);
	if (r == 0 && m.total != in->size) {
		fs_seterr(err, errlen, "message : taille différente de celle annoncée");
		r = -1;
	}
	if (r == 0 && in->rewind(in->ctx) < 0) {
		fs_seterr(err, errlen, "message illisible");
		r = -1;
	}
	return r;
}

static ssize_t
mem_read(void *ctx, uint8_t *p, size_t n)
{
	struct mem_src	*m = ctx;
	size_t		 k = m->len - m->off < n ? m->len - m->off : n;

	memcpy(p, m->p + m->off, k);
	m->off += k;
	return (ssize_t)k;
}

static int
mem_rewind(void *ctx)
{
	((struct mem_src *)ctx)->off = 0;
	return 0;
}

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct src	*s = arg;
	ssize_t		 got;

	if (size == 0 || nitems > SIZE_MAX / size)
		return CURL_READFUNC_ABORT;
	if ((got = s->in->read(s->in->ctx, (uint8_t *)buf, size * nitems)) < 0) {
		s->failed = 1;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)got;
}

static enum stage
verb_stage(const char *d, size_t n, enum stage cur)
{
	static const struct {
		const char	*verb;
		enum stage	 st;
	} verbs[] = {
		{ "EHLO", ST_EHLO }, { "HELO", ST_EHLO },
		{ "STARTTLS", ST_STARTTLS }, { "AUTH", ST_AUTH },
		{ "NOOP", ST_NOOP },
		{ "MAIL", ST_MAIL }, { "RCPT", ST_RCPT },
		{ "DATA", ST_DATA }, { "QUIT", ST_QUIT },
	};
	size_t	i, l;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		l = strlen(verbs[i].verb);
		if (n >= l && strncmp(d, verbs[i].verb, l) == 0 &&
		    (n == l || d[l] == ' ' || d[l] == '\r'))
			return verbs[i].st;
	}
	return cur;	/* AUTH continuation (base64): same stage */
}

/* The SIZE figure of an EHLO reply line "250-SIZE 10240000" (RFC 1870). */
static void
track_size(struct track *t, const char *d, size_t n)
{
	unsigned long long v = 0;
	size_t i;

	if (n < 9 || (d[3] != ' ' && d[3] != '-') || strncasecmp(d + 4, "SIZE", 4) != 0 ||
	    (n > 8 && d[8] != ' '))
		return;
	for (i = 9; i < n && isdigit((unsigned char)d[i]); i++) {
		if (v > (SMTP_MSG_MAX * 16ULL))
			return;		/* absurd: ignored */
		v = v * 10 + (unsigned long long)(d[i] - '0');
	}
	if (i > 9)
		t->size_max = v;
}

/* The text of a refusal: printable ASCII only, each <...> (an address)
 * masked as <...>, at most SMTP_TEXT_MAX bytes. */
static void
track_text(struct track *t, const char *d, size_t n)
{
	size_t i, k = 0;
	int in_angle = 0;

	while (n > 0 && d[0] == ' ')
		d++, n--;
	for (i = 0; i < n && k < SMTP_TEXT_MAX; i++) {
		unsigned char ch = (unsigned char)d[i];

		if (ch == '\r' || ch == '\n')
			break;
		if (in_angle) {
			if (ch == '>') {
				in_angle = 0;
				if (k + 4 > SMTP_TEXT_MAX)
					break;
				memcpy(t->text + k, "...>", 4);
				k += 4;
			}
			continue;
		}
		if (ch == '<')
			in_angle = 1;
		t->text[k++] = ch >= 0x20 && ch < 0x7f ? (char)ch : '?';
	}
	if (in_angle && k > 0)
		k--;	/* an unclosed "<": drop it with what followed */
	t->text[k] = '\0';
}

/* Keep "NNN" and an optional enhanced code "c.s.d" from one reply line. */
static void
track_reply(struct track *t, const char *d, size_t n)
{
	size_t	i;

	if (t->stage == ST_QUIT || n < 3 || !isdigit((unsigned char)d[0]) ||
	    !isdigit((unsigned char)d[1]) || !isdigit((unsigned char)d[2]))
		return;
	t->code = (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
	t->reply_stage = t->stage;
	t->enh[0] = '\0';
	t->text[0] = '\0';
	if (t->stage == ST_EHLO && t->code == 250)
		track_size(t, d, n);
	if (n < 5 || (d[3] != ' ' && d[3] != '-'))
		return;
	i = 4;
	if (d[4] == d[0]) {
		for (; i < n && i - 4 < sizeof(t->enh) - 1; i++) {
			if (!isdigit((unsigned char)d[i]) && d[i] != '.')
				break;
			t->enh[i - 4] = d[i];
		}
		t->enh[i - 4] = '\0';
		if (i < n && d[i] != ' ' && d[i] != '\r') {
			t->enh[0] = '\0';
			i = 4;
		}
	}
	if (t->code >= 400)
		track_text(t, d + i, n - i);
}

static int
debug_cb(CURL *h, curl_infotype type, char *data, size_t n, void *arg)
{
	struct track	*t = arg;

	(void)h;
	switch (type) {
	case CURLINFO_HEADER_OUT:
		t->stage = verb_stage(data, n, t->stage);
		if (t->stage == ST_DATA)
			t->data_sent = 1;
		break;
	case CURLINFO_DATA_OUT:
		if (t->stage == ST_DATA)
			t->stage = ST_BODY;
		break;
	case CURLINFO_HEADER_IN:
		track_reply(t, data, n);
		break;
	default:
		break;
	}
	return 0;
}

#define SETOPT(h, opt, val) do {					\
	if (libs_curl()->easy_setopt((h), (opt), (val)) != CURLE_OK)		\
		return -1;						\
} while (0)

/* reuse = 1 only for a session over implicit TLS (smtps): the connection
 * then stays open for the session's next transaction.  STARTTLS never
 * reuses (CVE-2026-8286): a fresh connection per call, closed after it. */
static int
set_tls_opts(CURL *h, const struct smtp_conf *c, int reuse)
{
	long	noreuse = reuse && !c->starttls ? 0L : 1L;

	SETOPT(h, CURLOPT_PROTOCOLS_STR, c->starttls ? "smtp" : "smtps");
	SETOPT(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SETOPT(h, CURLOPT_CAINFO, c->ca_file);
	SETOPT(h, CURLOPT_CAPATH, (char *)NULL);
	SETOPT(h, CURLOPT_FORBID_REUSE, noreuse);
	SETOPT(h, CURLOPT_FRESH_CONNECT, noreuse);
	return 0;
}

static int
set_smtp_opts(CURL *h, const struct smtp_conf *c, const char *from,
    struct curl_slist *rcpts, struct src *src, struct track *t)
{
	long	to = c->timeout_s > 0 ? c->timeout_s : SMTP_DEFAULT_TIMEOUT;

	SETOPT(h, CURLOPT_URL, c->url);
	SETOPT(h, CURLOPT_PROXY, "");	/* ignore *_proxy variables */
	SETOPT(h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(h, CURLOPT_TIMEOUT, to);
	SETOPT(h, CURLOPT_CONNECTTIMEOUT,
	    to < SMTP_CONNECT_TIMEOUT ? to : SMTP_CONNECT_TIMEOUT);
	if (c->user != NULL) {
		SETOPT(h, CURLOPT_USERNAME, c->user);
		SETOPT(h, CURLOPT_PASSWORD, c->password);
	}
	SETOPT(h, CURLOPT_MAIL_FROM, from);
	SETOPT(h, CURLOPT_MAIL_RCPT, rcpts);
	SETOPT(h, CURLOPT_UPLOAD, 1L);
	SETOPT(h, CURLOPT_READFUNCTION, read_cb);
	SETOPT(h, CURLOPT_READDATA, src);
	SETOPT(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)src->in->size);
	SETOPT(h, CURLOPT_DEBUGFUNCTION, debug_cb);
	SETOPT(h, CURLOPT_DEBUGDATA, t);
	SETOPT(h, CURLOPT_VERBOSE, 1L);	/* feeds debug_cb only */
	return 0;
}

static const char *
tls_reason(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return "certificat non vérifié";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_SHUTDOWN_FAILED:
		return "échec de la négociation";
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
		return "fichier CA illisible";
	case CURLE_USE_SSL_FAILED:
		return "STARTTLS refusé par le serveur";
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CLIENTCERT:
		return "configuration TLS locale";
	default:
		return NULL;
	}
}

static const char *
stage_name(enum stage st)
{
	switch (st) {
	case ST_CONNECT:	return "accueil";
	case ST_EHLO:		return "EHLO";
	case ST_STARTTLS:	return "STARTTLS";
	case ST_AUTH:		return "authentification";
	case ST_NOOP:		return "NOOP";
	case ST_MAIL:		return "expéditeur (MAIL FROM)";
	case ST_RCPT:		return "destinataire";
	case ST_DATA:		return "DATA";
	case ST_BODY:		return "message";
	case ST_QUIT:		return "QUIT";
	}
	return "?";
}

/* 1 if the refusal says the message is too big: 552 at MAIL FROM (the
 * SIZE= parameter, RFC 1870) or after the body, or the enhanced code
 * 5.3.4 (message too big for the system, RFC 3463) at any stage. */
static int
too_big(const struct track *t)
{
	if (strcmp(t->enh, "5.3.4") == 0)
		return 1;
	return t->code == 552 && (t->reply_stage == ST_MAIL || t->reply_stage >= ST_DATA);
}

/* Classify a reply code >= 400 received at a given stage. */
static enum smtp_status
classify_reply(const struct track *t, char *err, size_t errlen)
{
	const char	*what = "refusé";
	const char	*sep = t->enh[0] != '\0' ? " " : "";
	char		 said[SMTP_TEXT_MAX + 16] = "";

	if (t->text[0] != '\0')
		snprintf(said, sizeof(said), " (serveur : %s)", t->text);
	if (t->reply_stage == ST_RCPT && strcmp(t->enh, "5.1.1") == 0) {
		fs_seterr(err, errlen, "%d %s destinataire inconnu%s", t->code,
		    t->enh, said);
		return SMTP_PERMFAIL;
	}
	if (t->code >= 500 && too_big(t)) {
		if (t->size_max > 0)
			fs_seterr(err, errlen, "%d%s%s message trop gros pour le "
			    "serveur (limite SIZE : %llu octets)%s", t->code, sep,
			    t->enh, t->size_max, said);
		else
			fs_seterr(err, errlen, "%d%s%s message trop gros pour le "
			    "serveur%s", t->code, sep, t->enh, said);
		return SMTP_PERMFAIL;
	}
	if (t->code < 500)
		what = "refusé temporairement";
	fs_seterr(err, errlen, "%d%s%s %s %s%s", t->code, sep, t->enh,
	    stage_name(t->reply_stage), what, said);
	if (t->code >= 500 && t->reply_stage >= ST_RCPT)
		return SMTP_PERMFAIL;
	return SMTP_TEMPFAIL;
}

static enum smtp_status
classify(CURL *h, CURLcode rc, const struct track *t, char *err,
    size_t errlen)
{
	struct track	 tk = *t;
	const char	*tls;
	long		 code = 0;

	if (libs_curl()->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code) != CURLE_OK)
		code = 0;
	if (rc == CURLE_OK && code == 250 && tk.reply_stage == ST_BODY) {
		fs_seterr(err, errlen, "250 message accepté");
		return SMTP_SENT;
	}
	if ((tls = tls_reason(rc)) != NULL) {
		fs_seterr(err, errlen, "TLS : %s (CURLE %d)", tls, (int)rc);
		return SMTP_TEMPFAIL;
	}
	if (rc == CURLE_LOGIN_DENIED) {
		fs_seterr(err, errlen, "%d " SMTP_ERR_LOGIN_DENIED
		    " (vérifier la configuration)", tk.code ? tk.code : 535);
		return SMTP_TEMPFAIL;
	}
	if (tk.code == 0 && code >= 400 && code <= 599) {
		tk.code = (int)code;
		tk.reply_stage = tk.stage;
	}
	if (tk.code >= 400)
		return classify_reply(&tk, err, errlen);
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		fs_seterr(err, errlen, "connexion refusée ou impossible (CURLE 7)");
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		fs_seterr(err, errlen, "nom d'hôte inconnu (CURLE 6)");
		break;
	case CURLE_OPERATION_TIMEDOUT:
		fs_seterr(err, errlen, "délai dépassé à l'étape %s (CURLE 28)",
		    stage_name(tk.stage));
		break;
	default:
		fs_seterr(err, errlen, "erreur SMTP à l'étape %s (CURLE %d, "
		    "réponse %d)", stage_name(tk.stage), (int)rc, tk.code);
		break;
	}
	return SMTP_TEMPFAIL;
}

/* The checks made before any I/O.  SMTP_SENT if the call may go on. */
static enum smtp_status
precheck(const struct smtp_conf *c, const char *from, const char *rcpt,
    const struct smtp_source *msg, char *err, size_t errlen)
{
	if (smtp_conf_check(c, err, errlen) == -1)
		return SMTP_TEMPFAIL;
	if (!smtp_address_ok(from)) {
		fs_seterr(err, errlen, "adresse d'expéditeur invalide (refusée "
		    "avant connexion)");
		return SMTP_TEMPFAIL;
	}
	if (!smtp_address_ok(rcpt)) {
		fs_seterr(err, errlen, "adresse de destinataire invalide "
		    "(refusée avant connexion)");
		return SMTP_PERMFAIL;
	}
	if (msg_check(msg, err, errlen) == -1)
		return SMTP_PERMFAIL;
	return SMTP_SENT;
}

/*
 * One SMTP transaction on handle h (fresh or reset: every option is set
 * here).  *reused gets 1 when libcurl ran it on a connection left open by
 * a previous transaction of the same handle.  The handle keeps no pointer
 * to the caller's data on return.
 */
static enum smtp_status
transaction(CURL *h, const struct smtp_conf *c, int reuse, const char *from,
    const char *rcpt, const struct smtp_source *msg, int *reused,
    unsigned long long *size_max, char *err, size_t errlen)
{
	struct track		 t = { ST_CONNECT, ST_CONNECT, 0, "", 0, 0, "" };
	struct src		 src = { msg, 0 };
	struct curl_slist	*rcpts;
	CURLcode		 rc;
	long			 nconn = 1;
	enum smtp_status	 st;

	*reused = 0;
	/* from its first byte: a retry on a fresh connection reads it again */
	if (msg->rewind(msg->ctx) < 0) {
		fs_seterr(err, errlen, "message illisible");
		return SMTP_TEMPFAIL;
	}
	if ((rcpts = libs_curl()->slist_append(NULL, rcpt)) == NULL) {
		fs_seterr(err, errlen, "mémoire insuffisante");
		return SMTP_TEMPFAIL;
	}
	if (set_tls_opts(h, c, reuse) == -1 ||
	    set_smtp_opts(h, c, from, rcpts, &src, &t) == -1) {
		fs_seterr(err, errlen, "libcurl : option TLS/SMTP refusée");
		st = SMTP_TEMPFAIL;
	} else {
		rc = libs_curl()->easy_perform(h);
		st = classify(h, rc, &t, err, errlen);
		if (src.failed) {
			/* our side: the message could not be read to its end */
			fs_seterr(err, errlen, "message illisible pendant l'envoi "
			    "(rien n'a été remis)");
			st = SMTP_TEMPFAIL;
		}
		if (libs_curl()->easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nconn) ==
		    CURLE_OK && nconn == 0)
			*reused = 1;
		/* a new connection said EHLO: its SIZE (or none) is current */
		if (size_max != NULL && !*reused && t.stage >= ST_EHLO)
			*size_max = t.size_max;
		/* a transport failure or 421 on a reused connection before
		 * DATA: nothing of this message can have been delivered */
		if (st == SMTP_TEMPFAIL && *reused && !t.data_sent &&
		    (t.code == 0 || t.code == 421) && tls_reason(rc) == NULL)
			*reused = 2;
	}
	/* no dangling pointer to this frame (the QUIT sent when a kept
	 * connection is closed goes through the handle's callbacks) */
	(void)libs_curl()->easy_setopt(h, CURLOPT_MAIL_RCPT, (struct curl_slist *)NULL);
	(void)libs_curl()->easy_setopt(h, CURLOPT_READDATA, (void *)NULL);
	(void)libs_curl()->easy_setopt(h, CURLOPT_DEBUGDATA, (void *)NULL);
	(void)libs_curl()->easy_setopt(h, CURLOPT_VERBOSE, 0L);
	libs_curl()->slist_free_all(rcpts);
	return st;
}

enum smtp_status
smtp_send(const struct smtp_conf *c, const char *from, const char *rcpt,
    const char *msg, size_t len, char *err, size_t errlen)
{
	struct mem_src		 m = { msg, len, 0 };
	const struct smtp_source src = { mem_read, mem_rewind, &m, len };
	CURL			*h;
	enum smtp_status	 st;
	int			 reused;

	if (msg == NULL && len > 0)
		len = 0;	/* refused by the checks */
	if ((st = precheck(c, from, rcpt, &src, err, errlen)) != SMTP_SENT)
		return st;
	if ((h = libs_curl()->easy_init()) == NULL) {
		fs_seterr(err, errlen, "libcurl : initialisation impossible");
		return SMTP_TEMPFAIL;
	}
	st = transaction(h, c, 0, from, rcpt, &src, &reused, NULL, err,
	    errlen);
	libs_curl()->easy_cleanup(h);
	return st;
}

static size_t
discard_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	(void)buf;
	(void)arg;
	return size * nitems;
}

int
smtp_probe(const struct smtp_conf *c, unsigned long long *size_max,
    char *err, size_t errlen)
{
	struct track	 t = { ST_CONNECT, ST_CONNECT, 0, "", 0, 0, "" };
	CURL		*h;
	CURLcode	 rc = CURLE_FAILED_INIT;
	long		 to;
	int		 r = -1;

	*size_max = 0;
	if (smtp_conf_check(c, err, errlen) == -1)
		return -1;
	if ((h = libs_curl()->easy_init()) == NULL) {
		fs_seterr(err, errlen, "libcurl : initialisation impossible");
		return -1;
	}
	to = c->timeout_s > 0 ? c->timeout_s : SMTP_DEFAULT_TIMEOUT;
	/* No MAIL, no RCPT: EHLO (and AUTH), then NOOP, then QUIT. */
	if (set_tls_opts(h, c, 0) == -1 ||
	    libs_curl()->easy_setopt(h, CURLOPT_URL, c->url) != CURLE_OK ||
	    libs_curl()->easy_setopt(h, CURLOPT_PROXY, "") != CURLE_OK ||
	    libs_curl()->easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    libs_curl()->easy_setopt(h, CURLOPT_TIMEOUT, to) != CURLE_OK ||
	    libs_curl()->easy_setopt(h, CURLOPT_CONNECTTIMEOUT, to) != CURLE_OK ||
	    (c->user != NULL &&
	    (libs_curl()->easy_setopt(h, CURLOPT_USERNAME, c->user) != CURLE_OK ||
	    libs_curl()->easy_setopt(h, CURLOPT_PASSWORD, c->password) != CURLE_OK)) ||
	    libs_curl()->easy_setopt(h, CURLOPT_CUSTOMREQUEST, "NOOP") != CURLE_OK ||
	    libs_curl()->easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb) != CURLE_OK ||
	    libs_curl()->easy_setopt(h, CURLOPT_DEBUGFUNCTION, debug_cb) != CURLE_OK ||
	    libs_curl()->easy_setopt(h, CURLOPT_DEBUGDATA, &t) != CURLE_OK ||
	    libs_curl()->easy_setopt(h, CURLOPT_VERBOSE, 1L) != CURLE_OK)
		fs_seterr(err, errlen, "libcurl : option TLS/SMTP refusée");
	else if ((rc = libs_curl()->easy_perform(h)) == CURLE_OK) {
		*size_max = t.size_max;
		r = 0;
	} else
		(void)classify(h, rc, &t, err, errlen);
	(void)libs_curl()->easy_setopt(h, CURLOPT_DEBUGDATA, (void *)NULL);
	(void)libs_curl()->easy_setopt(h, CURLOPT_VERBOSE, 0L);
	libs_curl()->easy_cleanup(h);
	return r;
}

/* ---- sessions ------------------------------------------------------- */

struct smtp_session {
	const struct smtp_conf	*conf;
	CURL			*h;	/* NULL: no connection kept */
	unsigned long long	 size_max;	/* last EHLO SIZE, 0: none */
};

unsigned long long
smtp_session_size(const struct smtp_session *s)
{
	return s != NULL ? s->size_max : 0;
}

struct smtp_session *
smtp_session_open(const struct smtp_conf *c, char *err, size_t errlen)
{
	struct smtp_session	*s;

	if (smtp_conf_check(c, err, errlen) == -1)
		return NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		fs_seterr(err, errlen, "mémoire insuffisante");
		return NULL;
	}
	s->conf = c;
	return s;
}

/* Close the kept connection, if any (QUIT, then TLS close). */
static void
session_drop(struct smtp_session *s)
{
	if (s->h != NULL) {
		libs_curl()->easy_cleanup(s->h);
		s->h = NULL;
	}
}

enum smtp_status
smtp_session_send(struct smtp_session *s, const char *from, const char *rcpt,
    const char *msg, size_t len, char *err, size_t errlen)
{
	struct mem_src		 m = { msg, msg != NULL ? len : 0, 0 };
	const struct smtp_source src = { mem_read, mem_rewind, &m, m.len };

	return smtp_session_send_source(s, from, rcpt, &src, err, errlen);
}

enum smtp_status
smtp_session_send_source(struct smtp_session *s, const char *from,
    const char *rcpt, const struct smtp_source *msg, char *err, size_t errlen)
{
	enum smtp_status	st;
	size_t			len;
	int			reused, again;

	if (s == NULL) {
		fs_seterr(err, errlen, "session SMTP absente");
		return SMTP_TEMPFAIL;
	}
	if ((st = precheck(s->conf, from, rcpt, msg, err,
	    errlen)) != SMTP_SENT)
		return st;
	len = msg->size;
	/* the server said how big a message it takes: no need to ask */
	if (s->size_max > 0 && len > s->size_max) {
		fs_seterr(err, errlen, "message de %zu octets, trop gros pour le "
		    "serveur (limite SIZE : %llu octets) : refusé avant envoi",
		    len, s->size_max);
		return SMTP_PERMFAIL;
	}
	if (s->conf->starttls) {	/* never any reuse with STARTTLS */
		CURL	*h;

		if ((h = libs_curl()->easy_init()) == NULL) {
			fs_seterr(err, errlen, "libcurl : initialisation "
			    "impossible");
			return SMTP_TEMPFAIL;
		}
		st = transaction(h, s->conf, 0, from, rcpt, msg, &reused,
		    &s->size_max, err, errlen);
		libs_curl()->easy_cleanup(h);
		return st;
	}
	for (again = 1;; again = 0) {
		if (s->h != NULL)
			libs_curl()->easy_reset(s->h);	/* keeps the connection */
		else if ((s->h = libs_curl()->easy_init()) == NULL) {
			fs_seterr(err, errlen, "libcurl : initialisation "
			    "impossible");
			return SMTP_TEMPFAIL;
		}
		st = transaction(s->h, s->conf, 1, from, rcpt, msg,
		    &reused, &s->size_max, err, errlen);
		if (st == SMTP_SENT)
			return st;
		/* after any failure the connection is not trusted again */
		session_drop(s);
		/* the kept connection had died (server timeout, 421): once
		 * more on a fresh one */
		if (!again || reused != 2)
			return st;
	}
}

void
smtp_session_close(struct smtp_session *s)
{
	if (s == NULL)
		return;
	session_drop(s);
	free(s);
}
