package cluster

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/geomys/geomys/fsm"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

func TestBlobRefEncoding(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 1000)
	ref := refFor(7, 42, data)
	enc := ref.encode()
	if len(enc) != blobRefLen {
		t.Fatalf("reference is %d bytes, want %d", len(enc), blobRefLen)
	}
	got, ok := decodeRef(enc)
	if !ok || got != ref {
		t.Fatalf("decoded %+v %v, want %+v", got, ok, ref)
	}
	// What the FSM's entries begin with is never a reference.
	var w fsm.EntryWriter
	w.Reset(1)
	w.Add(0, 2, [][]byte{[]byte("SET"), []byte("k"), enc})
	entry := w.Bytes()
	for _, d := range [][]byte{entry, fsm.EncodeBatch([][]byte{entry})} {
		if d[0] == blobMagic[0] {
			t.Errorf("an entry begins with the reference's first byte %#x", d[0])
		}
	}
	for _, d := range [][]byte{entry, enc[1:], append(enc[:len(enc):len(enc)], 0), enc[:len(enc)-1]} {
		if _, ok := decodeRef(d); ok {
			t.Errorf("%q taken for a reference", d[:min(len(d), 16)])
		}
	}
}

func TestBlobMissing(t *testing.T) {
	s := newBlobStore(1<<20, 8, time.Minute)
	data := []byte("a big entry's data")
	ref := refFor(3, 10, data)
	small := &raft.Log{Index: 9, Term: 3, Type: raft.LogCommand, Data: []byte("G\x01small")}
	req := func() *raft.AppendEntriesRequest {
		return &raft.AppendEntriesRequest{Entries: []*raft.Log{small, {Index: 10, Term: 3, Type: raft.LogCommand, Data: ref.encode()}}}
	}
	if err := resolveRefs(s, nil, req()); !errors.Is(err, errBlobMissing) {
		t.Fatalf("no blob: %v, want errBlobMissing", err)
	}
	// A blob whose checksum differs from the reference's is no match.
	s.put(ref.blobKey, []byte("other data, same size"), ref.crc+1, time.Now())
	if err := resolveRefs(s, nil, req()); !errors.Is(err, errBlobMissing) {
		t.Fatalf("wrong blob: %v, want errBlobMissing", err)
	}
	s.put(ref.blobKey, data, ref.crc, time.Now())
	r := req()
	if err := resolveRefs(s, nil, r); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.Entries[1].Data, data) || !bytes.Equal(r.Entries[0].Data, small.Data) {
		t.Fatalf("resolved entries: %q %q", r.Entries[0].Data, r.Entries[1].Data)
	}
	// Taken: a second RPC with the same reference needs it sent again.
	if err := resolveRefs(s, nil, req()); !errors.Is(err, errBlobMissing) {
		t.Fatalf("blob taken twice: %v", err)
	}
	// A reference must name its own entry.
	s.put(ref.blobKey, data, ref.crc, time.Now())
	r = req()
	r.Entries[1].Index = 11
	if err := resolveRefs(s, nil, r); !errors.Is(err, errBlobMissing) {
		t.Fatalf("reference to another entry: %v", err)
	}
}

func TestBlobStoreBounds(t *testing.T) {
	now := time.Now()
	s := newBlobStore(100, 3, time.Minute)
	blob := func(n int) []byte { return make([]byte, n) }
	put := func(i uint64, n int, at time.Time) { s.put(blobKey{1, i}, blob(n), 0, at) }
	has := func(i uint64) bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		_, ok := s.blobs[blobKey{1, i}]
		return ok
	}
	put(1, 10, now)
	put(2, 10, now.Add(time.Second))
	put(3, 10, now.Add(2*time.Second))
	put(4, 10, now.Add(3*time.Second)) // past the count: the oldest goes
	if has(1) || !has(2) || !has(4) {
		t.Fatalf("count bound: %v %v %v", has(1), has(2), has(4))
	}
	put(5, 75, now.Add(4*time.Second)) // past the bytes: the oldest goes
	if c, b := s.held(); c != 3 || b != 95 || has(2) || !has(3) || !has(5) {
		t.Fatalf("byte bound: %d blobs, %d bytes", c, b)
	}
	put(6, 500, now.Add(5*time.Second)) // bigger than the bound: kept alone
	if c, b := s.held(); c != 1 || b != 500 || !has(6) {
		t.Fatalf("oversized blob: %d blobs, %d bytes", c, b)
	}
	put(6, 20, now.Add(6*time.Second)) // sent again: replaces
	if c, b := s.held(); c != 1 || b != 20 {
		t.Fatalf("replaced blob: %d blobs, %d bytes", c, b)
	}
	s.expire(now.Add(6*time.Second + time.Minute + 1))
	if c, b := s.held(); c != 0 || b != 0 {
		t.Fatalf("after the ttl: %d blobs, %d bytes", c, b)
	}
}

