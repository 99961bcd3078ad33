package commands

import "math"

// Geohashing exactly as Redis does it (geohash.c, geohash_helper.c): a
// point is a 52-bit interleaved hash of 26 bits of longitude and 26 of
// latitude (latitude limited to the Web Mercator range), stored as a sorted
// set score. Every floating-point step below follows Redis' C code operation
// by operation, with explicit float64 conversions so that no multiply-add is
// fused, because scores, decoded coordinates and which members a search
// visits must come out bit for bit the same as Redis'.

const (
	geoStepMax   = 26 // 26*2 = 52 bits
	geoLatMin    = -85.05112878
	geoLatMax    = 85.05112878
	geoLongMin   = -180.0
	geoLongMax   = 180.0
	earthRadiusM = 6372797.560856
	mercatorMax  = 20037726.37
)

// geoDR is C's M_PI / 180.0: the double pi divided in double arithmetic, which
// can differ in the last bit from the exact constant Go would fold.
var geoDR = func() float64 { pi := math.Pi; return pi / 180.0 }()

func degRad(ang float64) float64 { return float64(ang * geoDR) }
func radDeg(ang float64) float64 { return ang / geoDR }

type geoRange struct{ min, max float64 }

type geoHashBits struct {
	bits uint64
	step uint8
}

func (h geoHashBits) isZero() bool { return h.bits == 0 && h.step == 0 }

type geoArea struct {
	hash           geoHashBits
	longitude, lat geoRange
}

var (
	geoLongRange = geoRange{geoLongMin, geoLongMax}
	geoLatRange  = geoRange{geoLatMin, geoLatMax}
)

func interleave64(xlo, ylo uint32) uint64 {
	B := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF}
	S := [...]uint{1, 2, 4, 8, 16}
	x, y := uint64(xlo), uint64(ylo)
	for i := 4; i >= 0; i-- {
		x = (x | x<<S[i]) & B[i]
		y = (y | y<<S[i]) & B[i]
	}
	return x | y<<1
}

func deinterleave64(interleaved uint64) uint64 {
	B := [...]uint64{0x5555555555555555, 0x3333333333333333, 0x0F0F0F0F0F0F0F0F, 0x00FF00FF00FF00FF, 0x0000FFFF0000FFFF, 0x00000000FFFFFFFF}
	S := [...]uint{0, 1, 2, 4, 8, 16}
	x, y := interleaved, interleaved>>1
	for i := 0; i < 6; i++ {
		x = (x | x>>S[i]) & B[i]
		y = (y | y>>S[i]) & B[i]
	}
	return x | y<<32
}

// geohashEncode is Redis' geohashEncode; ok is false outside the ranges.
func geohashEncode(longR, latR geoRange, longitude, latitude float64, step uint8) (geoHashBits, bool) {
	if step > 32 || step == 0 || latR.max-latR.min == 0 || longR.max-longR.min == 0 {
		return geoHashBits{}, false
	}
	if longitude > geoLongMax || longitude < geoLongMin || latitude > geoLatMax || latitude < geoLatMin {
		return geoHashBits{}, false
	}
	h := geoHashBits{step: step}
	if latitude < latR.min || latitude > latR.max || longitude < longR.min || longitude > longR.max {
		return h, false
	}
	latOff := (latitude - latR.min) / (latR.max - latR.min)
	longOff := (longitude - longR.min) / (longR.max - longR.min)
	scale := float64(uint64(1) << step)
	latOff = float64(latOff * scale)
	longOff = float64(longOff * scale)
	h.bits = interleave64(uint32(latOff), uint32(longOff))
	return h, true
}

func geohashDecode(longR, latR geoRange, h geoHashBits) (geoArea, bool) {
	if h.isZero() || latR.max-latR.min == 0 || longR.max-longR.min == 0 {
		return geoArea{}, false
	}
	a := geoArea{hash: h}
	sep := deinterleave64(h.bits)
	latScale := latR.max - latR.min
	longScale := longR.max - longR.min
	// uint32 like C's, so ilato+1 wraps as it does there (for scores no
	// GEOADD made).
	ilato := uint32(sep)
	ilono := uint32(sep >> 32)
	div := float64(uint64(1) << h.step)
	a.lat.min = latR.min + float64((float64(ilato)*1.0/div)*latScale)
	a.lat.max = latR.min + float64((float64(ilato+1)*1.0/div)*latScale)
	a.longitude.min = longR.min + float64((float64(ilono)*1.0/div)*longScale)
	a.longitude.max = longR.min + float64((float64(ilono+1)*1.0/div)*longScale)
	return a, true
}

