/*
 * port/transport: the mail transport (SMTP submission), a port: declared
 * here by the core, implemented by adapters/smtp.c.
 *
 * smtp - the SMTP submission adapter: one SMTP transaction (one sender,
 * one recipient, one message) per call, with libcurl (GnuTLS build);
 * smtp_send on a connection of its own, smtp_session_send on a connection
 * kept for a series of calls (implicit TLS only).
 *
 * TLS is always required and verified: implicit TLS (smtps://) by default,
 * STARTTLS (smtp://) only when the configuration says so, TLS >= 1.2, peer
 * certificate checked against a dedicated CA file and the host name.
 * libcurl 7.88.1 does not check envelope addresses for CR/LF, nor the URL
 * path (which becomes the EHLO argument): this module validates both before
 * libcurl sees them, without opening any connection.
 *
 * Trusts: libcurl/GnuTLS for the TLS handshake and the SMTP dialogue.
 * Distrusts: the envelope addresses and the message given by the caller
 * (checked), and everything the server answers: only the numeric reply code,
 * the enhanced status code, the SIZE limit of its EHLO reply and the text
 * of a refusal reach the caller, that text reduced to printable ASCII, at
 * most 120 bytes, each <...> part (an address) masked as "<...>".
 */
#ifndef FSRELAY_PORT_TRANSPORT_H
#define FSRELAY_PORT_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct smtp_conf {
	const char	*url;		/* smtps://host:port, or smtp://host:port
					 * when starttls = 1 */
	const char	*user;		/* AUTH user; NULL: no AUTH */
	const char	*password;	/* required when user is set */
	const char	*ca_file;	/* PEM trust list (required) */
	int		 starttls;	/* 1 only if configured explicitly */
	long		 timeout_s;	/* whole transaction; 0: 60 s */
};

/* The reason an error names when the server refused the login (a
 * SMTP_TEMPFAIL): the daemon backs off (relay/daemon) instead of counting
 * an attempt of the mail. */
#define SMTP_ERR_LOGIN_DENIED	"authentification refusée"

enum smtp_status {
	SMTP_SENT,	/* server answered 250 after DATA */
	SMTP_TEMPFAIL,	/* retry later (network, TLS, 4xx, configuration) */
	SMTP_PERMFAIL	/* recipient or message refused for good (5xx) */
};

/* Longest envelope address accepted (RFC 5321 path is 256 with <>). */
#define SMTP_ADDR_MAX	254
/* Largest message accepted by smtp_send (bytes). */
#define SMTP_MSG_MAX	(64UL * 1024 * 1024)

/* Call once before any smtp_send, from the main thread before other
 * threads exist (wraps curl_global_init).  0 on success, -1 on failure. */
int	smtp_global_init(void);
/* Call once at exit, after the last smtp_send. */
void	smtp_global_cleanup(void);

/* 1 if addr is acceptable as an SMTP envelope address: ASCII graphic
 * characters only (no byte <= 0x20, no DEL, no 8-bit byte, hence no CR, LF
 * or NUL), no '<' or '>', exactly one '@' with non-empty parts, at most
 * SMTP_ADDR_MAX bytes.  0 otherwise. */
int	smtp_address_ok(const char *addr);

/* Check a configuration without any I/O: URL scheme (smtps://, or smtp://
 * iff starttls = 1), host and optional port only (no path, query, user
 * info, control or space characters), CA file given, password given when
 * user is, timeout in [0, 3600].  0 if usable; -1 with a French reason in
 * err (always NUL-terminated when errlen > 0). */
int	smtp_conf_check(const struct smtp_conf *conf, char *err, size_t errlen);

