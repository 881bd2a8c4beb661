/* Signal names as people type them: "TERM", "SIGTERM", "sigterm" or "15". */
#ifndef BERTH_SIGNAME_H
#define BERTH_SIGNAME_H

/* The signal number, or -1 when s names none. */
int signal_parse(const char *s);

#endif
