package cluster

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"slices"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// raft's NetworkTransport decodes an AppendEntries with go-msgpack, which
// grows a big byte slice 256 KB at a time, copying it each time: a 100 MB
// entry cost its follower some 20 GB of allocation and seconds of CPU, it
// missed heartbeats, the leader stepped down and the write never committed.
// So a big entry's data goes beside the RPC, raw, over a connection of its
// own through the same stream layer (TLS included), and the RPC carries a
// small reference (blobstore.go) that the receiving node swaps back for the
// data before raft sees the RPC. Raft, the FSM, the log stores and
// snapshots never see a reference, and a cluster without big entries sends
// exactly what it did before. Every node runs the same binary: a node
// without this code would store a reference as the entry, so all members
// must be upgraded together (a rolling upgrade without big writes during
// it is fine: nothing differs on the wire until a big entry is sent).

const (
	// blobMin is the entry size from which its data goes beside the RPC:
	// below it msgpack's growth costs little.
	blobMin = 1 << 20
	// blobConnByte opens a blob connection. Raft's connections open with
	// an RPC type, a small integer (0..4 in raft 1.7).
	blobConnByte = 0xb7
	// blobChunk is how much is read or written under one deadline, so a
	// slow but moving link is not cut off while a dead one is within
	// blobIOTimeout.
	blobChunk     = 1 << 20
	blobIOTimeout = 10 * time.Second
	// blobRPCBudget bounds the big data one AppendEntries references
	// (but always allows one entry): a follower catching up on many big
	// entries gets them in several RPCs instead of holding them all at
	// once.
	blobRPCBudget = 256 << 20
	// What a node holds of blobs that no RPC has taken yet.
	blobStoreBytes = 1 << 30
	blobStoreCount = 256
	blobTTL        = time.Minute
	// maxBlobLen refuses a header that would make us allocate more than
	// any entry can be.
	maxBlobLen = 8 << 30
	blobHdrLen = 8 + 8 + 8 + 4
)

// blobTransport is raft's NetworkTransport with big entries' data carried
// beside it. It owns the forwarding goroutine, the store sweeper and the
// blob connections it dials; Close (raft calls it on shutdown) stops them.
type blobTransport struct {
	*raft.NetworkTransport
	layer *streamLayer
	store *blobStore
	sums  blobSums
	out   chan raft.RPC
	// inLog tells whether our log holds the big entry of this index and
	// term (uncachedBig.holds); nil holds nothing.
	inLog func(index, term uint64) bool

	done      chan struct{}
	closeOnce sync.Once
	wg        sync.WaitGroup

	mu   sync.Mutex
	idle map[raft.ServerAddress][]net.Conn
	open map[net.Conn]struct{} // every blob connection we dialed and still hold
}

func newBlobTransport(inner *raft.NetworkTransport, layer *streamLayer, inLog func(index, term uint64) bool) *blobTransport {
	t := &blobTransport{NetworkTransport: inner, layer: layer, inLog: inLog,
		store: newBlobStore(blobStoreBytes, blobStoreCount, blobTTL),
		out:   make(chan raft.RPC), done: make(chan struct{}),
		idle: map[raft.ServerAddress][]net.Conn{}, open: map[net.Conn]struct{}{}}
	layer.serve(t.serveBlobs)
	t.wg.Add(2)
	go t.forward()
	go t.sweep()
	return t
}

// Consumer is what raft reads its RPCs from: the inner transport's, with
// references resolved.
func (t *blobTransport) Consumer() <-chan raft.RPC { return t.out }

func (t *blobTransport) Close() error {
	var err error
	t.closeOnce.Do(func() {
		close(t.done)
		err = t.NetworkTransport.Close()
		t.layer.Close() // raft's Close does, but a failed Open may not get there
		t.mu.Lock()
		for c := range t.open {
			c.Close()
		}
		t.open, t.idle = nil, nil
		t.mu.Unlock()
		t.wg.Wait()
	})
	return err
}