/* Send msg (a full RFC 5322 message with CRLF line ends, no bare CR or LF,
 * no NUL, lines <= 998 bytes; libcurl does the dot-stuffing) from `from`
 * to the single recipient `rcpt`.
 * Returns SMTP_SENT only when the server answered 250 after DATA.
 * Otherwise err gets a short French/technical reason without personal
 * data, then the server's own (masked) text, e.g.
 * "TLS : certificat non vérifié (CURLE 60)" or "550 5.1.1 destinataire
 * inconnu (serveur : 5.1.1 <...>: Recipient address rejected)".
 * Classification: invalid configuration or sender address, TLS failure,
 * connection refused, timeout, authentication refused, any 4xx, a 5xx
 * before RCPT (greeting, EHLO, AUTH, MAIL FROM: a configuration problem)
 * except a size refusal -> SMTP_TEMPFAIL;
 * invalid recipient or message (refused before any connection), 5xx at
 * RCPT, DATA or after the message, a message too big for the server (552
 * at MAIL FROM, whose SIZE= parameter libcurl sends, or after the message;
 * or the enhanced code 5.3.4) -> SMTP_PERMFAIL, the reason then naming
 * the server's SIZE limit when it announced one.
 * Nothing is sent to the server before the TLS handshake has verified the
 * certificate.  One connection per call, closed after it.
 * Needs smtp_global_init(); thread-safe otherwise. */
enum smtp_status smtp_send(const struct smtp_conf *conf, const char *from,
	    const char *rcpt, const char *msg, size_t len, char *err,
	    size_t errlen);

/*
 * Sessions: several transactions over one kept connection, for a pass of
 * the outbox.  Only with implicit TLS (smtps://): the connection is made
 * and verified exactly as smtp_send does (same TLS options, CA file, host
 * name check) on the first send, then reused by the next ones.  With
 * STARTTLS (conf->starttls = 1) a session never reuses anything: each send
 * is exactly smtp_send, on its own connection (CVE-2026-8286).
 * Each send is still its own transaction (MAIL FROM, RCPT TO, DATA) and
 * succeeds only on 250 after DATA; after any failure the connection is
 * closed, so the next send starts on a fresh one.  A kept connection found
 * dead before DATA (server idle timeout, 421) is replaced once by a fresh
 * one within the same send.  A session is not thread-safe: one thread at
 * a time.
 */
struct smtp_session;

/* Open a session on conf, which must stay valid and unchanged until
 * smtp_session_close.  No I/O (the connection is made by the first send).
 * Returns NULL with a French reason in err if conf is not usable
 * (smtp_conf_check) or memory runs out.  Needs smtp_global_init(). */
struct smtp_session *smtp_session_open(const struct smtp_conf *conf,
	    char *err, size_t errlen);

/* Like smtp_send (same checks before any I/O, same return values, same
 * classification and err), on the session's connection. */
enum smtp_status smtp_session_send(struct smtp_session *s, const char *from,
	    const char *rcpt, const char *msg, size_t len, char *err,
	    size_t errlen);

/*
 * A message read in pieces, for one too large to hold (a case mail with
 * its attachments, read back from the store a chunk at a time): read
 * gives up to n bytes (0 at the end, -1 on failure), rewind goes back to
 * the first byte (0 / -1), size is the message's length.  The send reads
 * it once for its checks (the same as smtp_send's, before any I/O), then
 * once per transaction tried; a read failure during the upload aborts it
 * (nothing delivered: SMTP_TEMPFAIL, "message illisible").
 */
struct smtp_source {
	ssize_t	(*read)(void *ctx, uint8_t *p, size_t n);
	int	(*rewind)(void *ctx);
	void	*ctx;
	size_t	 size;
};

/* smtp_session_send of a message read from a source. */
enum smtp_status smtp_session_send_source(struct smtp_session *s,
	    const char *from, const char *rcpt, const struct smtp_source *msg,
	    char *err, size_t errlen);

/* The SIZE limit (bytes, RFC 1870) the server announced in its EHLO reply
 * on the session's last new connection; 0 if none was announced or no
 * connection was made yet.  Once known, a smtp_session_send of a larger
 * message is refused before any I/O (SMTP_PERMFAIL, the limit named). */
unsigned long long smtp_session_size(const struct smtp_session *s);

/* Ask the server, without sending any mail: connect and verify TLS exactly
 * as smtp_send, EHLO (AUTH when conf has a user), NOOP, QUIT.  0 with
 * *size_max the SIZE limit of its EHLO reply (0: none announced); -1 with
 * a reason in err (as smtp_send's) when the server cannot be reached.
 * Needs smtp_global_init(). */
int	smtp_probe(const struct smtp_conf *conf, unsigned long long *size_max,
	    char *err, size_t errlen);

/* Close the connection (QUIT) if one is kept and free s.  NULL is a
 * no-op. */
void	smtp_session_close(struct smtp_session *s);

#endif
