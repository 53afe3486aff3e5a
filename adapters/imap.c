/*
 * imap - the relay's mailbox over verified TLS with libcurl (GnuTLS build,
 * 7.88.1 on Debian 12).  See imap.h.
 *
 * libcurl's IMAP: a URL "<base>/INBOX" with a custom request makes it LOGIN
 * and SELECT INBOX on a new connection, then send the request; untagged
 * answers of a custom request come to the write callback, every server line
 * (SELECT's "* OK [UIDVALIDITY n]" included) to the header callback.  The
 * URL "<base>/INBOX;UID=n" fetches BODY[] of one message as the body.
 *
 * Trusts: libcurl/GnuTLS.  Distrusts: the server (numbers parsed with
 * bounds; the server's text never reaches err).
 */
#include "adapters/imap.h"
#include "relay/util.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <time.h>
#include <curl/curl.h>

#include "adapters/libs.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMAP_URL_MAX		255
#define IMAP_DEFAULT_TIMEOUT	60L
#define IMAP_CONNECT_TIMEOUT	30L
#define LIST_BODY_MAX		(4 * 1024 * 1024)
#define UIDS_PER_COMMAND	400
#define LIST_CHUNK		50

struct imap_session {
	const struct imap_conf	*conf;
	CURL			*h;
	char			*mailbox_url;	/* <base>/INBOX */
	uint32_t		 uidvalidity;	/* of the current connection; 0 unknown */
	uint32_t		 seen_uidvalidity;	/* in the last perform's SELECT */
	int64_t			 seen_exists;	/* "* n EXISTS" of a SELECT; -1 none */
	int			 fresh_next;	/* next transfer on a new connection */
	int64_t			 status_messages;	/* of the last STATUS; -1 none */
	uint32_t		 status_uidvalidity;
	unsigned long		 connects;	/* connections made (logins) */
	int			 changed;	/* UIDVALIDITY changed under us */
	struct buf		*sink;		/* write callback target */
	int			 overflow;
};



/* 0 if url is scheme://host[:port] with nothing after. */
static int
url_check(const char *url, int starttls, char *err, size_t errlen)
{
	const char *scheme = starttls ? "imap://" : "imaps://";

	if (url == NULL || strlen(url) > IMAP_URL_MAX) {
		fs_seterr(err, errlen, "URL IMAP absente ou trop longue");
		return -1;
	}
	if (strncmp(url, scheme, strlen(scheme)) != 0) {
		fs_seterr(err, errlen, "URL IMAP : le schéma doit être %.*s (imap:// seulement"
		    " avec STARTTLS configuré)", (int)strlen(scheme) - 3, scheme);
		return -1;
	}
	return fs_url_hostport_check(url + strlen(scheme), "IMAP", err, errlen);
}

static int
conf_check(const struct imap_conf *c, char *err, size_t errlen)
{
	if (c == NULL) {
		fs_seterr(err, errlen, "configuration IMAP absente");
		return -1;
	}
	if (c->starttls != 0 && c->starttls != 1) {
		fs_seterr(err, errlen, "IMAP : starttls doit valoir 0 ou 1");
		return -1;
	}
	if (url_check(c->url, c->starttls, err, errlen) < 0)
		return -1;
	if (c->ca_file == NULL || c->ca_file[0] == '\0') {
		fs_seterr(err, errlen, "IMAP : fichier CA obligatoire (vérification du certificat)");
		return -1;
	}
	if (c->user == NULL || c->user[0] == '\0' || c->password == NULL) {
		fs_seterr(err, errlen, "IMAP : utilisateur et mot de passe obligatoires");
		return -1;
	}
	if (c->timeout_s < 0 || c->timeout_s > 3600) {
		fs_seterr(err, errlen, "IMAP : délai hors de [0, 3600] s");
		return -1;
	}
	return 0;
}

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	struct imap_session *s = arg;
	size_t n;

	if (size == 0 || nmemb > SIZE_MAX / size)
		return 0;
	n = size * nmemb;
	if (s->sink == NULL)
		return n;
	if (buf_append(s->sink, data, n) < 0) {
		s->overflow = 1;
		return 0;
	}
	return n;
}

static int item_number(const char *line, size_t len, const char *key, uint64_t max,
    uint64_t *v);

