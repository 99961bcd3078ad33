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