// AppendEntries sends big entries' data first, then the RPC with
// references, in several RPCs when the big data passes blobRPCBudget.
func (t *blobTransport) AppendEntries(id raft.ServerID, target raft.ServerAddress, args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) error {
	parts := splitByBudget(args.Entries, blobRPCBudget)
	if len(parts) <= 1 {
		req, err := t.withRefs(target, args)
		if err != nil {
			return err
		}
		return t.NetworkTransport.AppendEntries(id, target, req, resp)
	}
	// Each part is an AppendEntries of its own, as raft sends when a
	// follower is more than MaxAppendEntries behind.
	for i, part := range parts {
		sub := *args
		sub.Entries = part
		if i > 0 {
			prev := parts[i-1][len(parts[i-1])-1]
			sub.PrevLogEntry, sub.PrevLogTerm = prev.Index, prev.Term
		}
		req, err := t.withRefs(target, &sub)
		if err != nil {
			return err
		}
		*resp = raft.AppendEntriesResponse{}
		if err := t.NetworkTransport.AppendEntries(id, target, req, resp); err != nil || !resp.Success {
			return err
		}
	}
	return nil
}

func (t *blobTransport) AppendEntriesPipeline(id raft.ServerID, target raft.ServerAddress) (raft.AppendPipeline, error) {
	p, err := t.NetworkTransport.AppendEntriesPipeline(id, target)
	if err != nil {
		return nil, err
	}
	return &blobPipeline{AppendPipeline: p, t: t, target: target}, nil
}

type blobPipeline struct {
	raft.AppendPipeline
	t      *blobTransport
	target raft.ServerAddress
}

var errPipelineBudget = errors.New("big entries past one RPC's budget: replicating without pipelining")

func (p *blobPipeline) AppendEntries(args *raft.AppendEntriesRequest, resp *raft.AppendEntriesResponse) (raft.AppendFuture, error) {
	// Raft then stops pipelining and sends through AppendEntries, which
	// splits the entries.
	if len(splitByBudget(args.Entries, blobRPCBudget)) > 1 {
		return nil, errPipelineBudget
	}
	req, err := p.t.withRefs(p.target, args)
	if err != nil {
		return nil, err
	}
	return p.AppendPipeline.AppendEntries(req, resp)
}

func isBig(l *raft.Log) bool { return l.Type == raft.LogCommand && len(l.Data) >= blobMin }

// splitByBudget cuts entries into runs whose big data stays within budget,
// each run at least one entry; nil or one run when no cut is needed.
func splitByBudget(entries []*raft.Log, budget int) [][]*raft.Log {
	var parts [][]*raft.Log
	start, sum := 0, 0
	for i, l := range entries {
		if !isBig(l) {
			continue
		}
		if sum > 0 && sum+len(l.Data) > budget {
			parts = append(parts, entries[start:i])
			start, sum = i, 0
		}
		sum += len(l.Data)
	}
	if parts == nil {
		return nil
	}
	return append(parts, entries[start:])
}

// withRefs sends args' big entries' data to target and returns args with
// references in their place. The caller's request and entries are not
// changed (raft keeps entries in its log cache): the request and the
// replaced entries are copies.
func (t *blobTransport) withRefs(target raft.ServerAddress, args *raft.AppendEntriesRequest) (*raft.AppendEntriesRequest, error) {
	if !slices.ContainsFunc(args.Entries, isBig) {
		return args, nil
	}
	c, err := t.dial(target)
	if err != nil {
		return nil, err
	}
	req := *args
	req.Entries = slices.Clone(args.Entries)
	for i, l := range args.Entries {
		if !isBig(l) {
			continue
		}
		ref := t.sums.ref(l)
		if err := sendBlob(c, ref, l.Data); err != nil {
			t.drop(c)
			return nil, fmt.Errorf("send entry %d (%d bytes) to %s: %w", l.Index, len(l.Data), target, err)
		}
		cp := *l
		cp.Data = ref.encode()
		req.Entries[i] = &cp
	}
	t.release(target, c)
	return &req, nil
}

