package test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

const geoScript = `
# GEOADD and its options, errors
GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
GEOADD Sicily 13.361389 38.115556 Palermo
GEOADD Sicily CH 13.361389 38.115557 Palermo 12 37 Trapani
GEOADD Sicily NX 1 1 Palermo 14 37 Agrigento
GEOADD Sicily XX 13.361389 38.115556 Palermo 10 10 Nowhere
GEOADD Sicily XX CH 13.361389 38.115556 Palermo
GEOADD Sicily NX XX 1 1 a
GEOADD Sicily CH NX CH 15.5 38.2 Messina
GEOADD Sicily 1 2
GEOADD Sicily GT 1 2 a
GEOADD Sicily 200 100 a
GEOADD Sicily 13 86 a
GEOADD Sicily -181 0 a
GEOADD Sicily inf 1 a
GEOADD Sicily 1 -inf a
GEOADD Sicily 1 nan a
GEOADD Sicily x 1 a
GEOADD Sicily 1 1 a 200 1 b
EXISTS a
GEOADD edge 180 85.05112878 ne -180 -85.05112878 sw 0 0 zero -0 -0 negzero
ZRANGE edge 0 -1 WITHSCORES
GEOPOS edge ne sw zero negzero
GEOHASH edge ne sw zero negzero
ZRANGE Sicily 0 -1 WITHSCORES
SET str v
GEOADD str 1 1 a
GEOADD
GEOADD Sicily 1 1
# GEOPOS, GEOHASH, GEODIST
GEOPOS Sicily Palermo Catania nosuch
GEOPOS Sicily
GEOPOS nokey a b
GEOPOS str a
GEOHASH Sicily Palermo Catania nosuch
GEOHASH nokey a
GEOHASH Sicily
GEOHASH str a
GEODIST Sicily Palermo Catania
GEODIST Sicily Palermo Catania m
GEODIST Sicily Palermo Catania KM
GEODIST Sicily Palermo Catania ft
GEODIST Sicily Palermo Catania mi
GEODIST Sicily Palermo Catania yards
GEODIST Sicily Palermo Catania km extra
GEODIST Sicily Palermo nosuch
GEODIST nokey a b
GEODIST nokey a b parsecs
GEODIST str a b
GEODIST Sicily Palermo Palermo
ZADD weird -1 neg 1e20 big 4503599627370496 max 0.5 half
GEOPOS weird neg big max half
GEOHASH weird neg big max half
GEODIST weird neg big km
# GEORADIUS and GEORADIUSBYMEMBER
GEORADIUS Sicily 15 37 200 km
GEORADIUS Sicily 15 37 200 km ASC
GEORADIUS Sicily 15 37 200 km DESC
GEORADIUS Sicily 15 37 200 km WITHDIST
GEORADIUS Sicily 15 37 200 km WITHCOORD WITHDIST WITHHASH ASC
GEORADIUS Sicily 15 37 200 km WITHHASH COUNT 2
GEORADIUS Sicily 15 37 200 km COUNT 2 DESC WITHDIST
GEORADIUS Sicily 15 37 200 km COUNT 1 ANY
GEORADIUS Sicily 15 37 200 km ANY
GEORADIUS Sicily 15 37 200 km COUNT 0
GEORADIUS Sicily 15 37 200 km COUNT -1
GEORADIUS Sicily 15 37 200 km COUNT x
GEORADIUS Sicily 15 37 200 km COUNT
GEORADIUS Sicily 15 37 200 km BOGUS
GEORADIUS Sicily 15 37 -1 km
GEORADIUS Sicily 15 37 x km
GEORADIUS Sicily 15 37 200 parsec
GEORADIUS Sicily 15 37 0 km
GEORADIUS Sicily 15 37 1 m
GEORADIUS Sicily 200 37 1 km
GEORADIUS Sicily 15 37 20000 km WITHDIST
GEORADIUS Sicily 15 37 200 mi WITHDIST
GEORADIUS Sicily 15 37 200000 ft WITHDIST
GEORADIUS nokey 15 37 200 km
GEORADIUS nokey 15 37 200 km STORE dst
GEORADIUS str 15 37 200 km
GEORADIUS Sicily 15 37 200 km STORE dst
ZRANGE dst 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STOREDIST dstd
ZRANGE dstd 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km COUNT 2 STOREDIST dstd
ZRANGE dstd 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST
GEORADIUS Sicily 15 37 1 m STORE dst
EXISTS dst
GEORADIUS nokey 15 37 200 km STORE dstd
EXISTS dstd
GEORADIUS Sicily 15 37 200 km STORE
GEORADIUS_RO Sicily 15 37 200 km WITHDIST ASC
GEORADIUS_RO Sicily 15 37 200 km STORE dst
GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST WITHCOORD
GEORADIUSBYMEMBER Sicily Palermo 200 km COUNT 2 ASC
GEORADIUSBYMEMBER Sicily nosuch 200 km
GEORADIUSBYMEMBER Sicily Palermo -5 km
GEORADIUSBYMEMBER nokey Palermo x km
GEORADIUSBYMEMBER nokey Palermo 1 km STORE dst
GEORADIUSBYMEMBER Sicily Palermo 200 km STORE bym
ZRANGE bym 0 -1 WITHSCORES
GEORADIUSBYMEMBER_RO Sicily Palermo 200 km DESC
GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STOREDIST x
GEORADIUSBYMEMBER str a 1 km
# GEOSEARCH and GEOSEARCHSTORE
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 100 400 km DESC WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 100 km WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km COUNT 2
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km COUNT 2 ANY
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 0 0 m
GEOSEARCH Sicily FROMMEMBER nosuch BYRADIUS 200 km
GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 200 km
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km BYBOX 1 1 km
GEOSEARCH Sicily BYRADIUS 200 km WITHDIST
GEOSEARCH Sicily FROMMEMBER Palermo WITHDIST ASC
geosearch Sicily FROMMEMBER Palermo WITHDIST ASC
GEOSEARCH Sicily WITHDIST ASC COUNT 3
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km ANY
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km STORE x
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 200 km STOREDIST
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX -1 1 km
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX x 1 km
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 1 x km
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 1 1 furlong
GEOSEARCH Sicily FROMLONLAT 15 100 BYBOX 1 1 km
GEOSEARCH Sicily FROMLONLAT 15 BYBOX 1 1 km
GEOSEARCH nokey FROMMEMBER x BYRADIUS 1 km
GEOSEARCH nokey FROMLONLAT 1 1 BYRADIUS 1 km
GEOSEARCH nokey FROMLONLAT 1 1
GEOSEARCH str FROMLONLAT 1 1 BYRADIUS 1 km
GEOSEARCHSTORE gs Sicily FROMLONLAT 15 37 BYBOX 400 400 km
ZRANGE gs 0 -1 WITHSCORES
GEOSEARCHSTORE gs Sicily FROMLONLAT 15 37 BYBOX 400 400 km STOREDIST COUNT 2 DESC
ZRANGE gs 0 -1 WITHSCORES
GEOSEARCHSTORE gs Sicily FROMLONLAT 15 37 BYBOX 400 400 km WITHDIST
GEOSEARCHSTORE gs Sicily FROMLONLAT 15 37 BYBOX 1 1 m
EXISTS gs
GEOSEARCHSTORE gs nokey FROMLONLAT 15 37 BYBOX 1 1 m
GEOSEARCHSTORE gs2 Sicily FROMMEMBER Palermo BYRADIUS 1000 km STOREDIST
ZRANGE gs2 0 -1 WITHSCORES
GEOSEARCHSTORE str Sicily FROMMEMBER Palermo BYRADIUS 1000 km
TYPE str
# duplicate positions: the order of equal distances
GEOADD dup 10 10 a 10 10 b 10 10 c 10 10 d 10 10 e 10 10 f 10 10 g 10 10 h 10.001 10 i 10 10.001 j
GEOSEARCH dup FROMLONLAT 10 10 BYRADIUS 10 km
GEOSEARCH dup FROMLONLAT 10 10 BYRADIUS 10 km ASC
GEOSEARCH dup FROMLONLAT 10 10 BYRADIUS 10 km DESC
GEOSEARCH dup FROMLONLAT 10 10 BYRADIUS 10 km COUNT 3
GEOSEARCH dup FROMLONLAT 10 10 BYRADIUS 10 km COUNT 9 DESC
GEOSEARCH dup FROMLONLAT 10 10 BYRADIUS 10 km COUNT 4 ANY
# GEO keys are sorted sets; scripts call GEO commands too
ZCARD Sicily
TYPE Sicily
EVAL "return redis.call('GEOPOS', KEYS[1], 'Palermo')" 1 Sicily
EVAL "return redis.call('GEODIST', KEYS[1], 'Palermo', 'Catania', 'km')" 1 Sicily
EVAL "return redis.call('GEOADD', KEYS[1], 1, 2, 'x')" 1 scripted
EVAL "return redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', 1, 2, 'BYRADIUS', 5, 'km', 'WITHDIST')" 1 scripted
ZRANGE scripted 0 -1 WITHSCORES
`

