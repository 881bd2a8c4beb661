#!/usr/bin/env python3
"""Speak raw berth protocol frames to a daemon socket, for the tests that
must send what the real client never would. Usage:
  rawframe.py SOCKET SCENARIO
Prints one line describing what the daemon did; exits non-zero when the
daemon did not behave as the scenario expects."""
import socket
import struct
import sys

HDR = struct.Struct('<IHHII')
PF_REPLY, PF_ERROR = 1, 8


def field(tag, kind, val):
    return struct.pack('<HHI', tag, kind, len(val)) + val


def u32(tag, v):
    return field(tag, 1, struct.pack('<I', v))


def frame(typ, fid, payload=b'', flags=0, nfds=0):
    return HDR.pack(len(payload), typ, flags, fid, nfds) + payload


def hello(version=1, role=1):
    return frame(1, 1, u32(1, version) + u32(2, role) + field(3, 4, b'rawframe'))


def recv_frame(s):
    buf = b''
    while len(buf) < HDR.size:
        chunk = s.recv(HDR.size - len(buf))
        if not chunk:
            return None
        buf += chunk
    length, typ, flags, fid, nfds = HDR.unpack(buf)
    payload = b''
    while len(payload) < length:
        chunk = s.recv(length - len(payload))
        if not chunk:
            return None
        payload += chunk
    return typ, flags, fid, payload


def fields(payload):
    out, off = {}, 0
    while off < len(payload):
        tag, kind, length = struct.unpack_from('<HHI', payload, off)
        out[tag] = payload[off + 8:off + 8 + length]
        off += 8 + length
    return out


def error_of(fr):
    f = fields(fr[3])
    return struct.unpack('<I', f[6])[0], f[7].decode()


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    return s


def closed(s):
    try:
        return s.recv(1) == b''
    except ConnectionResetError:
        return True


def main():
    path, scenario = sys.argv[1], sys.argv[2]
    s = connect(path)
    if scenario == 'oversize':
        s.sendall(HDR.pack((16 << 20) + 1, 2, 0, 1, 0))
        ok = closed(s)
        print('closed' if ok else 'still open')
    elif scenario == 'garbage':
        s.sendall(b'\xff' * 64)
        ok = closed(s)
        print('closed' if ok else 'still open')
    elif scenario == 'vanish-header':
        s.sendall(hello()[:7])
        s.close()
        ok = True
        print('sent half a header and left')
    elif scenario == 'vanish-payload':
        s.sendall(hello())
        recv_frame(s)
        s.sendall(frame(2, 2, field(9, 5, b'x' * 1000))[:500])
        s.close()
        ok = True
        print('sent half a payload and left')
    elif scenario == 'bad-fields':
        s.sendall(hello())
        recv_frame(s)
        s.sendall(frame(2, 2, b'\x01\x00\x04\x00\xff'))
        ok = closed(s)
        print('closed' if ok else 'still open')
    elif scenario == 'unknown-type':
        s.sendall(hello())
        recv_frame(s)
        s.sendall(frame(0x7e01, 2))
        fr = recv_frame(s)
        code, msg = error_of(fr)
        s.sendall(frame(2, 3))
        fr2 = recv_frame(s)
        ok = fr[1] == PF_REPLY | PF_ERROR and code == 38 and fr2 and fr2[1] == PF_REPLY
        print(f'error {code}: {msg}; then ping answered: {bool(fr2)}')
    elif scenario == 'before-hello':
        s.sendall(frame(2, 1))
        fr = recv_frame(s)
        code, msg = error_of(fr)
        ok = code == 71 and closed(s)
        print(f'error {code}: {msg}')
    elif scenario == 'version-mismatch':
        s.sendall(hello(version=99))
        fr = recv_frame(s)
        code, msg = error_of(fr)
        ok = code == 71 and 'protocol version mismatch' in msg and closed(s)
        print(f'error {code}: {msg}')
    elif scenario == 'reply-flags':
        s.sendall(hello())
        recv_frame(s)
        s.sendall(frame(2, 2, flags=PF_REPLY))
        ok = closed(s)
        print('closed' if ok else 'still open')
    elif scenario in ('prepare', 'unprepare'):
        # imaged's snapshot messages, as containerd (role 2) sends them
        s.sendall(hello(role=2))
        recv_frame(s)
        key = sys.argv[3].encode()
        if scenario == 'prepare':
            s.sendall(frame(0x0310, 2, field(15, 4, key) + field(11, 4, sys.argv[4].encode())))
        else:
            s.sendall(frame(0x0311, 2, field(15, 4, key)))
        fr = recv_frame(s)
        if fr[1] & PF_ERROR:
            print('error %d: %s' % error_of(fr))
            ok = False
        else:
            print(fields(fr[3])[8].decode())
            ok = True
    elif scenario == 'mount-hold':
        # containerd's CONTAINER_MOUNT (what berth cp asks for a container that
        # does not run), the connection kept for SECONDS: the root stays mounted
        s.sendall(hello())
        recv_frame(s)
        s.sendall(frame(0x0214, 2, field(11, 4, sys.argv[3].encode())))
        fr = recv_frame(s)
        ok = not (fr[1] & PF_ERROR)
        print('held' if ok else 'error %d: %s' % error_of(fr), flush=True)
        import time
        time.sleep(float(sys.argv[4]))
    elif scenario == 'hold':
        # connect, say hello and keep the connection for a while
        s.sendall(hello())
        recv_frame(s)
        import time
        time.sleep(float(sys.argv[3]) if len(sys.argv) > 3 else 1)
        ok = True
        print('held')
    else:
        print('unknown scenario', scenario)
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
