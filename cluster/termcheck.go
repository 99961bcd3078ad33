package cluster

import (
	"bufio"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/geomys/geomys/resp"
)

// termChecker asks peers, over their RESP port, whether they are still in a
// given term (RAFT.TERMCHECK). Each peer has one worker with one connection
// that answers the questions in order, skipping those whose round is over.
type termChecker struct {
	mu      sync.Mutex
	workers map[string]*checkWorker
	stop    chan struct{}
	wg      sync.WaitGroup
	// check is the question itself: RAFT.TERMCHECK over RESP unless a test
	// replaces it.
	check func(addr string, term uint64, leader string, deadline time.Time) bool
	// secret authenticates each connection (RAFT.AUTH) when set.
	secret string
	tls    *PeerTLS // nil: peers' RESP ports in clear
}

type checkReq struct {
	term     uint64
	leader   string
	deadline time.Time
	over     <-chan struct{} // closed when the round has its answer
	vote     chan<- bool
}

type checkWorker struct {
	addr string
	reqs chan checkReq
	conn net.Conn
	r    *bufio.Reader
}

func newTermChecker(check func(string, uint64, string, time.Time) bool, secret string, peer *PeerTLS) *termChecker {
	c := &termChecker{workers: map[string]*checkWorker{}, stop: make(chan struct{}), secret: secret, tls: peer}
	c.check = check
	return c
}

// ask queues a question for the peer at addr; a full queue counts as "no".
func (c *termChecker) ask(addr string, req checkReq) {
	c.mu.Lock()
	w := c.workers[addr]
	if w == nil {
		select {
		case <-c.stop:
			c.mu.Unlock()
			req.vote <- false
			return
		default:
		}
		w = &checkWorker{addr: addr, reqs: make(chan checkReq, 8)}
		c.workers[addr] = w
		c.wg.Add(1)
		go c.run(w)
	}
	c.mu.Unlock()
	select {
	case w.reqs <- req:
	default:
		req.vote <- false
	}
}

func (c *termChecker) run(w *checkWorker) {
	defer c.wg.Done()
	defer w.close()
	for {
		select {
		case <-c.stop:
			return
		case req := <-w.reqs:
			select {
			case <-req.over:
				continue // answered without us
			default:
			}
			var ok bool
			if c.check != nil {
				ok = c.check(w.addr, req.term, req.leader, req.deadline)
			} else {
				ok = w.ask(c.tls, req.term, req.leader, req.deadline, c.secret)
			}
			req.vote <- ok
		}
	}
}

// ask sends RAFT.TERMCHECK on the worker's connection.
func (w *checkWorker) ask(peer *PeerTLS, term uint64, leader string, deadline time.Time, secret string) bool {
	var req []byte
	if w.conn == nil {
		conn, err := peer.DialPeer(&net.Dialer{}, w.addr, time.Until(deadline))
		if err != nil {
			return false
		}
		w.conn, w.r = conn, bufio.NewReaderSize(conn, 512)
		if secret != "" {
			req = resp.AppendCommand(req, "RAFT.AUTH", secret)
		}
	}
	authing := len(req) > 0
	req = resp.AppendCommand(req, "RAFT.TERMCHECK", strconv.FormatUint(term, 10), leader)
	w.conn.SetDeadline(deadline)
	if _, err := w.conn.Write(req); err != nil {
		w.close()
		return false
	}
	if authing {
		if reply, err := resp.ReadReply(w.r, nil); err != nil || string(reply) != "+OK\r\n" {
			w.close()
			return false
		}
	}
	reply, err := resp.ReadReply(w.r, nil)
	if err != nil {
		w.close()
		return false
	}
	return string(reply) == "+OK\r\n"
}

func (w *checkWorker) close() {
	if w.conn != nil {
		w.conn.Close()
		w.conn, w.r = nil, nil
	}
}

func (c *termChecker) close() {
	c.mu.Lock()
	select {
	case <-c.stop:
	default:
		close(c.stop)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// TermCheck answers a leader's RAFT.TERMCHECK: true when this node's current
// term is term, which means it has not voted for, or heard of, a newer one.
func (n *Node) TermCheck(term uint64) bool {
	return n.raft.CurrentTerm() == term
}
