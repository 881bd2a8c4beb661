/* berth: the command-line client. Global options, then one command from the table. */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const struct ctl_cmd commands[] = {
    {"attach", cmd_attach, "Attach to a running container", cmd_attach_usage},
    {"build", cmd_build, "Build an image from a Dockerfile", cmd_build_usage},
    {"commit", cmd_commit, "Make an image from a container's changes", cmd_commit_usage},
    {"container", cmd_container, "Manage containers", cmd_container_usage},
    {"cp", cmd_cp, "Copy files between a container and the host", cmd_cp_usage},
    {"create", cmd_create, "Create a container", cmd_create_usage},
    {"diff", cmd_diff, "Show the files a container changed", cmd_diff_usage},
    {"events", cmd_events, "Stream container events", cmd_events_usage},
    {"exec", cmd_exec, "Run a command in a running container", cmd_exec_usage},
    {"export", cmd_export, "Write a container's filesystem as a tar archive", cmd_export_usage},
    {"history", cmd_history, "Show the history of an image", cmd_history_usage},
    {"image", cmd_image, "Manage images", cmd_image_usage},
    {"images", cmd_images, "List images", cmd_images_usage},
    {"import", cmd_import, "Make an image from a root filesystem tarball", cmd_import_usage},
    {"info", cmd_info, "Show host facts and what the daemons hold", cmd_info_usage},
    {"inspect", cmd_inspect, "Show containers, images, networks or volumes as JSON",
     cmd_inspect_usage},
    {"kill", cmd_kill, "Send a signal to containers", cmd_kill_usage},
    {"load", cmd_load, "Load images from a docker-archive or OCI tarball", cmd_load_usage},
    {"login", cmd_login, "Keep credentials for a registry", cmd_login_usage},
    {"logout", cmd_logout, "Forget a registry's credentials", cmd_logout_usage},
    {"logs", cmd_logs, "Show a container's output", cmd_logs_usage},
    {"network", cmd_network, "Manage networks", cmd_network_usage},
    {"pause", cmd_pause, "Freeze the processes of containers", cmd_pause_usage},
    {"port", cmd_port, "Show a container's published ports", cmd_port_usage},
    {"ps", cmd_ps, "List containers", cmd_ps_usage},
    {"pull", cmd_pull, "Download an image from a registry", cmd_pull_usage},
    {"push", cmd_push, "Upload an image to a registry", cmd_push_usage},
    {"rename", cmd_rename, "Rename a container", cmd_rename_usage},
    {"restart", cmd_restart, "Restart containers", cmd_restart_usage},
    {"rm", cmd_rm, "Remove containers", cmd_rm_usage},
    {"rmi", cmd_rmi, "Remove images", cmd_rmi_usage},
    {"run", cmd_run, "Create and start a container", cmd_run_usage},
    {"save", cmd_save, "Write images to a docker-archive or OCI tarball", cmd_save_usage},
    {"start", cmd_start, "Start containers", cmd_start_usage},
    {"stats", cmd_stats, "Show containers' resource use", cmd_stats_usage},
    {"stop", cmd_stop, "Stop containers", cmd_stop_usage},
    {"system", cmd_system, "Start, stop or check the daemons (without systemd)", cmd_system_usage},
    {"tag", cmd_tag, "Give an image another name", cmd_tag_usage},
    {"top", cmd_top, "Show the processes of a container", cmd_top_usage},
    {"unpause", cmd_unpause, "Thaw paused containers", cmd_unpause_usage},
    {"update", cmd_update, "Change containers' resource limits or restart policy",
     cmd_update_usage},
    {"version", cmd_version, "Show the client and daemon versions", cmd_version_usage},
    {"volume", cmd_volume, "Manage volumes", cmd_volume_usage},
    {"wait", cmd_wait, "Wait for containers to stop", cmd_wait_usage},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: berth [OPTIONS] COMMAND [ARGS...]\n"
		"\n"
		"A privilege-separated container engine.\n"
		"\n"
		"Options:\n"
		"  --root DIR     state directory (default $BERTH_ROOT or " BERTH_DEFAULT_ROOT ")\n"
		"  --run DIR      runtime directory (default $BERTH_RUN or " BERTH_DEFAULT_RUN ")\n"
		"  -h, --help     show this help\n"
		"  -v, --version  show the client version\n"
		"\n"
		"Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nRun 'berth COMMAND --help' for more about a command.\n");
}

static const struct ctl_cmd *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, 'r'},
	    {"run", required_argument, NULL, 'R'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	const char *root = NULL, *run = NULL;
	const struct ctl_cmd *cmd;
	struct ctl ctl = {0};
	int c, rc;

	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			root = optarg;
			break;
		case 'R':
			run = optarg;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case 'v':
			printf("berth version %s, protocol %d\n", PACKAGE_VERSION, PROTO_VERSION);
			return EXIT_OK;
		default:
			usage(stderr);
			return EXIT_DAEMON;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_DAEMON;
	}
	if (strcmp(argv[optind], "help") == 0) {
		if (optind + 1 < argc && (cmd = find(argv[optind + 1]))) {
			ctl_usage(stdout, cmd->usage);
			return EXIT_OK;
		}
		usage(stdout);
		return EXIT_OK;
	}
	cmd = find(argv[optind]);
	if (!cmd)
		return ctl_fail(EXIT_DAEMON, "unknown command '%s' (see 'berth --help')",
				argv[optind]);
	paths_init(&ctl.paths, root, run);
	if (ctl.paths.root[0] != '/' || ctl.paths.run[0] != '/') {
		paths_free(&ctl.paths);
		return ctl_fail(EXIT_DAEMON, "--root and --run must be absolute paths");
	}
	argc -= optind;
	argv += optind;
	optind = 0;
	rc = cmd->fn(&ctl, argc, argv);
	paths_free(&ctl.paths);
	return rc;
}
