/*
 * berth-init: a minimal init for containers whose process does not reap
 * its children. Run as the container's pid 1 (`berth-init CMD ARGS...`), it
 * starts CMD, forwards every signal it can catch to it, reaps every process
 * re-parented to it, and exits with CMD's status (128 + signal when CMD was
 * killed). Linked statically: it runs in any root filesystem.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	sigset_t all, old;
	pid_t child;
	int code = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: berth-init CMD [ARGS...]\n");
		return 2;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	child = fork();
	if (child < 0) {
		perror("berth-init: fork");
		return 1;
	}
	if (child == 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		/* its own process group, so terminal signals reach it as they would */
		setpgid(0, 0);
		execvp(argv[1], argv + 1);
		fprintf(stderr, "berth-init: exec %s: %s\n", argv[1], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&all, &si), status;
		pid_t pid;

		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(child, sig);
			continue;
		}
		while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
			if (pid != child)
				continue;
			code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
			/* what is left of the container goes with it */
			return code;
		}
	}
}
