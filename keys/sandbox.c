/*
 * sandbox - see sandbox.h.
 */
#include "keys/sandbox.h"

#include <errno.h>
#include <iconv.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

/* Landlock, from the kernel's UAPI (linux/landlock.h), written out here:
 * Debian 12's headers lack the fields of the later ABIs. */
#define LL_CREATE_RULESET_VERSION	(1U << 0)
#define LL_FS_ABI1			((1ULL << 13) - 1)	/* EXECUTE..MAKE_SYM */
#define LL_FS_REFER			(1ULL << 13)		/* ABI 2 */
#define LL_FS_TRUNCATE			(1ULL << 14)		/* ABI 3 */
#define LL_FS_IOCTL_DEV			(1ULL << 15)		/* ABI 5 */
#define LL_NET_TCP			((1ULL << 0) | (1ULL << 1))	/* ABI 4 */
#define LL_SCOPE_ALL			((1ULL << 0) | (1ULL << 1))	/* ABI 6 */

struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;
	uint64_t	scoped;
};

int
sandbox_landlock_abi(void)
{
#ifdef SYS_landlock_create_ruleset
	long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);

	return v < 0 ? 0 : (int)v;
#else
	return 0;
#endif
}

/* A ruleset that handles every right the kernel knows and grants none.
 * 0 in force, -1 not available (the seccomp filter still applies). */
static int
landlock_deny_all(void)
{
#ifdef SYS_landlock_create_ruleset
	struct ll_ruleset_attr a;
	int abi = sandbox_landlock_abi(), fd, r;
	size_t size;

	if (abi < 1)
		return -1;
	memset(&a, 0, sizeof(a));
	a.handled_access_fs = LL_FS_ABI1;
	if (abi >= 2)
		a.handled_access_fs |= LL_FS_REFER;
	if (abi >= 3)
		a.handled_access_fs |= LL_FS_TRUNCATE;
	if (abi >= 5)
		a.handled_access_fs |= LL_FS_IOCTL_DEV;
	if (abi >= 4)
		a.handled_access_net = LL_NET_TCP;
	if (abi >= 6)
		a.scoped = LL_SCOPE_ALL;
	size = abi >= 6 ? sizeof(a) : abi >= 4 ? 2 * sizeof(uint64_t) : sizeof(uint64_t);
	fd = (int)syscall(SYS_landlock_create_ruleset, &a, size, 0U);
	if (fd < 0)
		return -1;
	r = (int)syscall(SYS_landlock_restrict_self, fd, 0U);
	close(fd);
	return r < 0 ? -1 : 0;
#else
	return -1;
#endif
}

/* The system calls a parsing child may make, whatever their arguments. */
static const int parser_allowed[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(writev), SCMP_SYS(close),
	SCMP_SYS(lseek), SCMP_SYS(fstat), SCMP_SYS(newfstatat),
	SCMP_SYS(brk), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(madvise),
	SCMP_SYS(futex), SCMP_SYS(getrandom), SCMP_SYS(sched_yield),
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(tgkill),
	SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask), SCMP_SYS(sigaltstack),
	SCMP_SYS(restart_syscall), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* And the zygote's. */
static const int zygote_allowed[] = {
	SCMP_SYS(clone), SCMP_SYS(set_robust_list), SCMP_SYS(wait4), SCMP_SYS(kill),
	SCMP_SYS(pipe2), SCMP_SYS(close_range), SCMP_SYS(poll), SCMP_SYS(ppoll),
	SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(getppid), SCMP_SYS(prctl),
	SCMP_SYS(setrlimit), SCMP_SYS(prlimit64), SCMP_SYS(rt_sigaction),
	SCMP_SYS(seccomp), SCMP_SYS(landlock_create_ruleset),
	SCMP_SYS(landlock_restrict_self),
};

static int
parser_filter(scmp_filter_ctx ctx, enum sandbox_role role)
{
	static const int no_exec[] = { SCMP_SYS(mmap), SCMP_SYS(mprotect) };
	size_t i;

	for (i = 0; i < sizeof(parser_allowed) / sizeof(parser_allowed[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, parser_allowed[i], 0) < 0)
			return -1;
	for (i = 0; role == SANDBOX_ZYGOTE &&
	    i < sizeof(zygote_allowed) / sizeof(zygote_allowed[0]); i++)
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, zygote_allowed[i], 0) < 0)
			return -1;
	/* Memory yes, executable memory no (no code loaded after this). */
	for (i = 0; i < 2; i++) {
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, no_exec[i], 1,
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)) < 0 ||
		    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), no_exec[i], 1,
		    SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, PROT_EXEC)) < 0)
			return -1;
	}
	/* Failing calls rather than a kill: iconv_open of a charset whose
	 * module is not loaded, isatty() of stdio. */
	if (seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(open), 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOTTY), SCMP_SYS(ioctl), 0) < 0)
		return -1;
	return 0;
}