// blobPair is two nodes' transports on loopback.
func blobPair(t *testing.T) (a, b *blobTransport) { return blobPairLogging(t, nil) }

// blobPairLogging is blobPair whose second node's log holds what inLog says.
func blobPairLogging(t *testing.T, inLog func(index, term uint64) bool) (a, b *blobTransport) {
	t.Helper()
	var made int
	mk := func() *blobTransport {
		l, err := newStreamLayer("127.0.0.1:0", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		l.advertise = l.ln.Addr()
		inner := raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{Stream: l, MaxPool: 2, Timeout: 5 * time.Second,
			Logger: hclog.New(&hclog.LoggerOptions{Output: io.Discard})})
		var holds func(index, term uint64) bool
		if made++; made == 2 {
			holds = inLog
		}
		bt := newBlobTransport(inner, l, holds)
		t.Cleanup(func() { bt.Close() })
		return bt
	}
	return mk(), mk()
}

// A big entry crosses to the other node beside the RPC: the receiver's
// raft gets the entry's bytes, the sender's entry is left as it was, and
// RPCs without big entries pass as they are.
func TestBlobTransportAppendEntries(t *testing.T) {
	a, b := blobPair(t)
	big := bytes.Repeat([]byte("big entry "), 30<<20/10)
	orig := &raft.Log{Index: 5, Term: 2, Type: raft.LogCommand, Data: big}
	small := &raft.Log{Index: 6, Term: 2, Type: raft.LogCommand, Data: []byte("G\x01small")}
	req := &raft.AppendEntriesRequest{RPCHeader: raft.RPCHeader{ID: []byte("a"), Addr: []byte(a.LocalAddr())},
		Term: 2, PrevLogEntry: 4, PrevLogTerm: 2, Entries: []*raft.Log{orig, small}, LeaderCommitIndex: 4}
	got := make(chan *raft.AppendEntriesRequest, 1)
	go func() {
		rpc := <-b.Consumer()
		got <- rpc.Command.(*raft.AppendEntriesRequest)
		rpc.Respond(&raft.AppendEntriesResponse{Term: 2, LastLog: 6, Success: true}, nil)
	}()
	var resp raft.AppendEntriesResponse
	start := time.Now()
	if err := a.AppendEntries("b", b.LocalAddr(), req, &resp); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d MB entry sent in %v", len(big)>>20, time.Since(start))
	r := <-got
	if !resp.Success || len(r.Entries) != 2 || !bytes.Equal(r.Entries[0].Data, big) || !bytes.Equal(r.Entries[1].Data, small.Data) {
		t.Fatalf("received %d entries, success %v", len(r.Entries), resp.Success)
	}
	if req.Entries[0] != orig || &orig.Data[0] != &big[0] || len(orig.Data) != len(big) {
		t.Fatal("the sender's request or entry was changed")
	}
	if c, _ := b.store.held(); c != 0 {
		t.Fatalf("%d blobs left after the RPC took its own", c)
	}

	// The same through a pipeline.
	p, err := a.AppendEntriesPipeline("b", b.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	go func() {
		rpc := <-b.Consumer()
		got <- rpc.Command.(*raft.AppendEntriesRequest)
		rpc.Respond(&raft.AppendEntriesResponse{Term: 2, LastLog: 6, Success: true}, nil)
	}()
	if _, err := p.AppendEntries(req, new(raft.AppendEntriesResponse)); err != nil {
		t.Fatal(err)
	}
	f := <-p.Consumer()
	if err := f.Error(); err != nil || !f.Response().Success {
		t.Fatalf("pipelined: %v", err)
	}
	if r := <-got; !bytes.Equal(r.Entries[0].Data, big) {
		t.Fatal("pipelined big entry differs")
	}
}

// A reference whose data the receiver does not hold fails the RPC, and
// raft's RPC to a node without it is an error the leader retries.
func TestBlobTransportMissingBlob(t *testing.T) {
	a, b := blobPair(t)
	data := []byte("data that was never sent")
	req := &raft.AppendEntriesRequest{RPCHeader: raft.RPCHeader{ID: []byte("a"), Addr: []byte(a.LocalAddr())},
		Term: 2, PrevLogEntry: 4, PrevLogTerm: 2,
		Entries: []*raft.Log{{Index: 5, Term: 2, Type: raft.LogCommand, Data: refFor(2, 5, data).encode()}}}
	go func() {
		select {
		case rpc := <-b.Consumer():
			rpc.Respond(&raft.AppendEntriesResponse{Success: true}, nil)
			t.Error("an RPC with a missing blob reached raft")
		case <-time.After(5 * time.Second):
		}
	}()
	var resp raft.AppendEntriesResponse
	err := a.NetworkTransport.AppendEntries("b", b.LocalAddr(), req, &resp)
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(errBlobMissing.Error())) {
		t.Fatalf("AppendEntries with a missing blob: %v", err)
	}
}

