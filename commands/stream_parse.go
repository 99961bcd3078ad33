package commands

import (
	"math"
	"strconv"
)

// Error texts of the stream commands, exactly as Redis 7.0 words them.
const (
	errStreamID        = "ERR Invalid stream ID specified as stream command argument"
	errXAddSmaller     = "ERR The ID specified in XADD is equal or smaller than the target stream top item"
	errXAddZero        = "ERR The ID specified in XADD must be greater than 0-0"
	errXAddExhausted   = "ERR The stream has exhausted the last possible ID, unable to add more items"
	errTrimBoth        = "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
	errLimitNoStrategy = "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
	errLimitNoApprox   = "ERR syntax error, LIMIT cannot be used without the special ~ option"
	errXTrimNoStrategy = "ERR syntax error, XTRIM must be called with a trimming strategy"
	errNoGroupPrefix   = "NOGROUP No such key '"
)

// parseStreamID is Redis' streamGenericParseIDOrReply: "-" and "+" (unless
// strict), "<ms>" (seq = missingSeq) and "<ms>-<seq>"; with allowSeqStar,
// "<ms>-*" gives seqGiven false. Numbers follow string2ull: strict base 10
// first, then strtoull's leniency (leading blanks and a sign).
func parseStreamID(b []byte, missingSeq uint64, strict, allowSeqStar bool) (id StreamID, seqGiven, ok bool) {
	s := cString(b)
	if len(b) > 127 {
		return id, false, false
	}
	if strict && (s == "-" || s == "+") {
		return id, false, false
	}
	switch s {
	case "-":
		return StreamID{}, true, true
	case "+":
		return maxStreamID, true, true
	}
	msPart, seqPart, hasDash := s, "", false
	for i := 0; i < len(s); i++ {
		if s[i] == '-' {
			msPart, seqPart, hasDash = s[:i], s[i+1:], true
			break
		}
	}
	ms, ok := string2ull(msPart)
	if !ok {
		return id, false, false
	}
	seq := missingSeq
	seqGiven = true
	if hasDash {
		if allowSeqStar && seqPart == "*" {
			seq, seqGiven = 0, false
		} else if seq, ok = string2ull(seqPart); !ok {
			return id, false, false
		}
	}
	return StreamID{ms, seq}, seqGiven, true
}

// string2ull is Redis' string2ull: string2ll, refusing negatives, else
// strtoull on the whole string.
func string2ull(s string) (uint64, bool) {
	if n, ok := parseIntString(s); ok {
		if n < 0 {
			return 0, false
		}
		return uint64(n), true
	}
	i := 0
	for i < len(s) && isSpaceC(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if i == len(s) {
		return 0, false
	}
	var n uint64
	for ; i < len(s); i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		if n > (math.MaxUint64-uint64(d))/10 {
			return 0, false
		}
		n = n*10 + uint64(d)
	}
	if neg {
		n = -n
	}
	return n, true
}

// strictID parses an id argument that may not be "-" or "+", replying the
// error when it is invalid.
func strictID(c *Ctx, b []byte, missingSeq uint64) (StreamID, bool) {
	id, _, ok := parseStreamID(b, missingSeq, true, false)
	if !ok {
		c.Err(errStreamID)
	}
	return id, ok
}

// parseLongLong is getLongLongFromObjectOrReply with the default message.
func parseLongLong(c *Ctx, b []byte) (int64, bool) {
	n, ok := ParseInt(b)
	if !ok {
		c.Err(ErrNotInt)
	}
	return n, ok
}

// xTrimArgs is Redis' streamAddTrimArgs.
type xTrimArgs struct {
	noMkStream  bool
	maxlen      int64 // -1 unless MAXLEN
	minid       StreamID
	strategy    int // 0 none, 1 maxlen, 2 minid
	approx      bool
	limit       int64
	idGiven     bool
	seqGiven    bool
	id          StreamID
	idIndex     int // XADD: the id argument
	strategyArg int
}

const (
	trimNone = iota
	trimMaxlen
	trimMinid
)

