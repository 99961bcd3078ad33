package commands

// pieceElems is how many elements of a big value one lock hold dumps: a
// million-member sorted set written in one go held writers off for the whole
// value (seconds); a piece of this size takes about a millisecond.
const pieceElems = 4096

// piecewise is a Collection whose rewrite can be written a piece at a time.
// A position is only meaningful while the value is unchanged, which a
// snapshot guarantees: a change to a value it is dumping first makes it dump
// the rest (Snapshot.save).
type piecewise interface {
	// rewriteLen is how many elements the rewrite visits.
	rewriteLen() int
	// appendRewritePiece appends the rewrite of about max elements from
	// position pos (0 to start), and returns the next position and whether
	// the value is done. Commands never straddle two pieces.
	appendRewritePiece(buf []byte, key string, pos, max int) ([]byte, int, bool)
}

// partial is a big value being dumped piece by piece.
type partial struct {
	db, pos  int
	key      string
	v        piecewise
	expireAt int64
	// live: v is the dataset's own value (not a before-image), so a change
	// to it must first dump the rest.
	live bool
}

// appendValue appends key's rewrite, or for a big value its first piece,
// leaving the rest to sn.part.
func (sn *Snapshot) appendValue(buf []byte, db int, key string, v any, expireAt int64, live bool) []byte {
	if p, ok := v.(piecewise); ok && p.rewriteLen() > pieceElems {
		sn.part = &partial{db: db, key: key, v: p, expireAt: expireAt, live: live}
		return sn.continuePart(buf, pieceElems)
	}
	return sn.appendRewrite(buf, key, v, expireAt)
}

// continuePart appends the next piece of up to max elements of sn.part.
func (sn *Snapshot) continuePart(buf []byte, max int) []byte {
	p := sn.part
	var done bool
	buf, p.pos, done = p.v.appendRewritePiece(buf, p.key, p.pos, max)
	if done {
		buf = appendExpireAt(buf, p.key, p.expireAt)
		sn.part = nil
	}
	return buf
}

// pieceEnd is the end of a piece of at most max elements from pos out of n.
func pieceEnd(pos, max, n int) int {
	if max >= n-pos {
		return n
	}
	return pos + max
}

func (z *ZSet) rewriteLen() int { return z.Len() }

func (z *ZSet) appendRewritePiece(buf []byte, key string, pos, max int) ([]byte, int, bool) {
	end := pieceEnd(pos, max, z.Len())
	return z.appendRewriteRange(buf, key, pos, end), end, end == z.Len()
}

func (l *List) rewriteLen() int { return l.n }

func (l *List) appendRewritePiece(buf []byte, key string, pos, max int) ([]byte, int, bool) {
	end := pieceEnd(pos, max, l.n)
	return l.appendRewriteRange(buf, key, pos, end), end, end == l.n
}

func (h *Hash) rewriteLen() int { return h.Len() }

func (h *Hash) appendRewritePiece(buf []byte, key string, pos, max int) ([]byte, int, bool) {
	t := h.table()
	if t == nil {
		return h.AppendRewrite(buf, key), 0, true
	}
	end := pieceEnd(pos, max, len(t.ents))
	return appendHSets(buf, key, t.ents[pos:end]), end, end == len(t.ents)
}

func (s *Set) rewriteLen() int { return s.Len() }

// appendRewritePiece walks the hashtable encoding a bucket at a time, so its
// position is a bucket index.
func (s *Set) appendRewritePiece(buf []byte, key string, pos, max int) ([]byte, int, bool) {
	if s.enc != encHashtable {
		return s.AppendRewrite(buf, key), 0, true
	}
	args := make([]string, 0, 2+rewriteBatch)
	args = append(args, "SADD", key)
	n := 0
	b := s.ht.b
	for ; pos < len(b) && n < max; pos++ {
		for _, e := range b[pos] {
			buf, args = emitFull(buf, append(args, e.s), 2+rewriteBatch)
		}
		n += len(b[pos])
	}
	return emitRest(buf, args), pos, pos == len(b)
}
