//go:build !cgo

package commands

import "math"

// Without cgo, Go's functions: distances may differ from Redis' in the last
// bit (see geomath_cgo.go).

func geoSin(x float64) float64  { return math.Sin(x) }
func geoCos(x float64) float64  { return math.Cos(x) }
func geoAsin(x float64) float64 { return math.Asin(x) }