/* Every server line: keep the UIDVALIDITY of a SELECT answer, and the
 * MESSAGES and UIDVALIDITY of a STATUS answer. */
static size_t
header_cb(char *data, size_t size, size_t nmemb, void *arg)
{
	static const char key[] = "* OK [UIDVALIDITY ";
	static const char status[] = "* STATUS ";
	struct imap_session *s = arg;
	size_t n, i;
	uint64_t v = 0, m = 0;

	if (size == 0 || nmemb > SIZE_MAX / size)
		return 0;
	n = size * nmemb;
	if (n > sizeof(status) - 1 && strncasecmp(data, status, sizeof(status) - 1) == 0) {
		const char *paren = memchr(data, '(', n);

		if (paren && item_number(paren + 1, n - (size_t)(paren + 1 - data), "MESSAGES",
		    UINT32_MAX, &m) == 0 && item_number(paren + 1, n - (size_t)(paren + 1 -
		    data), "UIDVALIDITY", UINT32_MAX, &v) == 0 && v > 0) {
			s->status_messages = (int64_t)m;
			s->status_uidvalidity = (uint32_t)v;
		}
		return n;
	}
	if (n > 2 && data[0] == '*' && data[1] == ' ' && isdigit((unsigned char)data[2])) {
		for (i = 2, v = 0; i < n && isdigit((unsigned char)data[i]) && v <= UINT32_MAX; i++)
			v = v * 10 + (uint64_t)(data[i] - '0');
		if (v <= UINT32_MAX && n - i >= 7 && strncasecmp(data + i, " EXISTS", 7) == 0)
			s->seen_exists = (int64_t)v;
		v = 0;
	}
	if (n > sizeof(key) - 1 && strncasecmp(data, key, sizeof(key) - 1) == 0) {
		for (i = sizeof(key) - 1; i < n && isdigit((unsigned char)data[i]) &&
		    v <= UINT32_MAX; i++)
			v = v * 10 + (uint64_t)(data[i] - '0');
		if (i < n && data[i] == ']' && v > 0 && v <= UINT32_MAX)
			s->seen_uidvalidity = (uint32_t)v;
	}
	return n;
}

#define SETOPT(h, opt, val) do {					\
	if (libs_curl()->easy_setopt((h), (opt), (val)) != CURLE_OK)		\
		return -1;						\
} while (0)

