#!/usr/bin/env python3
"""redis-py (Debian's python3-redis) over TLS with a client certificate.

Usage: redis_py_tls.py HOST PORT, with GEOMYS_TLS_DIR holding ca.crt,
client.crt and client.key. Prints "ok: ..." lines; exits non-zero at the
first failure.
"""
import os
import ssl
import sys

import redis

HOST, PORT = sys.argv[1], int(sys.argv[2])
D = os.environ["GEOMYS_TLS_DIR"]
print("redis-py %s" % redis.__version__)


def client(**kw):
    return redis.Redis(host=HOST, port=PORT, ssl=True, ssl_ca_certs=os.path.join(D, "ca.crt"),
                       socket_timeout=5, **kw)


r = client(ssl_certfile=os.path.join(D, "client.crt"), ssl_keyfile=os.path.join(D, "client.key"))
assert r.set("py:tls", "v") is True
assert r.get("py:tls") == b"v"
p = r.pipeline()
p.incr("py:n").incr("py:n").get("py:n")
assert p.execute() == [1, 2, b"2"], "pipeline"
print("ok: SET/GET/pipeline over TLS with a client certificate")

try:
    client().ping()
except (redis.exceptions.ConnectionError, ssl.SSLError, OSError) as e:
    print("ok: without a certificate refused: %s" % str(e).splitlines()[0])
else:
    print("FAIL: a client without a certificate was served")
    sys.exit(1)
