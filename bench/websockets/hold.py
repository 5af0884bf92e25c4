"""Opens and holds N WebSockets through a Scale0 gateway, for bench/websockets/run.sh.

Usage: hold.py PORT SEND_SPEC RECV_SPEC N READY_FILE
A handler thread (pyzmq) answers each WEBSOCKET_HANDSHAKE with the 101 (Sec-WebSocket-Accept =
the message body) and plain HTTP probes with 200. The main thread opens N client sockets, each
doing the handshake and one masked text frame, writes N to READY_FILE and holds them until killed.
"""

import socket
import sys
import threading
import time

import zmq

port, send_spec, recv_spec, count, ready_file = sys.argv[1:6]
port, count = int(port), int(count)


def netstring(data):
    length, rest = data.split(b":", 1)
    n = int(length)
    return rest[:n], rest[n + 1:]


def handler():
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.connect(send_spec)
    pub = ctx.socket(zmq.PUB)
    pub.connect(recv_spec)
    while True:
        msg = pull.recv()
        sender, conn_id, path, rest = msg.split(b" ", 3)
        headers, rest = netstring(rest)
        body, _ = netstring(rest)
        head = b"%s %d:%s, " % (sender, len(conn_id), conn_id)
        if b'"METHOD":"WEBSOCKET_HANDSHAKE"' in headers:
            pub.send(head + b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + body + b"\r\n\r\n")
        elif path != b"@*" and b'"METHOD":"WEBSOCKET"' not in headers:
            pub.send(head + b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n")


def probe():
    s = socket.create_connection(("127.0.0.1", port))
    s.settimeout(0.3)
    s.sendall(b"GET /probe HTTP/1.1\r\nHost: localhost\r\n\r\n")
    try:
        return s.recv(100).startswith(b"HTTP/1.1 200")
    except socket.timeout:
        return False
    finally:
        s.close()


HANDSHAKE = (b"GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
             b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
             b"Sec-WebSocket-Version: 13\r\n\r\n")
HELLO = b"\x81\x857\xfa!=\x7f\x9fMQX"  # masked text frame "Hello"

threading.Thread(target=handler, daemon=True).start()
deadline = time.time() + 20
while not probe():
    if time.time() > deadline:
        sys.exit("gateway or handler not answering")
held = []
for i in range(count):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(HANDSHAKE)
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(4096)
        if not chunk:
            sys.exit("socket %d closed during the handshake" % i)
        head += chunk
    if not head.startswith(b"HTTP/1.1 101"):
        sys.exit("socket %d: %r" % (i, head[:80]))
    s.sendall(HELLO)
    held.append(s)
with open(ready_file, "w") as f:
    f.write("%d\n" % len(held))
while True:
    time.sleep(60)
