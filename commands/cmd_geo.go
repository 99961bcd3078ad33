package commands

import (
	"math"
	"slices"
	"sort"
	"strconv"
)

// GEO commands keep points in a sorted set whose scores are 52-bit geohashes
// (geohash.go), as Redis does, so GEO keys are ordinary sorted sets to every
// other command, to snapshots and to the AOF.

func init() {
	const g = "geo"
	register(
		&Command{Name: "geoadd", Keys: "RW update index=1", Complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.", Arity: -5, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "3.2.0",
			Summary: "Adds one or more members to a geospatial index. The key is created if it doesn't exist.",
			Args:    "key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]", Handler: geoaddCommand, Noop: geoaddNoop},
		&Command{Name: "geodist", Keys: "RO access index=1", Complexity: "O(log(N))", Arity: -4, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "3.2.0",
			Summary: "Returns the distance between two members of a geospatial index.",
			Args:    "key member1 member2 [M | KM | FT | MI]", Handler: geodistCommand},
		&Command{Name: "geohash", Keys: "RO access index=1", Complexity: "O(log(N)) for each member requested, where N is the number of elements in the sorted set.", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "3.2.0",
			Summary: "Returns members from a geospatial index as geohash strings.",
			Args:    "key [member [member ...]]", Handler: geohashCommand},
		&Command{Name: "geopos", Keys: "RO access index=1", Complexity: "O(N) where N is the number of members requested.", Arity: -2, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "3.2.0",
			Summary: "Returns the longitude and latitude of members from a geospatial index.",
			Args:    "key [member [member ...]]", Handler: geoposCommand},
		&Command{Name: "georadius", Keys: "RO access index=1; OW update keyword=STORE,6; OW update keyword=STOREDIST,6", Complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", Arity: -6, Flags: Write | DenyOOM | MovableKeys, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "3.2.0",
			Summary: "Queries a geospatial index for members within a distance from a coordinate, optionally stores the result.",
			Args:    "key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]",
			Handler: func(c *Ctx) { geoSearchGeneric(c, 1, geoFromCoords) }},
		&Command{Name: "georadius_ro", Keys: "RO access index=1", Complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", Arity: -6, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "3.2.10",
			Summary: "Returns members from a geospatial index that are within a distance from a coordinate.",
			Args:    "key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]",
			Handler: func(c *Ctx) { geoSearchGeneric(c, 1, geoFromCoords|geoNoStore) }},
		&Command{Name: "georadiusbymember", Keys: "RO access index=1; OW update keyword=STORE,5; OW update keyword=STOREDIST,5", Complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", Arity: -5, Flags: Write | DenyOOM | MovableKeys, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "3.2.0",
			Summary: "Queries a geospatial index for members within a distance from a member, optionally stores the result.",
			Args:    "key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key | STOREDIST key]",
			Handler: func(c *Ctx) { geoSearchGeneric(c, 1, geoFromMember) }},
		&Command{Name: "georadiusbymember_ro", Keys: "RO access index=1", Complexity: "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.", Arity: -5, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "3.2.10",
			Summary: "Returns members from a geospatial index that are within a distance from a member.",
			Args:    "key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]",
			Handler: func(c *Ctx) { geoSearchGeneric(c, 1, geoFromMember|geoNoStore) }},
		&Command{Name: "geosearch", Keys: "RO access index=1", Complexity: "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape", Arity: -7, Flags: ReadOnly, FirstKey: 1, LastKey: 1, Step: 1, Group: g, Since: "6.2.0",
			Summary: "Queries a geospatial index for members inside an area of a box or a circle.",
			Args:    "key <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]",
			Handler: func(c *Ctx) { geoSearchGeneric(c, 1, geoSearch) }},
		&Command{Name: "geosearchstore", Keys: "OW update index=1; RO access index=2", Complexity: "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape", Arity: -8, Flags: Write | DenyOOM, FirstKey: 1, LastKey: 2, Step: 1, Group: g, Since: "6.2.0",
			Summary: "Queries a geospatial index for members inside an area of a box or a circle, optionally stores the result.",
			Args:    "destination source <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [STOREDIST]",
			Handler: func(c *Ctx) { geoSearchGeneric(c, 2, geoSearch|geoSearchStore) }},
	)
}

