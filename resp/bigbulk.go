package resp

// Big bulks.
//
// redcon reads a request into one buffer that doubles until the request
// fits, and then copies the whole request once more: a 100 MB SET held
// 128 MB of buffer plus the 100 MB copy, with the smaller buffers it grew
// through as garbage, and kept the 128 MB buffer for as long as the
// connection lived. So a bulk from GuardLimits.BigBulk bytes never reaches
// redcon: the guard reads its payload straight from the connection into a
// buffer of exactly its size (with BigArgHead and BigArgTail bytes of room
// around it), and hands redcon a short token in its place, which the
// server swaps back for the payload with Unstash before anything looks at
// the command's arguments. The token is a random per-process prefix and a
// sequence number: a client cannot forge one.

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"os"
	"strconv"
	"sync/atomic"
)

// Room around a big bulk's payload in its buffer: whoever builds a record
// around the argument (the server's log entry) may use it instead of
// copying the argument into a new one.
const (
	BigArgHead = 4 << 10
	BigArgTail = 256
)

// bigTokenNonce opens every token: random, so no client can send one.
var bigTokenNonce = func() [16]byte {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("resp: no randomness for big bulk tokens: " + err.Error())
	}
	return b
}()

const bigTokenLen = len(bigTokenNonce) + 8

// bigBulk is a payload read by the guard, waiting for Unstash.
type bigBulk struct {
	id  uint64
	buf []byte // BigArgHead, the payload, BigArgTail
}

// bigState is a GuardConn's big bulks: the one being read (owned by the
// reader) and those handed to redcon as tokens (under GuardConn.mu).
type bigState struct {
	cur     []byte // the one being read
	got     int64  // payload bytes of cur read so far
	nextID  uint64
	waiting []bigBulk
	nWait   atomic.Int32
}

// big moves a bulk whose header of hdrLen bytes just ended at offset at of
// feedAt's buffer into gvBigData, if it is big and its whole header is in
// that buffer (not yet delivered, so it can still be replaced).
func (v *guardValidator) big(at, hdrLen int) bool {
	if v.lim.BigBulk <= 0 || v.skip < v.lim.BigBulk || at < hdrLen {
		return false
	}
	v.st, v.bigAt, v.bigHdr = gvBigData, at, hdrLen
	return true
}

// startBig begins a big bulk's buffer with raw, the bytes read after its
// header; what follows the payload goes back to be read (and validated)
// again. rerr is the error of the read that returned raw.
func (g *GuardConn) startBig(raw []byte, rerr error) {
	n := g.v.skip
	g.big.cur = make([]byte, BigArgHead+n+BigArgTail)
	k := copy(g.big.cur[BigArgHead:BigArgHead+n], raw)
	g.big.got = int64(k)
	if rest := raw[k:]; len(rest) > 0 {
		g.mu.Lock()
		g.ahead = append(append([]byte(nil), rest...), g.ahead...)
		if rerr != nil && !errors.Is(rerr, os.ErrDeadlineExceeded) && g.aheadErr == nil {
			g.aheadErr = rerr // after those bytes, as a watch's
		}
		g.mu.Unlock()
		return
	}
	if rerr != nil {
		g.pendErr = rerr
	}
}

// fillBig reads the rest of the big bulk's payload and holds the header
// and token that stand for it. An error leaves it to be resumed.
func (g *GuardConn) fillBig() error {
	n := g.v.skip
	dst := g.big.cur[BigArgHead : BigArgHead+n]
	for g.big.got < n {
		if g.pendErr != nil {
			err := g.pendErr
			g.pendErr = nil
			return err
		}
		k, err := g.readRaw(dst[g.big.got:])
		g.big.got += int64(k)
		if err != nil {
			if k > 0 {
				g.pendErr = err
				continue
			}
			return err
		}
	}
	g.big.nextID++
	id := g.big.nextID
	g.mu.Lock()
	g.big.waiting = append(g.big.waiting, bigBulk{id: id, buf: g.big.cur})
	g.mu.Unlock()
	g.big.nWait.Add(1)
	g.big.cur, g.big.got = nil, 0
	g.v.cmdBytes += n
	g.v.skip, g.v.st = 0, gvBulkCR
	tok := make([]byte, 0, 8+bigTokenLen)
	tok = append(tok, '$')
	tok = strconv.AppendInt(tok, int64(bigTokenLen), 10)
	tok = append(tok, '\r', '\n')
	tok = append(tok, bigTokenNonce[:]...)
	tok = binary.BigEndian.AppendUint64(tok, id)
	g.hold(tok)
	g.heldBound = 0
	return nil
}

// HasBig reports whether Unstash has payloads to put back.
func (g *GuardConn) HasBig() bool { return g.big.nWait.Load() > 0 }

// Unstash replaces the tokens among args with the payloads they stand for
// (each BigArgHead bytes into its buffer, BigArgTail bytes before its end),
// appends those buffers to bufs, and returns how many bytes that added to
// args. Payloads read before the last one it finds are dropped: their
// commands were never served.
func (g *GuardConn) Unstash(args [][]byte, bufs *[][]byte) int64 {
	var added int64
	for i, a := range args {
		if len(a) != bigTokenLen || !bytes.HasPrefix(a, bigTokenNonce[:]) {
			continue
		}
		id := binary.BigEndian.Uint64(a[len(bigTokenNonce):])
		g.mu.Lock()
		for j, b := range g.big.waiting {
			if b.id != id {
				continue
			}
			end := len(b.buf) - BigArgTail
			args[i] = b.buf[BigArgHead:end:end]
			if bufs != nil {
				*bufs = append(*bufs, b.buf)
			}
			added += int64(len(args[i]) - len(a))
			w := g.big.waiting
			left := copy(w, w[j+1:])
			clear(w[left:]) // nothing here may keep a payload alive
			g.big.waiting = w[:left]
			g.big.nWait.Store(int32(left))
			break
		}
		g.mu.Unlock()
	}
	return added
}
