package commands

import (
	"math/rand/v2"
	"sync/atomic"
)

// Under an LFU maxmemory policy the access table keeps, like Redis' 24-bit
// lru field, a logarithmic access counter and the minute it was last
// decremented instead of the last access time: the same word means one or
// the other depending on the policy, so after a switch at runtime the old
// values read as noise until keys are touched again, exactly the caveat
// Redis' OBJECT errors warn about.

var lfuMode atomic.Bool

// SetLFU switches the access table between LRU times and LFU counters.
func SetLFU(on bool) { lfuMode.Store(on) }

// LFU reports whether the access table keeps LFU counters.
func LFU() bool { return lfuMode.Load() }

// Redis' defaults: lfu-log-factor 10, lfu-decay-time 1 (minute).
const (
	lfuInitVal   = 5
	lfuLogFactor = 10
	lfuDecayMins = 1
)

func lfuMinutes(nowMs int64) uint32 { return uint32(nowMs/60000) & 0xffff }

// lfuDecayed is the counter of word w with a decrement per idle minute.
func lfuDecayed(w uint32, nowMs int64) uint32 {
	ldt, ctr := w>>8&0xffff, w&0xff
	now := lfuMinutes(nowMs)
	elapsed := (now - ldt) & 0xffff
	if periods := elapsed / lfuDecayMins; periods < ctr {
		return ctr - periods
	}
	return 0
}

// lfuTouch is the word after one access (LFULogIncr after the decay).
func lfuTouch(w uint32, known bool, nowMs int64) uint32 {
	ctr := uint32(lfuInitVal)
	if known {
		ctr = lfuDecayed(w, nowMs)
		if ctr < 255 {
			base := float64(ctr) - lfuInitVal
			if base < 0 {
				base = 0
			}
			if rand.Float64() < 1/(base*lfuLogFactor+1) {
				ctr++
			}
		}
	}
	return lfuMinutes(nowMs)<<8 | ctr
}

// freq is OBJECT FREQ's counter for key.
func (t *accessTable) freq(key []byte, nowMs int64) int64 {
	if tab, i := t.find(accessFP(key)); i >= 0 {
		return int64(lfuDecayed(uint32(atomic.LoadUint64(&tab[i])), nowMs))
	}
	return lfuInitVal
}

const errNoLRU = "ERR An LFU maxmemory policy is selected, idle time not tracked. " +
	"Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
