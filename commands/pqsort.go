package commands

// pqsort is Redis' pqsort.c (NetBSD's qsort, Bentley & McIlroy, changed to
// sort only what lands in [lrange, rrange]), on indices. GEOSEARCH with
// COUNT and SORT with LIMIT use it, and the order it leaves equal elements
// in is visible in their replies, so it is reproduced step for step.
func pqsort(n int, cmp func(i, j int) int, swap func(i, j int), lrange, rrange int) {
	pqsortFrom(0, n, cmp, swap, lrange, rrange)
}

func pqsortFrom(a, n int, cmp func(i, j int) int, swap func(i, j int), lr, rr int) {
	med3 := func(x, y, z int) int {
		if cmp(x, y) < 0 {
			if cmp(y, z) < 0 {
				return y
			}
			if cmp(x, z) < 0 {
				return z
			}
			return x
		}
		if cmp(y, z) > 0 {
			return y
		}
		if cmp(x, z) < 0 {
			return x
		}
		return z
	}
	vecswap := func(x, y, k int) {
		for i := 0; i < k; i++ {
			swap(x+i, y+i)
		}
	}
	insertion := func() {
		for pm := a + 1; pm < a+n; pm++ {
			for pl := pm; pl > a && cmp(pl-1, pl) > 0; pl-- {
				swap(pl, pl-1)
			}
		}
	}
	// outside reports whether [lr, rr] misses the elements [lo, hi].
	outside := func(lo, hi int) bool { return lr < lo && rr < lo || lr > hi && rr > hi }
	for {
		swapped := false
		if n < 7 {
			insertion()
			return
		}
		pm := a + n/2
		if n > 7 {
			pl, pn := a, a+n-1
			if n > 40 {
				d := n / 8
				pl = med3(pl, pl+d, pl+2*d)
				pm = med3(pm-d, pm, pm+d)
				pn = med3(pn-2*d, pn-d, pn)
			}
			pm = med3(pl, pm, pn)
		}
		swap(a, pm)
		pa, pb := a+1, a+1
		pc, pd := a+n-1, a+n-1
		for {
			for pb <= pc {
				r := cmp(pb, a)
				if r > 0 {
					break
				}
				if r == 0 {
					swapped = true
					swap(pa, pb)
					pa++
				}
				pb++
			}
			for pb <= pc {
				r := cmp(pc, a)
				if r < 0 {
					break
				}
				if r == 0 {
					swapped = true
					swap(pc, pd)
					pd--
				}
				pc--
			}
			if pb > pc {
				break
			}
			swap(pb, pc)
			swapped = true
			pb++
			pc--
		}
		if !swapped {
			insertion()
			return
		}
		pn := a + n
		r := min(pa-a, pb-pa)
		vecswap(a, pb-r, r)
		r = min(pd-pc, pn-pd-1)
		vecswap(pb, pn-r, r)
		if r = pb - pa; r > 1 && !outside(a, a+r-1) {
			pqsortFrom(a, r, cmp, swap, lr, rr)
		}
		if r = pd - pc; r > 1 {
			a, n = pn-r, r
			if !outside(a, a+r-1) {
				continue
			}
		}
		return
	}
}
