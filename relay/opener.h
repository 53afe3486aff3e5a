/*
 * opener - the referent's opener page (opener/, docs/referent.md): one
 * self-contained HTML file, built from the pinned age-encryption package
 * by opener/build.mjs and committed as opener/dist/fsrelay-opener.html,
 * linked into the binary.  The relay fills its configuration data block
 * (its display name, Ed25519 signing key, age recipient, reply address,
 * the page's mode) and attaches the page to case mails and invitations.
 * The page never receives case data: what it shows comes from the .age
 * file the referent opens in it.
 */
#ifndef FSRELAY_OPENER_H
#define FSRELAY_OPENER_H

#include <stddef.h>

#include "relay/util.h"

#define OPENER_NAME	"ouvrir-le-dossier.html"
#define OPENER_TYPE	"text/html"

struct opener_conf {
	const char	*relay_name;	/* display name, UTF-8 */
	const char	*signing_key;	/* Ed25519 public key, 44 base64 chars */
	const char	*relay_recipient; /* age1... of the relay's identity */
	const char	*reply_address;	/* where encrypted replies go */
	const char	*mode;		/* "open" or "enrol" */
	const char	*invitation;	/* enrolment token; NULL outside "enrol" */
};

/* The bytes of the page as built (configuration placeholder included). */
const char	*opener_template(size_t *len);

/*
 * Append the page with c's values to out.  0; -1 with a French reason in
 * err when a value is missing or unsafe (control characters, invalid
 * UTF-8, a key of the wrong form) or out is full.
 */
int	opener_page(struct buf *out, const struct opener_conf *c, char *err,
	    size_t errlen);

#endif
