/*
 * sandbox - contain a process that must never reach a key (issue 13,
 * item 5): the mail parsing child and the zygote that forks it.
 *
 * sandbox_enter(SANDBOX_PARSER) makes the calling process, for the rest of
 * its life and that of anything it forks:
 *   - unable to gain privileges (PR_SET_NO_NEW_PRIVS) and not dumpable;
 *   - unable to open any file (Landlock: no file system right at all, nor
 *     TCP bind/connect from ABI 4, nor signals or abstract sockets outside
 *     itself from ABI 6) where the kernel has Landlock;
 *   - limited to a small list of system calls (seccomp, libseccomp):
 *     memory management, read and write on descriptors it already holds,
 *     the clock, exit.  open/openat fail with EACCES (iconv then falls back
 *     on the built-in conversions), mapping executable memory fails with
 *     EPERM, ioctl with ENOTTY; any other call (socket, connect, execve,
 *     fork, ptrace, ...) kills the process (SIGSYS).
 * The iconv modules of the usual mail charsets are loaded beforehand
 * (sandbox_prepare, called by the parent before it forks) so that a
 * contained child still converts them without opening a file.
 *
 * Trusts: nothing of what runs after it.
 */
#ifndef FSRELAY_SANDBOX_H
#define FSRELAY_SANDBOX_H

#include <stddef.h>

/*
 * SANDBOX_ZYGOTE, for the process that forks the parsing children (it has
 * dropped its copy of the keys): the same, plus what forking and reaping
 * a child and talking on its socket need (clone, wait4, kill, pipe2,
 * poll, send/recv, close_range, prctl, setrlimit, seccomp and the Landlock
 * calls its children make to enter their own, stricter, sandbox).
 */
enum sandbox_role { SANDBOX_PARSER, SANDBOX_ZYGOTE };

/*
 * Enter the sandbox of role.  0: the seccomp filter is in force (Landlock
 * too when sandbox_landlock_abi() > 0).  -1 with a French reason in err
 * when the filter could not be installed: the caller must then not go on.
 */
int	 sandbox_enter(enum sandbox_role role, char *err, size_t errlen);

/*
 * Try the parser's sandbox in a child process: it enters it, then makes a
 * forbidden call.  0 when the child was killed by SIGSYS as it must be;
 * -1 with a French reason in err otherwise (mails would all go to
 * quarantine).  For `fsrelay check`.
 */
int	 sandbox_probe(char *err, size_t errlen);

/* The kernel's Landlock ABI version, 0 when it has none (or disabled). */
int	 sandbox_landlock_abi(void);

/* Once per process, before forking contained children: compile the
 * seccomp filters (entering is then one prctl), and load the iconv
 * modules of the charsets mail uses most, kept loaded. */
void	 sandbox_prepare(void);

#endif