// Replies of the receiver of a blob: after the header, whether to send
// the data; after the data, whether it is good.
const (
	blobSend    = 0 // send the data / received
	blobRefused = 1 // bad header / checksum or size mismatch
	blobHave    = 2 // already held: no data follows
)

// sendBlob writes one blob's header and, unless the receiver already has
// the data (a retry: in its blob store, or already in its log), the data;
// then it waits for the receiver to have it.
func sendBlob(c net.Conn, ref blobRef, data []byte) error {
	var hdr [blobHdrLen]byte
	binary.BigEndian.PutUint64(hdr[0:], ref.term)
	binary.BigEndian.PutUint64(hdr[8:], ref.index)
	binary.BigEndian.PutUint64(hdr[16:], ref.length)
	binary.BigEndian.PutUint32(hdr[24:], ref.crc)
	c.SetWriteDeadline(time.Now().Add(blobIOTimeout))
	if _, err := c.Write(hdr[:]); err != nil {
		return err
	}
	switch reply, err := readReply(c); {
	case err != nil:
		return err
	case reply == blobHave:
		return nil
	case reply != blobSend:
		return errors.New("the receiver refused the header")
	}
	for off := 0; off < len(data); off += blobChunk {
		c.SetWriteDeadline(time.Now().Add(blobIOTimeout))
		if _, err := c.Write(data[off:min(off+blobChunk, len(data))]); err != nil {
			return err
		}
	}
	// The receiver checks the data before it answers.
	if reply, err := readReply(c); err != nil {
		return err
	} else if reply != blobSend {
		return errors.New("the receiver refused the data (checksum or size)")
	}
	return nil
}

func readReply(c net.Conn) (byte, error) {
	c.SetReadDeadline(time.Now().Add(blobIOTimeout))
	var b [1]byte
	_, err := io.ReadFull(c, b[:])
	return b[0], err
}

// dial returns an idle blob connection to target or a new one.
func (t *blobTransport) dial(target raft.ServerAddress) (net.Conn, error) {
	t.mu.Lock()
	if t.open == nil {
		t.mu.Unlock()
		return nil, raft.ErrTransportShutdown
	}
	if idle := t.idle[target]; len(idle) > 0 {
		c := idle[len(idle)-1]
		t.idle[target] = idle[:len(idle)-1]
		t.mu.Unlock()
		return c, nil
	}
	t.mu.Unlock()
	c, err := t.layer.Dial(target, blobIOTimeout)
	if err != nil {
		return nil, err
	}
	c.SetWriteDeadline(time.Now().Add(blobIOTimeout))
	if _, err := c.Write([]byte{blobConnByte}); err != nil {
		c.Close()
		return nil, err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.open == nil {
		c.Close()
		return nil, raft.ErrTransportShutdown
	}
	t.open[c] = struct{}{}
	return c, nil
}

// release keeps c for the next blobs to target (two at most).
func (t *blobTransport) release(target raft.ServerAddress, c net.Conn) {
	t.mu.Lock()
	if t.open != nil && len(t.idle[target]) < 2 {
		t.idle[target] = append(t.idle[target], c)
		t.mu.Unlock()
		return
	}
	t.mu.Unlock()
	t.drop(c)
}

func (t *blobTransport) drop(c net.Conn) {
	t.mu.Lock()
	delete(t.open, c)
	t.mu.Unlock()
	c.Close()
}

// serveBlobs receives the blobs a peer sends on c until it closes (or the
// stream layer does, on Close). Each is read into a buffer of its exact
// size, checked, and kept for the RPC that references it. A blob already
// held is not sent again: a leader whose AppendEntries timed out (a
// follower storing a big entry on a slow disk) sends it again, and the
// second copy doubled the follower's memory for the value.
func (t *blobTransport) serveBlobs(c net.Conn) {
	r := bufio.NewReaderSize(c, 64<<10)
	reply := func(b byte) bool {
		c.SetWriteDeadline(time.Now().Add(blobIOTimeout))
		_, err := c.Write([]byte{b})
		return err == nil && b != blobRefused
	}
	for {
		var hdr [blobHdrLen]byte
		// No deadline while idle: a pooled connection waits for the next
		// big entry (TCP keepalives notice a vanished peer).
		c.SetReadDeadline(time.Time{})
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return
		}
		ref := blobRef{blobKey: blobKey{binary.BigEndian.Uint64(hdr[0:]), binary.BigEndian.Uint64(hdr[8:])},
			length: binary.BigEndian.Uint64(hdr[16:]), crc: binary.BigEndian.Uint32(hdr[24:])}
		if ref.length == 0 || ref.length > maxBlobLen {
			reply(blobRefused)
			return
		}
		if t.store.has(ref) || t.inLog != nil && t.inLog(ref.index, ref.term) {
			if !reply(blobHave) {
				return
			}
			continue
		}
		if !reply(blobSend) {
			return
		}
		data := make([]byte, ref.length)
		for off := 0; off < len(data); off += blobChunk {
			c.SetReadDeadline(time.Now().Add(blobIOTimeout))
			if _, err := io.ReadFull(r, data[off:min(off+blobChunk, len(data))]); err != nil {
				return
			}
		}
		ack := byte(blobSend)
		if crc32.Checksum(data, castagnoli) == ref.crc {
			t.store.put(ref.blobKey, data, ref.crc, time.Now())
		} else {
			ack = blobRefused
		}
		data = nil
		if !reply(ack) {
			return
		}
	}
}

