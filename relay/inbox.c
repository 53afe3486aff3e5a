/*
 * inbox - see inbox.h.  Runs in `fsrelay serve` (ingest, before tick and
 * outbox) and under the quarantine commands.  Trusts the store and the
 * keys; nothing that comes from the mailbox.
 */
#include "relay/inbox.h"
#include "relay/enrol.h"
#include "relay/port/clock.h"
#include "relay/port/random.h"
#include "relay/breach.h"
#include "relay/age.h"
#include "relay/config.h"
#include "relay/daemon.h"
#include "relay/directory.h"
#include "relay/frames.h"
#include "relay/instance.h"
#include "relay/match.h"
#include "relay/outbox.h"
#include "relay/quote.h"
#include "relay/sealed.h"
#include "relay/transition.h"
#include "relay/vault.h"
#include "relay/port/mailbox.h"
#include "relay/port/mail.h"
#include "relay/port/store_cases.h"
#include "relay/port/store_deliveries.h"
#include "relay/port/store_directory.h"
#include "relay/port/store_inbox.h"
#include "keys/keystore.h"
#include "keys/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <unistr.h>

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define IDLE_RETRY_SECONDS	60	/* after a lost IDLE connection */
#define ERRLEN		1024
#define STORE_BATCH	100		/* fetched mails per commit */
#define EFFECT_BATCH	20		/* processed mails per commit */
#define INBOX_LANES_MAX	4		/* zygotes, hence mails parsed at once */
#define AHEAD_BYTES	(32UL * 1024 * 1024)	/* raw mails sent ahead, at most */
#define BATCH_BYTES	(32UL * 1024 * 1024)	/* raw mails of one effect batch */
#define CHILD_OUT_MAX	(2UL * MIME_MSG_MAX + 1024 * 1024)
#define DIGEST_DOMAIN	"fsrelay-inbox-digest-v1"

static void
logp(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One log line "courrier : ..." at syslog priority prio (relay/daemon). */
static void
logp(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	daemon_vlog(prio, "courrier : ", fmt, ap);
	va_end(ap);
}
#define logx(...)	logp(LOG_INFO, __VA_ARGS__)
#define logw(...)	logp(LOG_WARNING, __VA_ARGS__)

static int
event(struct instance *in, const char *actor, const char *action, const char *ref,
    const char *outcome)
{
	return store_event(in->st, in->now, actor, action, ref, outcome);
}

/* ---- raw mails: sealed under a per-mail key wrapped by the KEK ------- */

static int
raw_seal(struct instance *in, int64_t raw_id, const char *raw, size_t len)
{
	struct vault_ad kad = { "inbox_raw", "key", raw_id, in->kek_id };
	struct vault_ad cad = { "inbox_raw", "content", raw_id, in->kek_id };
	uint8_t key[VAULT_KEY_BYTES];
	struct buf wk, ct;
	int r = -1;

	buf_init(&wk, VAULT_KEY_BYTES + VAULT_OVERHEAD);
	buf_init(&ct, len + VAULT_OVERHEAD);
	random_bytes(key, sizeof(key));
	if (vault_seal(&wk, in->kek, &kad, key, sizeof(key)) == 0 &&
	    vault_seal(&ct, key, &cad, (const uint8_t *)raw, len) == 0 &&
	    store_raw_set_blob(in->st, raw_id, "key", wk.p, wk.len) == 0 &&
	    store_raw_set_blob(in->st, raw_id, "content", ct.p, ct.len) == 0)
		r = 0;
	sodium_memzero(key, sizeof(key));
	buf_free(&wk);
	buf_free(&ct);
	return r;
}

/* The mail's key: 0, 1 dropped, -1 altered / store. */
static int
raw_key(struct instance *in, int64_t raw_id, uint8_t key[VAULT_KEY_BYTES])
{
	struct vault_ad kad = { "inbox_raw", "key", raw_id, in->kek_id };
	struct buf wk, k;
	int r;

	buf_init(&wk, 4096);
	buf_init(&k, VAULT_KEY_BYTES);
	r = store_raw_get_blob(in->st, raw_id, "key", &wk);
	if (r == 0) {
		if (vault_open(&k, in->kek, &kad, (const uint8_t *)wk.p, wk.len, 4096) < 0 ||
		    k.len != VAULT_KEY_BYTES)
			r = -1;
		else
			memcpy(key, k.p, VAULT_KEY_BYTES);
	}
	buf_free(&wk);
	buf_free(&k);
	return r;
}

int
inbox_raw_content(struct instance *in, int64_t raw_id, struct buf *out, char *err,
    size_t errlen)
{
	struct vault_ad cad = { "inbox_raw", "content", raw_id, in->kek_id };
	uint8_t key[VAULT_KEY_BYTES];
	struct buf ct;
	int r;

	if ((r = raw_key(in, raw_id, key)) != 0) {
		if (r < 0)
			snprintf(err, errlen, "clé du courriel %lld illisible (données altérées ?)",
			    (long long)raw_id);
		return r;
	}
	buf_init(&ct, MIME_MSG_MAX + VAULT_OVERHEAD);
	r = store_raw_get_blob(in->st, raw_id, "content", &ct);
	if (r == 0 && vault_open(out, key, &cad, (const uint8_t *)ct.p, ct.len,
	    MIME_MSG_MAX + VAULT_OVERHEAD) < 0) {
		snprintf(err, errlen, "courriel %lld illisible (données altérées ?)",
		    (long long)raw_id);
		r = -1;
	}
	sodium_memzero(key, sizeof(key));
	buf_free(&ct);
	return r;
}

static void
raw_digest(struct instance *in, const char *raw, size_t len, uint8_t out[32])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, in->hmac_key, 32, 32);
	crypto_generichash_update(&h, (const uint8_t *)DIGEST_DOMAIN, sizeof(DIGEST_DOMAIN));
	crypto_generichash_update(&h, (const uint8_t *)raw, len);
	crypto_generichash_final(&h, out, 32);
}

int
inbox_store_raw(struct instance *in, uint32_t uidvalidity, uint32_t uid, const char *raw,
    size_t len, int64_t *raw_id)
{
	struct raw_mail_row r;
	uint8_t digest[32];
	int rc;

	memset(&r, 0, sizeof(r));
	r.uidvalidity = uidvalidity;
	r.uid = uid;
	r.received_at = in->now;
	r.size = (int64_t)len;
	raw_digest(in, raw, len, digest);
	rc = store_raw_insert(in->st, &r, digest);
	if (rc != 0)
		return rc;
	if (raw_seal(in, r.id, raw, len) < 0)
		return -1;
	if (raw_id)
		*raw_id = r.id;
	return 0;
}

int
inbox_raw_drop(struct instance *in, int64_t raw_id, int64_t quarantine_id)
{
	if (store_raw_set_blob(in->st, raw_id, "content", NULL, 0) < 0 ||
	    store_raw_set_blob(in->st, raw_id, "key", NULL, 0) < 0)
		return -1;
	if (quarantine_id > 0 && store_quarantine_set_meta(in->st, quarantine_id, NULL, 0) < 0)
		return -1;
	return 0;
}

/* ---- the parsing child ---------------------------------------------- */

/*
 * Test hooks of the sandbox (FSRELAY_TEST_FAULT, test_clock only), set by
 * inbox_run, process_pending and inbox_parser_start, sent to each parser
 * root in its HELLO: the contained child makes a forbidden system call
 * (socket: killed by seccomp), or tries to open the KEK file and reports
 * what happened, or stays alive until killed (parser-hold, for the test
 * that reads its memory); or the root tries to open the KEK file and
 * logs what happened.
 */
enum { PARSER_FAULT_NONE, PARSER_FAULT_SYSCALL, PARSER_FAULT_OPEN_KEY,
	PARSER_FAULT_ZYGOTE_OPEN_KEY, PARSER_FAULT_HOLD };
static int parser_fault;
static char parser_fault_key[512];

static int
under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");

	return p != NULL && strstr(p, "vgpreload") != NULL;
}

/* Before any parsing process is forked (zygotes included). */
static void
parser_fault_set(struct instance *in)
{
	parser_fault = breach_test_fault(in, "parser-syscall") ? PARSER_FAULT_SYSCALL :
	    breach_test_fault(in, "parser-open-key") ? PARSER_FAULT_OPEN_KEY :
	    breach_test_fault(in, "zygote-open-key") ? PARSER_FAULT_ZYGOTE_OPEN_KEY :
	    breach_test_fault(in, "parser-hold") ? PARSER_FAULT_HOLD : PARSER_FAULT_NONE;
	snprintf(parser_fault_key, sizeof(parser_fault_key), "%s/%s", in->keys_dir,
	    KEYSTORE_KEK);
}

/* In the contained child, after sandbox_enter: the test hooks.  Returns
 * 1 with a reason in out (the answer "E"), 0 to parse. */
static int
child_test_fault(struct buf *out)
{
	int fd;

	if (parser_fault == PARSER_FAULT_SYSCALL)
		(void)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);	/* SIGSYS */
	if (parser_fault == PARSER_FAULT_HOLD) {
		/* Stay alive, contained, until killed (a test reads this
		 * child's memory): a futex wait with no timeout, one of the
		 * few calls the filter allows.  FUTEX_WAIT | FUTEX_PRIVATE. */
		static int word;

		for (;;)
			(void)syscall(SYS_futex, &word, 0 | 128, 0, NULL, NULL, 0);
	}
	if (parser_fault != PARSER_FAULT_OPEN_KEY)
		return 0;
	if ((fd = open(parser_fault_key, O_RDONLY | O_CLOEXEC)) >= 0) {
		close(fd);
		buf_puts(out, "Etest : kek.key ouvert depuis l'analyseur");
	} else
		buf_puts(out, errno == EACCES ? "Etest : ouverture de kek.key refusée"
		    " (EACCES)" : "Etest : ouverture de kek.key en échec");
	return 1;
}

static _Noreturn void
child_main(const char *raw, size_t len, int fd)
{
	struct rlimit cpu = { INBOX_CHILD_CPU_S, INBOX_CHILD_CPU_S };
	struct parsed_mail m;
	struct buf out;
	char err[200];
	int vg = under_valgrind();

	/* Only the pipe: no store, no other descriptor. */
	if (fd > 3)
		close_range(3, (unsigned)fd - 1, 0);
	close_range((unsigned)fd + 1, ~0U, 0);
	/* Dies with its parent (a daemon or zygote killed by kill -9). */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	(void)setrlimit(RLIMIT_CPU, &cpu);
#ifndef UNDER_ASAN
	/* Under valgrind (make memcheck) the limit would starve valgrind. */
	if (!vg) {
		struct rlimit as = { INBOX_CHILD_AS, INBOX_CHILD_AS };

		(void)setrlimit(RLIMIT_AS, &as);
	}
#endif
	buf_init(&out, CHILD_OUT_MAX);
	err[0] = '\0';
	/* No file, no network, a few system calls (keys/sandbox); valgrind
	 * makes system calls of its own that no filter can foresee.  A child
	 * that cannot be contained parses nothing. */
	if (!vg && sandbox_enter(SANDBOX_PARSER, err, sizeof(err)) < 0) {
		buf_puts(&out, "Eanalyseur non confiné : ");
		buf_puts(&out, err);
	} else if (child_test_fault(&out))
		;
	else if (mime_parse(raw, len, &m, err, sizeof(err)) < 0) {
		buf_append(&out, "E", 1);
		buf_puts(&out, err[0] ? err : "courriel illisible");
	} else if (buf_append(&out, "O", 1) < 0 || mime_serialize(&m, &out) < 0) {
		out.len = 0;
		buf_puts(&out, "Ecourriel trop gros une fois analysé");
	}
	_exit(fs_write_all(fd, out.p, out.len) == 0 ? 0 : 3);
}

