#!/usr/bin/env python3
"""shimctl.py SOCKET COMMAND [ARGS]: talk to a berth-shim (as containerd does).

  create | start | state | wait | shutdown | close-stdin | stats
  delete [--force]        kill SIGNAL [--all]      resize ROWS COLS
  write TEXT              attach [--stdin TEXT] [--count]
  exec [-t] [--stdin TEXT] ARG...   run ARGs in the container; prints its output,
                          exits with its code
attach prints the container's stdout and stderr as they come, until the
container's output ends; with --count it prints only the number of bytes."""
import socket
import struct
import sys

HDR = struct.Struct('<IHHII')
F_REPLY, F_STREAM, F_END, F_ERROR = 1, 2, 4, 8
MSG = {'create': 0x500, 'start': 0x501, 'state': 0x502, 'kill': 0x503, 'attach': 0x504,
       'write': 0x505, 'close-stdin': 0x506, 'wait': 0x507, 'delete': 0x508,
       'shutdown': 0x509, 'resize': 0x50a, 'stats': 0x50b, 'exec': 0x50c}


def field(tag, kind, val):
    return struct.pack('<HHI', tag, kind, len(val)) + val


def u32(tag, v):
    return field(tag, 1, struct.pack('<I', v))


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b''
        self.next = 1
        self.call(1, u32(1, 1) + u32(2, 2) + field(3, 4, b'shimctl'))

    def send(self, typ, payload=b''):
        self.next += 1
        self.s.sendall(HDR.pack(len(payload), typ, 0, self.next, 0) + payload)
        return self.next

    def recv(self):
        while True:
            if len(self.buf) >= 16:
                n, typ, flags, fid, nfds = HDR.unpack(self.buf[:16])
                if len(self.buf) >= 16 + n:
                    p = self.buf[16:16 + n]
                    self.buf = self.buf[16 + n:]
                    return typ, flags, fid, fields(p)
            chunk = self.s.recv(1 << 20)
            if not chunk:
                raise SystemExit('shimctl: the shim closed the connection')
            self.buf += chunk

    def call(self, typ, payload=b''):
        fid = self.send(typ, payload)
        while True:
            t, flags, rid, f = self.recv()
            if rid == fid:
                check(flags, f)
                return f


def fields(p):
    out, off = {}, 0
    while off < len(p):
        tag, kind, n = struct.unpack_from('<HHI', p, off)
        out.setdefault(tag, p[off + 8:off + 8 + n])
        off += 8 + n
    return out


def check(flags, f):
    if flags & F_ERROR:
        code = struct.unpack('<I', f[6])[0]
        sys.stderr.write('shimctl: error %d: %s\n' % (code, f[7].decode()))
        sys.exit(1)


def main():
    path, cmd, args = sys.argv[1], sys.argv[2], sys.argv[3:]
    c = Conn(path)
    if cmd == 'attach':
        count = '--count' in args
        fid = c.send(MSG['attach'])
        if '--stdin' in args:
            c.send(MSG['write'], field(9, 5, args[args.index('--stdin') + 1].encode()))
            c.send(MSG['close-stdin'])
        total = 0
        while True:
            t, flags, rid, f = c.recv()
            if rid != fid:
                check(flags, f)
                continue
            check(flags, f)
            if flags & F_END:
                break
            data = f.get(9, b'')
            total += len(data)
            if not count:
                out = sys.stdout if struct.unpack('<I', f[17])[0] == 1 else sys.stderr
                out.buffer.write(data)
                out.flush()
        if count:
            print(total)
        return
    if cmd == 'exec':
        import json
        tty = args and args[0] == '-t'
        stdin = None
        if tty:
            args = args[1:]
        if args and args[0] == '--stdin':
            stdin, args = args[1], args[2:]
        proc = {"args": args, "cwd": "/", "env": ["PATH=/bin:/usr/bin"], "user": {"uid": 0, "gid": 0},
                "terminal": tty}
        fid = c.send(MSG['exec'], field(8, 4, json.dumps(proc).encode()))
        if stdin is not None:
            c.send(MSG['write'], field(9, 5, stdin.encode()) + u32(5, fid))
            c.send(MSG['close-stdin'], u32(5, fid))
        while True:
            t, flags, rid, f = c.recv()
            if rid != fid:
                check(flags, f)  # the replies to write and close-stdin
                continue
            check(flags, f)
            if flags & F_END:
                sys.exit(json.loads(f[8])["exit_code"])
            if 9 not in f:
                continue  # the word that the process runs (its pid), no data
            out = sys.stdout if struct.unpack('<I', f[17])[0] == 1 else sys.stderr
            out.buffer.write(f.get(9, b''))
            out.flush()
    payload = b''
    if cmd == 'kill':
        payload = u32(18, int(args[0])) + u32(16, 1 if '--all' in args else 0)
    elif cmd == 'delete':
        payload = u32(12, 1 if '--force' in args else 0)
    elif cmd == 'write':
        payload = field(9, 5, args[0].encode())
    elif cmd == 'resize':
        payload = u32(19, int(args[0])) + u32(20, int(args[1]))
    f = c.call(MSG[cmd], payload)
    if 8 in f:
        print(f[8].decode())


if __name__ == '__main__':
    main()
