/*
 * port/mail: the parser of an untrusted mail (MIME), a port: declared here
 * by the core, implemented by adapters/mime.c.
 *
 * mime - parse one untrusted RFC 5322 / MIME message (libetpan) into a
 * plain model: the headers the matcher needs, the text body (HTML reduced
 * to text), the attachments and the delivery-status data of a bounce
 * (RFC 3464 and the common non-standard bounces: qmail, Exchange, Gmail).
 *
 * Trusts: nothing in the input.  Every size is bounded (MIME_* below);
 * beyond a limit, or on a message that is not mail at all, the parse fails
 * and the caller files the mail as "malformed".  All strings of the model
 * are NUL-terminated UTF-8 (invalid bytes replaced by U+FFFD), without
 * control characters except LF and TAB in texts, and owned by the model
 * (mime_free).  This is the only file that includes libetpan headers; run
 * it in a child process with resource limits (ingest does) since libetpan
 * itself is not trusted either: mime_serialize / mime_deserialize carry the
 * model over a pipe, and mime_deserialize re-checks everything.
 */
#ifndef FSRELAY_PORT_MAIL_H
#define FSRELAY_PORT_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "relay/util.h"

#define MIME_MSG_MAX		(32 * 1024 * 1024)	/* whole raw message */
#define MIME_DEPTH_MAX		16	/* nesting of multiparts/message */
#define MIME_PARTS_MAX		200	/* MIME parts, all levels */
#define MIME_HEADERS_MAX	500	/* header fields of one header block */
#define MIME_HEADER_MAX		(64 * 1024)	/* one field, unfolded */
#define MIME_ADDRS_MAX		200	/* addresses kept per list */
#define MIME_REFS_MAX		100	/* References kept (the last ones) */
#define MIME_TEXT_MAX		(4 * 1024 * 1024)	/* body text, bytes */
#define MIME_NAME_MAX		255	/* attachment name, bytes */

/* A list of owned strings. */
struct mime_list {
	char	**v;
	size_t	  n;
};

/* One attachment: every leaf part that is not the body text. */
struct mime_attachment {
	char	*name;		/* UTF-8 file name (RFC 2231/2047 decoded),
				 * path separators and controls replaced by
				 * '_'; "" when the part has none */
	char	*type;		/* media type, lowercased: "application/pdf" */
	uint8_t	*data;		/* decoded bytes (base64 / QP undone) */
	size_t	 len;
	int	 is_age;	/* data starts with "age-encryption.org/v1" */
	int	 is_rfc822;	/* message/rfc822 (kept whole, as sent) */
	int	 is_tnef;	/* application/ms-tnef or winmail.dat */
	char	*rfc822_message_id; /* is_rfc822: its Message-ID without
				 * <>, or NULL */
};

/* Delivery-status data of a bounce. */
enum mime_dsn_kind {
	MIME_DSN_NONE = 0,	/* not a bounce */
	MIME_DSN_REPORT,	/* multipart/report; report-type=delivery-status */
	MIME_DSN_QMAIL,		/* "Hi. This is the qmail-send program" */
	MIME_DSN_TEXT,		/* other non-standard bounce (Exchange,
				 * Gmail...) recognised from its text */
};

struct mime_dsn {
	enum mime_dsn_kind kind;
	char	*original_recipient; /* addr-spec, lowercased, "rfc822;"
				 * removed; NULL when absent */
	char	*final_recipient;	/* same */
	char	*action;	/* "failed", "delayed", "delivered"...
				 * lowercased; NULL when absent */
	char	*status;	/* "5.1.1"...; NULL when absent */
	char	*original_message_id;	/* of the bounced mail, without <>;
				 * from the message/rfc822 or
				 * text/rfc822-headers part, or from the
				 * quoted headers of a text bounce; NULL when
				 * none was found */
	char	*reporting_mta;	/* Reporting-MTA host, lowercased; NULL
				 * when absent */
	int	 permanent;	/* 1: Action failed or Status 5.x.x (or a
				 * text bounce saying so); 0: transient */
};

struct parsed_mail {
	char	*message_id;	/* without <>; NULL when absent */
	char	*in_reply_to;	/* first id, without <>; NULL when absent */
	struct mime_list references;	/* ids without <>, in header order */
	char	*from;		/* addr-spec, lowercased; never NULL */
	char	*from_name;	/* display name, decoded; NULL when none */
	struct mime_list to, cc, delivered_to, reply_to; /* lowercased
				 * addr-specs (group members flattened) */
	char	*subject;	/* RFC 2047 decoded; "" when absent */
	char	*date;		/* raw Date value; NULL when absent */
	char	*return_path;	/* addr-spec lowercased, "" for <>; NULL
				 * when there is no Return-Path */
	/* Raw values (unfolded, trimmed) of the automation headers; NULL
	 * when absent (the first occurrence is kept). */
	char	*auto_submitted;
	char	*x_autoreply;
	char	*x_autorespond;
	char	*precedence;
	char	*x_mailer;
	struct mime_list x_loop;	/* every X-Loop value, raw */
	struct mime_list auth_results;	/* every Authentication-Results,
				 * raw and unfolded, in header order */
	char	*text;		/* body text, LF line ends; "" when none */
	size_t	 text_len;
	int	 text_from_html; /* 1: text came from an HTML-only body */
	struct mime_attachment *att;
	size_t	 n_att;
	struct mime_dsn dsn;
	int	 report_mdn;	/* multipart/report; report-type=
				 * disposition-notification (read receipt) */
};

/*
 * Parse raw[0..len) (CRLF or LF line ends).  On success returns 0 and fills
 * *m (zeroed first; release it with mime_free).  Returns -1 when the mail
 * is malformed (larger than MIME_MSG_MAX, deeper than MIME_DEPTH_MAX, more
 * than MIME_PARTS_MAX parts or MIME_HEADERS_MAX fields, a field longer than
 * MIME_HEADER_MAX, a NUL byte in a header, no header at all, no From
 * address, a multipart whose boundary never occurs, a part libetpan cannot
 * parse): err then holds a short French reason with no personal data and
 * *m is left empty (mime_free on it is harmless).
 */
int	mime_parse(const char *raw, size_t len, struct parsed_mail *m,
	    char *err, size_t errlen);

/* Release everything m owns and zero it.  NULL and empty models are fine. */
void	mime_free(struct parsed_mail *m);

/* Load the parser's library now (it is loaded when first needed): before
 * a contained child, which can open no file, is forked. */
void	mime_preload(void);

/*
 * Append to out a self-delimiting binary encoding of m (for the pipe from
 * the parsing child to the daemon).  0, or -1 when out's maximum would be
 * exceeded (out may then hold a prefix: discard it).
 */
int	mime_serialize(const struct parsed_mail *m, struct buf *out);

/*
 * Decode what mime_serialize wrote, from an untrusted source: every length
 * and count is checked against the MIME_* limits, strings must be valid
 * UTF-8 without NUL and the data must be consumed exactly.  0 and *m filled
 * (mime_free it), or -1 with *m empty.
 */
int	mime_deserialize(const uint8_t *p, size_t len, struct parsed_mail *m);

#endif
