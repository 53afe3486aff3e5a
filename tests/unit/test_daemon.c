/*
 * test_daemon - relay/daemon: the login back-off (1 s, doubling, capped at
 * 5 min; a state change only on the first refusal and on the recovery)
 * and the log's syslog priority prefix.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "relay/daemon.h"
#include "tests/unit/t.h"

static void
test_backoff(void)
{
	struct login_backoff b;
	long want[] = { 1000, 2000, 4000, 8000, 16000, 32000, 64000, 128000, 256000,
	    300000, 300000, 300000 };
	int64_t now = 5000;
	size_t i;

	memset(&b, 0, sizeof(b));
	CHECK(backoff_due(&b, now));
	CHECK_INT(backoff_accepted(&b), 0);		/* no change: was fine */
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		CHECK_INT(backoff_refused(&b, now, 1700000000), i == 0);
		CHECK_INT(b.delay_ms, want[i]);
		CHECK(!backoff_due(&b, now));
		CHECK(!backoff_due(&b, now + want[i] - 1));
		CHECK(backoff_due(&b, now + want[i]));
		now += want[i];
	}
	CHECK_INT(b.since, 1700000000);			/* the first refusal */
	CHECK_INT(backoff_accepted(&b), 1);		/* recovered: log it */
	CHECK(!b.refused);
	CHECK(backoff_due(&b, 0));
	CHECK_INT(backoff_refused(&b, now, 1700000900), 1);	/* a new episode */
	CHECK_INT(b.delay_ms, BACKOFF_FIRST_MS);
}

/* daemon_log's line as written to a pipe. */
static void
log_line(int prio, char *out, size_t len)
{
	int fds[2], saved = dup(2);
	ssize_t n;

	if (pipe(fds) < 0)
		abort();
	fflush(stderr);
	dup2(fds[1], 2);
	daemon_log(prio, "courrier : %d reçu(s)", 3);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	close(fds[1]);
	n = read(fds[0], out, len - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fds[0]);
}

static void
test_log(void)
{
	char line[256];

	setenv("FSRELAY_LOG_PRIORITY", "1", 1);
	daemon_log_init();
	log_line(LOG_WARNING, line, sizeof(line));
	CHECK_STR(line, "<4>fsrelay serve : courrier : 3 reçu(s)\n");
	log_line(LOG_ERR, line, sizeof(line));
	CHECK_STR(line, "<3>fsrelay serve : courrier : 3 reçu(s)\n");
	setenv("FSRELAY_LOG_PRIORITY", "0", 1);
	setenv("JOURNAL_STREAM", "8:1234", 1);
	daemon_log_init();
	log_line(LOG_INFO, line, sizeof(line));
	CHECK_STR(line, "fsrelay serve : courrier : 3 reçu(s)\n");
	unsetenv("FSRELAY_LOG_PRIORITY");
	daemon_log_init();				/* journald: prefixed */
	log_line(LOG_NOTICE, line, sizeof(line));
	CHECK_STR(line, "<5>fsrelay serve : courrier : 3 reçu(s)\n");
	unsetenv("JOURNAL_STREAM");
	daemon_log_init();
	log_line(LOG_NOTICE, line, sizeof(line));
	CHECK_STR(line, "fsrelay serve : courrier : 3 reçu(s)\n");
}

int
main(void)
{
	test_backoff();
	test_log();
	return t_done();
}
