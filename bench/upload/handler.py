"""Bench handler for bench/upload/run.sh: a raw pyzmq Mongrel2 handler that answers an
upload-done message with the temp file's size (and GETs with "ok", for readiness).

Usage: handler.py SEND_SPEC RECV_SPEC
"""

import json
import os
import sys

import zmq


def http(body):
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


def main():
    ctx = zmq.Context()
    pull = ctx.socket(zmq.PULL)
    pull.connect(sys.argv[1])
    pub = ctx.socket(zmq.PUB)
    pub.connect(sys.argv[2])
    while True:
        sender, conn_id, path, rest = pull.recv().split(b" ", 3)
        hlen, rest = rest.split(b":", 1)
        headers = json.loads(rest[: int(hlen)])
        if path == b"@*":
            continue
        if "x-mongrel2-upload-done" in headers:
            size = os.path.getsize(headers["x-mongrel2-upload-done"])
            body = b"size %d" % size
        elif "x-mongrel2-upload-start" in headers:
            continue
        else:
            body = b"ok"
        pub.send(b"%s %d:%s, %s" % (sender, len(conn_id), conn_id, http(body)))


if __name__ == "__main__":
    main()