// decodeAreaToLongLat is the centre of the area, clamped to the valid ranges.
func decodeAreaToLongLat(a geoArea) (lon, lat float64) {
	lon = (a.longitude.min + a.longitude.max) / 2
	lon = min(max(lon, geoLongMin), geoLongMax)
	lat = (a.lat.min + a.lat.max) / 2
	lat = min(max(lat, geoLatMin), geoLatMax)
	return lon, lat
}

// cDoubleToUint64 converts like x86-64 code compiled from C's
// (uint64_t)double does, including for values no uint64 holds (a sorted set
// may hold any score, and GEOPOS decodes whatever is there).
func cDoubleToUint64(f float64) uint64 {
	const two63 = 9223372036854775808.0
	cvt := func(f float64) int64 {
		if f != f || f >= two63 || f < -two63 {
			return math.MinInt64
		}
		return int64(f)
	}
	if f < two63 {
		return uint64(cvt(f))
	}
	return uint64(cvt(f-two63)) ^ (1 << 63)
}

// decodeGeoScore is Redis' decodeGeohash: a score back to a position.
func decodeGeoScore(score float64) (lon, lat float64, ok bool) {
	a, ok := geohashDecode(geoLongRange, geoLatRange, geoHashBits{bits: cDoubleToUint64(score), step: geoStepMax})
	if !ok {
		return 0, 0, false
	}
	lon, lat = decodeAreaToLongLat(a)
	return lon, lat, true
}

// geoScore is the sorted set score GEOADD stores for a valid position.
func geoScore(lon, lat float64) uint64 {
	h, _ := geohashEncode(geoLongRange, geoLatRange, lon, lat, geoStepMax)
	return geoAlign52(h)
}

func geoAlign52(h geoHashBits) uint64 { return h.bits << (52 - uint(h.step)*2) }

// geohashString is GEOHASH's 11-character standard geohash of a score.
func geohashString(score float64) (string, bool) {
	lon, lat, ok := decodeGeoScore(score)
	if !ok {
		return "", false
	}
	h, _ := geohashEncode(geoRange{-180, 180}, geoRange{-90, 90}, lon, lat, 26)
	const alphabet = "0123456789bcdefghjkmnpqrstuvwxyz"
	var buf [11]byte
	for i := 0; i < 11; i++ {
		idx := 0
		if i < 10 { // 52 bits make ten characters; Redis pads the 11th with '0'
			idx = int(h.bits>>(52-(uint(i)+1)*5)) & 0x1f
		}
		buf[i] = alphabet[idx]
	}
	return string(buf[:]), true
}

func geohashMoveX(h *geoHashBits, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0x5555555555555555) >> (64 - uint(h.step)*2)
	if d > 0 {
		x = x + (zz + 1)
	} else {
		x = x | zz
		x = x - (zz + 1)
	}
	x &= uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.step)*2)
	h.bits = x | y
}

func geohashMoveY(h *geoHashBits, d int) {
	if d == 0 {
		return
	}
	x := h.bits & 0xaaaaaaaaaaaaaaaa
	y := h.bits & 0x5555555555555555
	zz := uint64(0xaaaaaaaaaaaaaaaa) >> (64 - uint(h.step)*2)
	if d > 0 {
		y = y + (zz + 1)
	} else {
		y = y | zz
		y = y - (zz + 1)
	}
	y &= uint64(0x5555555555555555) >> (64 - uint(h.step)*2)
	h.bits = x | y
}

type geoNeighbors struct {
	north, east, west, south, northEast, southEast, northWest, southWest geoHashBits
}

func geohashNeighbors(h geoHashBits) geoNeighbors {
	move := func(dx, dy int) geoHashBits {
		n := h
		geohashMoveX(&n, dx)
		geohashMoveY(&n, dy)
		return n
	}
	return geoNeighbors{
		east: move(1, 0), west: move(-1, 0), south: move(0, -1), north: move(0, 1),
		northWest: move(-1, 1), northEast: move(1, 1), southEast: move(1, -1), southWest: move(-1, -1),
	}
}

// geoShape is a search area: a circle (radius) or a box (width, height),
// in the unit whose size in meters is conversion.
type geoShape struct {
	box           bool
	lon, lat      float64
	conversion    float64
	radius        float64
	width, height float64
	bounds        [4]float64 // min lon, min lat, max lon, max lat
}

func geoEstimateSteps(rangeMeters, lat float64) uint8 {
	if rangeMeters == 0 {
		return 26
	}
	step := 1
	for rangeMeters < mercatorMax {
		rangeMeters *= 2
		step++
	}
	step -= 2
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint8(min(max(step, 1), 26))
}

