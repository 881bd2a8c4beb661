/* What netd reports in INFO. */
#include "config.h"

#include <dirent.h>
#include <string.h>

#include "netd.h"

int netd_info(struct daemon *d, cJSON *out, struct err *err)
{
	DIR *dir = opendir(d->state_dir);
	struct dirent *de;
	int n = 0;

	if (dir) {
		while ((de = readdir(dir))) {
			size_t len = strlen(de->d_name);

			if (len > 5 && strcmp(de->d_name + len - 5, ".json") == 0)
				n++;
		}
		closedir(dir);
	}
	cJSON_AddNumberToObject(out, "networks", n);
	return 0;
}
