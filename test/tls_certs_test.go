package test

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// testCerts are certificates made with openssl for one test: a CA, a node
// certificate for 127.0.0.1 (server and client use, as redis.conf's
// tls-cert-file), a client certificate, and a second, foreign CA with a
// certificate of its own for the same host.
type testCerts struct {
	dir                     string
	ca, node, nodeKey       string
	client, clientKey       string
	foreignCA               string
	foreign, foreignKey     string
	caPool                  *x509.CertPool
	clientPair, foreignPair tls.Certificate
}

// makeCerts runs openssl (EC P-256 keys: fast to make).
func makeCerts(t testing.TB) *testCerts {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Fatal("openssl not installed (Debian package openssl): run `make test`, which installs it")
	}
	d := t.TempDir()
	p := func(name string) string { return filepath.Join(d, name) }
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command("openssl", args...)
		cmd.Dir = d
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	key := []string{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"}
	if err := os.WriteFile(p("san.cnf"), []byte("subjectAltName=IP:127.0.0.1,DNS:localhost\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ca := func(name, cn string) {
		run(append(append([]string{"req", "-x509"}, key...), "-keyout", name+".key", "-out", name+".crt", "-days", "2", "-subj", "/CN="+cn)...)
	}
	leaf := func(name, cn, caName string, san bool) {
		run(append(append([]string{"req"}, key...), "-keyout", name+".key", "-out", name+".csr", "-subj", "/CN="+cn)...)
		args := []string{"x509", "-req", "-in", name + ".csr", "-CA", caName + ".crt", "-CAkey", caName + ".key",
			"-CAcreateserial", "-out", name + ".crt", "-days", "2"}
		if san {
			args = append(args, "-extfile", "san.cnf")
		}
		run(args...)
	}
	ca("ca", "Geomys Test CA")
	ca("foreign-ca", "Foreign Test CA")
	leaf("node", "geomys-node", "ca", true)
	leaf("client", "geomys-client", "ca", false)
	leaf("foreign", "foreign-node", "foreign-ca", true)
	c := &testCerts{dir: d, ca: p("ca.crt"), node: p("node.crt"), nodeKey: p("node.key"),
		client: p("client.crt"), clientKey: p("client.key"), foreignCA: p("foreign-ca.crt"),
		foreign: p("foreign.crt"), foreignKey: p("foreign.key")}
	pem, err := os.ReadFile(c.ca)
	if err != nil {
		t.Fatal(err)
	}
	c.caPool = x509.NewCertPool()
	c.caPool.AppendCertsFromPEM(pem)
	if c.clientPair, err = tls.LoadX509KeyPair(c.client, c.clientKey); err != nil {
		t.Fatal(err)
	}
	if c.foreignPair, err = tls.LoadX509KeyPair(c.foreign, c.foreignKey); err != nil {
		t.Fatal(err)
	}
	return c
}

// serverFlags are the flags of a node serving TLS on tlsPort with the
// test CA, plus extra.
func (c *testCerts) serverFlags(tlsPort int, extra ...string) []string {
	return append([]string{"--tls-port", strconv.Itoa(tlsPort), "--tls-cert-file", c.node,
		"--tls-key-file", c.nodeKey, "--tls-ca-cert-file", c.ca}, extra...)
}

// clientConfig trusts the test CA and shows cert (none when nil). The
// certificate is sent whatever CAs the server names as acceptable (Go
// would otherwise keep a foreign one to itself, and the server would never
// see it).
func (c *testCerts) clientConfig(cert *tls.Certificate) *tls.Config {
	cfg := &tls.Config{RootCAs: c.caPool, MinVersion: tls.VersionTLS12}
	if cert != nil {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return cfg
}

// tlsClient is a go-redis client over TLS with cfg; no retries, so a
// refused handshake is the error the test sees.
func tlsClient(t testing.TB, addr string, cfg *tls.Config) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: cfg, MaxRetries: -1,
		DialTimeout: 2 * time.Second, ReadTimeout: 2 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// tlsNode starts a node with both its plain port (the harness waits on it)
// and a TLS port, with the test certificates and extra flags.
func tlsNode(t testing.TB, c *testCerts, extra ...string) (*node, string) {
	t.Helper()
	tlsPort := freePort(t)
	n := startNode(t, c.serverFlags(tlsPort, extra...)...)
	return n, "127.0.0.1:" + strconv.Itoa(tlsPort)
}
