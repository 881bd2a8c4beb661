/* berth load, images, tag, rmi, history, image inspect|prune|ls|rm|load|tag|history. */
#include "config.h"

#include <bsd/libutil.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/xalloc.h"
#include "ctl.h"
#include "lib/bc_filter.h"
#include "lib/bc_imgfilter.h"
#include "lib/bclient.h"
#include "format.h"
#include "proto/tags.h"

const char cmd_load_usage[] =
    "load [-i FILE] [-q]\n"
    "\n"
    "Load images from a docker-archive (docker save) or an OCI layout tarball,\n"
    "plain or compressed, from FILE or standard input.\n"
    "\n"
    "Options:\n"
    "  -i, --input FILE   read from FILE instead of standard input\n"
    "  -q, --quiet        print only the loaded names\n"
    "  -h, --help         show this help\n";

const char cmd_images_usage[] =
    "images [OPTIONS] [REPOSITORY[:TAG]]\n"
    "\n"
    "List images.\n"
    "\n"
    "Options:\n"
    "  -a, --all             show all images (berth keeps no intermediate ones)\n"
    "  -q, --quiet           only image ids\n"
    "      --digests         show digests\n"
    "      --no-trunc        full ids\n"
    "  -f, --filter F        reference=PATTERN, dangling=true|false, label=KEY[=VALUE],\n"
    "                        before=IMAGE, since=IMAGE, until=TIME\n"
    "      --format FORMAT   table (default), json, or a template: '{{.Repository}}:{{.Tag}}'\n"
    "  -h, --help            show this help\n";

const char cmd_save_usage[] =
    "save [-o FILE] [--format docker|oci] IMAGE [IMAGE...]\n"
    "\n"
    "Write images to a docker-archive (what docker load, podman load and skopeo read)\n"
    "or an OCI layout tarball, to FILE or standard output.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE     write to FILE\n"
    "      --format FORMAT   docker (default) or oci\n";

const char cmd_import_usage[] =
    "import [-c CHANGE]... [-m MESSAGE] FILE|URL|- [REPOSITORY[:TAG]]\n"
    "\n"
    "Make a one-layer image from a root filesystem tarball (plain or compressed).\n"
    "\n"
    "Options:\n"
    "  -c, --change CHANGE   CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL or EXPOSE\n"
    "  -m, --message TEXT    a comment for the history\n";

const char cmd_tag_usage[] = "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n"
			     "\n"
			     "Give an image another name.\n";

const char cmd_pull_usage[] =
    "pull [-q] [--platform OS/ARCH[/VARIANT]] [-a] NAME[:TAG|@DIGEST]\n"
    "\n"
    "Download an image from a registry (credentials from berth login; plain HTTP\n"
    "only for registries on 127.0.0.0/8 and localhost), three layers at a time, each\n"
    "verified and unpacked as soon as it is complete, with a line per layer.\n"
    "  -q, --quiet          only the image name at the end\n"
    "      --platform P     the platform to pick from a multi-platform index\n"
    "                       (default: this host's, linux/amd64 here)\n"
    "  -a, --all-tags       every tag of the repository\n";
const char cmd_push_usage[] =
    "push NAME[:TAG]\n"
    "\n"
    "Upload an image to its registry: blobs the repository lacks, then the "
    "manifest.\n";
const char cmd_rmi_usage[] =
    "rmi [-f] IMAGE [IMAGE...]\n"
    "\n"
    "Remove images: a name that is one of several only untags; the last name or an id\n"
    "deletes the image and the layers nothing else uses. An image a container uses is\n"
    "refused unless -f (it is then untagged and kept).\n";

const char cmd_history_usage[] = "history [--no-trunc] [-q] [--format table|json] IMAGE\n"
				 "\n"
				 "Show the history of an image, newest first.\n";