// Variants of geoSearchGeneric, as Redis' georadiusGeneric flags.
const (
	geoFromCoords  = 1 << iota // GEORADIUS: around coordinates
	geoFromMember              // GEORADIUSBYMEMBER: around a member
	geoNoStore                 // the _RO forms: no STORE/STOREDIST
	geoSearch                  // GEOSEARCH syntax
	geoSearchStore             // GEOSEARCHSTORE: STOREDIST is a flag
)

const errGeoMember = "ERR could not decode requested zset member"

// formatCDouble is C's "%f".
func formatCDouble(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// geoLongLat parses a longitude and a latitude (extractLongLatOrReply).
func geoLongLat(c *Ctx, args [][]byte) (lon, lat float64, ok bool) {
	lon, lat, ok = parseLongLat(args)
	if !ok {
		lon1, ok1 := ParseFloat(args[0])
		lat1, ok2 := ParseFloat(args[1])
		if !ok1 || !ok2 {
			c.Err(ErrNotFloat)
		} else {
			c.Err("ERR invalid longitude,latitude pair " + formatCDouble(lon1) + "," + formatCDouble(lat1))
		}
	}
	return lon, lat, ok
}

// parseLongLat is geoLongLat without the error.
func parseLongLat(args [][]byte) (lon, lat float64, ok bool) {
	lon, ok1 := ParseFloat(args[0])
	lat, ok2 := ParseFloat(args[1])
	if !ok1 || !ok2 || lon < geoLongMin || lon > geoLongMax || lat < geoLatMin || lat > geoLatMax {
		return 0, 0, false
	}
	return lon, lat, true
}

// geoUnit returns how many meters one unit is, or writes Redis' error.
func geoUnit(c *Ctx, u []byte) (float64, bool) {
	switch {
	case EqualFold(u, "m"):
		return 1, true
	case EqualFold(u, "km"):
		return 1000, true
	case EqualFold(u, "ft"):
		return 0.3048, true
	case EqualFold(u, "mi"):
		return 1609.34, true
	}
	c.Err("ERR unsupported unit provided. please use M, KM, FT, MI")
	return 0, false
}

// geoDistanceArg parses "radius unit" (extractDistanceOrReply).
func geoDistanceArg(c *Ctx, args [][]byte, s *geoShape) bool {
	d, ok := ParseFloat(args[0])
	if !ok {
		c.Err("ERR need numeric radius")
		return false
	}
	if d < 0 {
		c.Err("ERR radius cannot be negative")
		return false
	}
	s.radius = d
	conv, ok := geoUnit(c, args[1])
	if ok {
		s.conversion = conv
	}
	return ok
}

// geoBoxArg parses "width height unit" (extractBoxOrReply).
func geoBoxArg(c *Ctx, args [][]byte, s *geoShape) bool {
	w, ok := ParseFloat(args[0])
	if !ok {
		c.Err("ERR need numeric width")
		return false
	}
	h, ok := ParseFloat(args[1])
	if !ok {
		c.Err("ERR need numeric height")
		return false
	}
	if h < 0 || w < 0 {
		c.Err("ERR height or width cannot be negative")
		return false
	}
	s.width, s.height = w, h
	conv, ok := geoUnit(c, args[2])
	if ok {
		s.conversion = conv
	}
	return ok
}

// replyGeoCoord is addReplyHumanLongDouble: "%.17Lf" without trailing zeros
// (the double's exact value, so printing it as a double gives the same
// digits); RESP3 sends it as a double.
func replyGeoCoord(r *Reply, f float64) {
	var tmp [64]byte
	b := strconv.AppendFloat(tmp[:0], f, 'f', 17, 64)
	if i := len(b); slices.Contains(b, '.') {
		for i > 0 && b[i-1] == '0' {
			i--
		}
		if b[i-1] == '.' {
			i--
		}
		b = b[:i]
	}
	if string(b) == "-0" {
		b = b[1:]
	}
	r.DoubleText(b)
}

// replyGeoDistance is addReplyDoubleDistance: "%.4f", a bulk string in both
// protocols.
func replyGeoDistance(r *Reply, d float64) {
	var tmp [64]byte
	r.Bulk(strconv.AppendFloat(tmp[:0], d, 'f', 4, 64))
}

// --- GEOADD ---

func geoaddCommand(c *Ctx) {
	args := c.Args
	nx, xx, ch, idx, ok := parseGeoadd(args)
	if !ok {
		c.SyntaxErr()
		return
	}
	// Like Redis, GEOADD is ZADD with the positions turned into scores; that
	// ZADD is also what goes to the AOF.
	n := (len(args) - idx) / 3
	var stack [8]float64
	scores := stack[:0]
	for i := 0; i < n; i++ {
		lon, lat, ok := geoLongLat(c, args[idx+3*i:])
		if !ok {
			return
		}
		scores = append(scores, float64(geoScore(lon, lat)))
	}
	zaddApply(c, args[1], zaddOpts{nx: nx, xx: xx, ch: ch}, scores, args[idx:], 3)
	if c.DirtyCount() == 0 {
		return
	}
	// One buffer holds every score's digits (52-bit integers: at most 16).
	zargs := make([][]byte, 0, idx+2*n)
	zargs = append(zargs, wordZADD)
	zargs = append(zargs, args[1:idx]...)
	digits := make([]byte, 0, 16*n)
	for i, sc := range scores {
		start := len(digits)
		digits = strconv.AppendUint(digits, uint64(sc), 10)
		zargs = append(zargs, digits[start:len(digits):len(digits)], args[idx+3*i+2])
	}
	c.Propagate(zargs...)
}

var wordZADD = []byte("zadd")

// parseGeoadd reads GEOADD's flags and where the positions start; ok is
// false for a syntax error.
func parseGeoadd(args [][]byte) (nx, xx, ch bool, idx int, ok bool) {
	idx = 2
loop:
	for ; idx < len(args); idx++ {
		switch {
		case EqualFold(args[idx], "nx"):
			nx = true
		case EqualFold(args[idx], "xx"):
			xx = true
		case EqualFold(args[idx], "ch"):
			ch = true
		default:
			break loop
		}
	}
	ok = (len(args)-idx)%3 == 0 && idx < len(args) && !(xx && nx)
	return nx, xx, ch, idx, ok
}

// --- GEOPOS, GEOHASH, GEODIST ---

func geoposCommand(c *Ctx) {
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	c.R.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		var lon, lat float64
		found := false
		if z != nil {
			if score, ok := z.ScoreBytes(m); ok {
				lon, lat, found = decodeGeoScore(score)
			}
		}
		if !found {
			c.R.NullArray()
			continue
		}
		c.R.Array(2)
		replyGeoCoord(c.R, lon)
		replyGeoCoord(c.R, lat)
	}
}

