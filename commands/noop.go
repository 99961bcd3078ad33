package commands

// The no-op checks (Command.Noop) of write commands. Each one mirrors its
// handler: it reports true, with the handler's reply written, only where
// the handler would change nothing, so Redis would not propagate the
// command; anything else, errors included, is left to the write path.

// setbitNoop: the bit already has the value, inside the string. A value
// still in its plain representation is left to the write path, which
// unshares it (OBJECT ENCODING turns "raw", as in Redis).
func setbitNoop(c *Ctx) bool {
	off, ok := parseBitOffset(c.Args[2], false, 0)
	if !ok {
		return false
	}
	on, ok := ParseInt(c.Args[3])
	if !ok || on&^1 != 0 {
		return false
	}
	v, found, _ := c.Probe(c.Args[1])
	m, isMut := v.(*mutString)
	if !found || !isMut || off>>3 >= uint64(len(m.b)) {
		return false
	}
	if int64(m.b[off>>3]>>(7-off&7)&1) != on {
		return false
	}
	c.R.Int(on)
	return true
}

// pfaddNoop: no element raises a register (PFADD key alone on an existing
// HLL included).
func pfaddNoop(c *Ctx) bool {
	v, found, _ := c.Probe(c.Args[1])
	m, isMut := v.(*mutString)
	if !found || !isMut || !isHLL(m.view()) {
		return false
	}
	for _, ele := range c.Args[2:] {
		if change, ok := hllWouldChange(m.b, ele); change || !ok {
			return false
		}
	}
	c.R.Int(0)
	return true
}

// saddNoop: every member is in the set already, and the set keeps its
// encoding (SADD of many members converts a small set up front).
func saddNoop(c *Ctx) bool {
	v, found, _ := c.Probe(c.Args[1])
	s, isSet := v.(*Set)
	if !found || !isSet || s.wouldConvert(len(c.Args)-2) {
		return false
	}
	for _, m := range c.Args[2:] {
		if !setHas(s, m) {
			return false
		}
	}
	c.R.Int(0)
	return true
}

// zaddNoop: no member would be added or get another score. INCR always
// takes the write path.
func zaddNoop(c *Ctx) bool {
	args := c.Args
	o, idx, msg := parseZadd(args, false)
	if msg != "" || o.incr {
		return false
	}
	for j := idx; j < len(args); j += 2 {
		if _, ok := ParseFloat(args[j]); !ok {
			return false
		}
	}
	return zaddUnchanged(c, o, args[idx:], 2, func(j int) float64 {
		f, _ := ParseFloat(args[idx+2*j])
		return f
	})
}

// geoaddNoop is zaddNoop of the positions' scores.
func geoaddNoop(c *Ctx) bool {
	args := c.Args
	nx, xx, _, idx, ok := parseGeoadd(args)
	if !ok {
		return false
	}
	for j := idx; j < len(args); j += 3 {
		if _, _, ok := parseLongLat(args[j:]); !ok {
			return false
		}
	}
	return zaddUnchanged(c, zaddOpts{nx: nx, xx: xx}, args[idx:], 3, func(j int) float64 {
		lon, lat, _ := parseLongLat(args[idx+3*j:])
		return float64(geoScore(lon, lat))
	})
}

// zaddUnchanged is zaddApply's decision for valid arguments: the member of
// element j is elems[stride*j+stride-1], its score score(j). Each element
// is judged against the set as it is: when none changes it, applying them
// in turn changes nothing either.
func zaddUnchanged(c *Ctx, o zaddOpts, elems [][]byte, stride int, score func(j int) float64) bool {
	v, found, expired := c.Probe(c.Args[1])
	if expired || !found && !o.xx {
		return false
	}
	if found {
		z, isZ := v.(*ZSet)
		if !isZ {
			return false
		}
		for j := 0; j < len(elems)/stride; j++ {
			cur, exists := z.ScoreBytes(elems[stride*j+stride-1])
			if !exists {
				if o.xx {
					continue
				}
				return false
			}
			if s := score(j); !(o.nx || o.lt && s >= cur || o.gt && s <= cur || s == cur) {
				return false
			}
		}
	}
	c.R.Int(0)
	return true
}

