/* Capabilities: all five sets of process.capabilities. */
#include "config.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

static int last_cap(void)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	int last = CAP_LAST_CAP;

	if (f) {
		if (fscanf(f, "%d", &last) != 1)
			last = CAP_LAST_CAP;
		fclose(f);
	}
	return last;
}

/* Drop from the bounding set what the spec does not list (needs CAP_SETPCAP, so first). */
int caps_drop_bounding(const struct spec_process *p, struct err *err)
{
	int last;

	if (!p->has_caps)
		return 0;
	last = last_cap();
	for (int c = 0; c <= last && c < 64; c++) {
		if (p->caps[CAPS_BOUNDING] & (1ULL << c))
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
			return err_sys(err, "drop capability %d from the bounding set", c);
	}
	return 0;
}

/* Raise `extra` into the effective set as it is (no process.capabilities). */
static int caps_raise(uint64_t extra, struct err *err)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {{0}};

	if (syscall(SYS_capget, &hdr, data) < 0)
		return err_sys(err, "capget");
	for (int i = 0; i < 2; i++)
		data[i].effective |= (uint32_t)(extra >> (32 * i)) & data[i].permitted;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return err_sys(err, "capset");
	return 0;
}

int caps_apply(const struct spec_process *p, uint64_t extra, struct err *err)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {{0}};
	int last;

	if (!p->has_caps)
		return extra ? caps_raise(extra, err) : 0;
	for (int i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)((p->caps[CAPS_EFFECTIVE] | extra) >> (32 * i));
		data[i].permitted = (uint32_t)((p->caps[CAPS_PERMITTED] | extra) >> (32 * i));
		data[i].inheritable = (uint32_t)(p->caps[CAPS_INHERITABLE] >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		return err_sys(err, "capset");
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return err_sys(err, "clear ambient capabilities");
	last = last_cap();
	for (int c = 0; c <= last && c < 64; c++) {
		if (!(p->caps[CAPS_AMBIENT] & (1ULL << c)))
			continue;
		if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0)
			return err_sys(err,
				       "raise ambient capability %d (it must be permitted and "
				       "inheritable)",
				       c);
	}
	return 0;
}
