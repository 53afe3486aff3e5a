/*
 * casejson - the JSON objects of a case (docs/json.md), for every face:
 * the object of `cases --json` and of `show --json`, also returned by
 * the web desk's /api/v1/dossiers.  Strings go through json_str (the
 * display sanitiser, then escaping).
 */
#ifndef FSRELAY_CASEJSON_H
#define FSRELAY_CASEJSON_H

#include "relay/desk.h"
#include "relay/util.h"

struct instance;

/* The fields of the `cases --json` object (no braces), the current
 * rung's recipients read from the store. */
void	 casejson_fields(struct instance *in, const struct case_row *c, struct buf *out);
/* The `show --json` object, from "{" to "]}" (no final newline). */
void	 casejson_view(struct instance *in, const struct desk_view *v, struct buf *out);

#endif
