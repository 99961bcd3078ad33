"""What the Python application programs share: where the server is, and
checks that fail the program saying what went wrong."""

import os
import sys


def where(skip=()):
    """The server's host and port: the first argument (host:port or host
    port, arguments in skip left out), else GEOMYS_HOST / GEOMYS_PORT."""
    args = [a for a in sys.argv[1:] if a not in skip]
    if len(args) == 1 and ":" in args[0]:
        args = args[0].rsplit(":", 1)
    host = args[0] if args else os.environ.get("GEOMYS_HOST", "127.0.0.1")
    port = int(args[1] if len(args) > 1 else os.environ.get("GEOMYS_PORT", "6379"))
    return host, port


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def eq(got, want, what):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")
