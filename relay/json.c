/*
 * json - see json.h.
 */
#include "relay/json.h"
#include "relay/calendar.h"

void
json_str(struct buf *b, const char *s)
{
	const unsigned char *p;

	if (s == NULL) {
		buf_puts(b, "null");
		return;
	}
	buf_puts(b, "\"");
	for (p = (const unsigned char *)s; *p; p++) {
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
