/*
 * json - the JSON writers every output shares (docs/json.md): a string,
 * passed through relay/sanitize (SAN_LINES) then escaped, and a time as YYYY-MM-DDTHH:MM:SSZ.  Pure.
 */
#ifndef FSRELAY_JSON_H
#define FSRELAY_JSON_H

#include <stdint.h>

#include "relay/util.h"

/* A string (escaped; NULL gives null), a time (0 gives null). */
void	 json_str(struct buf *b, const char *s);
void	 json_time(struct buf *b, int64_t t);

#endif