func TestSplitByBudget(t *testing.T) {
	l := func(n int) *raft.Log { return &raft.Log{Type: raft.LogCommand, Data: make([]byte, n)} }
	es := []*raft.Log{l(10), l(blobMin), l(10), l(blobMin), l(2 * blobMin), l(10)}
	if p := splitByBudget(es, 10*blobMin); p != nil {
		t.Fatalf("within budget: %d parts", len(p))
	}
	p := splitByBudget(es, 2*blobMin)
	if len(p) != 2 || len(p[0]) != 4 || len(p[1]) != 2 {
		t.Fatalf("split: %d parts", len(p))
	}
	if p := splitByBudget(es, 1); len(p) != 3 {
		t.Fatalf("each big entry alone: %d parts", len(p))
	}
}

// A blob the receiver already holds is not sent again, whether it waits
// in its blob store (the RPC that was to take it failed) or is already in
// its log (the RPC was applied, its answer lost): a retry used to hold a
// second copy of the value on the follower. The RPC that references a
// logged entry is cut after it, as raft would skip it.
func TestBlobResentNotReceivedTwice(t *testing.T) {
	a, b := blobPairLogging(t, func(index, term uint64) bool { return index == 7 && term == 3 })
	data := bytes.Repeat([]byte("blob "), blobMin/5+1)
	other := make([]byte, len(data)) // what a second transfer would deliver: refused, its checksum differs
	ref := refFor(2, 5, data)
	c, err := a.dial(b.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := sendBlob(c, ref, data); err != nil {
		t.Fatal(err)
	}
	if err := sendBlob(c, ref, other); err != nil {
		t.Fatalf("resending a blob held in the store: %v (the data was sent again)", err)
	}
	if got, err := b.store.take(ref); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the store holds %d bytes (%v); want the first blob", len(got), err)
	}

	logged := refFor(3, 7, data)
	if err := sendBlob(c, logged, other); err != nil {
		t.Fatalf("sending a blob of an entry already logged: %v (the data was sent)", err)
	}
	if n, _ := b.store.held(); n != 0 {
		t.Fatalf("%d blobs held after an entry already logged", n)
	}
	small := func(i uint64) *raft.Log {
		return &raft.Log{Index: i, Term: 3, Type: raft.LogCommand, Data: []byte("G\x01small")}
	}
	req := &raft.AppendEntriesRequest{Term: 3, PrevLogEntry: 5, PrevLogTerm: 2,
		Entries: []*raft.Log{small(6), {Index: 7, Term: 3, Type: raft.LogCommand, Data: logged.encode()}, small(8)}}
	if err := resolveRefs(b.store, b.inLog, req); err != nil {
		t.Fatal(err)
	}
	if req.PrevLogEntry != 7 || req.PrevLogTerm != 3 || len(req.Entries) != 1 || req.Entries[0].Index != 8 {
		t.Fatalf("request after a logged entry: previous %d/%d, %d entries; want 7/3 and entry 8 alone", req.PrevLogEntry, req.PrevLogTerm, len(req.Entries))
	}
	req.Entries = []*raft.Log{{Index: 9, Term: 3, Type: raft.LogCommand, Data: refFor(3, 9, data).encode()}}
	if err := resolveRefs(b.store, b.inLog, req); !errors.Is(err, errBlobMissing) {
		t.Fatalf("a reference neither received nor logged: %v", err)
	}
}

// An entry's checksum is computed once for every follower it goes to: the
// term and index name the same bytes.
func TestBlobSumsOnce(t *testing.T) {
	var sums blobSums
	data := bytes.Repeat([]byte("sum "), blobMin/4)
	l := &raft.Log{Index: 4, Term: 2, Type: raft.LogCommand, Data: data}
	if got, want := sums.ref(l), refFor(2, 4, data); got != want {
		t.Fatalf("ref %+v, want %+v", got, want)
	}
	again := &raft.Log{Index: 4, Term: 2, Type: raft.LogCommand, Data: make([]byte, len(data))}
	if got, want := sums.ref(again), refFor(2, 4, data); got != want {
		t.Fatalf("second ref of the entry: %+v, want the first's %+v (computed again)", got, want)
	}
	for i := range maxBlobSums + 1 {
		sums.ref(&raft.Log{Index: uint64(10 + i), Term: 2, Data: []byte("x")})
	}
	if n := len(sums.sums); n > maxBlobSums {
		t.Fatalf("%d sums kept; want at most %d", n, maxBlobSums)
	}
}
