// Package chaos is the toolkit for Geomys' end-to-end fault tests: a
// partitionable TCP proxy for Raft traffic, porcupine models of the commands
// the tests exercise, and a workload driver that records histories for them.
package chaos

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// Net is a set of per-node TCP proxies sitting in front of each node's Raft
// port. Every node dials out from its own loopback IP, so the proxy learns the
// sending node from the source address and can drop the links a partition
// cuts. Raft traffic is the only thing routed through it; client traffic goes
// straight to the nodes.
//
// The zero value is not usable; call NewNet.
type Net struct {
	ctx    context.Context // cancelled by Close to abort in-flight dials
	cancel context.CancelFunc
	wg     sync.WaitGroup // every goroutine the Net starts

	mu     sync.Mutex
	closed bool
	nodes  map[string]*proxyNode
	byIP   map[string]string // source IP -> node name
	cut    map[[2]string]bool
	links  map[*link]struct{}
}

type proxyNode struct {
	name   string
	target string
	ln     net.Listener
}

// link is one proxied connection: client is the accepted side, server the
// side dialled to the real Raft port.
type link struct {
	from, to       string // node names; from is "" for an unknown source
	client, server net.Conn
	once           sync.Once
}

func (l *link) close() {
	l.once.Do(func() {
		l.client.Close()
		l.server.Close()
	})
}

// NewNet returns an empty, fully connected network.
func NewNet() *Net {
	ctx, cancel := context.WithCancel(context.Background())
	return &Net{
		ctx:    ctx,
		cancel: cancel,
		nodes:  make(map[string]*proxyNode),
		byIP:   make(map[string]string),
		cut:    make(map[[2]string]bool),
		links:  make(map[*link]struct{}),
	}
}

// AddNode registers node name, whose outgoing connections originate from
// srcIP, and starts a proxy on listenAddr (port 0 picks a free one) that
// forwards to target, the node's real Raft address. It returns the address
// the proxy listens on, which the node should advertise to its peers.
//
// A node added while a partition is in force is connected to everyone: cuts
// are computed over the nodes known when they are made.
func (n *Net) AddNode(name, srcIP, listenAddr, target string) (string, error) {
	ip := net.ParseIP(srcIP)
	if ip == nil {
		return "", fmt.Errorf("chaos: node %s: bad source IP %q", name, srcIP)
	}
	key := ip.String()

	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return "", errors.New("chaos: Net is closed")
	}
	if _, ok := n.nodes[name]; ok {
		return "", fmt.Errorf("chaos: node %s already added", name)
	}
	if other, ok := n.byIP[key]; ok {
		return "", fmt.Errorf("chaos: node %s: source IP %s already belongs to %s", name, key, other)
	}
	ln, err := net.Listen("tcp", listenAddr)
	if err != nil {
		return "", fmt.Errorf("chaos: node %s: listen: %w", name, err)
	}
	pn := &proxyNode{name: name, target: target, ln: ln}
	n.nodes[name] = pn
	n.byIP[key] = name
	n.wg.Add(1)
	go n.acceptLoop(pn)
	return ln.Addr().String(), nil
}

// Partition replaces the current topology: nodes in the same group can talk,
// links between different groups are cut, and a node in no group is isolated
// from everyone.
func (n *Net) Partition(groups ...[]string) {
	group := make(map[string]int)
	for i, g := range groups {
		for _, name := range g {
			group[name] = i
		}
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cut = make(map[[2]string]bool)
	for a := range n.nodes {
		for b := range n.nodes {
			if a == b {
				continue
			}
			ga, oka := group[a]
			gb, okb := group[b]
			if !oka || !okb || ga != gb {
				n.cut[pair(a, b)] = true
			}
		}
	}
	n.enforceLocked()
}

// Isolate cuts name off from every other node, on top of any cuts already in
// force.
func (n *Net) Isolate(name string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for other := range n.nodes {
		if other != name {
			n.cut[pair(name, other)] = true
		}
	}
	n.enforceLocked()
}

// Heal restores full connectivity. Connections cut earlier stay closed; the
// nodes reconnect by themselves.
func (n *Net) Heal() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.cut = make(map[[2]string]bool)
}

// Connected reports whether a and b can currently reach each other.
func (n *Net) Connected(a, b string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.connectedLocked(a, b)
}

// Close stops every proxy, closes every proxied connection and waits for all
// goroutines the Net started. It is safe to call more than once.
func (n *Net) Close() {
	n.mu.Lock()
	if !n.closed {
		n.closed = true
		n.cancel()
		for _, pn := range n.nodes {
			pn.ln.Close()
		}
		for l := range n.links {
			l.close()
		}
	}
	n.mu.Unlock()
	n.wg.Wait()
}

func pair(a, b string) [2]string {
	if a > b {
		a, b = b, a
	}
	return [2]string{a, b}
}

// connectedLocked treats an unknown source ("") as always connected, so that
// tools and tests dialling from ordinary addresses are never affected.
func (n *Net) connectedLocked(a, b string) bool {
	if a == "" || b == "" || a == b {
		return true
	}
	return !n.cut[pair(a, b)]
}

// enforceLocked closes every established link the current cuts forbid.
// Closing both sockets makes both peers see the failure at once, as they
// would on a real partition once TCP gave up, rather than after minutes.
func (n *Net) enforceLocked() {
	for l := range n.links {
		if !n.connectedLocked(l.from, l.to) {
			l.close()
		}
	}
}

func (n *Net) acceptLoop(pn *proxyNode) {
	defer n.wg.Done()
	for {
		c, err := pn.ln.Accept()
		if err != nil {
			// Accept fails only once the listener is closed by Close
			// (or on resource exhaustion, which a test cannot recover
			// from anyway).
			return
		}
		from := ""
		if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
			n.mu.Lock()
			from = n.byIP[ta.IP.String()]
			n.mu.Unlock()
		}
		n.wg.Add(1)
		go n.handle(pn, from, c)
	}
}

// handle dials the real target and pipes bytes both ways. The cut is checked
// both before dialling (so a cut link never reaches the target) and again
// when registering the link (so a cut made during the dial still applies).
func (n *Net) handle(pn *proxyNode, from string, client net.Conn) {
	defer n.wg.Done()
	n.mu.Lock()
	ok := !n.closed && n.connectedLocked(from, pn.name)
	n.mu.Unlock()
	if !ok {
		client.Close()
		return
	}

	var d net.Dialer
	server, err := d.DialContext(n.ctx, "tcp", pn.target)
	if err != nil {
		// The node is down; the peer sees the same failure it would
		// without the proxy, just one hop later.
		client.Close()
		return
	}

	l := &link{from: from, to: pn.name, client: client, server: server}
	n.mu.Lock()
	ok = !n.closed && n.connectedLocked(from, pn.name)
	if ok {
		n.links[l] = struct{}{}
	}
	n.mu.Unlock()
	if !ok {
		l.close()
		return
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		pipe(l, server, client)
	}()
	pipe(l, client, server)
	<-done

	l.close()
	n.mu.Lock()
	delete(n.links, l)
	n.mu.Unlock()
}

// pipe copies src to dst. On a clean EOF it half-closes dst so the far side
// sees the EOF while the other direction keeps flowing; on any error the whole
// link is torn down, since a broken half-connection would only confuse Raft.
func pipe(l *link, dst, src net.Conn) {
	_, err := io.Copy(dst, src)
	if err != nil {
		l.close()
		return
	}
	if cw, ok := dst.(interface{ CloseWrite() error }); ok {
		if cw.CloseWrite() == nil {
			return
		}
	}
	l.close()
}
