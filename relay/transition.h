/*
 * transition - a stored case meets a lifecycle event: its state is read
 * from its row, lifecycle_step (relay/lifecycle) decides, and the new state
 * is written through the store's port.  Every write of cases.state goes
 * through case_step (store_case_shred writes "shredded" itself, after an
 * LC_SHRED or LC_CANCEL step allowed it).  Within the caller's transaction.
 */
#ifndef FSRELAY_TRANSITION_H
#define FSRELAY_TRANSITION_H

#include <stdint.h>

#include "relay/lifecycle.h"
#include "relay/port/store_cases.h"

/*
 * Step case c by ev at now: fills *out (may be NULL) and returns its
 * verdict; on LC_APPLY with a new state, that state is written and copied
 * into c->state.  A state the lifecycle does not know is refused (why
 * says so).  -1 when the store fails to write (store_errmsg).
 */
int	 case_step(struct store *st, struct case_row *c, enum lc_event ev, int64_t now,
	    struct lc_step *out);

/* The verdict alone, nothing written (the same refusal reasons). */
enum lc_verdict	 case_may(const struct case_row *c, enum lc_event ev, struct lc_step *out);

#endif