/*
 * Read exactly n bytes.  deadline 0: block as long as it takes (the
 * zygote waiting for the daemon); else give up at that time.  0 / -1
 * (EOF, error, deadline).
 */
static int
read_exact(int fd, void *p, size_t n, time_t deadline)
{
	char *c = p;

	while (n > 0) {
		struct pollfd pf = { fd, POLLIN, 0 };
		time_t left = deadline - clock_system();
		ssize_t r;
		int k;

		if (deadline) {
			if (left <= 0)
				return -1;
			k = poll(&pf, 1, (int)(left * 1000));
			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				return -1;
		}
		r = read(fd, c, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Read the child's answer until EOF or the deadline. */
static int
read_child(int fd, struct buf *out, time_t deadline)
{
	char chunk[65536];

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		time_t left = deadline - clock_system();
		ssize_t n;
		int r;

		if (left <= 0)
			return -1;
		r = poll(&p, 1, (int)(left * 1000));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		n = read(fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			return 0;
		if (buf_append(out, chunk, (size_t)n) < 0)
			return -1;
	}
}

/* Keep only printable text of the child's reason (it is not trusted). */
static void
clean_reason(char *dst, size_t dstlen, const char *src, size_t len)
{
	size_t i, j = 0;

	for (i = 0; i < len && j + 1 < dstlen && j < 160; i++)
		dst[j++] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
	dst[j] = '\0';
}

/*
 * Fork the contained child on raw[0..len) and collect its answer into out
 * and its wait status into *status.  0 it answered (whatever *status), -1
 * it did not answer in time or answered too much (then killed), -2 it
 * could not be started (err set).
 */
static int
run_child(const char *raw, size_t len, int *status, struct buf *out, char *err,
    size_t errlen)
{
	int p[2], rd;
	pid_t pid;

	*status = 0;
	sandbox_prepare();	/* the child opens no file */
	mime_preload();
	if (pipe2(p, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "tube impossible : %s", strerror(errno));
		return -2;
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		close(p[0]);
		close(p[1]);
		snprintf(err, errlen, "fork impossible : %s", strerror(errno));
		return -2;
	}
	if (pid == 0) {
		close(p[0]);
		child_main(raw, len, p[1]);
	}
	close(p[1]);
	rd = read_child(p[0], out, clock_system() + INBOX_CHILD_WALL_S);
	close(p[0]);
	if (rd < 0)
		kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return rd;
}

/* The daemon's reading of a child's answer (run_child's rd, status, out):
 * 0 and *m, -1 with err.  Frees out. */
static int
child_answer(int rd, int status, struct buf *out, struct parsed_mail *m, char *err,
    size_t errlen)
{
	char why[200];

	memset(m, 0, sizeof(*m));
	if (rd < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFSIGNALED(status))
			snprintf(err, errlen, "l'analyseur a été arrêté (signal %d%s)",
			    WTERMSIG(status), WTERMSIG(status) == SIGXCPU ||
			    WTERMSIG(status) == SIGKILL ? ", temps dépassé" : "");
		else
			snprintf(err, errlen, "l'analyseur a échoué%s", rd < 0 ?
			    " (délai ou réponse trop grosse)" : "");
		buf_free(out);
		return -1;
	}
	if (out->len >= 1 && out->p[0] == 'E') {
		clean_reason(why, sizeof(why), out->p + 1, out->len - 1);
		snprintf(err, errlen, "courriel mal formé : %s", why);
		buf_free(out);
		return -1;
	}
	if (out->len < 1 || out->p[0] != 'O' ||
	    mime_deserialize((const uint8_t *)out->p + 1, out->len - 1, m) < 0) {
		snprintf(err, errlen, "réponse de l'analyseur invalide");
		memset(m, 0, sizeof(*m));
		buf_free(out);
		return -1;
	}
	buf_free(out);
	return 0;
}

/* ---- the parser root ------------------------------------------------ */

/*
 * The parser root (the "zygote"): a helper process that forks one
 * contained child per mail and relays its answer.  It is not a fork of the
 * daemon: the daemon forks, and the fork at once executes the daemon's own
 * binary again (/proc/self/exe) with PARSER_ROOT_ENV set and only the
 * socket at descriptor 3.  A fresh image holds nothing the daemon had in
 * memory: no key (KEK, index, HMAC, signing, relay identity), no mailbox
 * or submission password, no configuration, no case; the children it
 * forks inherit only that emptiness and the one mail they parse.  The
 * entry is a constructor (parser_root_entry), so that every program
 * linked with this file, the tests included, can be its own root.
 *
 * Frames (relay/frames.h) on the socket pair: HELLO once (the test
 * hooks), then PARSE (the raw mail) / ANSWER (the child's outcome and
 * output), one request outstanding at most.
 */
#define PARSER_ROOT_ENV	"FSRELAY_PARSER_ROOT"
#define PARSER_ROOT_FD	3

struct inbox_parser {
	pid_t	pid;
	int	fd;		/* -1 once the root is given up */
	int	pending;	/* a request awaits its answer */
};

static int
send_all(int fd, const void *p, size_t n)
{
	const char *c = p;

	while (n > 0) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
send_frame(int fd, uint32_t type, const void *head, size_t headlen, const void *p,
    size_t len)
{
	uint8_t h[FRAME_HEAD_LEN];

	if (headlen + len > frame_max(type))
		return -1;
	frame_head_put(h, type, (uint32_t)(headlen + len));
	if (send_all(fd, h, sizeof(h)) < 0 || (headlen && send_all(fd, head, headlen) < 0) ||
	    (len && send_all(fd, p, len) < 0))
		return -1;
	return 0;
}

/* A frame's head of the expected type: its payload length, -1 else. */
static long
read_head(int fd, uint32_t want, time_t deadline)
{
	uint8_t h[FRAME_HEAD_LEN];
	uint32_t type, len;

	if (read_exact(fd, h, sizeof(h), deadline) < 0 ||
	    frame_head_get(h, &type, &len) < 0 || type != want)
		return -1;
	return (long)len;
}

/* The hooks a HELLO may ask for (others are refused: the root exits). */
static int
fault_known(uint32_t f)
{
	return f == PARSER_FAULT_NONE || f == PARSER_FAULT_SYSCALL ||
	    f == PARSER_FAULT_OPEN_KEY || f == PARSER_FAULT_ZYGOTE_OPEN_KEY ||
	    f == PARSER_FAULT_HOLD;
}

static _Noreturn void
zygote_loop(int fd)
{
	uint8_t ah[FRAME_ANSWER_HEAD];
	struct frame_answer a;
	struct buf out;
	char *raw, e[200];
	long len;
	int status;

	for (;;) {
		if ((len = read_head(fd, FRAME_PARSE, 0)) < 0)
			_exit(0);
		raw = xmalloc((size_t)len + 1);
		if (read_exact(fd, raw, (size_t)len, 0) < 0)
			_exit(0);
		buf_init(&out, CHILD_OUT_MAX);
		memset(&a, 0, sizeof(a));
		a.rd = run_child(raw, (size_t)len, &status, &out, e, sizeof(e));
		a.started = a.rd != -2;
		a.status = status;
		frame_answer_put(ah, &a);
		fs_wipe(raw, (size_t)len);
		free(raw);
		if (send_frame(fd, FRAME_ANSWER, ah, sizeof(ah), out.p, out.len) < 0)
			_exit(0);
		buf_free(&out);
	}
}

/*
 * The root, in its fresh image: reads its HELLO, loads what the children
 * need (sandbox_prepare), enters its sandbox (no file, no network) and
 * serves PARSE requests until the daemon closes the socket or dies.
 */
static _Noreturn void
zygote_main(int fd)
{
	struct frame_hello h;
	char hello[FRAME_HELLO_LEN], e[200];
	long len;

	(void)signal(SIGINT, SIG_IGN);
	(void)signal(SIGTERM, SIG_IGN);
	(void)signal(SIGPIPE, SIG_IGN);
	daemon_log_init();
	if ((len = read_head(fd, FRAME_HELLO, clock_system() + INBOX_ZYGOTE_GRACE_S)) < 0 ||
	    read_exact(fd, hello, (size_t)len, clock_system() + INBOX_ZYGOTE_GRACE_S) < 0 ||
	    frame_hello_get((const uint8_t *)hello, (size_t)len, &h) < 0 ||
	    !fault_known(h.fault))
		_exit(0);
	parser_fault = (int)h.fault;
	fs_strlcpy(parser_fault_key, h.key_path, sizeof(parser_fault_key));
	sandbox_prepare();
	mime_preload();	/* the library, before the sandbox */
	/* The children it forks enter their own, stricter, sandbox. */
	if (sandbox_enter(SANDBOX_ZYGOTE, e, sizeof(e)) < 0) {
		logw("analyseur relais non confiné (%s)", e);
		_exit(0);
	}
	if (parser_fault == PARSER_FAULT_ZYGOTE_OPEN_KEY) {
		int k = open(parser_fault_key, O_RDONLY | O_CLOEXEC);

		logw("test : zygote : %s", k >= 0 ? "kek.key ouvert" : errno == EACCES ?
		    "ouverture de kek.key refusée (EACCES)" : "ouverture de kek.key en échec");
		if (k >= 0)
			close(k);
	}
	zygote_loop(fd);
}

/* Runs before main in every program linked with this file: a process
 * started as a parser root never reaches main. */
__attribute__((constructor)) static void
parser_root_entry(void)
{
	const char *v = getenv(PARSER_ROOT_ENV);
	struct stat st;

	if (v == NULL)
		return;
	if (strcmp(v, "3") != 0 || fstat(PARSER_ROOT_FD, &st) < 0 || !S_ISSOCK(st.st_mode))
		_exit(126);
	zygote_main(PARSER_ROOT_FD);
}

/* The root's environment: the marker, and only what the sanitizers and
 * the logs read (no FSRELAY_* test variable, no secret of any kind). */
static char **
root_env(void)
{
	static const char *keep[] = { "ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=",
		"FSRELAY_LOG_PRIORITY=", "JOURNAL_STREAM=", "LANG=", "LC_ALL=", "TZ=" };
	char **env = xcalloc(FS_ARRAY_LEN(keep) + 2, sizeof(*env));
	size_t n = 0, i, k;

	env[n++] = xstrdup(PARSER_ROOT_ENV "=3");
	for (i = 0; environ != NULL && environ[i] != NULL; i++)
		for (k = 0; k < FS_ARRAY_LEN(keep); k++)
			if (strncmp(environ[i], keep[k], strlen(keep[k])) == 0 &&
			    n < FS_ARRAY_LEN(keep) + 1) {
				env[n++] = xstrdup(environ[i]);
				break;
			}
	return env;
}

static void
env_free(char **env)
{
	size_t i;

	for (i = 0; env[i] != NULL; i++)
		free(env[i]);
	free(env);
}

/* In the forked child: only async-signal-safe calls, then the new image. */
static _Noreturn void
root_exec(int fd, pid_t parent, char *const *env)
{
	static char *const argv[] = { (char *)"fsrelay-analyseur", NULL };

	/* Dies with the daemon (kept across execve), even if already gone. */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(0);
	if (fd == PARSER_ROOT_FD)
		(void)fcntl(fd, F_SETFD, 0);
	else if (dup2(fd, PARSER_ROOT_FD) < 0)
		_exit(127);
	close_range(PARSER_ROOT_FD + 1, ~0U, 0);
	execve("/proc/self/exe", argv, env);
	_exit(127);
}

/* Start a root; NULL (logged) when it cannot be. */
static struct inbox_parser *
root_spawn(void)
{
	struct inbox_parser *p;
	struct frame_hello h;
	struct timeval tv = { INBOX_CHILD_WALL_S + INBOX_ZYGOTE_GRACE_S, 0 };
	uint8_t hello[FRAME_HELLO_LEN];
	size_t hl;
	pid_t pid, self = getpid();
	char **env;
	int sv[2];

	memset(&h, 0, sizeof(h));
	h.fault = (uint32_t)parser_fault;
	fs_strlcpy(h.key_path, parser_fault_key, sizeof(h.key_path));
	if ((hl = frame_hello_put(hello, sizeof(hello), &h)) == 0) {
		h.key_path[0] = '\0';
		hl = frame_hello_put(hello, sizeof(hello), &h);
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		logw("analyseur relais impossible (%s)", strerror(errno));
		return NULL;
	}
	env = root_env();
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		logw("analyseur relais impossible (%s)", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		env_free(env);
		return NULL;
	}
	if (pid == 0)
		root_exec(sv[1], self, env);
	close(sv[1]);
	env_free(env);
	/* A root that stops reading cannot block the daemon. */
	(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	p = xcalloc(1, sizeof(*p));
	p->pid = pid;
	p->fd = sv[0];
	if (send_frame(p->fd, FRAME_HELLO, NULL, 0, hello, hl) < 0) {
		logw("analyseur relais impossible (salut refusé)");
		inbox_parser_stop(p);
		return NULL;
	}
	return p;
}

struct inbox_parser *
inbox_parser_start(struct instance *in)
{
	if (in != NULL)
		parser_fault_set(in);
	return root_spawn();
}

static void
zygote_end(struct inbox_parser *p)
{
	if (p->fd < 0)
		return;
	close(p->fd);
	p->fd = -1;
	p->pending = 0;
	(void)kill(p->pid, SIGKILL);
	while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* The answer's output: len bytes. */
static int
read_output(int fd, size_t len, struct buf *out, time_t deadline)
{
	char chunk[65536];

	while (len > 0) {
		size_t k = len < sizeof(chunk) ? len : sizeof(chunk);

		if (read_exact(fd, chunk, k, deadline) < 0 || buf_append(out, chunk, k) < 0)
			return -1;
		len -= k;
	}
	return 0;
}

int
inbox_parser_send(struct inbox_parser *p, const char *raw, size_t len)
{
	if (p == NULL || p->fd < 0 || p->pending || len > MIME_MSG_MAX)
		return -1;
	if (send_frame(p->fd, FRAME_PARSE, NULL, 0, raw, len) < 0) {
		logw("analyseur relais perdu : un autre pour la suite");
		zygote_end(p);
		return -1;
	}
	p->pending = 1;
	return 0;
}

/*
 * The root's answer to the request outstanding: 0 / -1 as
 * inbox_parse_contained, -2 the root itself failed (nothing parsed) or
 * could not fork the child.
 */
static int
root_answer(struct inbox_parser *p, struct parsed_mail *m, char *err, size_t errlen)
{
	struct frame_answer a;
	uint8_t ah[FRAME_ANSWER_HEAD];
	struct buf out;
	time_t deadline = clock_system() + INBOX_CHILD_WALL_S + INBOX_ZYGOTE_GRACE_S;
	long len;

	p->pending = 0;
	memset(m, 0, sizeof(*m));
	if ((len = read_head(p->fd, FRAME_ANSWER, deadline)) < FRAME_ANSWER_HEAD ||
	    read_exact(p->fd, ah, sizeof(ah), deadline) < 0 ||
	    frame_answer_get(ah, sizeof(ah), &a) < 0) {
		logw("analyseur relais perdu : un autre pour la suite");
		zygote_end(p);
		return -2;
	}
	buf_init(&out, CHILD_OUT_MAX);
	if (read_output(p->fd, (size_t)len - FRAME_ANSWER_HEAD, &out, deadline) < 0) {
		logw("analyseur relais perdu : un autre pour la suite");
		zygote_end(p);
		buf_free(&out);
		return -2;
	}
	if (!a.started) {
		buf_free(&out);
		return -2;
	}
	return child_answer(a.rd, a.status, &out, m, err, errlen);
}

/* One mail through a root of its own, started and ended here. */
static int
parse_oneshot(const char *raw, size_t len, struct parsed_mail *m, char *err, size_t errlen)
{
	struct inbox_parser *p;
	int r = -2;

	memset(m, 0, sizeof(*m));
	if ((p = root_spawn()) != NULL && inbox_parser_send(p, raw, len) == 0)
		r = root_answer(p, m, err, errlen);
	inbox_parser_stop(p);
	if (r == -2) {
		memset(m, 0, sizeof(*m));
		snprintf(err, errlen, "analyseur indisponible");
		return -1;
	}
	return r;
}

int
inbox_parse_contained(const char *raw, size_t len, struct parsed_mail *m, char *err,
    size_t errlen)
{
	return parse_oneshot(raw, len, m, err, errlen);
}

int
inbox_parser_recv(struct inbox_parser *p, const char *raw, size_t len,
    struct parsed_mail *m, char *err, size_t errlen)
{
	int r;

	if (p == NULL || p->fd < 0 || !p->pending)
		return parse_oneshot(raw, len, m, err, errlen);
	if ((r = root_answer(p, m, err, errlen)) == -2)
		return parse_oneshot(raw, len, m, err, errlen);
	return r;
}

int
inbox_parser_parse(struct inbox_parser *p, const char *raw, size_t len,
    struct parsed_mail *m, char *err, size_t errlen)
{
	(void)inbox_parser_send(p, raw, len);
	return inbox_parser_recv(p, raw, len, m, err, errlen);
}

pid_t
inbox_parser_pid(const struct inbox_parser *p)
{
	return p && p->fd >= 0 ? p->pid : -1;
}

void
inbox_parser_stop(struct inbox_parser *p)
{
	if (p == NULL)
		return;
	zygote_end(p);
	free(p);
}

/* ---- age replies for the relay's identity --------------------------- */

static int
utf8_text(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] == 0)
			return 0;
	return u8_check(p, n) == NULL;
}

static int
add_attachment(struct parsed_mail *m, const char *name, const char *type, const uint8_t *data,
    size_t len)
{
	struct mime_attachment *a;

	if (m->n_att >= MIME_PARTS_MAX)
		return -1;
	m->att = xreallocarray(m->att, m->n_att + 1, sizeof(*m->att));
	a = &m->att[m->n_att++];
	memset(a, 0, sizeof(*a));
	a->name = xstrdup(name);
	a->type = xstrdup(type);
	a->data = xmalloc(len ? len : 1);
	memcpy(a->data, data, len);
	a->len = len;
	return 0;
}

/* Put the decrypted content of attachment i in m's place. */
static int
use_plaintext(struct parsed_mail *m, size_t i, const struct buf *pt)
{
	struct parsed_mail inner;
	char err[256], *name;
	size_t k, n;

	if (inbox_parse_contained(pt->p, pt->len, &inner, err, sizeof(err)) == 0 &&
	    (inner.text_len || inner.n_att)) {
		if (inner.text_len) {
			free(m->text);
			m->text = inner.text;
			m->text_len = inner.text_len;
			inner.text = NULL;
			inner.text_len = 0;
		}
		for (k = 0; k < inner.n_att; k++)
			add_attachment(m, inner.att[k].name, inner.att[k].type, inner.att[k].data,
			    inner.att[k].len);
		mime_free(&inner);
	} else if (utf8_text((const uint8_t *)pt->p, pt->len)) {
		mime_free(&inner);
		free(m->text);
		m->text = xstrndup(pt->p, pt->len);
		m->text_len = pt->len;
	} else {
		mime_free(&inner);
		n = strlen(m->att[i].name);
		name = n > 4 && strcmp(m->att[i].name + n - 4, ".age") == 0 ?
		    xstrndup(m->att[i].name, n - 4) : xstrdup("piece-dechiffree");
		add_attachment(m, name, "application/octet-stream", (const uint8_t *)pt->p,
		    pt->len);
		free(name);
	}
	/* The age file itself is not kept: its content is. */
	free(m->att[i].name);
	free(m->att[i].type);
	free(m->att[i].data);
	free(m->att[i].rfc822_message_id);
	memmove(&m->att[i], &m->att[i + 1], (m->n_att - i - 1) * sizeof(*m->att));
	m->n_att--;
	return 0;
}

/* The relay's age identity, read once per mail (keystore_read). */
static int
relay_identity(struct instance *in, uint8_t sk[AGE_X25519_KEY_BYTES], int *have, char *err,
    size_t errlen)
{
	char *path, *text;
	size_t tlen = 0;
	const char *why = NULL;
	int r = 0;

	if (*have)
		return 0;
	path = xasprintf("%s/%s", in->keys_dir, KEYSTORE_IDENTITY);
	text = keystore_read(path, KEYSTORE_FILE_MAX, &tlen, err, errlen);
	if (text == NULL || age_identity_parse(text, sk, &why) < 0) {
		if (text)
			snprintf(err, errlen, "identité age du relais illisible");
		r = -1;
	} else
		*have = 1;
	if (text)
		keystore_free(text, tlen);
	free(path);
	return r;
}

/* Does an attachment hold an armored age file (`age -a`), blanks first? */
static int
armored(const struct mime_attachment *a)
{
	static const char begin[] = "-----BEGIN AGE ENCRYPTED FILE-----";
	size_t k = 0;

	while (k < a->len && k < 64 && (a->data[k] == ' ' || a->data[k] == '\t' ||
	    a->data[k] == '\r' || a->data[k] == '\n'))
		k++;
	return a->len - k >= sizeof(begin) - 1 && memcmp(a->data + k, begin, sizeof(begin) - 1) == 0;
}

/*
 * An armored age file pasted in the body (the opener page's « Ouvrir un
 * nouveau message », or age -a): decrypted in place, the text around it
 * kept.  0 (none, or done), -1 with err when it is not for us.
 */
static int
open_armored_text(struct instance *in, struct parsed_mail *m, uint8_t sk[AGE_X25519_KEY_BYTES],
    int *have, char *err, size_t errlen)
{
	struct buf bin, pt, text;
	size_t start, end;
	const char *why = NULL;
	int r;

	if (m->text == NULL || m->text_len == 0)
		return 0;
	buf_init(&bin, MIME_MSG_MAX);
	if ((r = age_armor_find(m->text, m->text_len, &start, &end, &bin, &why)) != 0) {
		buf_free(&bin);
		if (r < 0)
			snprintf(err, errlen, "%s", why);
		return r < 0 ? -1 : 0;
	}
	if (relay_identity(in, sk, have, err, errlen) < 0) {
		buf_free(&bin);
		return -1;
	}
	buf_init(&pt, MIME_MSG_MAX);
	if (age_decrypt(&pt, sk, (const uint8_t *)bin.p, bin.len, MIME_MSG_MAX, &why) < 0 ||
	    !utf8_text((const uint8_t *)pt.p, pt.len)) {
		snprintf(err, errlen, "texte age non déchiffrable : %s", why ? why : "pas du texte");
		r = -1;
	} else {
		buf_init(&text, MIME_TEXT_MAX + MIME_MSG_MAX);
		r = buf_append(&text, m->text, start) | buf_append(&text, pt.p, pt.len) |
		    buf_append(&text, m->text + end, m->text_len - end);
		if (r == 0) {
			free(m->text);
			m->text = xstrndup(text.p ? text.p : "", text.len);
			m->text_len = text.len;
		} else
			snprintf(err, errlen, "texte déchiffré trop long");
		buf_free(&text);
	}
	buf_free(&pt);
	buf_free(&bin);
	return r;
}

int
inbox_open_age(struct instance *in, struct parsed_mail *m, char *err, size_t errlen)
{
	uint8_t sk[AGE_X25519_KEY_BYTES];
	size_t i;
	int have_key = 0, r = 0;

	for (i = 0; i < m->n_att; i++) {
		struct buf pt, bin;
		const char *why = NULL;
		const uint8_t *data = m->att[i].data;
		size_t len = m->att[i].len, s0, e0;
		int arm = !m->att[i].is_age && armored(&m->att[i]);

		if (!m->att[i].is_age && !arm)
			continue;
		if (relay_identity(in, sk, &have_key, err, errlen) < 0) {
			r = -1;
			break;
		}
		buf_init(&bin, MIME_MSG_MAX);
		if (arm) {
			if (age_armor_find((const char *)m->att[i].data, m->att[i].len, &s0, &e0, &bin,
			    &why) != 0) {
				snprintf(err, errlen, "pièce age non déchiffrable : %s",
				    why ? why : "?");
				r = -1;
				buf_free(&bin);
				continue;
			}
			data = (const uint8_t *)bin.p;
			len = bin.len;
		}
		buf_init(&pt, MIME_MSG_MAX);
		if (age_decrypt(&pt, sk, data, len, MIME_MSG_MAX, &why) < 0) {
			/* Not for us, or altered: kept as it came. */
			snprintf(err, errlen, "pièce age non déchiffrable : %s", why ? why : "?");
			r = -1;
		} else {
			use_plaintext(m, i, &pt);
			i--;
		}
		buf_free(&pt);
		buf_free(&bin);
	}
	if (open_armored_text(in, m, sk, &have_key, err, errlen) < 0)
		r = -1;
	sodium_memzero(sk, sizeof(sk));
	return r;
}

/* ---- the matcher's view of the store -------------------------------- */

struct mctx {
	struct instance		*in;
	const struct directory	*dir;	/* the instance's */
	char			**rcpts;
	size_t			 n_rcpts;
};

static void
mctx_clear_rcpts(struct mctx *x)
{
	size_t i;

	for (i = 0; i < x->n_rcpts; i++)
		free(x->rcpts[i]);
	free(x->rcpts);
	x->rcpts = NULL;
	x->n_rcpts = 0;
}

static int
fill_case(struct mctx *x, const struct case_row *c, struct match_case *out)
{
	struct delivery_row *d = NULL;
	size_t n = 0, i, k;

	mctx_clear_rcpts(x);
	memset(out, 0, sizeof(*out));
	fs_strlcpy(out->ref, c->ref, sizeof(out->ref));
	fs_strlcpy(out->partner, c->partner, sizeof(out->partner));
	if (case_state_parse(c->state, &out->state) < 0)
		out->state = CASE_AWAITING;
	if (store_delivery_list(x->in->st, c->id, &d, &n) < 0)
		return -1;
	x->rcpts = xcalloc(n + 1, sizeof(*x->rcpts));
	for (i = 0; i < n; i++) {
		for (k = 0; k < x->n_rcpts; k++)
			if (strcmp(x->rcpts[k], d[i].recipient_lc) == 0)
				break;
		if (k == x->n_rcpts)
			x->rcpts[x->n_rcpts++] = xstrdup(d[i].recipient_lc);
	}
	free(d);
	out->recipients = (const char *const *)x->rcpts;
	out->n_recipients = x->n_rcpts;
	return 0;
}

static int
cb_case_by_ref(void *arg, const char *ref, struct match_case *out)
{
	struct mctx *x = arg;
	struct case_row c;
	int r = store_case_get(x->in->st, ref, &c);

	return r != 0 ? r : fill_case(x, &c, out);
}

static int
cb_case_by_token(void *arg, const char *token, struct match_case *out)
{
	struct mctx *x = arg;
	struct case_row c;
	int r = store_case_by_token(x->in->st, token, &c);

	return r != 0 ? r : fill_case(x, &c, out);
}

static int
cb_delivery_recipient(void *arg, const char *ref, int64_t delivery_id, char *addr, size_t len)
{
	struct mctx *x = arg;
	struct delivery_row *d = NULL;
	struct case_row c;
	size_t n = 0, i;
	int r = store_case_get(x->in->st, ref, &c);

	if (r != 0)
		return r;
	if (store_delivery_list(x->in->st, c.id, &d, &n) < 0)
		return -1;
	for (i = 0, r = 1; i < n && r == 1; i++)
		if (d[i].id == delivery_id) {
			fs_strlcpy(addr, d[i].recipient_lc, len);
			r = 0;
		}
	free(d);
	return r;
}

static int
cb_is_directory_address(void *arg, const char *addr_lc)
{
	struct mctx *x = arg;
	size_t i;

	for (i = 0; i < x->dir->n_entries; i++)
		if (x->dir->entries[i].email_lc[0] &&
		    strcmp(x->dir->entries[i].email_lc, addr_lc) == 0)
			return 1;
	return 0;
}

static int
cb_partner_has_domain(void *arg, const char *partner, const char *domain_lc)
{
	struct mctx *x = arg;
	const struct partner_conf *pc = config_partner(&x->in->cfg, partner);
	size_t i;

	if (pc && pc->n_domains > 0) {
		for (i = 0; i < pc->n_domains; i++)
			if (strcmp(pc->domains[i], domain_lc) == 0)
				return 1;
		return 0;
	}
	for (i = 0; i < x->dir->n_entries; i++) {
		const char *at = strchr(x->dir->entries[i].email_lc, '@');

		if (at && strcmp(x->dir->entries[i].partner, partner) == 0 &&
		    strcmp(at + 1, domain_lc) == 0)
			return 1;
	}
	return 0;
}

static int
cb_partner_trusts_auth(void *arg, const char *partner)
{
	struct mctx *x = arg;
	const struct partner_conf *pc = config_partner(&x->in->cfg, partner);

	return pc != NULL && pc->trust_auth_results;
}

static void
ctx_init(struct match_ctx *ctx, struct mctx *x, struct instance *in)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->relay_address = in->cfg.relay_address;
	ctx->authserv_id = in->cfg.authserv_id;
	ctx->hmac_key = in->hmac_key;
	ctx->case_by_ref = cb_case_by_ref;
	ctx->case_by_token = cb_case_by_token;
	ctx->delivery_recipient = cb_delivery_recipient;
	ctx->is_directory_address = cb_is_directory_address;
	ctx->partner_has_domain = cb_partner_has_domain;
	ctx->partner_trusts_auth = cb_partner_trusts_auth;
	ctx->bounce_domains = (const char *const *)in->cfg.bounce_domain_list;
	ctx->arg = x;
}

/* ---- effects -------------------------------------------------------- */

static const char *
media_type_ok(const char *t)
{
	size_t i;

	if (t == NULL || *t == '\0' || strlen(t) >= 128)
		return "application/octet-stream";
	for (i = 0; t[i]; i++)
		if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f)
			return "application/octet-stream";
	return t;
}

/* A Message-ID fit to keep in clear: printable ASCII, no space. */
static void
msgid_copy(char *dst, size_t len, const char *id)
{
	size_t i;

	dst[0] = '\0';
	if (id == NULL || strlen(id) >= len)
		return;
	for (i = 0; id[i]; i++)
		if ((unsigned char)id[i] <= 0x20 || (unsigned char)id[i] >= 0x7f)
			return;
	fs_strlcpy(dst, id, len);
}

static int
bounce_text(const struct parsed_mail *m, struct buf *out)
{
	const struct mime_dsn *d = &m->dsn;

	buf_printf(out, "Avis de non-remise (%s) : action %s, statut %s, destinataire %s\n\n",
	    d->permanent ? "échec définitif" : "échec temporaire", d->action ? d->action : "?",
	    d->status ? d->status : "?", d->final_recipient ? d->final_recipient : "?");
	return 0;
}

/*
 * What the thread already holds, for telling quoted history from the
 * referent's words (quote_fold_known): the cover note of the case mail
 * (what their client quotes back) and the texts of its messages, bounded.
 * A part that cannot be read is left out: less is folded, nothing hidden.
 */
#define KNOWN_MAX	(2 * 1024 * 1024)

static void
thread_known(struct instance *in, const uint8_t *dek, const struct case_row *c,
    struct buf *known)
{
	struct message_row *msgs = NULL;
	struct buf t;
	char err[ERRLEN], *cover;
	size_t n = 0, i;

	if ((cover = outbox_cover_text(in, c, err, sizeof(err))) != NULL) {
		(void)buf_puts(known, cover);
		free(cover);
	}
	if (store_message_list(in->st, c->id, &msgs, &n) < 0)
		return;
	for (i = 0; i < n && known->len < KNOWN_MAX; i++) {
		buf_init(&t, KNOWN_MAX);
		if (sealed_get(in, dek, "messages", "text", msgs[i].id, &t, KNOWN_MAX) == 0 &&
		    t.len > 0) {
			(void)buf_puts(known, "\n");
			(void)buf_append(known, t.p, t.len);
		}
		buf_free(&t);
	}
	free(msgs);
}

int
inbox_attach(struct instance *in, const struct case_row *c, const struct parsed_mail *m,
    const char *kind, int flagged, int64_t *msg_id, char *err, size_t errlen)
{
	struct message_row msg;
	struct buf text, known;
	uint8_t *dek;
	size_t i;
	int r = -1, folded = 0;

	if ((dek = sealed_case_key(in, c->id, err, errlen)) == NULL)
		return -1;
	buf_init(&text, MIME_TEXT_MAX + 4096);
	memset(&msg, 0, sizeof(msg));
	msg.case_id = c->id;
	fs_strlcpy(msg.kind, kind, sizeof(msg.kind));
	fs_strlcpy(msg.direction, "in", sizeof(msg.direction));
	fs_strlcpy(msg.sender, m->from ? m->from : "", sizeof(msg.sender));
	/* Only our own address: the mail's other recipients are not ours
	 * to keep in clear. */
	fs_strlcpy(msg.recipients, in->cfg.relay_address, sizeof(msg.recipients));
	msgid_copy(msg.message_id, sizeof(msg.message_id), m->message_id);
	msg.at = in->now;
	msg.flagged = flagged;
	if (strcmp(kind, "bounce") == 0)
		bounce_text(m, &text);
	buf_init(&known, KNOWN_MAX + 64 * 1024);
	thread_known(in, dek, c, &known);
	r = quote_fold_known(m->text ? m->text : "", known.p, known.len, &text, &folded);
	buf_free(&known);
	if (r < 0) {
		snprintf(err, errlen, "texte du courriel trop long");
		goto out;
	}
	r = -1;
	/* An age file still here is one the relay could not open (not for
	 * its identity, or altered): the agent is told in the thread, not
	 * only the daemon's log (issue 11). */
	for (i = 0; i < m->n_att; i++)
		if (m->att[i].is_age || armored(&m->att[i]))
			(void)buf_printf(&text, "%s[%s « %s » chiffrée, que le relais ne peut pas"
			    " ouvrir (chiffrée pour une autre clé, ou abîmée) : demandez au référent"
			    " de la renvoyer chiffrée pour le relais]\n",
			    text.len && text.p[text.len - 1] != '\n' ? "\n" : "",
			    INBOX_AGE_UNOPENED, m->att[i].name && *m->att[i].name ? m->att[i].name :
			    "sans nom");
	/* The whole decoded text is kept sealed whenever something was
	 * folded: the raw mail is shredded after ingest, and the agent may
	 * unfold what the fold took (show --deplier). */
	if (store_message_insert(in->st, &msg) < 0 ||
	    sealed_put(in, dek, "messages", "text", msg.id, text.p ? text.p : "", text.len) < 0 ||
	    (folded > 0 && sealed_put(in, dek, "messages", "full_text", msg.id, m->text,
	    m->text_len) < 0))
		goto store;
	for (i = 0; i < m->n_att; i++) {
		const struct mime_attachment *a = &m->att[i];
		struct document_row d;
		uint8_t h[crypto_hash_sha256_BYTES];
		char *name = a->name && *a->name ? xstrdup(a->name) :
		    xasprintf("piece-%zu", i + 1);
		int bad;

		memset(&d, 0, sizeof(d));
		d.case_id = c->id;
		d.message_id = msg.id;
		fs_strlcpy(d.kind, "piece", sizeof(d.kind));
		d.size = (int64_t)a->len;
		crypto_hash_sha256(h, a->data, a->len);
		fs_hex(d.sha256, h, sizeof(h));
		fs_strlcpy(d.media_type, media_type_ok(a->type), sizeof(d.media_type));
		bad = store_document_insert(in->st, &d) < 0 ||
		    sealed_put(in, dek, "documents", "name", d.id, name, strlen(name)) < 0 ||
		    sealed_put(in, dek, "documents", "content", d.id, a->data, a->len) < 0;
		free(name);
		if (bad)
			goto store;
	}
	if (msg_id)
		*msg_id = msg.id;
	r = 0;
	goto out;
store:
	snprintf(err, errlen, "enregistrement : %s", store_errmsg(in->st));
out:
	buf_free(&text);
	vault_key_free(dek);
	return r;
}

static int
notify_agent(struct instance *in, const struct case_row *c, const char *kind,
    const char *once, const char *subject, const char *body)
{
	return outbox_agent_notice(in, kind, c, subject, body, once);
}

int
inbox_reply_effects(struct instance *in, const struct case_row *c, int64_t raw_id)
{
	struct case_row now = *c;
	char once[64], *subject, *body;
	int r;

	/* An open case becomes answered; a reply attached by hand to a resolved
	 * or failed case is recorded without reopening it (the purge stays due):
	 * the lifecycle's table. */
	if (case_step(in->st, &now, LC_REPLY, in->now, NULL) < 0)
		return -1;
	if (event(in, "relay", "case.answered", c->ref, "reply") < 0)
		return -1;
	snprintf(once, sizeof(once), "reply:%lld", (long long)raw_id);
	subject = xasprintf("[%s] Réponse reçue", c->ref);
	body = xasprintf("Bonjour,\n\nUne réponse est arrivée sur le dossier %s.\n\n"
	    "Consultez-la avec « fsrelay show %s ».  Ce message ne contient volontairement"
	    " aucun détail.\n\n-- \nRelais sécurisé fsrelay\n", c->ref, c->ref);
	r = notify_agent(in, c, "reply", once, subject, body);
	free(subject);
	free(body);
	return r;
}

/* The case's own outgoing message (the one re-sent along the ladder). */
static int64_t
case_message_id(struct instance *in, const struct case_row *c)
{
	struct message_row *m = NULL;
	size_t n = 0, i;
	int64_t id = 0;

	if (store_message_list(in->st, c->id, &m, &n) < 0)
		return -1;
	for (i = 0; i < n && id == 0; i++)
		if (strcmp(m[i].kind, "case") == 0)
			id = m[i].id;
	free(m);
	return id;
}

/*
 * The ladder moved on because of what a mail said (an absence, a bounce;
 * issue 11): the thread shows the new delivery and why (a message
 * « escalation » to the new rung's recipients, its sealed text the
 * reason) and the agent is told (reference only).  By hand (reroute),
 * the agent knows: nothing more.
 */
static int
rung_moved(struct instance *in, const struct case_row *c, int rung, const char *why)
{
	struct delivery_row *d = NULL;
	struct message_row msg;
	const char *reason;
	char once[96], err[ERRLEN], *subject, *body, *text;
	uint8_t *dek;
	size_t n = 0, i;
	int r;

	if (strcmp(why, "absence") == 0)
		reason = "le référent du niveau précédent a répondu qu'il est absent (réponse"
		    " automatique)";
	else if (strcmp(why, "bounce") == 0)
		reason = "le courriel du niveau précédent n'a pas pu être remis (avis de"
		    " non-distribution)";
	else
		return 0;
	memset(&msg, 0, sizeof(msg));
	msg.case_id = c->id;
	fs_strlcpy(msg.kind, "escalation", sizeof(msg.kind));
	fs_strlcpy(msg.direction, "out", sizeof(msg.direction));
	fs_strlcpy(msg.sender, in->cfg.relay_address, sizeof(msg.sender));
	msg.at = in->now;
	if (store_delivery_list(in->st, c->id, &d, &n) < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (d[i].rung == rung) {
			if (msg.recipients[0])
				fs_strlcat(msg.recipients, " ", sizeof(msg.recipients));
			fs_strlcat(msg.recipients, d[i].recipient, sizeof(msg.recipients));
		}
	free(d);
	if ((dek = sealed_case_key(in, c->id, err, sizeof(err))) == NULL)
		return -1;
	text = xasprintf("Dossier transmis au niveau %d de l'échelle : %s.\n", rung + 1, reason);
	r = store_message_insert(in->st, &msg) < 0 ||
	    sealed_put(in, dek, "messages", "text", msg.id, text, strlen(text)) < 0 ? -1 : 0;
	vault_key_free(dek);
	free(text);
	if (r < 0)
		return -1;
	subject = xasprintf("[%s] Dossier transmis au niveau suivant", c->ref);
	body = xasprintf("Bonjour,\n\nLe dossier %s a été transmis au niveau %d de l'échelle"
	    " de la convention : %s.  Le relais l'a envoyé aux référents de ce niveau ;"
	    " « fsrelay show %s » montre le fil et les destinataires.\n\n-- \n"
	    "Relais sécurisé fsrelay\n", c->ref, rung + 1, reason, c->ref);
	snprintf(once, sizeof(once), "rerouted:%s:%d", c->ref, rung);
	r = notify_agent(in, c, "rerouted", once, subject, body);
	free(subject);
	free(body);
	return r;
}

int
inbox_next_rung(struct instance *in, const struct case_row *c, const char *actor,
    const char *why)
{
	int64_t mid = case_message_id(in, c);
	int queued;

	if (mid <= 0)
		return mid < 0 ? -1 : 0;
	queued = outbox_queue_rung(in, c, c->rung + 1, mid);
	if (queued <= 0)
		return queued;
	if (store_case_set_rung(in->st, c->id, c->rung + 1, 0, 0) < 0 ||
	    event(in, actor, "case.rerouted", c->ref, why) < 0 ||
	    rung_moved(in, c, c->rung + 1, why) < 0)
		return -1;
	return queued;
}

/* Is addr a recipient of the case's current rung? */
static int
on_current_rung(struct instance *in, const struct case_row *c, const char *addr)
{
	struct delivery_row *d = NULL;
	size_t n = 0, i;
	int hit = 0;

	if (addr == NULL || store_delivery_list(in->st, c->id, &d, &n) < 0)
		return 0;
	for (i = 0; i < n; i++)
		if (d[i].rung == c->rung && strcasecmp(d[i].recipient_lc, addr) == 0)
			hit = 1;
	free(d);
	return hit;
}

static int
autoreply_effects(struct instance *in, const struct case_row *c, const struct parsed_mail *m,
    const struct match_decision *d)
{
	struct lc_step st;
	int q;

	if (event(in, "relay", "case.auto-reply", c->ref, d->absence ? "absence" :
	    "recorded") < 0)
		return -1;
	if (!d->absence || case_may(c, LC_ABSENCE, &st) != LC_APPLY ||
	    !(st.effects & LC_FX_NEXT_RUNG) || !on_current_rung(in, c, m->from))
		return 0;
	q = inbox_next_rung(in, c, "relay", "absence");
	if (q < 0)
		return -1;
	if (q == 0)
		return event(in, "relay", "case.absence", c->ref, "no next rung");
	return 0;
}

static int
dsn_effects(struct instance *in, const struct case_row *c, const struct parsed_mail *m,
    const struct match_decision *d, int64_t raw_id)
{
	struct delivery_row *dl = NULL;
	struct lc_step st;
	size_t n = 0, i, alive = 0;
	int rung = -1, r = -1, q;
	char once[64], *subject = NULL, *body = NULL;

	if (!d->dsn_permanent)
		return event(in, "relay", "delivery.delayed", c->ref, "transient dsn");
	if (store_delivery_list(in->st, c->id, &dl, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (dl[i].id != d->delivery_id)
			continue;
		rung = dl[i].rung;
		if (strcmp(dl[i].state, "failed") != 0) {
			fs_strlcpy(dl[i].state, "failed", sizeof(dl[i].state));
			snprintf(dl[i].last_error, sizeof(dl[i].last_error),
			    "avis de non-remise : échec définitif (%s)",
			    m->dsn.status ? m->dsn.status : "?");
			if (store_delivery_update(in->st, &dl[i]) < 0)
				goto out;
		}
	}
	if (event(in, "relay", "delivery.bounced", c->ref, "permanent") < 0 ||
	    store_case_set_error(in->st, c->id, "avis de non-remise : échec définitif") < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (dl[i].rung == c->rung && strcmp(dl[i].state, "failed") != 0)
			alive++;
	if (rung == c->rung && alive == 0 && case_may(c, LC_BOUNCED, &st) == LC_APPLY &&
	    (st.effects & LC_FX_NEXT_RUNG)) {
		struct case_row now = *c;

		if ((q = inbox_next_rung(in, c, "relay", "bounce")) < 0)
			goto out;
		if (q == 0 && (case_step(in->st, &now, LC_RUNG_FAILED, in->now, NULL) !=
		    LC_APPLY || event(in, "relay", "case.failed", c->ref,
		    "all deliveries bounced") < 0))
			goto out;
	}
	/* One notice per failed delivery, however many bounces say so
	 * (servers retry and repeat; 14 bounces gave 14 notices). */
	if (d->delivery_id > 0)
		snprintf(once, sizeof(once), "bounce-delivery:%lld", (long long)d->delivery_id);
	else
		snprintf(once, sizeof(once), "bounce:%lld", (long long)raw_id);
	subject = xasprintf("[%s] Avis de non-remise", c->ref);
	body = xasprintf("Bonjour,\n\nUn envoi du dossier %s a été refusé définitivement par le"
	    " serveur du destinataire.  Le relais l'a transmis à l'échelon suivant s'il y en a"
	    " un.\n\nConsultez le dossier avec « fsrelay show %s ».\n\n-- \nRelais sécurisé"
	    " fsrelay\n", c->ref, c->ref);
	r = notify_agent(in, c, "bounce", once, subject, body);
out:
	free(subject);
	free(body);
	free(dl);
	return r;
}

int
inbox_suspected_breach(struct instance *in, int64_t quarantine_id, const char *case_ref)
{
	char outcome[64];

	snprintf(outcome, sizeof(outcome), "quarantine %lld", (long long)quarantine_id);
	if (event(in, "relay", "security.suspected-breach", case_ref, outcome) < 0)
		return -1;
	/* Someone outside holds one of our references: a suspected breach
	 * for the DPO's register (only the DPO sets awareness and risk). */
	return breach_suspect(in, BREACH_SRC_STRANGER, case_ref,
	    "Courriel d'un expéditeur inconnu portant une référence, un jeton ou un"
	    " Message-ID du relais (mis en quarantaine)") < 0 ? -1 : 0;
}

/* Message-ID, From, Subject, NUL-separated, sealed under the mail's key. */
static int
seal_meta(struct instance *in, int64_t qid, int64_t raw_id, const struct parsed_mail *m)
{
	struct vault_ad ad = { "quarantine", "meta", qid, in->kek_id };
	uint8_t key[VAULT_KEY_BYTES];
	struct buf pt, ct;
	int r = -1;

	if (raw_key(in, raw_id, key) != 0)
		return -1;
	buf_init(&pt, 3 * MIME_HEADER_MAX + 3);
	buf_init(&ct, 3 * MIME_HEADER_MAX + 3 + VAULT_OVERHEAD);
	if (m) {
		buf_append(&pt, m->message_id ? m->message_id : "",
		    strlen(m->message_id ? m->message_id : "") + 1);
		buf_append(&pt, m->from ? m->from : "", strlen(m->from ? m->from : "") + 1);
		buf_append(&pt, m->subject ? m->subject : "", strlen(m->subject ? m->subject : ""));
	} else
		buf_append(&pt, "\0\0", 2);
	if (vault_seal(&ct, key, &ad, (const uint8_t *)pt.p, pt.len) == 0 &&
	    store_quarantine_set_meta(in->st, qid, ct.p, ct.len) == 0)
		r = 0;
	sodium_memzero(key, sizeof(key));
	buf_free(&pt);
	buf_free(&ct);
	return r;
}

int
inbox_quarantine_meta(struct instance *in, int64_t qid, int64_t raw_id, char **message_id,
    char **from, char **subject, char *err, size_t errlen)
{
	struct vault_ad ad = { "quarantine", "meta", qid, in->kek_id };
	uint8_t key[VAULT_KEY_BYTES];
	struct buf ct, pt;
	const char *p, *end;
	char **out[3] = { message_id, from, subject };
	int r, k;

	*message_id = *from = *subject = NULL;
	if ((r = raw_key(in, raw_id, key)) != 0) {
		if (r < 0)
			snprintf(err, errlen, "clé du courriel illisible (données altérées ?)");
		return r;
	}
	buf_init(&ct, 3 * MIME_HEADER_MAX + 3 + VAULT_OVERHEAD);
	buf_init(&pt, 3 * MIME_HEADER_MAX + 3);
	r = store_quarantine_get_meta(in->st, qid, &ct);
	if (r == 0 && vault_open(&pt, key, &ad, (const uint8_t *)ct.p, ct.len, ct.len + 1) < 0) {
		snprintf(err, errlen, "courriel en quarantaine illisible (données altérées ?)");
		r = -1;
	}
	sodium_memzero(key, sizeof(key));
	if (r == 0) {
		p = pt.p ? pt.p : "";
		end = p + pt.len;
		for (k = 0; k < 3; k++) {
			const char *nul = p < end ? memchr(p, '\0', (size_t)(end - p)) : NULL;
			size_t l = nul ? (size_t)(nul - p) : (size_t)(end - p);

			*out[k] = xstrndup(p < end ? p : "", p < end ? l : 0);
			p = nul ? nul + 1 : end;
		}
	}
	buf_free(&ct);
	buf_free(&pt);
	return r;
}

static const char *
quarantine_action(enum quarantine_reason r)
{
	switch (r) {
	case QR_STRANGER:
		return "security.stranger";
	case QR_DMARC_FAIL:
		return "security.dmarc-fail";
	case QR_CONFLICTING_KEYS:
		return "security.conflicting-keys";
	case QR_UNVERIFIED:
		return "security.unverified";
	case QR_DSN_IMPLAUSIBLE:
		return "security.dsn-implausible";
	default:
		return "mail.quarantined";
	}
}

static int
quarantine(struct instance *in, const struct raw_mail_row *raw, const struct parsed_mail *m,
    const struct match_decision *d, struct inbox_stats *stats)
{
	struct quarantine_row q;
	const char *reason = quarantine_reason_name(d->reason);

	memset(&q, 0, sizeof(q));
	q.raw_id = raw->id;
	fs_strlcpy(q.reason, reason ? reason : "malformed", sizeof(q.reason));
	fs_strlcpy(q.case_hint, d->ref, sizeof(q.case_hint));
	q.received_at = raw->received_at;
	if (store_quarantine_insert(in->st, &q) < 0 || seal_meta(in, q.id, raw->id, m) < 0 ||
	    event(in, "relay", quarantine_action(d->reason), d->ref[0] ? d->ref : NULL,
	    q.reason) < 0)
		return -1;
	if (d->suspected_breach && inbox_suspected_breach(in, q.id, d->ref[0] ? d->ref : NULL) < 0)
		return -1;
	/* A bounce for another recipient than ours: held (match.c), and a
	 * suspected breach. */
	if (d->final_recipient_mismatch && d->ref[0] &&
	    (event(in, "relay", "security.dsn-recipient-mismatch", d->ref, "final-recipient") < 0 ||
	    breach_suspect(in, BREACH_SRC_DSN, d->ref, "Avis de non-remise dont le destinataire"
	    " final n'est pas l'adresse à laquelle le dossier a été envoyé (mis en"
	    " quarantaine)") < 0))
		return -1;
	stats->quarantined++;
	logx("courriel %lld mis en quarantaine (%s)", (long long)raw->id, q.reason);
	return 0;
}

static int
apply(struct instance *in, const struct raw_mail_row *raw, const struct parsed_mail *m,
    const struct match_decision *d, struct inbox_stats *stats, char *err,
    size_t errlen)
{
	struct case_row c;
	const char *kind;
	int r;

	if (m != NULL && d->cls == MAIL_HUMAN &&
	    (d->reason == QR_NO_CASE || d->reason == QR_STRANGER)) {
		/* It names no case: perhaps the reply to an invitation. */
		char why[256];

		if ((r = enrol_ingest(in, m, why, sizeof(why))) < 0) {
			snprintf(err, errlen, "inscription : %s", store_errmsg(in->st));
			return -1;
		}
		if (r == 1) {
			stats->enrolments++;
			logx("courriel %lld : clé proposée par une inscription, à vérifier"
			    " (referents list)", (long long)raw->id);
			return inbox_raw_drop(in, raw->id, 0);
		}
		if (r == 2)
			logx("courriel %lld : inscription refusée (%s)", (long long)raw->id, why);
	}
	if (d->reason != QR_NONE || m == NULL || d->cls == MAIL_LOOP || d->cls == MAIL_MALFORMED)
		return quarantine(in, raw, m, d, stats);
	if ((r = store_case_get(in->st, d->ref, &c)) != 0) {
		snprintf(err, errlen, "dossier %s introuvable", d->ref);
		return -1;
	}
	kind = d->cls == MAIL_DSN ? "bounce" : d->cls == MAIL_AUTOREPLY ? "auto-reply" : "reply";
	if (inbox_attach(in, &c, m, kind, d->flagged, NULL, err, errlen) < 0)
		return -1;
	if (d->flagged && event(in, "relay", "security.flagged-sender", c.ref, kind) < 0)
		return -1;
	switch (d->cls) {
	case MAIL_DSN:
		stats->bounces++;
		r = dsn_effects(in, &c, m, d, raw->id);
		break;
	case MAIL_AUTOREPLY:
		stats->autoreplies++;
		r = autoreply_effects(in, &c, m, d);
		break;
	default:
		stats->replies++;
		r = inbox_reply_effects(in, &c, raw->id);
		break;
	}
	if (r < 0)
		return -1;
	logx("courriel %lld rattaché au dossier %s (%s%s)", (long long)raw->id, c.ref, kind,
	    d->flagged ? ", expéditeur à vérifier" : "");
	/* The mail now lives sealed in the case: drop the raw copy. */
	return inbox_raw_drop(in, raw->id, 0);
}

/*
 * The parse of one stored mail, kept until its batch of effects commits
 * (a failing batch is replayed from these, not parsed again).
 */
struct parse_result {
	int			r;	/* inbox_raw_content: 0, 1 dropped, -1 unreadable */
	int			parsed;
	struct parsed_mail	m;
};

/* A stored mail's size as the store has it (bounded by MIME_MSG_MAX). */
static size_t
raw_size(const struct raw_mail_row *raw)
{
	return raw->size < 0 ? 0 : raw->size > (int64_t)MIME_MSG_MAX ? MIME_MSG_MAX :
	    (size_t)raw->size;
}

/*
 * The zygotes of a pass, one per lane.  inbox_run starts them all before
 * fetching the first new mail, while the daemon is smallest (every child
 * fork copies its zygote's page tables); otherwise each starts when its
 * lane first has a mail to parse.
 */
struct parser_pool {
	size_t			 nlanes;
	struct inbox_parser	*lane[INBOX_LANES_MAX];
	int			 started[INBOX_LANES_MAX];
	int			 restarted[INBOX_LANES_MAX];
};

static void
pool_init(struct parser_pool *pp)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(pp, 0, sizeof(*pp));
	/* One lane more than processors (the daemon works too), at least
	 * 2, at most INBOX_LANES_MAX. */
	pp->nlanes = cpus < 1 ? 2 : cpus + 1 > INBOX_LANES_MAX ? INBOX_LANES_MAX :
	    (size_t)cpus + 1;
}

/* Lane k's zygote, started if need be (NULL: none, parse directly). */
static struct inbox_parser *
pool_lane(struct parser_pool *pp, struct instance *in, size_t k)
{
	if (!pp->started[k]) {
		pp->lane[k] = inbox_parser_start(in);
		pp->started[k] = 1;
	} else if (pp->lane[k] != NULL && inbox_parser_pid(pp->lane[k]) < 0 &&
	    !pp->restarted[k]) {
		/* A lost zygote is replaced once per pass (a new fresh image);
		 * after that, a root per mail. */
		inbox_parser_stop(pp->lane[k]);
		pp->lane[k] = inbox_parser_start(in);
		pp->restarted[k] = 1;
	}
	return pp->lane[k];
}

static void
pool_start(struct parser_pool *pp, struct instance *in)
{
	size_t k;

	for (k = 0; k < pp->nlanes; k++)
		(void)pool_lane(pp, in, k);
}

/* Stop the zygotes (requests still outstanding are dropped). */
static void
pool_end(struct parser_pool *pp)
{
	size_t k;

	for (k = 0; k < pp->nlanes; k++) {
		inbox_parser_stop(pp->lane[k]);
		pp->lane[k] = NULL;
		pp->started[k] = 0;
		pp->restarted[k] = 0;
	}
}

/*
 * The parsing pipeline: mail i is parsed in lane i % nlanes, each lane a
 * zygote with at most one request outstanding, so up to nlanes children
 * parse the next mails while the daemon applies the current one.  Every
 * child still parses exactly one mail.  A lane whose zygote is missing or
 * failed parses in a child forked from the daemon.
 */
struct pipeline {
	struct instance			*in;
	struct parser_pool		*pool;
	const struct raw_mail_row	*list;
	size_t				 n;
	size_t				 sent;		/* mails handed to a lane */
	size_t				 got;		/* mails taken back */
	size_t				 ahead;		/* bytes of [got, sent) */
	size_t				 nlanes;
	struct buf			 bytes[INBOX_LANES_MAX];
	int				 r[INBOX_LANES_MAX];
	char				 why[INBOX_LANES_MAX][ERRLEN];
};

static void
pl_init(struct pipeline *pl, struct instance *in, struct parser_pool *pool,
    const struct raw_mail_row *list, size_t n)
{
	memset(pl, 0, sizeof(*pl));
	pl->in = in;
	pl->pool = pool;
	pl->list = list;
	pl->n = n;
	pl->nlanes = pool->nlanes;
}

/* Unseal the next mail and hand it to its lane. */
static void
pl_send_next(struct pipeline *pl)
{
	size_t k = pl->sent % pl->nlanes;
	struct buf *b = &pl->bytes[k];

	buf_init(b, MIME_MSG_MAX);
	pl->r[k] = inbox_raw_content(pl->in, pl->list[pl->sent].id, b, pl->why[k],
	    sizeof(pl->why[k]));
	/* A zygote only when there is mail to parse. */
	if (pl->r[k] == 0)
		(void)inbox_parser_send(pool_lane(pl->pool, pl->in, k), b->p, b->len);
	pl->ahead += raw_size(&pl->list[pl->sent]);
	pl->sent++;
}

/* Keep the lanes busy: up to nlanes mails and AHEAD_BYTES ahead (the next
 * mail always goes, whatever its size). */
static void
pl_fill(struct pipeline *pl)
{
	while (pl->sent < pl->n && pl->sent < pl->got + pl->nlanes && (pl->sent == pl->got ||
	    pl->ahead + raw_size(&pl->list[pl->sent]) <= AHEAD_BYTES))
		pl_send_next(pl);
}

/* Take back the next mail's parse (in order) into *res; keep the lanes
 * full.  Logs a mail that cannot be read or parsed. */
static void
pl_next(struct pipeline *pl, struct parse_result *res)
{
	const struct raw_mail_row *raw = &pl->list[pl->got];
	size_t k = pl->got % pl->nlanes;
	char why[ERRLEN];

	pl_fill(pl);
	memset(res, 0, sizeof(*res));
	res->r = pl->r[k];
	fs_strlcpy(why, res->r < 0 ? pl->why[k] : "vidé", sizeof(why));
	if (res->r == 0)
		res->parsed = inbox_parser_recv(pl->pool->lane[k], pl->bytes[k].p,
		    pl->bytes[k].len, &res->m, why, sizeof(why)) == 0;
	buf_free(&pl->bytes[k]);
	pl->ahead -= raw_size(raw);
	pl->got++;
	/* The freed lane takes the next mail before this one is applied. */
	pl_fill(pl);
	if (res->r < 0)
		logx("courriel %lld : %s", (long long)raw->id, why);
	else if (!res->parsed)
		logw("courriel %lld illisible : %s", (long long)raw->id, why);
	else if (inbox_open_age(pl->in, &res->m, why, sizeof(why)) < 0)
		logx("courriel %lld : %s", (long long)raw->id, why);
}

/* Wipe what is left (mails sent but not taken back stay new for the next
 * pass; the zygotes drop their requests when stopped). */
static void
pl_end(struct pipeline *pl)
{
	size_t k;

	for (k = 0; k < pl->nlanes; k++)
		buf_free(&pl->bytes[k]);
}

static int
process_one(struct instance *in, const struct match_ctx *ctx, const struct raw_mail_row *raw,
    const struct parse_result *p, struct inbox_stats *stats, char *err, size_t errlen,
    int own_tx)
{
	const struct parsed_mail *m = p->parsed ? &p->m : NULL;
	struct match_decision d;

	if (p->r < 0)
		return 0;	/* left as is: an operator must look */
	if (!p->parsed)
		stats->malformed++;
	memset(&d, 0, sizeof(d));
	if (match_decide(m, ctx, &d) < 0) {
		snprintf(err, errlen, "rapprochement : %s", store_errmsg(in->st));
		return -1;
	}
	if (own_tx && store_begin(in->st) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(in->st));
		return -1;
	}
	err[0] = '\0';
	if (apply(in, raw, m, &d, stats, err, errlen) < 0 ||
	    store_raw_set_state(in->st, raw->id, "processed") < 0 ||
	    (own_tx && store_commit(in->st) < 0)) {
		if (!err[0])
			snprintf(err, errlen, "%s", store_errmsg(in->st));
		if (own_tx)
			store_rollback(in->st);
		return -1;
	}
	return 0;
}

/* How many mails from list[i] make the next batch: EFFECT_BATCH at most,
 * and BATCH_BYTES of raw mail (their parses are kept until it commits). */
static size_t
batch_len(const struct raw_mail_row *list, size_t n, size_t i)
{
	size_t k = 1, bytes = raw_size(&list[i]);

	while (i + k < n && k < EFFECT_BATCH && bytes + raw_size(&list[i + k]) <= BATCH_BYTES)
		bytes += raw_size(&list[i + k++]);
	return k;
}

/*
 * Mails list[0..n) in transactions of batch_len() mails (one fsync each);
 * each mail is still all-or-nothing with its "processed" mark.  A failing
 * batch is rolled back and replayed one mail per transaction, from the
 * parses kept.
 */
static int
process_batches(struct instance *in, struct pipeline *pl, const struct match_ctx *ctx,
    struct inbox_stats *stats, char *err, size_t errlen)
{
	struct parse_result res[EFFECT_BATCH];
	const struct raw_mail_row *list = pl->list;
	char e[ERRLEN];
	size_t i, j, k, got;
	int r = 0;

	for (i = 0; i < pl->n && r == 0; i += k) {
		struct inbox_stats saved = *stats;
		int good = store_begin(in->st) == 0;

		k = batch_len(list, pl->n, i);
		for (got = 0; good && got < k; got++) {
			pl_next(pl, &res[got]);
			good = process_one(in, ctx, &list[i + got], &res[got], stats, e, sizeof(e), 0) == 0;
		}
		if (!good || store_commit(in->st) < 0) {
			store_rollback(in->st);
			*stats = saved;
			for (j = 0; j < k && r == 0; j++) {
				if (j == got)
					pl_next(pl, &res[got++]);
				if (process_one(in, ctx, &list[i + j], &res[j], stats, e, sizeof(e), 1) < 0) {
					snprintf(err, errlen, "courriel %lld : %s",
					    (long long)list[i + j].id, e);
					r = -1;
				}
			}
		}
		for (j = 0; j < got; j++)
			mime_free(&res[j].m);
	}
	return r;
}

/* inbox_process_pending with the pass's zygotes. */
static int
process_pending(struct instance *in, struct parser_pool *pool, struct inbox_stats *stats,
    char *err, size_t errlen)
{
	struct raw_mail_row *list = NULL;
	struct pipeline pl;
	struct match_ctx ctx;
	struct mctx x;
	size_t n = 0;
	int r;

	if (store_raw_pending(in->st, INBOX_BATCH, &list, &n) < 0) {
		snprintf(err, errlen, "%s", store_errmsg(in->st));
		return -1;
	}
	if (n == 0)
		return 0;
	parser_fault_set(in);
	memset(&x, 0, sizeof(x));
	x.in = in;
	if ((x.dir = instance_directory(in, err, errlen)) == NULL) {
		free(list);
		return -1;
	}
	ctx_init(&ctx, &x, in);
	pl_init(&pl, in, pool, list, n);
	r = process_batches(in, &pl, &ctx, stats, err, errlen);
	pl_end(&pl);
	pool_end(pool);
	mctx_clear_rcpts(&x);
	free(list);
	return r;
}

int
inbox_process_pending(struct instance *in, struct inbox_stats *stats, char *err,
    size_t errlen)
{
	struct parser_pool pool;
	int r;

	pool_init(&pool);
	r = process_pending(in, &pool, stats, err, errlen);
	pool_end(&pool);
	return r;
}

/* ---- the mailbox ---------------------------------------------------- */

struct fetch {
	struct instance		*in;
	struct parser_pool	*pool;
	struct imap_session	*s;
	uint32_t		 uidvalidity;
	uint32_t		*del;		/* stored: to delete */
	size_t			 n_del;
	int			 in_tx;
	size_t			 in_batch;
};

static int
fetch_commit(struct fetch *f)
{
	if (!f->in_tx)
		return 0;
	f->in_tx = 0;
	f->in_batch = 0;
	if (store_commit(f->in->st) < 0) {
		store_rollback(f->in->st);
		return -1;
	}
	return 0;
}

/* Fetch and store one new mail.  0 stored or known, 1 network trouble
 * (stop fetching), -1 store failure. */
static int
fetch_one(struct fetch *f, const struct imap_msg *msg, struct inbox_stats *stats)
{
	struct buf raw;
	char err[ERRLEN];
	int r;

	if (msg->size > MIME_MSG_MAX) {
		stats->skipped++;
		logw("message IMAP %" PRIu32 " trop gros (%" PRIu64 " octets) : laissé dans la"
		    " boîte", msg->uid, msg->size);
		return 0;
	}
	/* New mail to parse: the zygotes now, before the pass grows. */
	pool_start(f->pool, f->in);
	buf_init(&raw, MIME_MSG_MAX);
	if (imap_fetch(f->s, f->uidvalidity, msg->uid, MIME_MSG_MAX, &raw, err,
	    sizeof(err)) < 0) {
		logw("lecture du message %" PRIu32 " : %s", msg->uid, err);
		buf_free(&raw);
		return 1;
	}
	if (!f->in_tx) {
		if (store_begin(f->in->st) < 0) {
			buf_free(&raw);
			return -1;
		}
		f->in_tx = 1;
	}
	r = inbox_store_raw(f->in, f->uidvalidity, msg->uid, raw.p, raw.len, NULL);
	buf_free(&raw);
	if (r < 0) {
		store_rollback(f->in->st);
		f->in_tx = 0;
		return -1;
	}
	if (r == 0)
		stats->fetched++;
	f->del[f->n_del++] = msg->uid;
	if (++f->in_batch >= STORE_BATCH)
		return fetch_commit(f);
	return 0;
}

static int
fetch_all(struct fetch *f, struct inbox_stats *stats, char *err, size_t errlen)
{
	struct imap_msg *list = NULL;
	size_t n = 0, i;
	char e[ERRLEN];
	int r = 0;

	if (imap_list(f->s, &f->uidvalidity, &list, &n, e, sizeof(e)) < 0) {
		if (strstr(e, IMAP_ERR_LOGIN_DENIED) == NULL)
			logw("boîte du relais : %s", e);
		else if (backoff_refused(&daemon_mailbox_login, clock_monotonic_ms(), f->in->now)) {
			logw("boîte du relais : %s : nouvel essai dans 1 s, puis un délai qui"
			    " double jusqu'à 5 min (journalisé au rétablissement)", e);
			(void)store_mark_set(f->in->st, "mailbox.login_refused_since",
			    daemon_mailbox_login.since);
		}
		return 0;
	}
	if (backoff_accepted(&daemon_mailbox_login)) {
		daemon_log(LOG_NOTICE, "courrier : boîte du relais : connexion rétablie");
		if (store_mark_set(f->in->st, "mailbox.login_refused_since", 0) < 0) {
			free(list);
			snprintf(err, errlen, "%s", store_errmsg(f->in->st));
			return -1;
		}
	}
	/* `fsrelay status` shows when the mailbox was last read. */
	if (store_mark_set(f->in->st, "mailbox.last_poll", f->in->now) < 0) {
		free(list);
		snprintf(err, errlen, "%s", store_errmsg(f->in->st));
		return -1;
	}
	f->del = xcalloc(n + 1, sizeof(*f->del));
	/* On SIGTERM, the message being read is finished and recorded. */
	for (i = 0; i < n && r == 0 && !INSTANCE_STOPPING(f->in); i++) {
		int known = store_raw_known(f->in->st, f->uidvalidity, list[i].uid);

		if (known < 0)
			r = -1;
		else if (known)
			f->del[f->n_del++] = list[i].uid;
		else
			r = fetch_one(f, &list[i], stats);
	}
	if (r == 1)
		r = 0;
	if (fetch_commit(f) < 0)
		r = -1;
	if (r < 0) {
		/* Not committed: they stay in the mailbox for the next pass. */
		f->n_del = 0;
		snprintf(err, errlen, "enregistrement des courriels : %s", store_errmsg(f->in->st));
	}
	free(list);
	return r;
}

static int
expunge_stored(struct fetch *f, struct inbox_stats *stats, char *err, size_t errlen)
{
	char e[ERRLEN];
	size_t i;

	if (f->n_del == 0)
		return 0;
	if (imap_delete(f->s, f->uidvalidity, f->del, f->n_del, e, sizeof(e)) < 0) {
		logw("effacement dans la boîte : %s", e);
		return 0;
	}
	stats->expunged += f->n_del;
	if (store_begin(f->in->st) < 0)
		goto fail;
	for (i = 0; i < f->n_del; i++)
		if (store_raw_set_expunged(f->in->st, f->uidvalidity, f->del[i]) < 0) {
			store_rollback(f->in->st);
			goto fail;
		}
	if (store_commit(f->in->st) < 0) {
		store_rollback(f->in->st);
		goto fail;
	}
	return 0;
fail:
	snprintf(err, errlen, "%s", store_errmsg(f->in->st));
	return -1;
}

/* The mailbox session and what it points to (conf, password): for one
 * pass, or kept in in->mailbox by `serve` (issue 15: one login per
 * connection, not one per pass). */
struct inbox_mailbox {
	struct imap_conf	 conf;
	char			*password;
	size_t			 plen;
	struct imap_session	*s;
	unsigned long		 logged;	/* connections already logged */
	struct imap_idle	*idle;		/* the IDLE connection (inbox_wait) */
	int			 no_idle;	/* the server does not offer IDLE */
	time_t			 idle_retry;	/* no new IDLE connection before */
};

static void
mailbox_free(struct inbox_mailbox *mb)
{
	if (mb == NULL)
		return;
	imap_close(mb->s);
	imap_idle_close(mb->idle);
	if (mb->password)
		keystore_free(mb->password, mb->plen);
	free(mb);
}

void
inbox_mailbox_close(struct instance *in)
{
	mailbox_free(in->mailbox);
	in->mailbox = NULL;
}

static struct inbox_mailbox *
mailbox_open(struct instance *in)
{
	struct inbox_mailbox *mb = xcalloc(1, sizeof(*mb));
	char e[ERRLEN];

	if (in->cfg.imap_password_file) {
		mb->password = keystore_read(in->cfg.imap_password_file, 1024, &mb->plen, e,
		    sizeof(e));
		if (mb->password == NULL) {
			logw("%s", e);
			free(mb);
			return NULL;
		}
		mb->password[strcspn(mb->password, "\r\n")] = '\0';
	}
	mb->conf.url = in->cfg.imap_url;
	mb->conf.user = in->cfg.imap_user;
	mb->conf.password = mb->password;
	mb->conf.ca_file = in->cfg.ca_file;
	mb->conf.starttls = in->cfg.imap_starttls;
	mb->conf.timeout_s = 60;
	if ((mb->s = imap_open(&mb->conf, e, sizeof(e))) == NULL) {
		logw("%s", e);
		mailbox_free(mb);
		return NULL;
	}
	return mb;
}

int
inbox_run(struct instance *in, struct inbox_stats *stats, char *err, size_t errlen)
{
	struct parser_pool pool;
	struct inbox_mailbox *mb;
	struct fetch f;
	int r = -1;

	memset(stats, 0, sizeof(*stats));
	memset(&f, 0, sizeof(f));
	f.in = in;
	parser_fault_set(in);
	if (in->cfg.imap_url == NULL ||
	    !backoff_due(&daemon_mailbox_login, clock_monotonic_ms()))
		return inbox_process_pending(in, stats, err, errlen);
	pool_init(&pool);
	f.pool = &pool;
	mb = in->keep_mailbox && in->mailbox ? in->mailbox : mailbox_open(in);
	if (mb == NULL) {
		r = process_pending(in, &pool, stats, err, errlen);
		goto out;
	}
	f.s = mb->s;
	if (fetch_all(&f, stats, err, errlen) < 0 ||
	    process_pending(in, &pool, stats, err, errlen) < 0 ||
	    expunge_stored(&f, stats, err, errlen) < 0)
		goto out;
	r = 0;
out:
	pool_end(&pool);
	if (mb && in->keep_mailbox && imap_connects(mb->s) > mb->logged) {
		/* A new connection (first pass, or the server dropped the
		 * last one): one line, so that logins can be counted. */
		mb->logged = imap_connects(mb->s);
		logx("boîte du relais : connexion IMAPS n° %lu", mb->logged);
	}
	if (mb && in->keep_mailbox)
		in->mailbox = mb;
	else
		mailbox_free(mb);
	free(f.del);
	return r;
}

/* Sleep ms milliseconds, less if a signal comes. */
static void
sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	(void)nanosleep(&ts, NULL);
}

void
inbox_wait(struct instance *in, int max_ms)
{
	struct inbox_mailbox *mb = in->mailbox;
	char e[ERRLEN];
	int offered, r;

	if (INSTANCE_STOPPING(in))
		return;
	/* A refused login: the pass's back-off retries it, IDLE waits. */
	if (mb == NULL || mb->no_idle || daemon_mailbox_login.refused ||
	    (mb->idle == NULL && clock_system() < mb->idle_retry)) {
		sleep_ms(max_ms);
		return;
	}
	if (mb->idle == NULL) {
		mb->idle = imap_idle_open(&mb->conf, &offered, e, sizeof(e));
		if (mb->idle == NULL) {
			if (e[0] == '\0') {
				mb->no_idle = 1;
				logx("boîte du relais : IDLE non proposé par le serveur : relève"
				    " toutes les %d ms", max_ms);
			} else {
				mb->idle_retry = clock_system() + IDLE_RETRY_SECONDS;
				logx("boîte du relais : %s ; relève sans IDLE pendant %d s", e,
				    IDLE_RETRY_SECONDS);
			}
			sleep_ms(max_ms);
			return;
		}
		logx("boîte du relais : IDLE sur une connexion IMAPS dédiée");
	}
	if ((r = imap_idle_wait(mb->idle, max_ms, e, sizeof(e))) < 0) {
		logx("boîte du relais : %s", e);
		imap_idle_close(mb->idle);
		mb->idle = NULL;
		mb->idle_retry = clock_system() + IDLE_RETRY_SECONDS;
	}
}
