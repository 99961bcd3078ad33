package test

import (
	"context"
	"crypto/tls"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TLS clients on one node: redis-cli --tls and go-redis reach the same data
// as the plain port; clients without a certificate of the CA, with one of
// another CA, or speaking plain RESP to the TLS port are refused with a
// clear error, and the node keeps serving.
func TestTLSClients(t *testing.T) {
	c := makeCerts(t)
	n, tlsAddr := tlsNode(t, c, "--loglevel", "notice")
	ctx := ctxT(t)

	good := tlsClient(t, tlsAddr, c.clientConfig(&c.clientPair))
	if err := good.Set(ctx, "k", "over tls", 0).Err(); err != nil {
		t.Fatalf("SET over TLS: %v", err)
	}
	if v, err := n.client().Get(ctx, "k").Result(); err != nil || v != "over tls" {
		t.Fatalf("GET on the plain port = %q, %v; want the value written over TLS", v, err)
	}

	// A blocked TLS client (the server watches its connection meanwhile)
	// is woken by a write from the plain port and its connection goes on.
	popped := make(chan []string, 1)
	go func() {
		v, _ := good.BLPop(ctx, 5*time.Second, "q").Result()
		popped <- v
	}()
	time.Sleep(200 * time.Millisecond)
	if err := n.client().RPush(ctx, "q", "x").Err(); err != nil {
		t.Fatal(err)
	}
	if v := <-popped; len(v) != 2 || v[1] != "x" {
		t.Fatalf("BLPOP over TLS = %q", v)
	}
	if v, err := good.Get(ctx, "k").Result(); err != nil || v != "over tls" {
		t.Fatalf("GET after BLPOP over TLS = %q, %v", v, err)
	}

	host, port, _ := net.SplitHostPort(tlsAddr)
	cli := func(args ...string) (string, error) {
		base := []string{"-h", host, "-p", port, "--tls", "--cacert", c.ca}
		out, err := exec.Command("redis-cli", append(base, args...)...).CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := cli("--cert", c.client, "--key", c.clientKey, "SET", "cli", "v1"); err != nil || out != "OK" {
		t.Fatalf("redis-cli --tls SET: %q, %v", out, err)
	}
	if out, _ := cli("--cert", c.client, "--key", c.clientKey, "GET", "cli"); out != "v1" {
		t.Fatalf("redis-cli --tls GET = %q", out)
	}
	out, _ := cli("--cert", c.client, "--key", c.clientKey, "CONFIG", "GET", "tls-*")
	for _, want := range []string{"tls-port\n" + port, "tls-auth-clients\nyes", "tls-cert-file\n" + c.node, "tls-cluster\nno", "tls-ca-cert-file\n" + c.ca} {
		if !strings.Contains(out, want) {
			t.Errorf("CONFIG GET tls-* lacks %q:\n%s", want, out)
		}
	}
	// redis-cli without a client certificate: the node asks for one.
	if out, err := cli("PING"); err == nil && out == "PONG" {
		t.Fatal("redis-cli without a certificate got PONG; tls-auth-clients yes must refuse it")
	}

	refused := []struct {
		name string
		cfg  *tls.Config
		want []string
	}{
		{"no certificate", c.clientConfig(nil), []string{"certificate required", "bad certificate", "handshake failure"}},
		{"foreign CA's certificate", c.clientConfig(&c.foreignPair), []string{"unknown certificate authority", "bad certificate"}},
		{"server not trusted", &tls.Config{Certificates: []tls.Certificate{c.clientPair}}, []string{"certificate signed by unknown authority"}},
		{"plain client", nil, []string{"EOF", "connection reset"}},
	}
	for _, r := range refused {
		err := tlsClient(t, tlsAddr, r.cfg).Ping(ctx).Err()
		if err == nil {
			t.Fatalf("%s: PING succeeded; want a TLS error", r.name)
		}
		matched := false
		for _, w := range r.want {
			matched = matched || strings.Contains(err.Error(), w)
		}
		if !matched {
			t.Errorf("%s: error %q, want one of %q", r.name, err, r.want)
		}
	}
	// The node is unaffected: both ports still serve, and it logged why.
	if v, err := good.Get(ctx, "cli").Result(); err != nil || v != "v1" {
		t.Fatalf("after the refused clients, GET over TLS = %q, %v", v, err)
	}
	if err := n.client().Ping(ctx).Err(); err != nil {
		t.Fatalf("after the refused clients, PING on the plain port: %v", err)
	}
	if !strings.Contains(n.log.String(), "TLS handshake failed") {
		t.Errorf("no 'TLS handshake failed' line in the log:\n%s", n.log.String())
	}
}

// tls-auth-clients optional checks a certificate only if one is given; no
// does not ask for one (a foreign certificate is then never seen).
func TestTLSAuthClientsModes(t *testing.T) {
	c := makeCerts(t)
	cases := []struct {
		mode                      string
		noCert, goodCert, foreign bool // whether each is served
	}{
		{"optional", true, true, false},
		{"no", true, true, true},
	}
	for _, tc := range cases {
		t.Run(tc.mode, func(t *testing.T) {
			_, addr := tlsNode(t, c, "--tls-auth-clients", tc.mode)
			ctx := ctxT(t)
			for _, k := range []struct {
				name string
				cfg  *tls.Config
				want bool
			}{
				{"no certificate", c.clientConfig(nil), tc.noCert},
				{"CA certificate", c.clientConfig(&c.clientPair), tc.goodCert},
				{"foreign certificate", c.clientConfig(&c.foreignPair), tc.foreign},
			} {
				err := tlsClient(t, addr, k.cfg).Set(ctx, "m", k.name, 0).Err()
				if (err == nil) != k.want {
					t.Errorf("tls-auth-clients %s, %s: SET error %v, want served=%v", tc.mode, k.name, err, k.want)
				}
			}
			got, err := tlsClient(t, addr, c.clientConfig(&c.clientPair)).ConfigGet(ctx, "tls-auth-clients").Result()
			if err != nil || got["tls-auth-clients"] != tc.mode {
				t.Errorf("CONFIG GET tls-auth-clients = %v, %v; want %s", got, err, tc.mode)
			}
		})
	}
}

// --port 0 serves TLS only, as redis-server: nothing listens in clear.
func TestTLSOnly(t *testing.T) {
	c := makeCerts(t)
	tlsPort := freePort(t)
	n := &node{t: t, port: tlsPort, raftPort: freePort(t), dir: t.TempDir(),
		args: append([]string{"--port", "0"}, c.serverFlags(tlsPort)...)}
	t.Cleanup(func() { n.kill(); n.checkRace() })
	n.launch()
	cl := tlsClient(t, n.addr(), c.clientConfig(&c.clientPair))
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := cl.Set(ctx, "only", "tls", 0).Err()
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("TLS-only node never accepted a write: %v\n%s", err, n.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	ctx := ctxT(t)
	got, err := cl.ConfigGet(ctx, "port").Result()
	if err != nil || got["port"] != "0" {
		t.Errorf("CONFIG GET port = %v, %v; want 0", got, err)
	}
	if v, err := cl.Get(ctx, "only").Result(); err != nil || v != "tls" {
		t.Errorf("GET = %q, %v", v, err)
	}
	// The node is named after its TLS port, and serves plain RESP nowhere:
	// the plain client is refused at the TLS port it reaches.
	if id := raftField(t, cl, "node_id"); id != "node-"+strconv.Itoa(tlsPort) {
		t.Errorf("node id %q, want node-%d", id, tlsPort)
	}
	plain := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: time.Second})
	defer plain.Close()
	if err := plain.Ping(ctx).Err(); err == nil {
		t.Error("a plain client got PONG from a --port 0 node")
	}
}

// raftField reads one RAFT.INFO field.
func raftField(t testing.TB, c *redis.Client, field string) string {
	s, err := c.Do(ctxT(t), "RAFT.INFO").Text()
	if err != nil {
		t.Fatalf("RAFT.INFO: %v", err)
	}
	for _, line := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && k == field {
			return v
		}
	}
	return ""
}

