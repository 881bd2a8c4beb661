/* Field tags used in payloads. Tags are shared by all messages. */
#ifndef BERTH_TAGS_H
#define BERTH_TAGS_H

enum field_tag {
	TAG_PROTO = 1,		/* u32: protocol version */
	TAG_ROLE = 2,		/* u32: one enum proto_role */
	TAG_NAME = 3,		/* str: program name ("berth-containerd") */
	TAG_VERSION = 4,	/* str: software version */
	TAG_PID = 5,		/* u32 */
	TAG_ERR_CODE = 6,	/* u32: errno-like code */
	TAG_ERR_MSG = 7,	/* str: human message */
	TAG_JSON = 8,		/* str: a JSON document */
	TAG_DATA = 9,		/* bytes: opaque data (PING echoes it) */
	TAG_UPTIME = 10,	/* u64: milliseconds since start */
	TAG_REF = 11,		/* str: an image reference or id */
	TAG_FORCE = 12,		/* u32: 1 to force */
	TAG_LINE = 13,		/* str: one line of progress */
	TAG_FORMAT = 14,	/* str: an output format (docker, oci) */
	TAG_KEY = 15,		/* str: a snapshot key */
	TAG_ALL = 16,		/* u32: 1 for all */
	TAG_STREAM = 17,	/* u32: 0 stdin, 1 stdout, 2 stderr */
	TAG_SIGNAL = 18,	/* u32 */
	TAG_ROWS = 19,		/* u32 */
	TAG_COLS = 20,		/* u32 */
	TAG_TIMEOUT = 21,	/* u32: seconds */
	TAG_KILL_ON_CLOSE = 22, /* u32: 1: the exec dies with the connection that asked for it */
	TAG_AUTH_UID = 23,	/* u32: in apid's HELLO, the Unix uid it acts for */
	TAG_AUTH_SUBJECT = 24,	/* str: in apid's HELLO, the TLS client's certificate subject */
	TAG_SCOPE = 25,		/* str: what an image.prune takes: "build-cache" (else TAG_ALL) */
	TAG_GRANT = 26,		/* str: containerd's leave to copy a container (snapshot.copy) */
};

#endif
