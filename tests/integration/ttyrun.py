#!/usr/bin/env python3
"""ttyrun.py ROWS COLS INPUT CMD...: run CMD on a new pseudo-terminal of the
given size, type INPUT (\\n-separated lines; "\\x10\\x11" style escapes work)
once it is running, print everything it writes, exit with its exit code."""
import os, pty, select, signal, struct, sys, fcntl, termios, time

rows, cols, text = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
cmd = sys.argv[4:]
data = text.encode().decode("unicode_escape").encode("latin-1")
pid, fd = pty.fork()
if pid == 0:
    os.execvp(cmd[0], cmd)
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
out = b""
sent = False
deadline = time.time() + 20
while time.time() < deadline:
    r, _, _ = select.select([fd], [], [], 0.3)
    if not r:
        if not sent:
            os.write(fd, data)
            sent = True
        continue
    try:
        chunk = os.read(fd, 65536)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
sys.stdout.write(out.decode(errors="replace"))
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
