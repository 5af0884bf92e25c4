#!/usr/bin/env python3
"""A Scale0 worker in Python with pyzmq only, following docs/worker-protocol.md (S0W/1).

Serves `hello` (a short page) and `echo` (the body back; chosen by a path segment `echo`), capacity 1.
usage: worker.py [ENDPOINT [SERVICE...]]        SIGTERM or SIGINT: DRAIN, DISCONNECT, exit 0.
"""
import json, random, signal, sys, time
import zmq

ENDPOINT = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5560"
SERVICES = [s.encode() for s in sys.argv[2:]] or [b"hello", b"echo"]
CAPACITY = 1
READY, REQUEST, REPLY, DONE, HEARTBEAT, DISCONNECT, RECONNECT_TO, CANCEL, DRAIN = (
    bytes([c]) for c in range(1, 10))

def netstring(data):                          # b"LEN:payload" + 1 type byte -> (payload, rest)
    length, rest = data.split(b":", 1)
    return rest[:int(length)], rest[int(length) + 1:]

def handle(payload):                          # Mongrel2 request -> (conn id, HTTP response, close?)
    sender, conn_id, path, rest = payload.split(b" ", 3)
    raw, rest = netstring(rest)
    body, _ = netstring(rest)
    headers = json.loads(raw) if raw.startswith(b"{") else {}   # tnetstring headers: not parsed here
    segments = [s for s in path.split(b"/") if s]
    if b"echo" in segments[:1] + segments[-1:]:
        text = body
    else:
        text = ("Hello from Scale0's Python worker.\n\n%s %s (conn %s)\n" % (
            headers.get("METHOD"), path.decode("utf-8", "replace"), conn_id.decode())).encode()
    head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n" % len(text)
    connection = str(headers.get("connection", "")).lower()
    close = connection == "close" or (headers.get("VERSION") == "HTTP/1.0" and connection != "keep-alive")
    return conn_id, head.encode() + text, close

def send(sock, command, *fields):
    sock.send_multipart([b"", b"S0W1", command, *fields])

def connect(ctx, endpoint):
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 1000)
    sock.connect(endpoint)
    send(sock, READY, str(CAPACITY).encode(), *SERVICES)
    return sock

def main():
    ctx, endpoint = zmq.Context(), ENDPOINT
    sock, interval, liveness, backoff = connect(ctx, endpoint), 1.0, 3, 1.0
    heard = sent = time.monotonic()
    stop = []
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.append(1))
    while not stop:
        if sock.poll(int(interval * 1000)):
            frames = sock.recv_multipart()
            heard = time.monotonic()
            if len(frames) < 3 or frames[0] != b"" or frames[1] != b"S0W1":
                continue                      # malformed: drop it
            command, fields = frames[2], frames[3:]
            if command == REQUEST and len(fields) == 3:
                request_id, sender, payload = fields
                try:
                    conn_id, response, close = handle(payload)
                    reply = b"%s %d:%s, " % (sender, len(conn_id), conn_id)
                    send(sock, REPLY, reply + response)
                    if close:
                        send(sock, REPLY, reply)  # an empty body closes the connection
                except ValueError as error:
                    print("malformed request:", error, file=sys.stderr)
                send(sock, DONE, request_id)  # after the last REPLY: the slot is free again
            elif command == HEARTBEAT and len(fields) == 2:
                interval, liveness, backoff = int(fields[0]) / 1000, int(fields[1]), 1.0
            elif command == CANCEL:
                pass                          # synchronous: that request is already DONE
            elif command == RECONNECT_TO and fields:  # nothing held between requests: move now
                endpoint = fields[0].decode()
                send(sock, DISCONNECT)
                sock.close()
                sock, heard = connect(ctx, endpoint), time.monotonic()
            elif command == DISCONNECT:       # the broker forgot us: register again
                time.sleep(random.random())
                send(sock, READY, str(CAPACITY).encode(), *SERVICES)
        now = time.monotonic()
        if now - heard > interval * liveness:  # broker silent: reconnect with backoff
            sock.close(linger=0)
            time.sleep(backoff)
            backoff = min(backoff * 2, 32.0)
            sock, heard = connect(ctx, endpoint), time.monotonic()
        if now - sent >= interval:
            send(sock, HEARTBEAT)
            sent = now
    send(sock, DRAIN)                         # graceful: nothing is held between requests here,
    send(sock, DISCONNECT)                    # so DISCONNECT follows at once
    sock.close()
    ctx.term()

if __name__ == "__main__":
    main()