func (s *geoShape) boundingBox() {
	var height, width float64
	if s.box {
		height = float64(s.conversion * (s.height / 2))
		width = float64(s.conversion * (s.width / 2))
	} else {
		height = float64(s.conversion * s.radius)
		width = height
	}
	latDelta := radDeg(height / earthRadiusM)
	longDeltaTop := radDeg(width / earthRadiusM / geoCos(degRad(s.lat+latDelta)))
	longDeltaBottom := radDeg(width / earthRadiusM / geoCos(degRad(s.lat-latDelta)))
	if s.lat < 0 {
		s.bounds[0] = s.lon - longDeltaBottom
		s.bounds[2] = s.lon + longDeltaBottom
	} else {
		s.bounds[0] = s.lon - longDeltaTop
		s.bounds[2] = s.lon + longDeltaTop
	}
	s.bounds[1] = s.lat - latDelta
	s.bounds[3] = s.lat + latDelta
}

// geoAreas is geohashCalculateAreasByShapeWGS84: the centre box and its eight
// neighbours (some zeroed when useless) that cover the shape.
func (s *geoShape) areas() [9]geoHashBits {
	s.boundingBox()
	minLon, minLat, maxLon, maxLat := s.bounds[0], s.bounds[1], s.bounds[2], s.bounds[3]
	var radiusMeters float64
	if s.box {
		radiusMeters = math.Sqrt(float64((s.width/2)*(s.width/2)) + float64((s.height/2)*(s.height/2)))
	} else {
		radiusMeters = s.radius
	}
	radiusMeters = float64(radiusMeters * s.conversion)
	steps := geoEstimateSteps(radiusMeters, s.lat)
	hash, _ := geohashEncode(geoLongRange, geoLatRange, s.lon, s.lat, steps)
	nb := geohashNeighbors(hash)
	area, _ := geohashDecode(geoLongRange, geoLatRange, hash)

	decrease := false
	north, _ := geohashDecode(geoLongRange, geoLatRange, nb.north)
	south, _ := geohashDecode(geoLongRange, geoLatRange, nb.south)
	east, _ := geohashDecode(geoLongRange, geoLatRange, nb.east)
	west, _ := geohashDecode(geoLongRange, geoLatRange, nb.west)
	if north.lat.max < maxLat || south.lat.min > minLat || east.longitude.max < maxLon || west.longitude.min > minLon {
		decrease = true
	}
	if steps > 1 && decrease {
		steps--
		hash, _ = geohashEncode(geoLongRange, geoLatRange, s.lon, s.lat, steps)
		nb = geohashNeighbors(hash)
		area, _ = geohashDecode(geoLongRange, geoLatRange, hash)
	}
	if steps >= 2 {
		if area.lat.min < minLat {
			nb.south, nb.southWest, nb.southEast = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.lat.max > maxLat {
			nb.north, nb.northEast, nb.northWest = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.longitude.min < minLon {
			nb.west, nb.southWest, nb.northWest = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
		if area.longitude.max > maxLon {
			nb.east, nb.southEast, nb.northEast = geoHashBits{}, geoHashBits{}, geoHashBits{}
		}
	}
	return [9]geoHashBits{hash, nb.north, nb.south, nb.east, nb.west, nb.northEast, nb.northWest, nb.southEast, nb.southWest}
}

func geoLatDistance(lat1d, lat2d float64) float64 {
	return float64(earthRadiusM * math.Abs(degRad(lat2d)-degRad(lat1d)))
}

// geoDistance is Redis' haversine distance in meters.
func geoDistance(lon1d, lat1d, lon2d, lat2d float64) float64 {
	lon1r := degRad(lon1d)
	lon2r := degRad(lon2d)
	v := geoSin((lon2r - lon1r) / 2)
	if v == 0.0 {
		return geoLatDistance(lat1d, lat2d)
	}
	lat1r := degRad(lat1d)
	lat2r := degRad(lat2d)
	u := geoSin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(float64(geoCos(lat1r)*geoCos(lat2r))*v)*v)
	return float64(2.0*earthRadiusM) * geoAsin(math.Sqrt(a))
}

// within reports whether the point is inside the shape, and its distance
// from the centre in meters.
func (s *geoShape) within(lon, lat float64) (float64, bool) {
	if !s.box {
		d := geoDistance(s.lon, s.lat, lon, lat)
		return d, d <= float64(s.radius*s.conversion)
	}
	widthM, heightM := float64(s.width*s.conversion), float64(s.height*s.conversion)
	if geoLatDistance(lat, s.lat) > heightM/2 {
		return 0, false
	}
	if geoDistance(lon, lat, s.lon, lat) > widthM/2 {
		return 0, false
	}
	return geoDistance(s.lon, s.lat, lon, lat), true
}
