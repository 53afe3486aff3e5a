/*
 * test_sandbox - keys/sandbox on the running kernel: inside the parser's
 * sandbox a forbidden system call kills the process (SIGSYS), open fails
 * with EACCES, executable memory with EPERM, ordinary work goes on, an
 * iconv module loaded before still converts; relay/inbox's contained
 * child parses a mail under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <signal.h>
#include <string.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "adapters/mime.h"
#include "keys/sandbox.h"
#include "relay/inbox.h"
#include "tests/unit/t.h"

enum { T_SOCKET, T_OPEN, T_EXEC, T_WORK, T_ICONV, T_EXECVE, T_ZYGOTE, T_ZYGOTE_SOCKET };

/* In a child: enter the sandbox, do what `what` says; exit status 0 when
 * it went as the sandbox says it must, 1..9 otherwise. */
static int
child(int what)
{
	pid_t pid;
	int st;

	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		char err[200];

		if (sandbox_enter(what >= T_ZYGOTE ? SANDBOX_ZYGOTE : SANDBOX_PARSER, err,
		    sizeof(err)) < 0)
			_exit(9);
		switch (what) {
		case T_ZYGOTE: {
			/* It forks a child that enters the parser's sandbox,
			 * and reaps it; it still opens nothing. */
			pid_t c = fork();
			int cst;

			if (c < 0)
				_exit(1);
			if (c == 0) {
				if (sandbox_enter(SANDBOX_PARSER, err, sizeof(err)) < 0)
					_exit(1);
				(void)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
				_exit(2);
			}
			if (waitpid(c, &cst, 0) != c || !WIFSIGNALED(cst) ||
			    WTERMSIG(cst) != SIGSYS)
				_exit(3);
			_exit(open("/etc/passwd", O_RDONLY) < 0 && errno == EACCES ? 0 : 4);
		}
		case T_ZYGOTE_SOCKET:
			(void)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
			_exit(1);
		case T_SOCKET:
			(void)syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
			_exit(1);	/* not reached */
		case T_EXECVE: {
			char *argv[] = { "/bin/true", NULL };

			execv("/bin/true", argv);
			_exit(1);
		}
		case T_OPEN:
			_exit(open("/etc/passwd", O_RDONLY) < 0 && errno == EACCES ? 0 : 1);
		case T_EXEC: {
			void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE |
			    MAP_ANONYMOUS, -1, 0);
			void *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE |
			    MAP_ANONYMOUS, -1, 0);

			if (p != MAP_FAILED || errno != EPERM || q == MAP_FAILED)
				_exit(1);
			_exit(mprotect(q, 4096, PROT_READ | PROT_EXEC) < 0 && errno == EPERM ?
			    0 : 2);
		}
		case T_WORK: {
			char *a = malloc(10 * 1024 * 1024), *b;

			if (a == NULL)
				_exit(1);
			memset(a, 'x', 10 * 1024 * 1024);
			b = realloc(a, 20 * 1024 * 1024);
			free(b);
			_exit(write(1, "", 0) == 0 ? 0 : 2);
		}
		case T_ICONV: {
			iconv_t cd = iconv_open("UTF-8", "ISO-8859-15");
			char in[] = "\xa4", out[8] = "", *ip = in, *op = out;
			size_t il = 1, ol = sizeof(out);

			if (cd == (iconv_t)-1)
				_exit(1);
			if (iconv(cd, &ip, &il, &op, &ol) == (size_t)-1)
				_exit(2);
			if (strncmp(out, "\xe2\x82\xac", 3) != 0)
				_exit(3);
			/* A module not loaded before: fails, does not kill. */
			_exit(iconv_open("UTF-8", "IBM1047") == (iconv_t)-1 ? 0 : 4);
		}
		}
		_exit(8);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

int
main(void)
{
	struct parsed_mail m;
	char err[256];
	static const char mail[] = "From: a@example.org\r\nTo: b@example.org\r\n"
	    "Subject: =?ISO-8859-15?Q?Re=E7u_=A4?=\r\nMessage-ID: <x@example.org>\r\n"
	    "\r\nBonjour.\r\n";
	int st;

	sandbox_prepare();
	st = child(T_SOCKET);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = child(T_EXECVE);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = child(T_OPEN);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = child(T_EXEC);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = child(T_WORK);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = child(T_ICONV);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = child(T_ZYGOTE);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = child(T_ZYGOTE_SOCKET);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	CHECK(sandbox_landlock_abi() >= 0);
	CHECK_INT(sandbox_probe(err, sizeof(err)), 0);

	/* The contained child of relay/inbox parses under the sandbox. */
	memset(&m, 0, sizeof(m));
	CHECK_INT(inbox_parse_contained(mail, sizeof(mail) - 1, &m, err, sizeof(err)), 0);
	CHECK(m.subject != NULL && strcmp(m.subject, "Reçu €") == 0);
	mime_free(&m);
	return t_done();
}