// forward hands raft the inner transport's RPCs with references swapped
// for the data received; an RPC whose data is missing is answered with an
// error, so the leader sends both again.
func (t *blobTransport) forward() {
	defer t.wg.Done()
	in := t.NetworkTransport.Consumer()
	for {
		var rpc raft.RPC
		select {
		case rpc = <-in:
		case <-t.done:
			return
		}
		if req, ok := rpc.Command.(*raft.AppendEntriesRequest); ok {
			// The request was decoded for this RPC alone: its entries are
			// ours to change.
			if err := resolveRefs(t.store, t.inLog, req); err != nil {
				rpc.Respond(nil, err)
				continue
			}
		}
		select {
		case t.out <- rpc:
		case <-t.done:
			rpc.Respond(nil, raft.ErrTransportShutdown)
			return
		}
	}
}

// resolveRefs swaps req's references for the data received. A reference
// to an entry our log already holds (this AppendEntries is a retry, its
// data was not sent again) cuts the request after it: raft would skip
// that entry and every one before it anyway (two logs that hold the same
// entry agree on all before it), so the request that remains, with that
// entry as its previous one, says the same.
func resolveRefs(s *blobStore, inLog func(index, term uint64) bool, req *raft.AppendEntriesRequest) error {
	cut := -1
	for i, l := range req.Entries {
		if l.Type != raft.LogCommand {
			continue
		}
		ref, ok := decodeRef(l.Data)
		if !ok {
			continue
		}
		if ref.term != l.Term || ref.index != l.Index {
			return fmt.Errorf("entry %d of term %d references entry %d of term %d: %w", l.Index, l.Term, ref.index, ref.term, errBlobMissing)
		}
		data, err := s.take(ref)
		if err != nil {
			if inLog == nil || !inLog(ref.index, ref.term) {
				return err
			}
			cut = i
			continue
		}
		l.Data = data
	}
	if cut >= 0 {
		last := req.Entries[cut]
		req.PrevLogEntry, req.PrevLogTerm = last.Index, last.Term
		req.Entries = req.Entries[cut+1:]
	}
	return nil
}

func (t *blobTransport) sweep() {
	defer t.wg.Done()
	tick := time.NewTicker(blobTTL / 10)
	defer tick.Stop()
	for {
		select {
		case <-t.done:
			return
		case now := <-tick.C:
			t.store.expire(now)
		}
	}
}