// redis-py, ioredis and node-redis connect over TLS with a certificate and
// are refused without one.
func TestTLSClientLibraries(t *testing.T) {
	python := pythonWithRedis(t)
	nodeBin := nodeWithClients(t)
	c := makeCerts(t)
	n, addr := tlsNode(t, c)
	host, port, _ := net.SplitHostPort(addr)
	t.Setenv("GEOMYS_TLS_DIR", c.dir)
	t.Run("redis-py", func(t *testing.T) {
		runClientScript(t, n, python, filepath.Join("clients", "redis_py_tls.py"), host, port)
	})
	t.Run("node", func(t *testing.T) {
		runClientScript(t, n, nodeBin, filepath.Join("clients", "node", "tls_smoke.mjs"), host, port)
	})
}

// A TLS misconfiguration stops the node at start with the flag to fix.
func TestTLSFlagErrors(t *testing.T) {
	c := makeCerts(t)
	port := strconv.Itoa(freePort(t))
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--port", "0"}, "--port 0 serves TLS only: give --tls-port too"},
		{[]string{"--tls-port", port}, "TLS needs --tls-cert-file and --tls-key-file"},
		{[]string{"--tls-port", port, "--tls-cert-file", c.node, "--tls-key-file", c.nodeKey}, "--tls-ca-cert-file is needed"},
		{[]string{"--tls-port", port, "--tls-cert-file", c.node, "--tls-key-file", c.clientKey, "--tls-ca-cert-file", c.ca}, "private key does not match public key"},
		{[]string{"--tls-port", port, "--tls-cert-file", c.node + ".missing", "--tls-key-file", c.nodeKey, "--tls-ca-cert-file", c.ca}, "--tls-cert-file"},
		{[]string{"--tls-port", port, "--tls-cert-file", c.node, "--tls-key-file", c.nodeKey, "--tls-ca-cert-file", c.nodeKey}, "no PEM certificate in it"},
		{[]string{"--tls-port", port, "--tls-cert-file", c.node, "--tls-key-file", c.nodeKey, "--tls-ca-cert-file", c.ca, "--tls-auth-clients", "maybe"}, "--tls-auth-clients must be yes, no or optional"},
		{[]string{"--tls-cluster", "yes"}, "--tls-cluster yes: peers reach each other on the TLS port, give --tls-port"},
		{[]string{"--protected-mode", "on"}, `--protected-mode must be yes or no, not "on"`},
		{[]string{"--port", "0", "--tls-port", port, "--tls-cert-file", c.node, "--tls-key-file", c.nodeKey, "--tls-ca-cert-file", c.ca, "--import", c.dir}, "--import loads the AOF through the plain port"},
	}
	for _, tc := range cases {
		args := append([]string{"--dir", t.TempDir(), "--port", strconv.Itoa(freePort(t))}, tc.args...)
		// A node that starts anyway is killed and reported.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		out, err := exec.CommandContext(ctx, geomysBin, args...).CombinedOutput()
		cancel()
		if err == nil || !strings.Contains(string(out), tc.want) {
			t.Errorf("geomys %s: %v\n%s\nwant an exit with %q", strings.Join(tc.args, " "), err, out, tc.want)
		}
	}
}