static int
set_fixed_opts(struct imap_session *s)
{
	const struct imap_conf *c = s->conf;
	long to = c->timeout_s > 0 ? c->timeout_s : IMAP_DEFAULT_TIMEOUT;
	long noreuse = c->starttls ? 1L : 0L;

	SETOPT(s->h, CURLOPT_PROTOCOLS_STR, c->starttls ? "imap" : "imaps");
	SETOPT(s->h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	SETOPT(s->h, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(s->h, CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(s->h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	SETOPT(s->h, CURLOPT_CAINFO, c->ca_file);
	SETOPT(s->h, CURLOPT_CAPATH, (char *)NULL);
	SETOPT(s->h, CURLOPT_FORBID_REUSE, noreuse);
	SETOPT(s->h, CURLOPT_FRESH_CONNECT, noreuse);
	SETOPT(s->h, CURLOPT_PROXY, "");
	SETOPT(s->h, CURLOPT_NOSIGNAL, 1L);
	SETOPT(s->h, CURLOPT_TIMEOUT, to);
	SETOPT(s->h, CURLOPT_CONNECTTIMEOUT, to < IMAP_CONNECT_TIMEOUT ? to :
	    IMAP_CONNECT_TIMEOUT);
	SETOPT(s->h, CURLOPT_USERNAME, c->user);
	SETOPT(s->h, CURLOPT_PASSWORD, c->password);
	SETOPT(s->h, CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(s->h, CURLOPT_WRITEDATA, s);
	SETOPT(s->h, CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(s->h, CURLOPT_HEADERDATA, s);
	return 0;
}

struct imap_session *
imap_open(const struct imap_conf *conf, char *err, size_t errlen)
{
	struct imap_session *s;

	if (conf_check(conf, err, errlen) < 0)
		return NULL;
	s = xcalloc(1, sizeof(*s));
	s->conf = conf;
	s->mailbox_url = xasprintf("%s/INBOX", conf->url);
	if ((s->h = libs_curl()->easy_init()) == NULL || set_fixed_opts(s) < 0) {
		fs_seterr(err, errlen, "IMAP : initialisation de libcurl impossible");
		imap_close(s);
		return NULL;
	}
	return s;
}

unsigned long
imap_connects(const struct imap_session *s)
{
	return s ? s->connects : 0;
}

void
imap_close(struct imap_session *s)
{
	if (s == NULL)
		return;
	if (s->h)
		libs_curl()->easy_cleanup(s->h);
	free(s->mailbox_url);
	free(s);
}

static const char *
curl_reason(CURLcode rc)
{
	switch (rc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return "TLS : certificat non vérifié";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_CIPHER:
		return "TLS : échec de la négociation";
	case CURLE_SSL_CACERT_BADFILE:
		return "TLS : fichier CA illisible";
	case CURLE_USE_SSL_FAILED:
		return "TLS : STARTTLS refusé par le serveur";
	case CURLE_LOGIN_DENIED:
		return IMAP_ERR_LOGIN_DENIED;
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
		return "connexion refusée ou impossible";
	case CURLE_OPERATION_TIMEDOUT:
		return "délai dépassé";
	case CURLE_QUOTE_ERROR:
		return "commande refusée par le serveur";
	case CURLE_WRITE_ERROR:
		return "réponse trop grosse";
	case CURLE_REMOTE_FILE_NOT_FOUND:
		return "message introuvable ou UIDVALIDITY changée";
	default:
		return "erreur IMAP";
	}
}

/*
 * One libcurl transfer on the session's handle: url, optional custom
 * command, body into sink (may be NULL).  Tracks UIDVALIDITY.
 */
static int
perform(struct imap_session *s, const char *url, const char *custom, struct buf *sink,
    char *err, size_t errlen)
{
	CURLcode rc;

	s->sink = sink;
	s->overflow = 0;
	s->seen_uidvalidity = 0;
	if (libs_curl()->easy_setopt(s->h, CURLOPT_FRESH_CONNECT, s->conf->starttls || s->fresh_next ?
	    1L : 0L) != CURLE_OK ||
	    libs_curl()->easy_setopt(s->h, CURLOPT_URL, url) != CURLE_OK ||
	    libs_curl()->easy_setopt(s->h, CURLOPT_CUSTOMREQUEST, custom) != CURLE_OK) {
		fs_seterr(err, errlen, "IMAP : option libcurl refusée");
		return -1;
	}
	rc = libs_curl()->easy_perform(s->h);
	s->sink = NULL;
	s->fresh_next = 0;
	{
		long nc = 0;

		if (libs_curl()->easy_getinfo(s->h, CURLINFO_NUM_CONNECTS, &nc) == CURLE_OK && nc > 0)
			s->connects += (unsigned long)nc;
	}
	if (s->seen_uidvalidity) {
		if (s->uidvalidity && s->uidvalidity != s->seen_uidvalidity)
			s->changed = 1;
		s->uidvalidity = s->seen_uidvalidity;
	}
	if (rc != CURLE_OK) {
		fs_seterr(err, errlen, "IMAP : %s (CURLE %d)", s->overflow ?
		    "message plus gros que la limite" : curl_reason(rc), (int)rc);
		return -1;
	}
	return 0;
}

/* Find "KEY <digits>" (case-insensitive) in line; 0 and *v, -1 if absent. */
static int
item_number(const char *line, size_t len, const char *key, uint64_t max, uint64_t *v)
{
	size_t kl = strlen(key), i, j;

	for (i = 0; i + kl < len; i++) {
		if ((i > 0 && line[i - 1] != ' ' && line[i - 1] != '(') ||
		    strncasecmp(line + i, key, kl) != 0 || line[i + kl] != ' ')
			continue;
		*v = 0;
		for (j = i + kl + 1; j < len && isdigit((unsigned char)line[j]); j++) {
			*v = *v * 10 + (uint64_t)(line[j] - '0');
			if (*v > max)
				return -1;
		}
		return j > i + kl + 1 ? 0 : -1;
	}
	return -1;
}

int
imap_parse_fetch_line(const char *line, size_t len, struct imap_msg *m)
{
	const char *p = line, *end = line + len;
	uint64_t uid, size;

	if (len < 4 || strncmp(p, "* ", 2) != 0)
		return -1;
	for (p += 2; p < end && isdigit((unsigned char)*p); p++)
		;
	if (p == line + 2 || end - p < 8 || strncasecmp(p, " FETCH (", 8) != 0)
		return -1;
	p += 7;
	if (item_number(p, (size_t)(end - p), "UID", UINT32_MAX, &uid) < 0 || uid == 0 ||
	    item_number(p, (size_t)(end - p), "RFC822.SIZE", UINT64_MAX / 16, &size) < 0)
		return -1;
	m->uid = (uint32_t)uid;
	m->size = size;
	return 0;
}

static int
cmp_msg(const void *a, const void *b)
{
	const struct imap_msg *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* Parse every "* n FETCH (UID u RFC822.SIZE s)" line of body into list. */
static size_t
parse_list(const struct buf *body, struct imap_msg **list, size_t *n)
{
	const char *p, *end;
	size_t got = 0;

	for (p = body->p, end = body->p + body->len; p && p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct imap_msg m;

		if (*n < IMAP_LIST_MAX && imap_parse_fetch_line(p, l, &m) == 0) {
			*list = xreallocarray(*list, *n + 1, sizeof(**list));
			(*list)[(*n)++] = m;
			got++;
		}
		p = nl ? nl + 1 : end;
	}
	return got;
}

/*
 * libcurl 7.88 may drop part of a long untagged answer to a custom
 * command (seen with Dovecot beyond ~130 FETCH lines): the list is asked
 * LIST_CHUNK messages at a time, by sequence number up to the EXISTS of a
 * fresh SELECT, and stops at the first short chunk (what was not listed
 * waits for the next pass; the connection is then not reused).
 */
int
imap_list(struct imap_session *s, uint32_t *uidvalidity, struct imap_msg **list,
    size_t *n, char *err, size_t errlen)
{
	struct buf body;
	uint32_t i, exists;
	int r = -1;

	*list = NULL;
	*n = 0;
	buf_init(&body, LIST_BODY_MAX);
	/*
	 * The count and UIDVALIDITY from STATUS, on the connection kept from
	 * the last pass (issue 15: one login per connection, not per pass;
	 * libcurl makes a new one, LOGIN and SELECT, only when it has none
	 * alive).  A server that does not answer STATUS gets the former way:
	 * a fresh connection, whose SELECT tells EXISTS and UIDVALIDITY.
	 */
	s->seen_exists = -1;
	s->status_messages = -1;
	/* NOOP first: the server tells the kept session of new mail (EXISTS),
	 * so that the FETCH by sequence numbers below may name it. */
	if (perform(s, s->mailbox_url, "NOOP", NULL, err, errlen) < 0) {
		/* A connection kept from an earlier pass failed: one new try.
		 * A first connection that failed is not tried twice. */
		if (s->uidvalidity == 0)
			goto out;
		s->fresh_next = 1;
		if (perform(s, s->mailbox_url, "NOOP", NULL, err, errlen) < 0)
			goto out;
	}
	if (perform(s, s->mailbox_url, "STATUS INBOX (MESSAGES UIDVALIDITY)", NULL, err,
	    errlen) < 0)
		goto out;
	if (s->status_messages >= 0) {
		if (s->uidvalidity && s->uidvalidity != s->status_uidvalidity) {
			fs_seterr(err, errlen, "IMAP : UIDVALIDITY de la boîte changée");
			s->uidvalidity = 0;
			s->fresh_next = 1;
			goto out;
		}
		s->uidvalidity = s->status_uidvalidity;
		s->seen_exists = s->status_messages;
	} else {
		s->fresh_next = 1;
		if (perform(s, s->mailbox_url, "NOOP", NULL, err, errlen) < 0)
			goto out;
	}
	s->changed = 0;
	if (s->uidvalidity == 0 || s->seen_exists < 0) {
		fs_seterr(err, errlen, "IMAP : le serveur n'a pas donné UIDVALIDITY et EXISTS");
		goto out;
	}
	exists = (uint32_t)s->seen_exists;
	for (i = 1; i <= exists && *n < IMAP_LIST_MAX; i += LIST_CHUNK) {
		uint32_t last = exists - i < LIST_CHUNK - 1 ? exists : i + LIST_CHUNK - 1;
		char cmd[80];

		snprintf(cmd, sizeof(cmd), "FETCH %" PRIu32 ":%" PRIu32 " (UID RFC822.SIZE)",
		    i, last);
		body.len = 0;
		if (perform(s, s->mailbox_url, cmd, &body, err, errlen) < 0)
			goto out;
		if (s->changed) {
			fs_seterr(err, errlen, "IMAP : UIDVALIDITY de la boîte changée pendant la passe");
			goto out;
		}
		if (parse_list(&body, list, n) < last - i + 1) {
			s->fresh_next = 1;
			break;
		}
	}
	if (*n > 1)
		qsort(*list, *n, sizeof(**list), cmp_msg);
	*uidvalidity = s->uidvalidity;
	r = 0;
out:
	buf_free(&body);
	if (r < 0) {
		free(*list);
		*list = NULL;
		*n = 0;
	}
	return r;
}

int
imap_fetch(struct imap_session *s, uint32_t uidvalidity, uint32_t uid, size_t max,
    struct buf *out, char *err, size_t errlen)
{
	struct buf body;
	char *url;
	int r;

	buf_init(&body, max);
	/* libcurl re-checks UIDVALIDITY on SELECT when the URL names it. */
	url = xasprintf("%s;UIDVALIDITY=%" PRIu32 "/;UID=%" PRIu32, s->mailbox_url,
	    uidvalidity, uid);
	r = perform(s, url, NULL, &body, err, errlen);
	free(url);
	if (r == 0 && (s->changed || s->uidvalidity != uidvalidity)) {
		fs_seterr(err, errlen, "IMAP : UIDVALIDITY de la boîte changée pendant la passe");
		r = -1;
	}
	if (r == 0 && body.len == 0) {
		fs_seterr(err, errlen, "IMAP : message %" PRIu32 " vide ou introuvable", uid);
		r = -1;
	}
	if (r == 0 && buf_append(out, body.p, body.len) < 0) {
		fs_seterr(err, errlen, "IMAP : message plus gros que la limite");
		r = -1;
	}
	buf_free(&body);
	return r;
}

/* "a,b,c:d" for uids[from..to), ascending input expected. */
static char *
uid_set(const uint32_t *uids, size_t from, size_t to)
{
	struct buf b;
	size_t i = from;
	char *out;

	buf_init(&b, 64 * 1024);
	while (i < to) {
		size_t j = i;

		while (j + 1 < to && uids[j + 1] == uids[j] + 1)
			j++;
		if (j > i)
			buf_printf(&b, "%s%" PRIu32 ":%" PRIu32, b.len ? "," : "", uids[i], uids[j]);
		else
			buf_printf(&b, "%s%" PRIu32, b.len ? "," : "", uids[i]);
		i = j + 1;
	}
	out = xstrdup(b.p ? b.p : "");
	buf_free(&b);
	return out;
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int
imap_delete(struct imap_session *s, uint32_t uidvalidity, const uint32_t *uids, size_t n,
    char *err, size_t errlen)
{
	uint32_t *sorted;
	char *url;
	size_t i;
	int r = 0;

	if (n == 0)
		return 0;
	/* A new connection's SELECT fails before STORE if UIDVALIDITY moved. */
	url = xasprintf("%s;UIDVALIDITY=%" PRIu32, s->mailbox_url, uidvalidity);
	sorted = xreallocarray(NULL, n, sizeof(*sorted));
	memcpy(sorted, uids, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_u32);
	for (i = 0; i < n && r == 0; i += UIDS_PER_COMMAND) {
		size_t to = i + UIDS_PER_COMMAND < n ? i + UIDS_PER_COMMAND : n;
		char *set = uid_set(sorted, i, to);
		char *store = xasprintf("UID STORE %s +FLAGS.SILENT (\\Deleted)", set);
		char *expunge = xasprintf("UID EXPUNGE %s", set);

		r = perform(s, url, store, NULL, err, errlen);
		if (r == 0 && (s->changed || s->uidvalidity != uidvalidity)) {
			fs_seterr(err, errlen, "IMAP : UIDVALIDITY de la boîte changée : rien"
			    " n'est effacé");
			r = -1;
		}
		if (r == 0 && perform(s, url, expunge, NULL, err, errlen) < 0)
			r = perform(s, url, "EXPUNGE", NULL, err, errlen);
		free(set);
		free(store);
		free(expunge);
	}
	free(sorted);
	free(url);
	return r;
}

/* ---- IDLE: a second connection that only waits for new mail ---------- */

/*
 * libcurl has no IDLE.  CURLOPT_CONNECT_ONLY on an imaps:// URL makes it
 * connect, verify TLS exactly as above (same options), read the greeting
 * and log in; then this code speaks the few commands it needs over that
 * connection with curl_easy_send / curl_easy_recv: CAPABILITY (is IDLE
 * offered?), EXAMINE INBOX (read-only), and IDLE ... DONE.
 */
#define IDLE_LINE_MAX	8192

struct imap_idle {
	struct imap_session	 sess;	/* the callbacks' target during the login */
	CURL		*h;
	curl_socket_t	 fd;
	char		 in[IDLE_LINE_MAX];
	size_t		 len;		/* bytes in in[] */
	unsigned	 tag;
};

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int
idle_send(struct imap_idle *w, const char *line)
{
	size_t len = strlen(line), off = 0, n;
	int64_t end = mono_ms() + IMAP_CONNECT_TIMEOUT * 1000;

	while (off < len) {
		CURLcode rc = libs_curl()->easy_send(w->h, line + off, len - off, &n);

		if (rc == CURLE_OK)
			off += n;
		else if (rc == CURLE_AGAIN && mono_ms() < end) {
			struct pollfd p = { w->fd, POLLOUT, 0 };

			if (poll(&p, 1, 100) < 0 && errno != EINTR)
				return -1;
		} else
			return -1;
	}
	return 0;
}

/*
 * The next server line (CRLF removed) into line, waiting until deadline
 * (monotonic ms).  1 a line, 0 deadline passed or interrupted by a signal
 * (nothing lost: the bytes stay buffered), -1 connection error or a line
 * longer than IDLE_LINE_MAX.
 */
static int
idle_line(struct imap_idle *w, int64_t deadline, char *line, size_t linelen)
{
	for (;;) {
		char *nl = memchr(w->in, '\n', w->len);
		size_t n;
		CURLcode rc;

		if (nl) {
			size_t l = (size_t)(nl - w->in);

			if (l >= linelen)
				return -1;
			memcpy(line, w->in, l);
			line[l && line[l - 1] == '\r' ? l - 1 : l] = '\0';
			memmove(w->in, nl + 1, w->len - l - 1);
			w->len -= l + 1;
			return 1;
		}
		if (w->len == sizeof(w->in))
			return -1;
		rc = libs_curl()->easy_recv(w->h, w->in + w->len, sizeof(w->in) - w->len, &n);
		if (rc == CURLE_OK) {
			if (n == 0)
				return -1;	/* closed by the server */
			w->len += n;
			continue;
		}
		if (rc != CURLE_AGAIN)
			return -1;
		{
			int64_t left = deadline - mono_ms();
			struct pollfd p = { w->fd, POLLIN, 0 };
			int r;

			if (left <= 0)
				return 0;
			r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
			if (r < 0)
				return errno == EINTR ? 0 : -1;
		}
	}
}

/* Send "tN cmd" and read to its tagged answer; *seen |= 1 when a line
 * contains want (NULL: nothing looked for).  0 OK, -1 otherwise. */
static int
idle_command(struct imap_idle *w, const char *cmd, const char *want, int *seen)
{
	char tag[16], line[IDLE_LINE_MAX], *out;
	int64_t end = mono_ms() + IMAP_DEFAULT_TIMEOUT * 1000;
	int r;

	snprintf(tag, sizeof(tag), "f%u ", ++w->tag);
	out = xasprintf("%s%s\r\n", tag, cmd);
	r = idle_send(w, out);
	free(out);
	if (r < 0)
		return -1;
	while ((r = idle_line(w, end, line, sizeof(line))) == 1) {
		if (want && seen && strstr(line, want))
			*seen = 1;
		if (strncmp(line, tag, strlen(tag)) == 0)
			return strncasecmp(line + strlen(tag), "OK", 2) == 0 ? 0 : -1;
	}
	return -1;
}

void
imap_idle_close(struct imap_idle *w)
{
	if (w == NULL)
		return;
	if (w->h) {
		if (w->fd != CURL_SOCKET_BAD)
			(void)idle_send(w, "f0 LOGOUT\r\n");
		libs_curl()->easy_cleanup(w->h);
	}
	free(w);
}

struct imap_idle *
imap_idle_open(const struct imap_conf *conf, int *offered, char *err, size_t errlen)
{
	struct imap_idle *w;
	CURLcode rc;
	int idle = 0;

	*offered = 0;
	if (errlen)
		err[0] = '\0';
	if (conf_check(conf, err, errlen) < 0)
		return NULL;
	w = xcalloc(1, sizeof(*w));
	w->fd = CURL_SOCKET_BAD;
	w->sess.conf = conf;
	if ((w->sess.h = w->h = libs_curl()->easy_init()) == NULL || set_fixed_opts(&w->sess) < 0 ||
	    libs_curl()->easy_setopt(w->h, CURLOPT_URL, conf->url) != CURLE_OK ||
	    libs_curl()->easy_setopt(w->h, CURLOPT_CONNECT_ONLY, 1L) != CURLE_OK) {
		fs_seterr(err, errlen, "IMAP IDLE : initialisation de libcurl impossible");
		goto fail;
	}
	if ((rc = libs_curl()->easy_perform(w->h)) != CURLE_OK) {
		fs_seterr(err, errlen, "IMAP IDLE : %s (CURLE %d)", curl_reason(rc), (int)rc);
		goto fail;
	}
	if (libs_curl()->easy_getinfo(w->h, CURLINFO_ACTIVESOCKET, &w->fd) != CURLE_OK ||
	    w->fd == CURL_SOCKET_BAD) {
		fs_seterr(err, errlen, "IMAP IDLE : pas de connexion");
		goto fail;
	}
	if (idle_command(w, "CAPABILITY", " IDLE", &idle) < 0) {
		fs_seterr(err, errlen, "IMAP IDLE : CAPABILITY refusée");
		goto fail;
	}
	if (!idle)
		goto fail;	/* not offered: the caller polls */
	if (idle_command(w, "EXAMINE INBOX", NULL, NULL) < 0) {
		fs_seterr(err, errlen, "IMAP IDLE : EXAMINE INBOX refusé");
		goto fail;
	}
	*offered = 1;
	return w;
fail:
	imap_idle_close(w);
	return NULL;
}

/* "* n EXISTS" or "* n RECENT": new mail, as IDLE announces it. */
static int
idle_news(const char *line)
{
	const char *p = line;

	if (strncmp(p, "* ", 2) != 0)
		return 0;
	for (p += 2; isdigit((unsigned char)*p); p++)
		;
	return p > line + 2 && (strcasecmp(p, " EXISTS") == 0 || strcasecmp(p, " RECENT") == 0);
}

int
imap_idle_wait(struct imap_idle *w, int max_ms, char *err, size_t errlen)
{
	char tag[16], line[IDLE_LINE_MAX];
	int64_t end, start = mono_ms();
	int r, news = 0;

	snprintf(tag, sizeof(tag), "f%u ", ++w->tag);
	{
		char *cmd = xasprintf("%sIDLE\r\n", tag);

		r = idle_send(w, cmd);
		free(cmd);
	}
	if (r < 0)
		goto lost;
	/* "+ idling": the server waits; anything untagged before it counts too. */
	end = start + IMAP_DEFAULT_TIMEOUT * 1000;
	while ((r = idle_line(w, end, line, sizeof(line))) == 1 && line[0] != '+')
		news |= idle_news(line);
	if (r != 1)
		goto lost;
	/* Until new mail, max_ms or a signal (poll interrupted). */
	end = start + max_ms;
	while (!news && (r = idle_line(w, end, line, sizeof(line))) == 1)
		news |= idle_news(line);
	if (r < 0)
		goto lost;
	if (idle_send(w, "DONE\r\n") < 0)
		goto lost;
	end = mono_ms() + IMAP_DEFAULT_TIMEOUT * 1000;
	while ((r = idle_line(w, end, line, sizeof(line))) == 1) {
		if (strncmp(line, tag, strlen(tag)) == 0)
			return strncasecmp(line + strlen(tag), "OK", 2) == 0 ? news : -1;
		news |= idle_news(line);
	}
lost:
	fs_seterr(err, errlen, "IMAP IDLE : connexion perdue");
	return -1;
}
