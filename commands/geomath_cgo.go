//go:build cgo

package commands

// Redis computes distances with the C library's sin, cos and asin, which are
// not correctly rounded: Go's own differ in the last bit for about one input
// in a thousand, and STOREDIST scores and search borders show every bit. So
// with cgo the same libm functions are called.

/*
#cgo LDFLAGS: -lm
#include <math.h>
*/
import "C"

func geoSin(x float64) float64  { return float64(C.sin(C.double(x))) }
func geoCos(x float64) float64  { return float64(C.cos(C.double(x))) }
func geoAsin(x float64) float64 { return float64(C.asin(C.double(x))) }