func geohashCommand(c *Ctx) {
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	c.R.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		var s string
		found := false
		if z != nil {
			if score, ok := z.ScoreBytes(m); ok {
				s, found = geohashString(score)
			}
		}
		if !found {
			c.R.Null()
			continue
		}
		c.R.BulkString(s)
	}
}

func geodistCommand(c *Ctx) {
	toMeter := 1.0
	if len(c.Args) == 5 {
		u, ok := geoUnit(c, c.Args[4])
		if !ok {
			return
		}
		toMeter = u
	} else if len(c.Args) > 5 {
		c.SyntaxErr()
		return
	}
	z, ok := getZSet(c, c.Args[1], false)
	if !ok {
		return
	}
	if z == nil {
		c.R.Null()
		return
	}
	s1, ok1 := z.ScoreBytes(c.Args[2])
	s2, ok2 := z.ScoreBytes(c.Args[3])
	if !ok1 || !ok2 {
		c.R.Null()
		return
	}
	lon1, lat1, ok1 := decodeGeoScore(s1)
	lon2, lat2, ok2 := decodeGeoScore(s2)
	if !ok1 || !ok2 {
		c.R.Null()
		return
	}
	replyGeoDistance(c.R, geoDistance(lon1, lat1, lon2, lat2)/toMeter)
}

// --- GEORADIUS, GEORADIUSBYMEMBER, GEOSEARCH and their variants ---

type geoPoint struct {
	lon, lat, dist, score float64
	member                string
}

