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

/*
 * quote_fold, where what is folded must be proven history (issue 11): a
 * '>' block after a client's attribution line (« Le … a écrit : », « On …
 * wrote: ») or opening with one; or a block (a '>' block, the rest of the
 * text after an attribution, a separator or an Outlook header block) whose
 * words repeat known[0..known_len), the text the thread already holds
 * (the mail we sent, the earlier messages): 60 % of its word trigrams.
 * Anything else is kept, so a referent writing « Le médecin-conseil a
 * écrit : » and their own lines is shown whole.  known NULL: only the
 * attribution rule proves.  Same returns as quote_fold.
 */
int	quote_fold_known(const char *text, const char *known, size_t known_len,
	    struct buf *out, int *folded_r);

/* How many lines of text look like quoted history (a '>' line, an
 * attribution, a separator, an Outlook header block), proven or not: does
 * the writer quote at all?  For the auto-reply classifier. */
int	quote_history_marks(const char *text);

#endif