// setNoop: SET NX of a live key, SET XX of a missing one, without GET
// (whose read of the old value is left to the write path).
func setNoop(c *Ctx) bool {
	flags, expire, ok := setOptions(c.Args, 3, true)
	if !ok || flags&setGet != 0 || flags&(setNX|setXX) == 0 {
		return false
	}
	if expire != nil {
		if _, bad := setExpireAt(expire, flags, c.Now); bad != 0 {
			return false
		}
	}
	if !setAborts(c, flags) {
		return false
	}
	c.R.Null()
	return true
}

func setnxNoop(c *Ctx) bool {
	if !setAborts(c, setNX) {
		return false
	}
	c.R.Int(0)
	return true
}

// setAborts reports whether NX or XX in flags stops the set.
func setAborts(c *Ctx, flags int) bool {
	_, found, expired := c.Probe(c.Args[1])
	return !expired && (flags&setNX != 0 && found || flags&setXX != 0 && !found)
}

// hsetnxNoop: the field is there already.
func hsetnxNoop(c *Ctx) bool {
	v, found, _ := c.Probe(c.Args[1])
	h, isHash := v.(*Hash)
	if !found || !isHash || !h.Exists(c.Args[2]) {
		return false
	}
	c.R.Int(0)
	return true
}

// removeNoop is the check of SREM, HDEL and ZREM: the key is missing, or
// none of the members is there.
func removeNoop[T any](has func(v T, m []byte) bool) func(c *Ctx) bool {
	return func(c *Ctx) bool {
		v, found, expired := c.Probe(c.Args[1])
		if expired {
			return false
		}
		if found {
			coll, ok := v.(T)
			if !ok {
				return false
			}
			for _, m := range c.Args[2:] {
				if has(coll, m) {
					return false
				}
			}
		}
		c.R.Int(0)
		return true
	}
}

var (
	sremNoop = removeNoop(func(s *Set, m []byte) bool { return setHas(s, m) })
	hdelNoop = removeNoop(func(h *Hash, f []byte) bool { return h.Exists(f) })
	zremNoop = removeNoop(func(z *ZSet, m []byte) bool { _, ok := z.ScoreBytes(m); return ok })
)

// delNoop (DEL, UNLINK): no key is there, expired ones included (deleting
// those is propagated).
func delNoop(c *Ctx) bool {
	for _, key := range c.Args[1:] {
		if _, found, expired := c.Probe(key); found || expired {
			return false
		}
	}
	c.R.Int(0)
	return true
}

// pushxNoop (LPUSHX, RPUSHX): the key is missing.
func pushxNoop(c *Ctx) bool {
	if _, found, expired := c.Probe(c.Args[1]); found || expired {
		return false
	}
	c.R.Int(0)
	return true
}

// persistNoop: the key is missing or has no TTL.
func persistNoop(c *Ctx) bool {
	_, found, expired := c.Probe(c.Args[1])
	if expired {
		return false
	}
	if found {
		if _, has := c.TTL(c.Args[1]); has {
			return false
		}
	}
	c.R.Int(0)
	return true
}

// expireNoop (EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT): the key is missing, or
// NX, XX or GT refuses by whether it has a TTL, whatever the time. A
// comparison of times is left to the write path.
func expireNoop(c *Ctx) bool {
	flags, msg := expireFlags(c.Args[3:])
	if msg != "" {
		return false
	}
	// The time must be one the write path accepts: its value only
	// matters once the key has a TTL to compare it with.
	basetime, unitMs := int64(0), int64(1)
	switch {
	case EqualFold(c.Args[0], "expire"):
		basetime, unitMs = c.Now, 1000
	case EqualFold(c.Args[0], "pexpire"):
		basetime = c.Now
	case EqualFold(c.Args[0], "expireat"):
		unitMs = 1000
	}
	if _, bad := expireWhen(c.Args[2], basetime, unitMs); bad != 0 {
		return false
	}
	_, found, expired := c.Probe(c.Args[1])
	if expired {
		return false
	}
	if found {
		_, has := c.TTL(c.Args[1])
		if !(flags&expireNX != 0 && has || flags&expireXX != 0 && !has || flags&expireGT != 0 && !has) {
			return false
		}
	}
	c.R.Int(0)
	return true
}
