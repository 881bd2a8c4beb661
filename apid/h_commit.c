/* POST /commit and GET /containers/ID/changes, over libberthclient's bc_commit and bc_diff. */
#include "config.h"

#include <string.h>

#include "apid.h"
#include "common/cleanup.h"
#include "common/xalloc.h"
#include "ctl/lib/bc_commit.h"

cJSON *req_changes(const struct request *rq)
{
	cJSON *changes = cJSON_CreateArray();
	char *c;

	for (unsigned i = 0; (c = req_query_nth(rq, "changes", i)); i++) {
		/* the CLI sends each --change as a value; a newline may join several */
		for (char *save = NULL, *l = strtok_r(c, "\n", &save); l;
		     l = strtok_r(NULL, "\n", &save))
			if (*l)
				cJSON_AddItemToArray(changes, cJSON_CreateString(l));
		free(c);
	}
	return changes;
}

/* POST /commit?container=&repo=&tag=&comment=&author=&pause=&changes=... -> 201 {"Id"} */
void h_commit(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_free char *ctr = req_query(rq, "container"), *repo = req_query(rq, "repo");
	cleanup_free char *tag = req_query(rq, "tag"), *comment = req_query(rq, "comment");
	cleanup_free char *author = req_query(rq, "author"), *name = NULL, *id = NULL;
	cleanup_cjson cJSON *changes = req_changes(rq), *out = NULL;
	struct bc_commit o = {.changes = changes, .created_by = "docker commit"};
	struct err err = ERR_INIT;

	(void)arg;
	if (!ctr || !*ctr) {
		resp_error(rs, 400, "Bad parameters: commit needs a container (?container=...)");
		return;
	}
	if (repo && *repo)
		name = tag && *tag ? xasprintf("%s:%s", repo, tag) : xstrdup(repo);
	o.ref = ctr;
	o.name = name;
	o.comment = comment && *comment ? comment : NULL;
	o.author = author && *author ? author : NULL;
	o.no_pause = !req_query_bool(rq, "pause", true);
	if (bc_commit(&a->paths, &o, &id, &err) < 0) {
		resp_err(rs, &err);
		err_clear(&err);
		return;
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "Id", id);
	resp_json(rs, 201, out);
}

static void change_line(const char *line, void *arg)
{
	cJSON *list = arg, *o;
	int kind;

	/* "C /path": Docker's kinds are 0 modified, 1 added, 2 deleted */
	if (strlen(line) < 3 || line[1] != ' ')
		return;
	kind = line[0] == 'C' ? 0 : line[0] == 'A' ? 1 : line[0] == 'D' ? 2 : -1;
	if (kind < 0)
		return;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "Path", line + 2);
	cJSON_AddNumberToObject(o, "Kind", kind);
	cJSON_AddItemToArray(list, o);
}

void h_ctr_changes(struct apid *a, struct resp *rs, const struct request *rq, char **arg)
{
	cleanup_cjson cJSON *list = cJSON_CreateArray();
	struct err err = ERR_INIT;

	(void)rq;
	if (bc_diff(&a->paths, arg[0], change_line, list, &err) < 0) {
		resp_err(rs, &err);
		err_clear(&err);
		return;
	}
	resp_json(rs, 200, list);
}
