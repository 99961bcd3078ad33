package test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/geomys/geomys/test/chaos"
	"github.com/redis/go-redis/v9"
)

// cluster is a set of real geomys processes forming one Raft group on
// loopback. Node i binds Raft on its own address 127.0.0.(11+i) and peers
// reach it through a fault-injecting proxy (chaos.Net), which tells nodes
// apart by the source address, so tests can cut and heal links without root.
type cluster struct {
	t     testing.TB
	nodes []*node
	net   *chaos.Net
	extra []string
}

// startCluster starts n nodes: the first bootstraps, the others --join it.
func startCluster(t testing.TB, n int, extra ...string) *cluster {
	t.Helper()
	c := &cluster{t: t, net: chaos.NewNet(), extra: extra}
	t.Cleanup(c.net.Close)
	for i := 0; i < n; i++ {
		c.addNode(true)
	}
	c.waitMembers(n)
	return c
}

// addNode starts one more node that joins through the first one.
func (c *cluster) addNode(wait bool) *node {
	c.t.Helper()
	i := len(c.nodes)
	name := "n" + strconv.Itoa(i+1)
	ip := "127.0.0.1" + strconv.Itoa(1+i) // 127.0.0.11, 127.0.0.12, ...
	raftPort := raftPortOn(c.t, ip)
	proxy, err := c.net.AddNode(name, ip, ip+":0", ip+":"+strconv.Itoa(raftPort))
	if err != nil {
		c.t.Fatal(err)
	}
	args := []string{"--node-id", name, "--raft-addr", ip + ":" + strconv.Itoa(raftPort), "--raft-advertise", proxy,
		"--loglevel", "notice"}
	if i > 0 {
		args = append(args, "--join", c.nodes[0].addr())
	}
	args = append(args, c.extra...)
	n := &node{t: c.t, port: freePort(c.t), raftPort: raftPort, dir: c.t.TempDir(), args: args}
	c.nodes = append(c.nodes, n)
	c.t.Cleanup(func() {
		n.cont()
		n.kill()
		n.checkRace()
	})
	if wait {
		n.start()
	} else {
		n.launch()
	}
	return n
}

func (n *node) name() string {
	for i, a := range n.args {
		if a == "--node-id" && i+1 < len(n.args) {
			return n.args[i+1]
		}
	}
	return "node-" + strconv.Itoa(n.port)
}

func (n *node) running() bool {
	if n.cmd == nil {
		return false
	}
	select {
	case <-n.exited:
		return false
	default:
		return true
	}
}

// pause and cont stop and resume the process (SIGSTOP/SIGCONT).
func (n *node) pause() { n.cmd.Process.Signal(syscall.SIGSTOP) }
func (n *node) cont() {
	if n.running() {
		n.cmd.Process.Signal(syscall.SIGCONT)
	}
}

// raftInfo returns RAFT.INFO's fields, or nil if the node does not answer.
func (n *node) raftInfo() map[string]string {
	c := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1, DialTimeout: 500 * time.Millisecond,
		ReadTimeout: time.Second, Protocol: 2})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s, err := c.Do(ctx, "RAFT.INFO").Text()
	if err != nil {
		return nil
	}
	out := map[string]string{}
	for _, line := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			out[k] = v
		}
	}
	return out
}

// leader waits for a node that reports itself leader and returns it.
func (c *cluster) leader() *node {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, n := range c.nodes {
			if !n.running() {
				continue
			}
			if info := n.raftInfo(); info["role"] == "leader" {
				return n
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("no leader within 30s\n%s", c.logs())
	return nil
}

// followers returns the running nodes other than the leader.
func (c *cluster) followers() []*node {
	l := c.leader()
	var out []*node
	for _, n := range c.nodes {
		if n != l && n.running() {
			out = append(out, n)
		}
	}
	return out
}

// waitMembers waits until the leader's configuration has n voters.
func (c *cluster) waitMembers(n int) {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if info := c.leader().raftInfo(); info["num_voters"] == strconv.Itoa(n) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.t.Fatalf("cluster did not reach %d voters\n%s", n, c.logs())
}

// addrs are the client addresses of the running nodes.
func (c *cluster) addrs() []string {
	var out []string
	for _, n := range c.nodes {
		out = append(out, n.addr())
	}
	return out
}

// digests returns RAFT.DIGEST and the applied index of every running node.
func (c *cluster) digests() map[string]string {
	out := map[string]string{}
	for _, n := range c.nodes {
		if !n.running() {
			continue
		}
		cl := redis.NewClient(&redis.Options{Addr: n.addr(), MaxRetries: -1, Protocol: 2})
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		d, err := cl.Do(ctx, "RAFT.DIGEST").Text()
		cancel()
		cl.Close()
		if err != nil {
			d = "error: " + err.Error()
		}
		out[n.name()] = d
	}
	return out
}

// waitConverged waits until every running node holds the same data, and
// returns its digest.
func (c *cluster) waitConverged() string {
	c.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last map[string]string
	for time.Now().Before(deadline) {
		last = c.digests()
		first, same := "", true
		for _, d := range last {
			if first == "" {
				first = d
			}
			same = same && d == first && !strings.HasPrefix(d, "error")
		}
		if same && len(last) > 0 {
			return first
		}
		time.Sleep(100 * time.Millisecond)
	}
	c.t.Fatalf("nodes did not converge: %v\n%s", last, c.logs())
	return ""
}

// logs gathers every node's output for failure messages.
func (c *cluster) logs() string {
	var b strings.Builder
	for _, n := range c.nodes {
		if n.log == nil {
			continue
		}
		out := n.log.String()
		if len(out) > 6000 {
			out = "..." + out[len(out)-6000:]
		}
		fmt.Fprintf(&b, "---- %s (%s) ----\n%s\n", n.name(), n.addr(), out)
	}
	return b.String()
}

// nodeByName finds a node by its id.
func (c *cluster) nodeByName(name string) *node {
	for _, n := range c.nodes {
		if n.name() == name {
			return n
		}
	}
	c.t.Fatalf("no node %s", name)
	return nil
}

// lastRaftPort hands out Raft ports below the kernel's ephemeral range
// (32768 and up): the chaos proxy dials from each node's own 127.0.0.x
// address, and such an outgoing connection could take a port handed out
// by freePort before the node bound it. Each test process starts at its
// own offset.
var lastRaftPort atomic.Int32

func init() { lastRaftPort.Store(int32(20000 + os.Getpid()%1200*10)) }

func raftPortOn(t testing.TB, ip string) int {
	t.Helper()
	for {
		p := int(lastRaftPort.Add(1))
		if p >= 32768 {
			t.Fatal("no free Raft port left below the ephemeral range")
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(p)))
		if err != nil {
			continue
		}
		ln.Close()
		return p
	}
}
