/* berth system: what start, stop and status share, and berth-apid's part. */
#ifndef BERTH_CTL_SYSTEM_H
#define BERTH_CTL_SYSTEM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "ctl.h"

uint64_t mono_ms(void);
void sleep_ms(unsigned ms);
void print_log_tail(const char *log);
/* True while pid exists and is not a zombie. */
bool system_alive(pid_t pid);
/* Start the daemon bin in the background with our --root, --run, --group, --log-level. */
pid_t system_spawn(struct ctl *ctl, const char *bin, const char *log, struct err *err);

/*
 * berth-apid, the Docker API: started after the others when the socket
 * group exists (it runs as a member of it), stopped first.
 */
int apid_start(struct ctl *ctl, const char *logdir, unsigned timeout);
int apid_stop(struct ctl *ctl, unsigned timeout);
cJSON *apid_status(struct ctl *ctl);

#endif
