package server

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tidwall/redcon"
)

// Redis 7.0 sizes a client's query buffer (CLIENT LIST qbuf + qbuf-free)
// and reply buffer (rbs, rbp) by rules clients and Redis's own tests watch:
// 16 KB of room per read, a buffer of its own for an argument of 32 KB or
// more, buffers shrunk and grown by clientsCron ten times a second. Geomys
// reads and writes through buffers of its own whose sizes follow other
// rules, so ioBufs follows each connection's traffic with Redis's rules
// and CLIENT LIST shows what Redis would.
const (
	protoIOBufLen     = 16 * 1024 // PROTO_IOBUF_LEN: room made per read
	protoMbulkBigArg  = 32 * 1024 // PROTO_MBULK_BIG_ARG
	protoResizeThresh = 32 * 1024 // PROTO_RESIZE_THRESHOLD
	protoReplyChunk   = 16 * 1024 // PROTO_REPLY_CHUNK_BYTES: reply buffer to start
	protoReplyMin     = 1024      // PROTO_REPLY_MIN_BYTES
	// defaultReplyPeakReset is how often the reply buffer's peak restarts
	// (ms), unless DEBUG REPLYBUFFER PEAK-RESET-TIME says otherwise.
	defaultReplyPeakReset = 5000
)

// ioBufs is one client's modelled buffers. The connection's goroutine
// reports its traffic, the cron shrinks and grows, CLIENT LIST reads: mu.
type ioBufs struct {
	mu sync.Mutex
	// qAlloc is the query buffer's size, qPeak the most it held since the
	// cron last looked.
	qAlloc, qPeak int64
	// rSize is the reply buffer's size, rPeak the most it held since the
	// peak last restarted, at rPeakReset.
	rSize, rPeak int64
	rPeakReset   time.Time
}

// replyBufCfg is DEBUG REPLYBUFFER's server-wide settings.
type replyBufCfg struct {
	peakReset atomic.Int64 // ms; negative: never
	resizing  atomic.Bool
}

func (r *replyBufCfg) init() {
	r.peakReset.Store(defaultReplyPeakReset)
	r.resizing.Store(true)
}

func newIOBufs() ioBufs {
	// The peak starts at the whole buffer, and its first reset is due at
	// once: Redis 7.0 keeps the last reset in seconds and compares it with
	// milliseconds.
	return ioBufs{rSize: protoReplyChunk, rPeak: protoReplyChunk}
}

// read accounts a pipeline of n bytes whose largest argument is big bytes
// long: each read makes room for 16 KB, and an argument of 32 KB or more
// leaves a buffer its own size behind it.
func (b *ioBufs) read(n, big int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.qPeak = max(b.qPeak, n)
	if big >= protoMbulkBigArg {
		b.qAlloc = sdsUsable(big + 2)
		b.qPeak = max(b.qPeak, big+2)
		return
	}
	if b.qAlloc < protoIOBufLen {
		b.qAlloc = sdsUsable(protoIOBufLen)
	}
	if n > protoIOBufLen {
		// Past one read's room the buffer grows greedily, doubling.
		b.qAlloc = max(b.qAlloc, sdsUsable(2*n))
	}
}

// wrote accounts a pipeline's n bytes of replies: the buffer takes what
// fits, the rest goes to Redis's reply list.
func (b *ioBufs) wrote(n int64) {
	b.mu.Lock()
	b.rPeak = max(b.rPeak, min(n, b.rSize))
	b.mu.Unlock()
}

// query returns the query buffer's size.
func (b *ioBufs) query() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.qAlloc
}

// reply returns the reply buffer's size and peak.
func (b *ioBufs) reply() (size, peak int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.rSize, b.rPeak
}

// cron is clientsCronResizeQueryBuffer and clientsCronResizeOutputBuffer
// for a client idle for idle (between pipelines, so both buffers are empty).
func (b *ioBufs) cron(now time.Time, idle time.Duration, cfg *replyBufCfg) {
	b.mu.Lock()
	defer b.mu.Unlock()
	// A buffer wasting over 4 KB goes when idle over 2 s (in whole
	// seconds, as Redis counts), or shrinks to its recent peak when over
	// the threshold and twice that peak.
	if b.qAlloc > 4096 {
		if idle/time.Second > 2 {
			b.qAlloc = 0
		} else if b.qAlloc > protoResizeThresh && b.qAlloc/2 > b.qPeak {
			b.qAlloc = b.qPeak // sdsResize keeps exactly that
		}
	}
	b.qPeak = 0

	if !cfg.resizing.Load() {
		return
	}
	var size int64
	switch {
	case b.rSize/2 >= protoReplyMin && b.rPeak < b.rSize/2:
		size = max(protoReplyMin, b.rPeak+1)
	case b.rSize*2 < protoReplyChunk*2 && b.rPeak == b.rSize:
		size = min(protoReplyChunk, b.rSize*2)
	}
	if reset := cfg.peakReset.Load(); reset >= 0 && now.Sub(b.rPeakReset) >= time.Duration(reset)*time.Millisecond {
		b.rPeak, b.rPeakReset = 0, now
	}
	if size > 0 {
		b.rSize = jemallocSize(size)
	}
}

// sdsUsable is the room of an sds string allocated for n bytes: jemalloc's
// size class less the header (3, 5 or 9 bytes) and terminator.
func sdsUsable(n int64) int64 {
	if n == 0 {
		return 0
	}
	hdr := int64(3)
	switch {
	case n >= 1<<16:
		hdr = 9
	case n >= 1<<8:
		hdr = 5
	}
	return jemallocSize(n+hdr+1) - hdr - 1
}

// jemallocSize is the size class jemalloc serves n bytes from: multiples
// of 16 up to 128, then four classes per doubling.
func jemallocSize(n int64) int64 {
	if n <= 8 {
		return 8
	}
	if n <= 128 {
		return (n + 15) &^ 15
	}
	step := int64(1) << (bits.Len64(uint64(n-1)) - 3)
	return (n + step - 1) &^ (step - 1)
}

// bufsCron runs the buffer rules at Redis's default hz of 10. Like Redis,
// which looks at a tenth of its clients per run but at least 5, a node
// with many clients looks at each about once a second.
func (s *Server) bufsCron() {
	defer s.bg.Done()
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for tick := int64(0); ; tick++ {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			cls := s.clientsSnapshot()
			for _, cl := range cls {
				if len(cls) > 50 && cl.ID%10 != tick%10 {
					continue
				}
				if cl.serving.Load() {
					continue // its buffers are in use
				}
				idle := now.Sub(time.UnixMilli(cl.active.Load()))
				cl.bufs.cron(now, idle, &s.replyBufs)
			}
		}
	}
}

// bigArg is the length of the longest argument of a pipeline of in bytes
// that could hold one of 32 KB or more (0 otherwise).
func bigArg(in int64, first redcon.Command, rest []redcon.Command) int64 {
	if in < protoMbulkBigArg {
		return 0
	}
	var big int
	for _, a := range first.Args {
		big = max(big, len(a))
	}
	for i := range rest {
		for _, a := range rest[i].Args {
			big = max(big, len(a))
		}
	}
	return int64(big)
}
