"""Makes Debian's Mongrel2 example upload handler (examples/http_0mq/upload.py,
Python 2) run on Python 3, for the end-to-end upload test.

Rather than keep a modified copy in our tree, the test runs this script at
test time: it reads Debian's file and writes a fixed copy, changed only by the
exact substitutions in FIXES (print statements, reading the temp file as
bytes for md5, and the two endpoints taken from the command line instead of
the fixed tcp ports 9997/9996, so tests can use their own sockets).

Usage: upload_py3fix.py DEBIAN_UPLOAD_PY OUTPUT_PY
The fixed handler then runs as: python3 OUTPUT_PY SEND_SPEC RECV_SPEC
(with the py3-fixed mongrel2 library on PYTHONPATH, see py3fix.py). Exits
non-zero naming the text when a substitution does not apply exactly once.
"""

import sys

FIXES = [
    ("import hashlib\n", "import hashlib\nimport sys\n"),
    ('"tcp://127.0.0.1:9997"', "sys.argv[1]"),
    ('"tcp://127.0.0.1:9996"', "sys.argv[2]"),
    ('print "WAITING FOR REQUEST"', 'print("WAITING FOR REQUEST", flush=True)'),
    ('print "DISCONNECT"', 'print("DISCONNECT", flush=True)'),
    (
        'print "GOT THE WRONG TARGET FILE: ", expected, upload',
        'print("GOT THE WRONG TARGET FILE: ", expected, upload, flush=True)',
    ),
    ('print "UPLOAD DONE:', 'print("UPLOAD DONE:'),
    (
        "len(body), req.headers['content-length'])",
        "len(body), req.headers['content-length']), flush=True)",
    ),
    ("open(upload, 'r')", "open(upload, 'rb')"),
    (
        "print \"UPLOAD starting, don't reply yet.\"",
        "print(\"UPLOAD starting, don't reply yet.\", flush=True)",
    ),
    (
        "print \"Will read file from %s.\" % req.headers.get('x-mongrel2-upload-start', None)",
        "print(\"Will read file from %s.\" % req.headers.get('x-mongrel2-upload-start', None), flush=True)",
    ),
    ("        print response\n", "        print(response, flush=True)\n"),
]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    source, output = sys.argv[1], sys.argv[2]
    with open(source) as f:
        text = f.read()
    for old, new in FIXES:
        count = text.count(old)
        if count != 1:
            sys.exit("%s: expected %r exactly once, found it %d times" % (source, old, count))
        text = text.replace(old, new)
    with open(output, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
