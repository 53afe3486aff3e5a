/*
 * port/mailbox: the relay's mailbox (IMAP), a port: declared here by the
 * core, implemented by adapters/imap.c.
 *
 * imap - the relay's mailbox over IMAP, with libcurl (GnuTLS build): list
 * the messages of INBOX with their UID and size, fetch one by UID, delete
 * a set of UIDs (\Deleted then UID EXPUNGE).
 *
 * TLS is always required and verified before any credential is sent:
 * implicit TLS (imaps://) by default, STARTTLS (imap://) only when the
 * configuration says so (then CURLUSESSL_ALL and never any connection
 * reuse, CVE-2026-8286), TLS >= 1.2, peer certificate checked against the
 * configured CA file only, and the host name.  libetpan is not used for
 * network I/O: on Debian 12 it does not verify certificates.
 *
 * A session keeps one libcurl handle, hence (with implicit TLS) one
 * connection, LOGIN and SELECT, for as long as the session lives and the
 * server keeps the connection: `serve` keeps it across passes (each pass
 * asks STATUS on it); a failed connection is replaced on the next command.
 *
 * Trusts: libcurl/GnuTLS.  Distrusts: the server's answers (parsed with
 * bounds, numbers only; a message larger than the cap is refused) and never
 * copies the server's text into err.
 */
#ifndef FSRELAY_PORT_MAILBOX_H
#define FSRELAY_PORT_MAILBOX_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"

/* The reason an error names when the server refused the login: the daemon
 * backs off on it (relay/daemon.h). */
#define IMAP_ERR_LOGIN_DENIED	"authentification refusée"

struct imap_conf {
	const char	*url;		/* imaps://host:port, or imap://host:port
					 * when starttls = 1 (no path) */
	const char	*user;		/* required */
	const char	*password;	/* required */
	const char	*ca_file;	/* PEM trust list (required) */
	int		 starttls;	/* 1 only if configured explicitly */
	long		 timeout_s;	/* per command; 0: 60 s */
};

/* One message of the mailbox, as the server lists it. */
struct imap_msg {
	uint32_t	uid;
	uint64_t	size;		/* RFC822.SIZE */
};

/* Most messages listed in one pass (the rest waits for the next pass). */
#define IMAP_LIST_MAX	20000

struct imap_session;

/*
 * Check conf (scheme matches starttls, host[:port] only, CA file, user and
 * password given) and make a session.  No I/O: the connection, TLS
 * verification, LOGIN and SELECT INBOX happen on the first command.
 * NULL with a French reason in err.  conf must outlive the session.
 * Needs curl_global_init (smtp_global_init does it).
 */
struct imap_session *imap_open(const struct imap_conf *conf, char *err, size_t errlen);

/*
 * List INBOX: every message's UID and size, ascending UID, at most
 * IMAP_LIST_MAX; *uidvalidity gets the mailbox's UIDVALIDITY (from the
 * SELECT answer).  Caller frees *list.  0 / -1 with err (French, e.g.
 * "TLS : certificat non vérifié (CURLE 60)").
 */
int	 imap_list(struct imap_session *s, uint32_t *uidvalidity,
	    struct imap_msg **list, size_t *n, char *err, size_t errlen);

/*
 * Fetch the whole raw message uid into out (appended; at most max bytes,
 * else -1 and out unchanged).  0 / -1 with err.  *uidvalidity is checked
 * against the one of the connection: if the server's changed, -1.
 */
int	 imap_fetch(struct imap_session *s, uint32_t uidvalidity, uint32_t uid,
	    size_t max, struct buf *out, char *err, size_t errlen);

/*
 * Mark uids \Deleted and expunge them (UID EXPUNGE, or EXPUNGE when the
 * server lacks UIDPLUS).  Refused (-1) if the mailbox's UIDVALIDITY is no
 * longer uidvalidity.  0 / -1 with err.
 */
int	 imap_delete(struct imap_session *s, uint32_t uidvalidity, const uint32_t *uids,
	    size_t n, char *err, size_t errlen);

/* Connections (hence logins) the session has made so far. */
unsigned long imap_connects(const struct imap_session *s);

/*
 * IMAP IDLE (RFC 2177) on a connection of its own that only waits for new
 * mail.  libcurl has no IDLE: imap_idle_open uses its connect-only mode,
 * which makes the connection, verifies TLS with the same options as a
 * session and logs in (one login for the connection's life), then sends
 * its own CAPABILITY and EXAMINE INBOX.  NULL when the server does not
 * offer IDLE (*offered = 0, err empty: poll instead) or on error (err).
 * imap_idle_wait: IDLE until the server announces new mail (1), max_ms
 * pass or a signal interrupts the wait (0), then DONE; -1 when the
 * connection is lost (close it; open a new one later).
 */
struct imap_idle;
struct imap_idle *imap_idle_open(const struct imap_conf *conf, int *offered, char *err,
	    size_t errlen);
int	 imap_idle_wait(struct imap_idle *w, int max_ms, char *err, size_t errlen);
void	 imap_idle_close(struct imap_idle *w);

/* Close (LOGOUT) and free; NULL is a no-op. */
void	 imap_close(struct imap_session *s);

/*
 * Parse one untagged line "* n FETCH (UID u RFC822.SIZE s)" (items in any
 * order).  0 and *m, -1 if the line is not that.  Exposed for tests.
 */
int	 imap_parse_fetch_line(const char *line, size_t len, struct imap_msg *m);

#endif