// parseAddTrim is Redis' streamParseAddOrTrimArgsOrReply; it returns the
// index of XADD's id argument (or len(args) for XTRIM).
// lim gives the LIMIT of a `~` trim that has none.
func parseAddTrim(c *Ctx, xadd bool, lim StreamNodeLimits) (a xTrimArgs, ok bool) {
	args := c.Args
	a.maxlen = -1
	limitGiven := false
	i := 2
	for ; i < len(args); i++ {
		more := len(args) - 1 - i
		opt := args[i]
		switch {
		case xadd && string(opt) == "*":
			a.idIndex = i
			goto done
		case EqualFold(opt, "maxlen") && more > 0, EqualFold(opt, "minid") && more > 0:
			if a.strategy != trimNone {
				c.Err(errTrimBoth)
				return a, false
			}
			isMax := EqualFold(opt, "maxlen")
			a.approx = false
			if next := args[i+1]; more >= 2 && string(next) == "~" {
				a.approx = true
				i++
			} else if more >= 2 && string(next) == "=" {
				i++
			}
			if isMax {
				n, ok := parseLongLong(c, args[i+1])
				if !ok {
					return a, false
				}
				if n < 0 {
					c.Err("ERR The MAXLEN argument must be >= 0.")
					return a, false
				}
				a.maxlen, a.strategy = n, trimMaxlen
			} else {
				id, ok := strictID(c, args[i+1], 0)
				if !ok {
					return a, false
				}
				a.minid, a.strategy = id, trimMinid
			}
			i++
			a.strategyArg = i
		case EqualFold(opt, "limit") && more > 0:
			n, ok := parseLongLong(c, args[i+1])
			if !ok {
				return a, false
			}
			if n < 0 {
				c.Err("ERR The LIMIT argument must be >= 0.")
				return a, false
			}
			a.limit, limitGiven = n, true
			i++
		case xadd && EqualFold(opt, "nomkstream"):
			a.noMkStream = true
		case xadd:
			id, seqGiven, ok := parseStreamID(opt, 0, true, true)
			if !ok {
				c.Err(errStreamID)
				return a, false
			}
			a.id, a.seqGiven, a.idGiven, a.idIndex = id, seqGiven, true, i
			goto done
		default:
			c.SyntaxErr()
			return a, false
		}
	}
	a.idIndex = i
done:
	if a.limit != 0 && a.strategy == trimNone {
		c.Err(errLimitNoStrategy)
		return a, false
	}
	if !xadd && a.strategy == trimNone {
		c.Err(errXTrimNoStrategy)
		return a, false
	}
	if limitGiven {
		if !a.approx {
			c.Err(errLimitNoApprox)
			return a, false
		}
	} else if a.approx {
		a.limit = lim.trimLimit()
	}
	return a, true
}

// trimWith applies parsed trimming arguments.
func (s *Stream) trimWith(a *xTrimArgs) int64 {
	if a.strategy == trimMaxlen {
		return s.trim(a.maxlen, StreamID{}, a.approx, a.limit)
	}
	return s.trim(-1, a.minid, a.approx, a.limit)
}

// trimPropagation is the exact form of an approximate trim, as Redis
// rewrites it: "=" and the resulting length or first id.
func (s *Stream) trimPropagation(a *xTrimArgs) []string {
	if a.strategy == trimMaxlen {
		if a.approx {
			return []string{"MAXLEN", "=", strconv.FormatInt(s.length, 10)}
		}
		return []string{"MAXLEN", "=", strconv.FormatInt(a.maxlen, 10)}
	}
	if a.approx {
		return []string{"MINID", "=", s.firstID.String()}
	}
	return []string{"MINID", "=", a.minid.String()}
}

// parseMsTimeout is getTimeoutFromObjectOrReply in milliseconds (XREAD BLOCK).
func parseMsTimeout(b []byte) (int64, string) {
	n, ok := ParseInt(b)
	if !ok {
		return 0, "ERR timeout is not an integer or out of range"
	}
	if n < 0 {
		return 0, "ERR timeout is negative"
	}
	if n > maxBlockMs {
		return 0, ""
	}
	return n, ""
}