const char cmd_image_usage[] =
    "image COMMAND\n"
    "\n"
    "Commands:\n"
    "  ls        list images (as berth images)\n"
    "  pull      download an image (as berth pull)\n"
    "  push      upload an image (as berth push)\n"
    "  build     build an image from a Dockerfile (as berth build)\n"
    "  load      load images (as berth load)\n"
    "  save      write images to an archive (as berth save)\n"
    "  import    make an image from a root filesystem tarball (as berth import)\n"
    "  tag       tag an image (as berth tag)\n"
    "  rm        remove images (as berth rmi)\n"
    "  history   show the history of an image\n"
    "  inspect   show images as JSON\n"
    "  prune [-a] [-f]   remove dangling images (-a: every unused one)\n";

/* Call imaged and parse the JSON document of the reply. */
int ctl_imaged_call(struct ctl *ctl, uint16_t type, struct pbuf *pb, cJSON **out)
{
	return ctl_daemon_call(ctl, DAEMON_IMAGED, type, pb, out, NULL, NULL, EXIT_FAIL);
}

static int parse_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			ctl_usage(stdout, usage);
			return 1;
		}
	return 0;
}

/*
 * Progress on a terminal: one line per layer ("<12 hex>: status"), redrawn
 * in place as its status changes; everything else scrolls as plain lines.
 */
void ctl_progress_init(struct ctl_progress *p, FILE *out, bool quiet,
		       bool (*show)(const char *line, bool quiet))
{
	memset(p, 0, sizeof(*p));
	p->out = out;
	p->tty = isatty(fileno(out));
	p->quiet = quiet;
	p->show = show;
}

void ctl_progress_line(const char *line, void *arg)
{
	struct ctl_progress *p = arg;
	size_t k;

	if (p->show && !p->show(line, p->quiet))
		return;
	if (!p->tty || strlen(line) < 14 || line[12] != ':' ||
	    strspn(line, "0123456789abcdef") != 12) {
		fprintf(p->out, "%s\n", line);
		fflush(p->out);
		return;
	}
	for (k = 0; k < p->n; k++)
		if (!strncmp(p->ids[k], line, 12))
			break;
	if (k == p->n) {
		if (p->n < 64)
			snprintf(p->ids[p->n++], 13, "%.12s", line);
		fprintf(p->out, "%s\n", line);
	} else {
		size_t up = p->n - k;

		/* up to the layer's line, rewrite it, back down */
		fprintf(p->out, "\033[%zuA\r\033[2K%s\033[%zuB\r", up, line, up);
	}
	fflush(p->out);
}

/*
 * Send a request that runs as a job in imaged, with fd (taken over), print
 * its progress lines (those accepted by show), and return the result JSON.
 */
static int run_job(struct ctl *ctl, uint16_t type, struct pbuf *pb, int fd,
		   bool (*show)(const char *line, bool quiet), bool quiet, cJSON **result)
{
	struct err err = ERR_INIT;
	struct ctl_progress prog;

	/* save may write the archive to stdout: its progress goes to stderr */
	ctl_progress_init(&prog, type == MSG_IMAGE_SAVE ? stderr : stdout, quiet, show);
	if (bc_job(&ctl->paths, type, pb, fd, ctl_progress_line, &prog, result, &err) == 0)
		return EXIT_OK;
	return ctl_fail_err(&err, EXIT_FAIL);
}

static bool show_load(const char *line, bool quiet)
{
	return !quiet || !strncmp(line, "Loaded image", 12);
}