func TestGeo(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CommandsMatchRedis", func(t *testing.T, n *node) { compareWithRedis(t, n, geoScript) }},
		nodeTest{"RandomSearchesMatchRedis", testGeoRandom},
	)
}

// testGeoRandom adds random points (dense clusters, poles, the antimeridian) and compares random searches of every shape and option with
// redis-server, reply for reply.
func testGeoRandom(t *testing.T, n *node) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	var b strings.Builder
	lonlat := func() (float64, float64) {
		switch r.IntN(4) {
		case 0: // anywhere
			return r.Float64()*360 - 180, r.Float64()*170.1 - 85.05
		case 1: // a city-sized cluster
			return 13 + r.Float64()*0.5, 38 + r.Float64()*0.5
		case 2: // near the antimeridian or the poles
			return 179.5 + r.Float64()*0.5, 84 + r.Float64()
		default: // a country-sized area
			return -5 + r.Float64()*10, 40 + r.Float64()*10
		}
	}
	units := []string{"m", "km", "ft", "mi"}
	for k := 0; k < 3; k++ {
		key := fmt.Sprintf("pts%d", k)
		npts := []int{50, 300, 1500}[k] // listpack and skiplist encodings
		for i := 0; i < npts; i += 10 {
			b.WriteString("GEOADD " + key)
			for j := 0; j < 10; j++ {
				lon, lat := lonlat()
				// No exact duplicates here: with COUNT, the order of many
				// equal distances can still differ from Redis' (the corpus
				// covers small ties).
				fmt.Fprintf(&b, " %.6f %.6f m%d", lon, lat, i+j)
			}
			b.WriteString("\n")
		}
	}
	for i := 0; i < 400; i++ {
		key := fmt.Sprintf("pts%d", r.IntN(3))
		var from string
		if r.IntN(3) == 0 {
			from = fmt.Sprintf("FROMMEMBER m%d", r.IntN(60))
		} else {
			lon, lat := lonlat()
			from = fmt.Sprintf("FROMLONLAT %.5f %.5f", lon, lat)
		}
		unit := units[r.IntN(len(units))]
		scale := map[string]float64{"m": 1, "km": 0.001, "ft": 3.28, "mi": 0.000621}[unit]
		size := func() float64 { return float64(int((r.ExpFloat64()*50000+1)*scale*100)) / 100 }
		by := fmt.Sprintf("BYRADIUS %g %s", size(), unit)
		if r.IntN(2) == 0 {
			by = fmt.Sprintf("BYBOX %g %g %s", size(), size(), unit)
		}
		opts := ""
		for _, o := range []string{"WITHDIST", "WITHCOORD", "WITHHASH", "ASC", "DESC"} {
			if r.IntN(3) == 0 {
				opts += " " + o
			}
		}
		if r.IntN(3) == 0 {
			opts += fmt.Sprintf(" COUNT %d", r.IntN(20)+1)
			if r.IntN(4) == 0 {
				opts += " ANY"
			}
		}
		switch r.IntN(6) {
		case 0:
			fmt.Fprintf(&b, "GEOSEARCHSTORE dst %s %s %s%s\nZRANGE dst 0 -1 WITHSCORES\n", key, from, by,
				strings.NewReplacer(" WITHDIST", "", " WITHCOORD", "", " WITHHASH", "").Replace(opts)+[]string{"", " STOREDIST"}[r.IntN(2)])
		case 1:
			lon, lat := lonlat()
			fmt.Fprintf(&b, "GEORADIUS %s %.5f %.5f %g %s%s\n", key, lon, lat, size(), unit, opts)
		case 2:
			fmt.Fprintf(&b, "GEORADIUSBYMEMBER_RO %s m%d %g %s%s\n", key, r.IntN(60), size(), unit, opts)
		default:
			fmt.Fprintf(&b, "GEOSEARCH %s %s %s%s\n", key, from, by, opts)
		}
		if r.IntN(10) == 0 {
			fmt.Fprintf(&b, "GEODIST %s m%d m%d %s\nGEOPOS %s m%d\nGEOHASH %s m%d\n", key, r.IntN(60), r.IntN(60), unit, key, r.IntN(60), key, r.IntN(60))
		}
	}
	compareWithRedis(t, n, b.String())
}
