/*
 * quote - fold the quoted history out of a reply's text, so the case
 * thread shows what the referent wrote and not our own mail again.
 * Recognises lines starting with '>' and the separators of the common
 * French and English clients: Outlook "De : … Envoyé : …" / "From: …
 * Sent: …", "-----Message d'origine-----" / "-----Original Message-----",
 * Zimbra "----- Mail original -----", Gmail / Apple Mail / Thunderbird
 * "Le … a écrit :" / "On … wrote:" (also wrapped over two lines).
 * Top-posting: everything from the separator on is history.  Bottom- or
 * inline-posting: the non-quoted lines after a '>' block are kept.
 *
 * Pure, no I/O.  Trusts: nothing (text is the untrusted body, UTF-8).
 */
#ifndef FSRELAY_QUOTE_H
#define FSRELAY_QUOTE_H

#include <stddef.h>

#include "relay/util.h"

/* The line that replaces each folded block. */
#define QUOTE_MARK	"[… historique replié …]"

/*
 * Append to out the new text of text (NUL-terminated, LF or CRLF line
 * ends; written with LF): the lines that are not quoted history, each
 * folded block replaced by one QUOTE_MARK line, trailing blank lines
 * removed.  If folding would leave no text at all, text is copied whole.
 * *folded_r (may be NULL) is set to the number of blocks folded.
 * 0 on success, -1 when out's maximum would be exceeded.
 */
int	quote_fold(const char *text, struct buf *out, int *folded_r);

#endif