// geoSearchGeneric is Redis' georadiusGeneric, with its order of checks and
// errors.
func geoSearchGeneric(c *Ctx, srcIdx int, flags int) {
	args := c.Args
	var storeKey []byte
	storeDist := false
	z, ok := getZSet(c, args[srcIdx], false)
	if !ok {
		return
	}
	var sh geoShape
	var base int
	switch {
	case flags&geoFromCoords != 0:
		base = 6
		lon, lat, ok := geoLongLat(c, args[2:])
		if !ok {
			return
		}
		sh.lon, sh.lat = lon, lat
		if !geoDistanceArg(c, args[base-2:], &sh) {
			return
		}
	case flags&geoFromMember != 0 && z == nil:
		// Parsing goes on so the reply fits the STORE option.
		base = 5
	case flags&geoFromMember != 0:
		base = 5
		if !geoFromMemberPos(c, z, args[2], &sh) {
			return
		}
		if !geoDistanceArg(c, args[base-2:], &sh) {
			return
		}
	default:
		base = 2
		if flags&geoSearchStore != 0 {
			base = 3
			storeKey = args[1]
		}
	}

	var withDist, withHash, withCoord, fromMember, fromLoc, byRadius, byBox, any bool
	sortDir := 0 // 0 none, 1 asc, 2 desc
	var count int64
	rest := args[base:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		left := len(rest) - i - 1
		search := flags&geoSearch != 0
		switch {
		case EqualFold(a, "withdist"):
			withDist = true
		case EqualFold(a, "withhash"):
			withHash = true
		case EqualFold(a, "withcoord"):
			withCoord = true
		case EqualFold(a, "any"):
			any = true
		case EqualFold(a, "asc"):
			sortDir = 1
		case EqualFold(a, "desc"):
			sortDir = 2
		case EqualFold(a, "count") && left >= 1:
			n, ok := ParseInt(rest[i+1])
			if !ok {
				c.Err(ErrNotInt)
				return
			}
			if n <= 0 {
				c.Err("ERR COUNT must be > 0")
				return
			}
			count = n
			i++
		case (EqualFold(a, "store") || EqualFold(a, "storedist")) && left >= 1 && flags&geoNoStore == 0 && !search:
			storeKey = rest[i+1]
			storeDist = EqualFold(a, "storedist")
			i++
		case EqualFold(a, "storedist") && search && flags&geoSearchStore != 0:
			storeDist = true
		case EqualFold(a, "frommember") && left >= 1 && search && !fromLoc:
			if z != nil && !geoFromMemberPos(c, z, rest[i+1], &sh) {
				return
			}
			fromMember = true
			i++
		case EqualFold(a, "fromlonlat") && left >= 2 && search && !fromMember:
			lon, lat, ok := geoLongLat(c, rest[i+1:])
			if !ok {
				return
			}
			sh.lon, sh.lat = lon, lat
			fromLoc = true
			i += 2
		case EqualFold(a, "byradius") && left >= 2 && search && !byBox:
			if !geoDistanceArg(c, rest[i+1:], &sh) {
				return
			}
			sh.box = false
			byRadius = true
			i += 2
		case EqualFold(a, "bybox") && left >= 3 && search && !byRadius:
			if !geoBoxArg(c, rest[i+1:], &sh) {
				return
			}
			sh.box = true
			byBox = true
			i += 3
		default:
			c.SyntaxErr()
			return
		}
	}
	if storeKey != nil && (withDist || withHash || withCoord) {
		what := "STORE option in GEORADIUS"
		if flags&geoSearchStore != 0 {
			what = "GEOSEARCHSTORE"
		}
		c.Err("ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
		return
	}
	if flags&geoSearch != 0 && !fromMember && !fromLoc {
		c.Err("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + string(args[0]))
		return
	}
	if flags&geoSearch != 0 && !byRadius && !byBox {
		c.Err("ERR exactly one of BYRADIUS and BYBOX can be specified for " + string(args[0]))
		return
	}
	if any && count == 0 {
		c.Err("ERR the ANY argument requires COUNT argument")
		return
	}
	if z == nil {
		if storeKey != nil {
			if c.Delete(storeKey) {
				c.Dirty(1)
				c.Notify(NotifyGeneric, "del", storeKey)
			}
			c.R.Int(0)
		} else {
			c.R.Array(0)
		}
		return
	}
	// COUNT needs the nearest points, so it sorts unless ANY says any will do.
	if count != 0 && sortDir == 0 && !any {
		sortDir = 1
	}
	limit := 0
	if any {
		limit = int(count)
	}
	pts := geoMembersOfAllNeighbors(z, &sh, limit)
	if len(pts) == 0 && storeKey == nil {
		c.R.Array(0)
		return
	}
	returned := len(pts)
	if count != 0 && int64(returned) > count {
		returned = int(count)
	}
	if sortDir != 0 {
		cmp := func(a, b *geoPoint) int {
			r := 0
			if a.dist > b.dist {
				r = 1
			} else if a.dist < b.dist {
				r = -1
			}
			if sortDir == 2 {
				r = -r
			}
			return r
		}
		if returned == len(pts) {
			// glibc's qsort is a merge sort: stable.
			slices.SortStableFunc(pts, func(a, b geoPoint) int { return cmp(&a, &b) })
		} else {
			pqsort(len(pts), func(i, j int) int { return cmp(&pts[i], &pts[j]) },
				func(i, j int) { pts[i], pts[j] = pts[j], pts[i] }, 0, returned-1)
		}
	}
	pts = pts[:returned]
	if storeKey == nil {
		opts := 0
		for _, b := range []bool{withDist, withCoord, withHash} {
			if b {
				opts++
			}
		}
		c.R.Array(returned)
		for i := range pts {
			p := &pts[i]
			if opts > 0 {
				c.R.Array(opts + 1)
			}
			c.R.BulkString(p.member)
			if withDist {
				replyGeoDistance(c.R, p.dist/sh.conversion)
			}
			if withHash {
				c.R.Int(int64(p.score))
			}
			if withCoord {
				c.R.Array(2)
				replyGeoCoord(c.R, p.lon)
				replyGeoCoord(c.R, p.lat)
			}
		}
		return
	}
	if returned == 0 {
		if c.Delete(storeKey) {
			c.Dirty(1)
			c.Notify(NotifyGeneric, "del", storeKey)
		}
		c.R.Int(0)
		return
	}
	ents := make([]zEntry, len(pts))
	for i, p := range pts {
		s := p.score
		if storeDist {
			s = p.dist / sh.conversion
		}
		ents[i] = zEntry{member: p.member, score: s}
	}
	sort.Slice(ents, func(i, j int) bool {
		return zLess(ents[i].score, ents[i].member, ents[j].score, ents[j].member)
	})
	c.Put(storeKey, zsetFromSorted(ents), false)
	c.Signal(string(storeKey))
	c.Dirty(returned)
	c.R.Int(int64(returned))
	if flags&geoSearch != 0 {
		c.Notify(NotifyZset, "geosearchstore", storeKey)
	} else {
		c.Notify(NotifyZset, "georadiusstore", storeKey)
	}
}

func geoFromMemberPos(c *Ctx, z *ZSet, member []byte, sh *geoShape) bool {
	score, ok := z.ScoreBytes(member)
	if ok {
		sh.lon, sh.lat, ok = decodeGeoScore(score)
	}
	if !ok {
		c.Err(errGeoMember)
	}
	return ok
}

// geoMembersOfAllNeighbors collects the members inside the shape from the
// centre box and its neighbours, in Redis' order; limit > 0 stops at that
// many (ANY).
func geoMembersOfAllNeighbors(z *ZSet, sh *geoShape, limit int) []geoPoint {
	boxes := sh.areas()
	var pts []geoPoint
	last := -1
	for i, h := range boxes {
		if h.isZero() {
			continue
		}
		// A huge radius can make neighbours equal: skip repeats.
		if last > 0 && h == boxes[last] {
			continue
		}
		if len(pts) > 0 && limit > 0 && len(pts) >= limit {
			break
		}
		lo := float64(geoAlign52(h))
		h.bits++
		hi := float64(geoAlign52(h))
		from, to := z.ScoreRange(scoreRange{min: lo, max: hi, maxex: true})
		done := false
		z.Range(from, to, false, func(e zEntry) {
			if done {
				return
			}
			if lon, lat, ok := decodeGeoScore(e.score); ok {
				if d, in := sh.within(lon, lat); in {
					pts = append(pts, geoPoint{lon: lon, lat: lat, dist: d, score: e.score, member: e.member})
				}
			}
			if len(pts) > 0 && limit > 0 && len(pts) >= limit {
				done = true
			}
		})
		last = i
	}
	return pts
}
