/*
 * transition - see transition.h.
 */
#include "relay/transition.h"

#include <stdio.h>
#include <string.h>

enum lc_verdict
case_may(const struct case_row *c, enum lc_event ev, struct lc_step *out)
{
	enum case_state s = case_state_of(c->state);

	if (s == CASE_STATE_COUNT) {
		memset(out, 0, sizeof(*out));
		out->verdict = LC_REFUSE;
		snprintf(out->why, sizeof(out->why), "état inconnu « %.20s »", c->state);
		return LC_REFUSE;
	}
	return lifecycle_step(s, ev, out);
}

int
case_step(struct store *st, struct case_row *c, enum lc_event ev, int64_t now,
    struct lc_step *out)
{
	struct lc_step local;
	const char *name;

	if (out == NULL)
		out = &local;
	if (case_may(c, ev, out) != LC_APPLY)
		return out->verdict;
	name = case_state_name(out->to);
	if (strcmp(name, c->state) == 0)
		return LC_APPLY;
	if (store_case_set_state(st, c->id, name, now) < 0)
		return -1;
	fs_strlcpy(c->state, name, sizeof(c->state));
	return LC_APPLY;
}