/* The filters compiled once by sandbox_prepare (libseccomp compiles at
 * every seccomp_load: about a millisecond per child otherwise). */
static struct sock_filter *prepared[2];
static unsigned short prepared_len[2];

/* Compile role's filter into prepared[role]; 0 / -1. */
static int
prepare_filter(enum sandbox_role role)
{
	scmp_filter_ctx ctx;
	struct stat st;
	void *p = NULL;
	int fd = -1, r = -1;

	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL)
		return -1;
	if (parser_filter(ctx, role) < 0 || (fd = memfd_create("seccomp", MFD_CLOEXEC)) < 0 ||
	    seccomp_export_bpf(ctx, fd) < 0 || fstat(fd, &st) < 0 || st.st_size <= 0 ||
	    st.st_size % (off_t)sizeof(struct sock_filter) != 0 ||
	    st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS)
		goto out;
	if ((p = malloc((size_t)st.st_size)) == NULL ||
	    pread(fd, p, (size_t)st.st_size, 0) != (ssize_t)st.st_size)
		goto out;
	prepared[role] = p;
	prepared_len[role] = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
	p = NULL;
	r = 0;
out:
	free(p);
	if (fd >= 0)
		close(fd);
	seccomp_release(ctx);
	return r;
}

int
sandbox_enter(enum sandbox_role role, char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	int r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		snprintf(err, errlen, "prctl impossible : %s", strerror(errno));
		return -1;
	}
	(void)landlock_deny_all();	/* sandbox_landlock_abi() tells */
	if (prepared[role] != NULL) {
		struct sock_fprog prog = { prepared_len[role], prepared[role] };

		if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) == 0)
			return 0;
		snprintf(err, errlen, "filtre seccomp non installé (%s)", strerror(errno));
		return -1;
	}
	if ((ctx = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		snprintf(err, errlen, "seccomp indisponible");
		return -1;
	}
	r = parser_filter(ctx, role);
	if (r == 0)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r != 0) {
		snprintf(err, errlen, "filtre seccomp non installé (%s)",
		    strerror(r < 0 ? -r : EINVAL));
		return -1;
	}
	return 0;
}

int
sandbox_probe(char *err, size_t errlen)
{
	pid_t pid;
	int st;

	if ((pid = fork()) < 0) {
		snprintf(err, errlen, "fork impossible : %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		char e[200];

		if (sandbox_enter(SANDBOX_PARSER, e, sizeof(e)) < 0)
			_exit(2);
		(void)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		_exit(3);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			snprintf(err, errlen, "waitpid : %s", strerror(errno));
			return -1;
		}
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
		return 0;
	snprintf(err, errlen, "%s", WIFEXITED(st) && WEXITSTATUS(st) == 2 ?
	    "filtre seccomp impossible à installer" : "appel interdit non bloqué");
	return -1;
}

/* Latin-1, Windows-1252 and UTF-8 need no module (adapters/mime). */
static const char *const warm_charsets[] = { "ISO-8859-15", "ISO-8859-2",
	"ISO-8859-6", "ISO-8859-7", "ISO-8859-8", "ISO-8859-9", "WINDOWS-1250",
	"WINDOWS-1251", "WINDOWS-1254", "WINDOWS-1255", "WINDOWS-1256",
	"KOI8-R", "CP850", "MACINTOSH", "UTF-16", "UTF-7", "ISO-2022-JP",
	"SHIFT_JIS", "EUC-JP", "GB18030", "GBK", "GB2312", "BIG5", "EUC-KR",
	"TIS-620" };
/* Never closed: glibc keeps a module loaded while a descriptor uses it,
 * and the children forked later inherit it. */
static iconv_t warm_kept[sizeof(warm_charsets) / sizeof(warm_charsets[0])];

void
sandbox_prepare(void)
{
	static int done;
	size_t i;

	if (done)
		return;
	done = 1;
	/* Failing here, sandbox_enter compiles in the child. */
	(void)prepare_filter(SANDBOX_PARSER);
	(void)prepare_filter(SANDBOX_ZYGOTE);
	for (i = 0; i < sizeof(warm_charsets) / sizeof(warm_charsets[0]); i++)
		warm_kept[i] = iconv_open("UTF-8", warm_charsets[i]);
}
