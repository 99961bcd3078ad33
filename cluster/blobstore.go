package cluster

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// A big entry's data travels beside raft's AppendEntries (blobs.go); the
// entry in the RPC carries a blobRef instead:
//
//	blobMagic term(8) index(8) length(8) crc32c(4)
//
// blobMagic begins with a zero byte, which no entry of ours begins with
// (fsm/entry.go: 'G' or 'B'), and only LogCommand entries are ever
// replaced, so a real entry is never taken for a reference.
var blobMagic = []byte("\x00geomys-blob\x00")

const blobRefLen = 13 + 8 + 8 + 8 + 4

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// blobKey names a big entry by its term and index: Raft guarantees that
// two logs holding an entry with the same term and index hold the same
// entry (one leader per term, one entry per index), so this names the same
// bytes whichever leader sends it and needs no sender.
type blobKey struct{ term, index uint64 }

type blobRef struct {
	blobKey
	length uint64
	crc    uint32
}

func refFor(term, index uint64, data []byte) blobRef {
	return blobRef{blobKey{term, index}, uint64(len(data)), crc32.Checksum(data, castagnoli)}
}

func (r blobRef) encode() []byte {
	b := make([]byte, 0, blobRefLen)
	b = append(b, blobMagic...)
	b = binary.BigEndian.AppendUint64(b, r.term)
	b = binary.BigEndian.AppendUint64(b, r.index)
	b = binary.BigEndian.AppendUint64(b, r.length)
	return binary.BigEndian.AppendUint32(b, r.crc)
}

// blobSums computes each big entry's checksum once for all the followers
// it goes to (and for retries): a 100 MB entry's took the leader 0.1-0.7 s
// of CPU per follower on a loaded 2-core machine. Followers' replication
// goroutines send the same entry at the same moment, so the second waits
// for the first's sum instead of computing its own.
type blobSums struct {
	mu   sync.Mutex
	sums map[blobKey]*blobSum
}

type blobSum struct {
	once sync.Once
	crc  uint32
}

// maxBlobSums bounds blobSums: a forgotten sum is computed again.
const maxBlobSums = 64

func (b *blobSums) ref(l *raft.Log) blobRef {
	k := blobKey{l.Term, l.Index}
	b.mu.Lock()
	s := b.sums[k]
	if s == nil {
		if b.sums == nil || len(b.sums) >= maxBlobSums {
			b.sums = map[blobKey]*blobSum{}
		}
		s = &blobSum{}
		b.sums[k] = s
	}
	b.mu.Unlock()
	s.once.Do(func() { s.crc = crc32.Checksum(l.Data, castagnoli) })
	return blobRef{k, uint64(len(l.Data)), s.crc}
}

// decodeRef tells whether data is a reference, and which.
func decodeRef(data []byte) (blobRef, bool) {
	if len(data) != blobRefLen || !bytes.HasPrefix(data, blobMagic) {
		return blobRef{}, false
	}
	p := data[len(blobMagic):]
	return blobRef{
		blobKey: blobKey{binary.BigEndian.Uint64(p), binary.BigEndian.Uint64(p[8:])},
		length:  binary.BigEndian.Uint64(p[16:]),
		crc:     binary.BigEndian.Uint32(p[24:]),
	}, true
}

// errBlobMissing answers an AppendEntries whose reference has no blob (the
// receiver restarted or dropped it): the leader retries, sending it again.
var errBlobMissing = errors.New("big entry data not received")

// blobStore holds received blobs until the AppendEntries that references
// them takes them. Blobs that no RPC takes (the RPC failed, or a retry
// sent them again) are dropped after ttl, and the oldest go first when
// more than maxBytes or maxCount are held; a single blob larger than
// maxBytes is still kept (alone), so any entry can get through.
type blobStore struct {
	mu       sync.Mutex
	blobs    map[blobKey]storedBlob
	bytes    int64
	maxBytes int64
	maxCount int
	ttl      time.Duration
}

type storedBlob struct {
	data []byte
	crc  uint32
	at   time.Time
}

func newBlobStore(maxBytes int64, maxCount int, ttl time.Duration) *blobStore {
	return &blobStore{blobs: map[blobKey]storedBlob{}, maxBytes: maxBytes, maxCount: maxCount, ttl: ttl}
}

func (s *blobStore) put(k blobKey, data []byte, crc uint32, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropLocked(k)
	s.expireLocked(now)
	for len(s.blobs) > 0 && (s.bytes+int64(len(data)) > s.maxBytes || len(s.blobs)+1 > s.maxCount) {
		oldest, first := blobKey{}, true
		var at time.Time
		for k, b := range s.blobs {
			if first || b.at.Before(at) {
				oldest, at, first = k, b.at, false
			}
		}
		s.dropLocked(oldest)
	}
	s.blobs[k] = storedBlob{data: data, crc: crc, at: now}
	s.bytes += int64(len(data))
}

// take removes and returns the blob r names, if it is held and matches.
func (s *blobStore) take(r blobRef) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blobs[r.blobKey]
	if !ok {
		return nil, fmt.Errorf("entry %d of term %d: %w", r.index, r.term, errBlobMissing)
	}
	s.dropLocked(r.blobKey)
	if uint64(len(b.data)) != r.length || b.crc != r.crc {
		return nil, fmt.Errorf("entry %d of term %d: received %d bytes, crc %08x; the entry has %d, crc %08x: %w",
			r.index, r.term, len(b.data), b.crc, r.length, r.crc, errBlobMissing)
	}
	return b.data, nil
}

// has tells whether the blob r names is held, with r's size and checksum.
func (s *blobStore) has(r blobRef) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.blobs[r.blobKey]
	return ok && uint64(len(b.data)) == r.length && b.crc == r.crc
}

func (s *blobStore) expire(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expireLocked(now)
}

func (s *blobStore) expireLocked(now time.Time) {
	for k, b := range s.blobs {
		if now.Sub(b.at) > s.ttl {
			s.dropLocked(k)
		}
	}
}

func (s *blobStore) dropLocked(k blobKey) {
	if b, ok := s.blobs[k]; ok {
		s.bytes -= int64(len(b.data))
		delete(s.blobs, k)
	}
}

func (s *blobStore) held() (count int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.blobs), s.bytes
}
