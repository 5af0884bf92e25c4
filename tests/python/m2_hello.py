"""A Mongrel2 handler written against Mongrel2's own Python library, as an
unchanged Mongrel2 application would be, for Scale0's end-to-end tests.

Usage: m2_hello.py SENDER_ID SEND_SPEC RECV_SPEC
(PYTHONPATH must hold the library, see py3fix.py.)

Answers, by path suffix:
- `/echo`: the request body, as it came;
- `/park`: nothing yet; the conn id waits for the next `/deliver`;
- `/deliver`: one response delivered to every parked conn id and this one;
- anything else: a page of `key=value` lines describing what the library
  parsed (method, path, query, version, remote address, conn id,
  should_close, and every `x-` header).
A request that should close (HTTP/1.0, `Connection: close`) is closed after
its reply. On stdout, one line per event: `request CONN_ID PATH` and
`disconnect CONN_ID`.
"""

import sys

from mongrel2 import handler


def page(req):
    """What the library made of the request, one `key=value` per line."""
    lines = [
        "method=%s" % req.headers.get("METHOD"),
        "path=%s" % req.path,
        "query=%s" % req.headers.get("QUERY", ""),
        "version=%s" % req.headers.get("VERSION"),
        "remote_addr=%s" % req.headers.get("REMOTE_ADDR"),
        "conn_id=%s" % req.conn_id,
        "should_close=%s" % req.should_close(),
    ]
    for name in sorted(k for k in req.headers if k.startswith("x-")):
        lines.append("%s=%s" % (name, req.headers[name]))
    return "\n".join(lines) + "\n"


def serve(conn):
    """Answers requests until the process is stopped."""
    parked = []
    while True:
        req = conn.recv()
        if req.is_disconnect():
            print("disconnect %s" % req.conn_id, flush=True)
            continue
        print("request %s %s" % (req.conn_id, req.path), flush=True)
        if req.path.endswith("/echo"):
            conn.reply_http(req, req.body, headers={"Content-Type": "application/octet-stream"})
        elif req.path.endswith("/park"):
            parked.append(req.conn_id)
            continue
        elif req.path.endswith("/deliver"):
            ids, parked = parked + [req.conn_id], []
            body = handler.http_response("delivered\n", 200, "OK", {"Content-Type": "text/plain"})
            conn.deliver(req.sender, ids, body)
        else:
            conn.reply_http(req, page(req), headers={"Content-Type": "text/plain"})
        if req.should_close():
            conn.close(req)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: m2_hello.py SENDER_ID SEND_SPEC RECV_SPEC")
    sender_id, send_spec, recv_spec = sys.argv[1:4]
    serve(handler.Connection(sender_id, send_spec, recv_spec))


if __name__ == "__main__":
    main()
