/*
 * berth cp and export of a container that does not run (created, exited):
 * its root is mounted as a start would (bundle_prepare: the overlay, the etc
 * files, the spec whose bind mounts the copy replays) for as long as the
 * asking connection lives. A start meanwhile is refused: two overlays on one
 * upper directory would not agree.
 */
#include "config.h"

#include <errno.h>

#include "containerd.h"

/* Mount a container that does not run for this connection (a running one is already). */
int h_CONTAINER_MOUNT(struct conn *c, struct frame *f, struct err *err)
{
	struct ctr *k = ctr_for_use(c, f, err);
	cJSON *o;

	if (!k)
		return -err->code;
	if (k->status == CS_REMOVING || k->status == CS_DEAD)
		return err_set(err, EINVAL, "container %s is %s", k->name,
			       ctr_status_name(k->status));
	if (k->status != CS_RUNNING && k->status != CS_PAUSED) {
		if (k->mount_hold)
			return err_set(err, EBUSY,
				       "container %s is being copied to or from already: try again "
				       "when that is done",
				       k->name);
		if (bundle_prepare(k->cd, k, err) < 0)
			return err_wrap(err, "mount container %s for the copy", k->name);
		k->mount_hold = c;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "Id", k->id);
	cJSON_AddBoolToObject(o, "Held", k->mount_hold == c);
	/* imaged copies for a member only with containerd's leave (berth-policy(5)) */
	if (c->profile && !c->profile->unrestricted) {
		char token[65];

		if (policy_grant_write(k->cd->d->paths.run, k->id, &c->who, token, err) < 0) {
			cJSON_Delete(o);
			return err_wrap(err, "leave to copy container %s", k->name);
		}
		cJSON_AddStringToObject(o, "Grant", token);
	}
	conn_reply_json(c, f, o, NULL, 0);
	return 0;
}

void mount_holds_closed(struct cd *cd, struct conn *c)
{
	struct ctr *k;

	TAILQ_FOREACH (k, &cd->ctrs, link) {
		if (k->mount_hold != c)
			continue;
		k->mount_hold = NULL;
		if (k->status != CS_RUNNING && k->status != CS_PAUSED)
			bundle_release(k);
	}
}
