/*
 * json - see json.h.
 */
#include "relay/json.h"
#include "relay/calendar.h"
#include "relay/sanitize.h"

#include <string.h>

void
json_str(struct buf *b, const char *s)
{
	const unsigned char *p;
	struct buf t;

	if (s == NULL) {
		buf_puts(b, "null");
		return;
	}
	/* Untrusted text leaves the relay through the one sanitiser: a
	 * consumer printing the value raw (jq -r) gets no escape sequence. */
	buf_init(&t, strlen(s) * 8 + 1);
	(void)san_append(&t, s, strlen(s), SAN_LINES);
	buf_puts(b, "\"");
	for (p = (const unsigned char *)(t.p ? t.p : ""); *p; p++) {
		switch (*p) {
		case '"':
			buf_puts(b, "\\\"");
			break;
		case '\\':
			buf_puts(b, "\\\\");
			break;
		case '\n':
			buf_puts(b, "\\n");
			break;
		case '\r':
			buf_puts(b, "\\r");
			break;
		case '\t':
			buf_puts(b, "\\t");
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				buf_printf(b, "\\u%04x", *p);
			else
				buf_append(b, p, 1);
		}
	}
	buf_puts(b, "\"");
	buf_free(&t);
}

void
json_time(struct buf *b, int64_t t)
{
	char s[CAL_RFC3339_LEN];

	if (t == 0 || cal_format_rfc3339_utc(s, t) < 0)
		buf_puts(b, "null");
	else
		json_str(b, s);
}
