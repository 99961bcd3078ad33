package commands

import "testing"

// The LFU word grows logarithmically with accesses and loses one per idle
// minute, as Redis' LFULogIncr and LFUDecrAndReturn.
func TestLFUCounter(t *testing.T) {
	now := int64(1_700_000_000_000)
	w := lfuTouch(0, false, now)
	if got := lfuDecayed(w, now); got != lfuInitVal {
		t.Fatalf("a new key's counter is %d, want %d", got, lfuInitVal)
	}
	for i := 0; i < 1000; i++ {
		w = lfuTouch(w, true, now)
	}
	hot := lfuDecayed(w, now)
	if hot <= lfuInitVal+2 || hot > 40 {
		t.Fatalf("after 1000 accesses the counter is %d: not logarithmic", hot)
	}
	if got := lfuDecayed(w, now+3*60_000); got != hot-3 {
		t.Fatalf("3 idle minutes: %d, want %d", got, hot-3)
	}
	if got := lfuDecayed(w, now+1000*60_000); got != 0 {
		t.Fatalf("long idle: %d, want 0", got)
	}
}