int cmd_load(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"input", required_argument, NULL, 'i'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *input = NULL;
	bool quiet = false;
	int fd, c_;

	while ((c_ = getopt_long(argc, argv, "+i:qh", opts, NULL)) != -1) {
		if (c_ == 'i')
			input = optarg;
		else if (c_ == 'q')
			quiet = true;
		else if (c_ == 'h') {
			ctl_usage(stdout, cmd_load_usage);
			return EXIT_OK;
		} else {
			ctl_usage(stderr, cmd_load_usage);
			return EXIT_DAEMON;
		}
	}
	if (input) {
		fd = open(input, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return ctl_fail(EXIT_FAIL, "open %s: %s", input, strerror(errno));
	} else {
		if (isatty(0))
			return ctl_fail(EXIT_FAIL, "requested load from stdin, but stdin is a "
						   "terminal: use -i FILE or redirect a file");
		fd = dup(0);
	}
	return run_job(ctl, MSG_IMAGE_LOAD, NULL, fd, show_load, quiet, NULL);
}

static void split_name(const char *name, char *repo, size_t rlen, char *tag, size_t tlen)
{
	const char *colon = strrchr(name, ':');

	if (colon && !strchr(colon, '/')) {
		snprintf(repo, rlen, "%.*s", (int)(colon - name), name);
		snprintf(tag, tlen, "%s", colon + 1);
	} else {
		snprintf(repo, rlen, "%s", name);
		snprintf(tag, tlen, "<none>");
	}
}

static bool show_all(const char *line, bool quiet)
{
	return !quiet && strncmp(line, "sha256:", 7) != 0;
}

/* Byte counts redraw a layer's line on a terminal; elsewhere only the status changes show. */
bool ctl_show_pull(const char *line, bool quiet)
{
	if (quiet)
		return false;
	return isatty(1) || !strstr(line, ": Downloading ");
}

int ctl_imaged_job(struct ctl *ctl, uint16_t type, struct pbuf *pb)
{
	return run_job(ctl, type, pb, -1, show_all, false, NULL);
}

int ctl_imaged_job_result(struct ctl *ctl, uint16_t type, struct pbuf *pb, bool quiet,
			  cJSON **result)
{
	return run_job(ctl, type, pb, -1, show_all, quiet, result);
}

int cmd_pull(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"quiet", no_argument, NULL, 'q'},
					     {"platform", required_argument, NULL, 'P'},
					     {"all-tags", no_argument, NULL, 'a'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *platform = NULL;
	bool quiet = false, all = false;
	int c;

	while ((c = getopt_long(argc, argv, "+qa", opts, NULL)) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'P')
			platform = optarg;
		else if (c == 'a')
			all = true;
		else if (c == 'h') {
			ctl_usage(stdout, cmd_pull_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (argc - optind != 1)
		return ctl_fail(EXIT_DAEMON, "pull needs one image name");
	{
		struct ctl_progress prog;
		struct bc_pull pull = {.ref = argv[optind],
				       .platform = platform,
				       .all_tags = all,
				       .on_line = ctl_progress_line,
				       .arg = &prog};
		struct err err = ERR_INIT;

		ctl_progress_init(&prog, stdout, quiet, ctl_show_pull);
		if (bc_pull(&ctl->paths, &pull, &err) < 0)
			return ctl_fail_err(&err, EXIT_FAIL);
		/* -q: the name pulled, as Docker prints it */
		if (quiet)
			printf("%s\n", argv[optind]);
		return EXIT_OK;
	}
}

int cmd_push(struct ctl *ctl, int argc, char **argv)
{
	struct err err = ERR_INIT;
	struct ctl_progress prog;

	if (argc >= 2 && !strcmp(argv[1], "--help")) {
		ctl_usage(stdout, cmd_push_usage);
		return EXIT_OK;
	}
	if (argc != 2)
		return ctl_fail(EXIT_DAEMON, "push needs one image name");
	ctl_progress_init(&prog, stdout, false, show_all);
	if (bc_push(&ctl->paths, argv[1], NULL, ctl_progress_line, &prog, &err) < 0)
		return ctl_fail_err(&err, EXIT_FAIL);
	return EXIT_OK;
}

int cmd_save(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
					     {"format", required_argument, NULL, 'F'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *output = NULL, *format = "docker";
	struct pbuf pb;
	int c, fd;

	while ((c = getopt_long(argc, argv, "+o:h", opts, NULL)) != -1) {
		if (c == 'o')
			output = optarg;
		else if (c == 'F')
			format = optarg;
		else if (c == 'h') {
			ctl_usage(stdout, cmd_save_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (optind >= argc)
		return ctl_fail(EXIT_DAEMON, "save needs at least one image");
	if (strcmp(format, "docker") && strcmp(format, "oci"))
		return ctl_fail(EXIT_DAEMON, "unknown --format '%s' (docker or oci)", format);
	if (output) {
		fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0)
			return ctl_fail(EXIT_FAIL, "open %s: %s", output, strerror(errno));
	} else {
		if (isatty(1))
			return ctl_fail(EXIT_FAIL,
					"refusing to write an archive to a terminal: use "
					"-o FILE or redirect");
		fd = dup(1);
	}
	pb_init(&pb);
	pb_put_str(&pb, TAG_FORMAT, format);
	for (int i = optind; i < argc; i++)
		pb_put_str(&pb, TAG_REF, argv[i]);
	return run_job(ctl, MSG_IMAGE_SAVE, &pb, fd, show_all, !output, NULL);
}

int cmd_import(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"change", required_argument, NULL, 'c'},
					     {"message", required_argument, NULL, 'm'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	cleanup_cjson cJSON *o = cJSON_CreateObject();
	cJSON *changes = cJSON_AddArrayToObject(o, "changes");
	cleanup_cjson cJSON *res = NULL;
	cleanup_free char *text = NULL;
	struct pbuf pb;
	int c, fd, rc;

	while ((c = getopt_long(argc, argv, "+c:m:h", opts, NULL)) != -1) {
		if (c == 'c')
			cJSON_AddItemToArray(changes, cJSON_CreateString(optarg));
		else if (c == 'm')
			cJSON_AddStringToObject(o, "message", optarg);
		else if (c == 'h') {
			ctl_usage(stdout, cmd_import_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (optind >= argc || argc - optind > 2)
		return ctl_fail(EXIT_DAEMON, "import needs FILE|- and an optional name");
	if (strstr(argv[optind], "://")) {
		/* imaged downloads it (it is the daemon that talks to the network) */
		cJSON_AddStringToObject(o, "url", argv[optind]);
		fd = -1;
	} else if (!strcmp(argv[optind], "-")) {
		if (isatty(0))
			return ctl_fail(EXIT_FAIL, "import -: standard input is a terminal");
		fd = dup(0);
	} else {
		fd = open(argv[optind], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return ctl_fail(EXIT_FAIL, "open %s: %s", argv[optind], strerror(errno));
	}
	text = cJSON_PrintUnformatted(o);
	pb_init(&pb);
	pb_put_str(&pb, TAG_JSON, text);
	if (optind + 1 < argc)
		pb_put_str(&pb, TAG_NAME, argv[optind + 1]);
	rc = run_job(ctl, MSG_IMAGE_IMPORT, &pb, fd, show_all, true, &res);
	if (rc == EXIT_OK && res && cJSON_IsString(cJSON_GetObjectItem(res, "id")))
		printf("%s\n", cJSON_GetObjectItem(res, "id")->valuestring);
	return rc;
}

/* An images row for --format templates: the fields Docker's images templates name. */
static cJSON *image_row(const cJSON *img, const char *repo, const char *tag, const char *id,
			const char *created, const char *size)
{
	cJSON *row = cJSON_CreateObject();
	const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(img, "Created"));
	char at[64];

	format_created_at(c ? c : "", at, sizeof(at));
	cJSON_AddStringToObject(row, "Repository", repo);
	cJSON_AddStringToObject(row, "Tag", tag);
	cJSON_AddStringToObject(
	    row, "Digest", cJSON_GetStringValue(cJSON_GetObjectItem(img, "Digest")) ?: "<none>");
	cJSON_AddStringToObject(row, "ID", id);
	cJSON_AddStringToObject(row, "CreatedSince", created);
	cJSON_AddStringToObject(row, "CreatedAt", at);
	cJSON_AddStringToObject(row, "Size", size);
	return row;
}

/* The column titles of a "table" template. */
static cJSON *image_headers(void)
{
	static const char *const kv[][2] = {{"Repository", "REPOSITORY"},
					    {"Tag", "TAG"},
					    {"Digest", "DIGEST"},
					    {"ID", "IMAGE ID"},
					    {"CreatedSince", "CREATED"},
					    {"CreatedAt", "CREATED AT"},
					    {"Size", "SIZE"}};
	return listfmt_titles(kv, sizeof(kv) / sizeof(kv[0]));
}

int cmd_images(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'},	      {"quiet", no_argument, NULL, 'q'},
	    {"digests", no_argument, NULL, 'D'},      {"no-trunc", no_argument, NULL, 'T'},
	    {"filter", required_argument, NULL, 'f'}, {"format", required_argument, NULL, 'F'},
	    {"help", no_argument, NULL, 'h'},	      {NULL, 0, NULL, 0},
	};
	bool quiet = false, digests = false, notrunc = false;
	struct bc_img_filters fs;
	struct err err = ERR_INIT;
	cleanup_free char *refkv = NULL;
	cleanup_listfmt struct listfmt lf = {0};
	cleanup_cjson cJSON *list = NULL, *lines = cJSON_CreateArray();
	cleanup_cjson cJSON *out = cJSON_CreateArray();
	bool all = false;
	struct table *t;
	const cJSON *img;
	int c, rc;

	bc_img_filters_init(&fs);
	while ((c = getopt_long(argc, argv, "+aqf:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'D':
			digests = true;
			break;
		case 'T':
			notrunc = true;
			break;
		case 'f':
			if (bc_img_filter_add(&fs, optarg, &err) < 0)
				return ctl_fail_err(&err, EXIT_DAEMON);
			break;
		case 'F':
			if (listfmt_parse(optarg, &lf) < 0)
				return EXIT_DAEMON;
			break;
		case 'h':
			ctl_usage(stdout, cmd_images_usage);
			return EXIT_OK;
		default:
			ctl_usage(stderr, cmd_images_usage);
			return EXIT_DAEMON;
		}
	}
	/* images REPOSITORY[:TAG]: a reference= filter */
	if (optind < argc) {
		refkv = xasprintf("reference=%s", argv[optind]);
		if (bc_img_filter_add(&fs, refkv, &err) < 0)
			return ctl_fail_err(&err, EXIT_DAEMON);
	}
	rc = ctl_imaged_call(ctl, MSG_IMAGE_LIST, NULL, &list);
	if (rc)
		return rc;
	if (bc_img_filter_resolve(&fs, list, &err) < 0)
		return ctl_fail_err(&err, EXIT_DAEMON);
	{
		static const char *const hdr[] = {"REPOSITORY", "TAG",	   "DIGEST",
						  "IMAGE ID",	"CREATED", "SIZE"};
		static const char *const hdr_nd[] = {"REPOSITORY", "TAG", "IMAGE ID", "CREATED",
						     "SIZE"};

		t = digests ? table_new(6, hdr) : table_new(5, hdr_nd);
	}
	cJSON_ArrayForEach (img, list) {
		const cJSON *tags = cJSON_GetObjectItem(img, "RepoTags"), *tg;
		bool is_dangling = cJSON_GetArraySize(tags) == 0;
		const char *id = cJSON_GetObjectItem(img, "Id")->valuestring;

		if (!all && cJSON_IsTrue(cJSON_GetObjectItem(img, "Intermediate")))
			continue;
		char idbuf[80], created[48], size[16];
		int rows = 0;

		if (!bc_img_filter_image(&fs, img))
			continue;
		snprintf(idbuf, sizeof(idbuf), "%s", notrunc ? id : id + 7);
		if (!notrunc)
			idbuf[12] = '\0';
		format_ago(cJSON_GetObjectItem(img, "Created")->valuestring, created,
			   sizeof(created));
		format_size(cJSON_GetObjectItem(img, "Size")->valuedouble, size, sizeof(size));
		for (int i = 0; i < (is_dangling ? 1 : cJSON_GetArraySize(tags)); i++) {
			char repo[256] = "<none>", tag[130] = "<none>";

			tg = is_dangling ? NULL : cJSON_GetArrayItem(tags, i);
			if (tg)
				split_name(tg->valuestring, repo, sizeof(repo), tag, sizeof(tag));
			if (fs.nrefs && (!tg || !bc_img_filter_tag(&fs, tg->valuestring)))
				continue;
			rows++;
			if (quiet) {
				if (rows == 1)
					printf("%s\n", idbuf);
				continue;
			}
			if (lf.t) {
				cJSON_AddItemToArray(
				    lines, image_row(img, repo, tag, idbuf, created, size));
			} else if (digests) {
				const char *row[] = {
				    repo,  tag,	    cJSON_GetObjectItem(img, "Digest")->valuestring,
				    idbuf, created, size};
				table_add(t, row);
			} else {
				const char *row[] = {repo, tag, idbuf, created, size};
				table_add(t, row);
			}
		}
		if (rows)
			cJSON_AddItemToArray(out, cJSON_Duplicate(img, true));
	}
	if (lf.t && !quiet) {
		cleanup_cjson cJSON *titles = image_headers();

		table_free(t);
		return listfmt_print(&lf, lines, titles);
	}
	if (lf.fmt == FORMAT_JSON)
		json_print(stdout, out);
	else if (!quiet)
		table_print(t, stdout);
	table_free(t);
	return EXIT_OK;
}

int cmd_tag(struct ctl *ctl, int argc, char **argv)
{
	cleanup_cjson cJSON *out = NULL;
	struct pbuf pb;

	if (parse_help(argc, argv, cmd_tag_usage))
		return EXIT_OK;
	if (argc != 3)
		return ctl_fail(EXIT_DAEMON, "tag needs SOURCE_IMAGE and TARGET_IMAGE");
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, argv[1]);
	pb_put_str(&pb, TAG_NAME, argv[2]);
	return ctl_imaged_call(ctl, MSG_IMAGE_TAG, &pb, &out);
}

int cmd_rmi(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	bool force = false;
	int c, rc = EXIT_OK;

	while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'h') {
			ctl_usage(stdout, cmd_rmi_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (optind >= argc)
		return ctl_fail(EXIT_DAEMON, "rmi needs at least one image");
	for (int i = optind; i < argc; i++) {
		cleanup_cjson cJSON *out = NULL;
		const cJSON *line;
		struct pbuf pb;
		int r;

		pb_init(&pb);
		pb_put_str(&pb, TAG_REF, argv[i]);
		pb_put_u32(&pb, TAG_FORCE, force);
		r = ctl_imaged_call(ctl, MSG_IMAGE_REMOVE, &pb, &out);
		if (r) {
			rc = r;
			continue;
		}
		cJSON_ArrayForEach (line, out)
			printf("%s\n", line->valuestring);
	}
	return rc;
}

int cmd_history(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"no-trunc", no_argument, NULL, 'T'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"format", required_argument, NULL, 'F'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	static const char *const hdr[] = {"CREATED", "CREATED BY", "SIZE", "COMMENT"};
	enum out_format fmt = FORMAT_TEXT;
	bool notrunc = false, quiet = false;
	cleanup_cjson cJSON *out = NULL;
	const cJSON *h;
	struct table *t;
	struct pbuf pb;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+qh", opts, NULL)) != -1) {
		if (c == 'T')
			notrunc = true;
		else if (c == 'q')
			quiet = true;
		else if (c == 'F') {
			if (format_parse(optarg, &fmt) < 0)
				return EXIT_DAEMON;
		} else if (c == 'h') {
			ctl_usage(stdout, cmd_history_usage);
			return EXIT_OK;
		} else
			return EXIT_DAEMON;
	}
	if (optind != argc - 1)
		return ctl_fail(EXIT_DAEMON, "history needs one image");
	pb_init(&pb);
	pb_put_str(&pb, TAG_REF, argv[optind]);
	rc = ctl_imaged_call(ctl, MSG_IMAGE_HISTORY, &pb, &out);
	if (rc)
		return rc;
	if (fmt == FORMAT_JSON) {
		json_print(stdout, out);
		return EXIT_OK;
	}
	t = table_new(4, hdr);
	cJSON_ArrayForEach (h, out) {
		char created[48], size[16], by[64];
		const char *cb = cJSON_GetObjectItem(h, "CreatedBy")->valuestring;
		const char *row[4];

		format_ago(cJSON_GetObjectItem(h, "Created")->valuestring, created,
			   sizeof(created));
		format_size(cJSON_GetObjectItem(h, "Size")->valuedouble, size, sizeof(size));
		if (!notrunc && strlen(cb) > 45)
			snprintf(by, sizeof(by), "%.44s…", cb);
		else
			snprintf(by, sizeof(by), "%s", cb);
		row[0] = created;
		row[1] = notrunc ? cb : by;
		row[2] = size;
		row[3] = cJSON_GetObjectItem(h, "Comment")->valuestring;
		if (quiet)
			printf("%s\n", created);
		else
			table_add(t, row);
	}
	if (!quiet)
		table_print(t, stdout);
	table_free(t);
	return EXIT_OK;
}

static int image_inspect(struct ctl *ctl, int argc, char **argv)
{
	static const struct inspect_kind image = {"image", DAEMON_IMAGED, MSG_IMAGE_INSPECT};

	return ctl_inspect(ctl, &image, 1, argc, argv,
			   "image inspect [-f TEMPLATE] IMAGE [IMAGE...]\n\n"
			   "Show images as JSON.\n"
			   "  -f, --format TEMPLATE   one line per image from a Go-style "
			   "template,\n"
			   "                          e.g. '{{.Id}}' or '{{json .Config.Cmd}}'\n");
}

int ctl_image_prune(struct ctl *ctl, int argc, char **argv)
{
	static const struct option opts[] = {{"all", no_argument, NULL, 'a'},
					     {"force", no_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	cleanup_cjson cJSON *out = NULL;
	const cJSON *it;
	bool all = false;
	struct pbuf pb;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+afh", opts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'h') {
			ctl_usage(stdout, cmd_image_usage);
			return EXIT_OK;
		} else if (c != 'f')
			return EXIT_DAEMON;
	}
	pb_init(&pb);
	pb_put_u32(&pb, TAG_ALL, all);
	rc = ctl_imaged_call(ctl, MSG_IMAGE_PRUNE, &pb, &out);
	if (rc)
		return rc;
	cJSON_ArrayForEach (it, out)
		printf("Deleted Images: %s\n", it->valuestring);
	printf("Total: %d image(s) removed\n", cJSON_GetArraySize(out));
	return EXIT_OK;
}

int cmd_image(struct ctl *ctl, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(struct ctl *, int, char **);
	} subs[] = {
	    {"ls", cmd_images},		{"list", cmd_images},
	    {"pull", cmd_pull},		{"push", cmd_push},
	    {"build", cmd_build},	{"load", cmd_load},
	    {"save", cmd_save},		{"import", cmd_import},
	    {"tag", cmd_tag},		{"rm", cmd_rmi},
	    {"history", cmd_history},	{"inspect", image_inspect},
	    {"prune", ctl_image_prune},
	};

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		ctl_usage(argc < 2 ? stderr : stdout, cmd_image_usage);
		return argc < 2 ? EXIT_DAEMON : EXIT_OK;
	}
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(argv[1], subs[i].name)) {
			optind = 0;
			return subs[i].fn(ctl, argc - 1, argv + 1);
		}
	return ctl_fail(EXIT_DAEMON, "unknown command 'image %s'", argv[1]);
}
