#!/usr/bin/env python3
"""The requests `docker run --rm IMAGE true` makes, in its order, from a
minimal client: HEAD /_ping, create (AutoRemove), attach (hijacked), wait
(condition=removed, headers first), start; done when the wait answers and
the attach stream ends. Timed inside the client, so no process start is
counted: what berth-apid and the daemons cost, without the docker CLI.
Usage: run-flow.py SOCKET IMAGE RUNS; prints the runs' median in ms."""
import json
import socket
import sys
import time


def connect(path):
    s = socket.socket(socket.AF_UNIX)
    s.connect(path)
    return s


def send(s, method, path, body=None, headers=""):
    data = json.dumps(body).encode() if body is not None else b""
    head = "%s %s HTTP/1.1\r\nHost: x\r\n%s" % (method, path, headers)
    if body is not None:
        head += "Content-Type: application/json\r\nContent-Length: %d\r\n" % len(data)
    s.sendall(head.encode() + b"\r\n" + data)


def read_until(s, end, data=b""):
    while end not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise SystemExit("run-flow: connection closed early")
        data += chunk
    return data


def read_json(s):
    head, _, body = read_until(s, b"\r\n\r\n").partition(b"\r\n\r\n")
    n = next(int(l.split(b":")[1]) for l in head.split(b"\r\n")
             if l.lower().startswith(b"content-length:"))
    while len(body) < n:
        body += s.recv(65536)
    return json.loads(body[:n])


def one(path, image):
    s = connect(path)
    send(s, "HEAD", "/_ping")
    read_until(s, b"\r\n\r\n")
    send(s, "POST", "/v1.45/containers/create",
         {"Image": image, "Cmd": ["true"], "AttachStdout": True, "AttachStderr": True,
          "HostConfig": {"AutoRemove": True}})
    cid = read_json(s)["Id"]
    a = connect(path)
    send(a, "POST", "/v1.45/containers/%s/attach?stream=1&stdout=1&stderr=1" % cid,
         headers="Connection: Upgrade\r\nUpgrade: tcp\r\n")
    read_until(a, b"\r\n\r\n")
    w = connect(path)
    send(w, "POST", "/v1.45/containers/%s/wait?condition=removed" % cid)
    read_until(w, b"\r\n\r\n")
    send(s, "POST", "/v1.45/containers/%s/start" % cid)
    read_until(s, b"\r\n\r\n")
    read_until(w, b"0\r\n\r\n")
    while a.recv(65536):
        pass
    for c in (s, a, w):
        c.close()


def main():
    path, image, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
    one(path, image)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        one(path, image)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    print("%.1f" % times[len(times) // 2])


main()
