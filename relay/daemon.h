/*
 * daemon - what the long-running `fsrelay serve` shares with the passes it
 * runs (issue 13): its log (one line per event on stderr, with a syslog priority prefix
 * "<N>" that journald reads, fsrelay(8) JOURNAL), and the back-off of a
 * mail server that refuses the relay's login (1 s doubling up to 5 min,
 * logged once per change of state, shown by `status` and `check`).
 */
#ifndef FSRELAY_DAEMON_H
#define FSRELAY_DAEMON_H

#include <stdarg.h>
#include <stdint.h>
#include <syslog.h>	/* LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO */

/* Prefix each line with "<N>": when stderr is the journal (JOURNAL_STREAM)
 * or FSRELAY_LOG_PRIORITY=1; never with FSRELAY_LOG_PRIORITY=0. */
void	daemon_log_init(void);
/* One line: "<N>fsrelay serve : " + the message + "\n". */
void	daemon_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, the message after the prefix what ("courrier : "; NULL: none). */
void	daemon_vlog(int prio, const char *what, const char *fmt, va_list ap)
	    __attribute__((format(printf, 3, 0)));

#define BACKOFF_FIRST_MS	1000L
#define BACKOFF_MAX_MS		(5L * 60 * 1000)

/* The login state of one server (the relay's mailbox, the submission
 * server).  Times in milliseconds of a monotonic clock, except since
 * (wall clock, seconds, for status). */
struct login_backoff {
	int	refused;	/* the last login was refused */
	long	delay_ms;	/* wait before the next try */
	int64_t	next_ms;	/* no try before this */
	int64_t	since;		/* first refusal of this run (wall clock) */
};

/* 1 if a login may be tried at mono time now_ms, else 0. */
int	backoff_due(const struct login_backoff *b, int64_t now_ms);
/* A refused login at now_ms (wall: wall clock): the next try after 1 s,
 * then twice longer each time up to 5 min.  Returns 1 when the state
 * changed (the first refusal: log it), else 0. */
int	backoff_refused(struct login_backoff *b, int64_t now_ms, int64_t wall);
/* A login that succeeded: returns 1 when it had been refused (log the
 * recovery), else 0. */
int	backoff_accepted(struct login_backoff *b);

struct instance;

/*
 * SIGHUP: read in->cfg.path again.  A file that does not load, or that
 * moves data_dir (the store, the keys and the lock stay open), is refused
 * with a log line and the running configuration kept; else it replaces
 * in->cfg (the kept mailbox session is closed first).
 */
void	daemon_reload(struct instance *in);

/* The relay's mailbox (relay/inbox) and its submission server
 * (relay/outbox) as serve sees them across passes. */
extern struct login_backoff daemon_mailbox_login, daemon_submission_login;

#endif
