"""Opens N connections to 127.0.0.1:PORT at once, then sends one awsJson request on each and
reads the answers. Prints {"connected", "statuses": {code: count}, "no_response", "seconds"}.

usage: many_connections.py PORT N
"""
import collections
import json
import selectors
import socket
import sys
import time

PORT = int(sys.argv[1])
N = int(sys.argv[2])
REQUEST = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           b"X-Amz-Target: AWSStepFunctions.ListStateMachines\r\n"
           b"Content-Type: application/x-amz-json-1.0\r\nContent-Length: 2\r\n\r\n{}")
DEADLINE = time.monotonic() + 60

start = time.monotonic()
sel = selectors.DefaultSelector()
socks = []
for _ in range(N):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    s.connect_ex(("127.0.0.1", PORT))
    socks.append(s)
# Wait until every connect finished (writable), so all N are open at the same time.
pending = set(range(N))
for i, s in enumerate(socks):
    sel.register(s, selectors.EVENT_WRITE, i)
connected = 0
while pending and time.monotonic() < DEADLINE:
    for key, _ in sel.select(timeout=1):
        i = key.data
        sel.unregister(key.fileobj)
        pending.discard(i)
        if key.fileobj.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
            connected += 1
# Send on every connection, then read the answers.
buffers = {}
for i, s in enumerate(socks):
    if i in pending:
        continue
    try:
        s.send(REQUEST)
        buffers[i] = b""
        sel.register(s, selectors.EVENT_READ, i)
    except OSError:
        pass
statuses = collections.Counter()
while buffers and time.monotonic() < DEADLINE:
    for key, _ in sel.select(timeout=1):
        i = key.data
        try:
            data = key.fileobj.recv(65536)
        except OSError:
            data = b""
        if data:
            buffers[i] += data
        head, sep, rest = buffers[i].partition(b"\r\n\r\n")
        done = not data
        if sep:
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            if len(rest) >= length:
                statuses[head.split(b" ")[1].decode()] += 1
                done = True
        if done:
            sel.unregister(key.fileobj)
            del buffers[i]
for s in socks:
    s.close()
json.dump({"connected": connected, "statuses": statuses, "no_response": N - sum(statuses.values()),
           "seconds": round(time.monotonic() - start, 2)}, sys.stdout)
