"""Makes Debian's copy of Mongrel2's Python handler library run on Python 3.

The library (mongrel2-core's examples: handler.py.gz, request.py,
tnetstrings.py) is Python 2 code that treats ZeroMQ frames as `str`. Rather
than keep a modified copy in our tree, the end-to-end tests run this script at
test time: it reads the Debian files and writes fixed copies of them, changed
only by the small textual substitutions in FIXES.

The fixes decode every received frame as latin-1 and encode every sent frame
as latin-1: each byte becomes one character and back, so the library's string
handling (tnetstring lengths, `split(' ')`) sees exactly the bytes Mongrel2's
wire format counts.

Usage: py3fix.py DEBIAN_LIBRARY_DIR OUTPUT_DIR
Writes OUTPUT_DIR/mongrel2/{__init__,handler,request,tnetstrings}.py; exits
non-zero naming the file and text when a substitution does not apply exactly
once (the Debian files changed).
"""

import gzip
import os
import sys

FIXES = {
    "__init__.py": [],
    "handler.py": [
        # pyzmq takes socket identities as bytes.
        (
            "resp.setsockopt(zmq.IDENTITY, sender_id)",
            "resp.setsockopt(zmq.IDENTITY, sender_id.encode('latin-1'))",
        ),
        # Frames arrive as bytes; the parser works on str.
        (
            "return Request.parse(self.reqs.recv())",
            "return Request.parse(self.reqs.recv().decode('latin-1'))",
        ),
        # Replies are built as str; ZeroMQ sends bytes.
        (
            "self.resp.send(header + ' ' + msg)",
            "self.resp.send((header + ' ' + msg).encode('latin-1'))",
        ),
    ],
    "request.py": [],
    "tnetstrings.py": [
        # Python 3 has no `long`.
        (
            "type(data) is long or type(data) is int",
            "type(data) is int",
        ),
    ],
}


def read_source(library_dir, name):
    """The text of `name`, from the plain file or its gzipped form."""
    plain = os.path.join(library_dir, name)
    if os.path.exists(plain):
        with open(plain, encoding="latin-1") as f:
            return f.read()
    with gzip.open(plain + ".gz", "rt", encoding="latin-1") as f:
        return f.read()


def fixed(name, text):
    """`text` with the substitutions for `name` applied, each exactly once."""
    for old, new in FIXES[name]:
        found = text.count(old)
        if found != 1:
            sys.exit("py3fix: %s: expected %r once, found it %d times" % (name, old, found))
        text = text.replace(old, new)
    return text


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: py3fix.py DEBIAN_LIBRARY_DIR OUTPUT_DIR")
    library_dir, output_dir = sys.argv[1:3]
    package = os.path.join(output_dir, "mongrel2")
    os.makedirs(package, exist_ok=True)
    for name in FIXES:
        text = fixed(name, read_source(library_dir, name))
        with open(os.path.join(package, name), "w", encoding="latin-1") as f:
            f.write(text)


if __name__ == "__main__":
    main()
