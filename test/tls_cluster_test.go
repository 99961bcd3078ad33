package test

import (
	"crypto/tls"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/geomys/geomys/commands"
)

// A 3-node cluster with --tls-cluster yes: nodes join, relay and check
// terms over each other's TLS ports and speak Raft over mutual TLS, so
// writes replicate; a node whose certificate is from another CA cannot
// join, nor speak Raft, and the membership commands refuse connections
// without a certificate of the cluster CA.
func TestTLSCluster(t *testing.T) {
	certs := makeCerts(t)
	c := &cluster{t: t}
	var tlsAddrs []string
	start := func(name string, cert, key string, wait bool) *node {
		tlsPort := freePort(t)
		args := []string{"--node-id", name, "--tls-cluster", "yes", "--loglevel", "notice",
			"--tls-port", strconv.Itoa(tlsPort), "--tls-cert-file", cert, "--tls-key-file", key,
			"--tls-ca-cert-file", certs.ca}
		if len(tlsAddrs) > 0 {
			args = append(args, "--join", tlsAddrs[0])
		}
		n := &node{t: t, port: freePort(t), raftPort: freePort(t), dir: t.TempDir(), args: args}
		t.Cleanup(func() { n.kill(); n.checkRace() })
		if wait {
			n.start()
		} else {
			n.launch()
		}
		return n
	}
	for i := 1; i <= 3; i++ {
		n := start("n"+strconv.Itoa(i), certs.node, certs.nodeKey, true)
		c.nodes = append(c.nodes, n)
		tlsAddrs = append(tlsAddrs, "127.0.0.1:"+argAfter(n.args, "--tls-port"))
	}
	c.waitMembers(3)
	ctx := ctxT(t)
	leader := c.leader()
	var follower *node
	accepted := func() int {
		info, err := leader.client().Info(ctx, "stats").Result()
		if err != nil {
			t.Fatal(err)
		}
		v, _ := strconv.Atoi(strings.TrimSpace(lastLine(info, "total_connections_received:")[len("total_connections_received:"):]))
		return v
	}
	before := accepted()
	for i, n := range c.nodes {
		if n != leader {
			follower = n
			// A follower relays writes to the leader's TLS port.
			cl := tlsClient(t, tlsAddrs[i], certs.clientConfig(&certs.clientPair))
			for k := 0; k < 50; k++ {
				if err := cl.Set(ctx, fmt.Sprintf("k%d", k), k, 0).Err(); err != nil {
					t.Fatalf("SET through follower %s: %v\n%s", n.name(), err, c.logs())
				}
			}
			break
		}
	}
	// The relay reuses its pooled TLS link rather than dialing per write.
	opened := accepted() - before
	t.Logf("connections the leader accepted for 50 relayed writes: %d", opened)
	if opened > 10 {
		t.Errorf("the leader accepted %d connections for 50 relayed writes; the TLS links are not reused", opened)
	}
	// A linearizable read on the leader confirms its term with the
	// followers' TLS ports.
	if v, err := leader.client().Get(ctx, "k49").Result(); err != nil || v != "49" {
		t.Fatalf("GET k49 on the leader = %q, %v", v, err)
	}
	c.waitConverged()
	if n, err := follower.client().DBSize(ctx).Result(); err != nil || n != 50 {
		t.Fatalf("DBSIZE on a follower = %d, %v; want 50", n, err)
	}
	// Peers know each other by their TLS ports (the announced address).
	for i, n := range c.nodes {
		if n == leader {
			if got := follower.raftInfo()["leader_addr"]; got != tlsAddrs[i] {
				t.Errorf("a follower's leader_addr = %q, want the leader's TLS address %s", got, tlsAddrs[i])
			}
		}
	}
	got, _ := leader.client().ConfigGet(ctx, "tls-cluster").Result()
	if got["tls-cluster"] != "yes" {
		t.Errorf("CONFIG GET tls-cluster = %v", got)
	}

	// Membership changes need a certificate of the cluster CA.
	err := leader.client().Do(ctx, "RAFT.NODE", "ADD", "intruder", "127.0.0.1:1", "127.0.0.1:2").Err()
	if err == nil || err.Error() != commands.ErrPeerCertMissing {
		t.Errorf("RAFT.NODE ADD on the plain port: %v; want %q", err, commands.ErrPeerCertMissing)
	}

	// A node with a certificate from another CA (it trusts the cluster's).
	intruder := start("intruder", certs.foreign, certs.foreignKey, false)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(intruder.log.String(), "join: cannot reach member") {
		if time.Now().After(deadline) {
			t.Fatalf("the intruder did not report its refused join:\n%s", intruder.log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if log := intruder.log.String(); !strings.Contains(log, "tls") {
		t.Errorf("the refused join does not say it was TLS:\n%s", log)
	}
	t.Log(lastLine(intruder.log.String(), "join: cannot reach member"))
	if info := leader.raftInfo(); info["num_voters"] != "3" {
		t.Errorf("after the intruder tried to join, num_voters = %s, want 3", info["num_voters"])
	}
	// Nor can it speak Raft: the transport asks for a certificate of the CA.
	raftAddr := "127.0.0.1:" + strconv.Itoa(leader.raftPort)
	for _, cert := range []*tls.Certificate{&certs.foreignPair, nil} {
		conn, err := tls.Dial("tcp", raftAddr, certs.clientConfig(cert))
		if err == nil {
			conn.SetDeadline(time.Now().Add(3 * time.Second))
			conn.Write([]byte{0})
			_, err = conn.Read(make([]byte, 1))
			conn.Close()
		}
		if err == nil || !strings.Contains(err.Error(), "tls") {
			t.Errorf("raft port with certificate %v: %v; want a TLS refusal", cert != nil, err)
		}
	}
	// The cluster still works.
	if err := leader.client().Set(ctx, "after", "1", 0).Err(); err != nil {
		t.Fatalf("SET after the intruder: %v", err)
	}
	c.waitConverged()
}

// argAfter is the value following flag in args.
func argAfter(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// lastLine is the last line of s that contains sub.
func lastLine(s, sub string) string {
	lines := strings.Split(s, "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(lines[i], sub) {
			return lines[i]
		}
	}
	return ""
}
