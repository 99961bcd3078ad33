package commands

import "github.com/geomys/geomys/resp"

// List is a deque of strings on a ring buffer: O(1) push and pop at both ends
// and O(1) indexing, which LINDEX, LSET and LRANGE rely on. Insertion and
// removal in the middle move whichever side of the hole is shorter.
//
// Memory: the buffer is a power of two, doubles when full and is reallocated
// smaller once the list uses a quarter of it or less, so it never holds more
// than about four slots per element (plus the minimum size below).
type List struct {
	buf  []string // len(buf) is zero or a power of two
	head int
	n    int
}

const (
	listMinSize    = 4  // first allocation
	listShrinkFrom = 16 // buffers this small are never shrunk
)

func NewList() *List { return &List{} }

func (l *List) Len() int { return l.n }

// sizeFor returns the smallest power of two >= n (and >= listMinSize).
func sizeFor(n int) int {
	size := listMinSize
	for size < n {
		size <<= 1
	}
	return size
}

func (l *List) resize(size int) {
	nb := make([]string, size)
	l.copyTo(nb)
	l.buf, l.head = nb, 0
}

func (l *List) grow() {
	size := len(l.buf) * 2
	if size == 0 {
		size = listMinSize
	}
	l.resize(size)
}

// Reserve makes room for k more elements with at most one reallocation, so
// a many-element push doesn't double its way up.
func (l *List) Reserve(k int) {
	if need := l.n + k; need > len(l.buf) {
		l.resize(sizeFor(need))
	}
}

// shrink keeps memory proportional to the length after pops and removals:
// once the list fills a quarter of the buffer or less, the buffer is cut to
// the smallest power of two that the list fills more than a quarter of
// (halving repeatedly), so push/pop at the boundary can't thrash.
func (l *List) shrink() {
	size := len(l.buf)
	if size <= listShrinkFrom || l.n > size/4 {
		return
	}
	for size > listShrinkFrom && l.n <= size/4 {
		size /= 2
	}
	if l.n == 0 {
		l.buf, l.head = nil, 0
		return
	}
	l.resize(size)
}

func (l *List) copyTo(dst []string) {
	a, b := l.Slices(0, l.n)
	k := copy(dst, a)
	copy(dst[k:], b)
}

func (l *List) slot(i int) int { return (l.head + i) & (len(l.buf) - 1) }

func (l *List) PushBack(s string) {
	if l.n == len(l.buf) {
		l.grow()
	}
	l.buf[l.slot(l.n)] = s
	l.n++
}

func (l *List) PushFront(s string) {
	if l.n == len(l.buf) {
		l.grow()
	}
	l.head = (l.head - 1) & (len(l.buf) - 1)
	l.buf[l.head] = s
	l.n++
}

// PopFront removes and returns the first element; the list must not be empty.
func (l *List) PopFront() string {
	s := l.buf[l.head]
	l.buf[l.head] = ""
	l.head = (l.head + 1) & (len(l.buf) - 1)
	l.n--
	l.shrink()
	return s
}

// PopBack removes and returns the last element; the list must not be empty.
func (l *List) PopBack() string {
	i := l.slot(l.n - 1)
	s := l.buf[i]
	l.buf[i] = ""
	l.n--
	l.shrink()
	return s
}

// At returns element i (0 <= i < Len).
func (l *List) At(i int) string { return l.buf[l.slot(i)] }

// SetAt replaces element i (0 <= i < Len).
func (l *List) SetAt(i int, s string) { l.buf[l.slot(i)] = s }

// Slices returns elements [i, j) (0 <= i <= j <= Len) as at most two
// contiguous pieces of the ring, a then b, without copying.
func (l *List) Slices(i, j int) (a, b []string) {
	if i >= j {
		return nil, nil
	}
	start := l.slot(i)
	end := start + (j - i)
	if end <= len(l.buf) {
		return l.buf[start:end], nil
	}
	return l.buf[start:], l.buf[:end-len(l.buf)]
}

// clearRange drops the references held by slots [i, j) so the GC can free
// the strings; the caller adjusts head and n.
func (l *List) clearRange(i, j int) {
	a, b := l.Slices(i, j)
	clear(a)
	clear(b)
}

// Insert puts s at position i (0 <= i <= Len), moving the shorter side.
func (l *List) Insert(i int, s string) {
	if l.n == len(l.buf) {
		l.grow()
	}
	mask := len(l.buf) - 1
	if i < l.n-i {
		// Move elements [0, i) one slot towards the front.
		l.head = (l.head - 1) & mask
		for k := 0; k < i; k++ {
			l.buf[(l.head+k)&mask] = l.buf[(l.head+k+1)&mask]
		}
	} else {
		// Move elements [i, n) one slot towards the back.
		for k := l.n; k > i; k-- {
			l.buf[(l.head+k)&mask] = l.buf[(l.head+k-1)&mask]
		}
	}
	l.buf[(l.head+i)&mask] = s
	l.n++
}

// Index returns the position of the first element equal to s, or -1.
func (l *List) Index(s string) int {
	a, b := l.Slices(0, l.n)
	for i, v := range a {
		if v == s {
			return i
		}
	}
	for i, v := range b {
		if v == s {
			return len(a) + i
		}
	}
	return -1
}

// Remove deletes occurrences of s as LREM does: the first count of them when
// count > 0, the last -count when count < 0, all when count == 0. It returns
// how many were removed. The elements on the cheaper side of the removed ones
// are shifted, so removing near either end costs little.
func (l *List) Remove(s string, count int) int {
	// Find the window [first, last] holding exactly the elements to remove:
	// every element equal to s inside it goes.
	first, last, k := -1, -1, 0
	if count >= 0 {
		for i := 0; i < l.n; i++ {
			if l.At(i) == s {
				if first < 0 {
					first = i
				}
				last = i
				if k++; k == count {
					break
				}
			}
		}
	} else {
		for i := l.n - 1; i >= 0; i-- {
			if l.At(i) == s {
				if last < 0 {
					last = i
				}
				first = i
				if k++; k == -count {
					break
				}
			}
		}
	}
	if k == 0 {
		return 0
	}
	if l.n-first <= last+1 {
		// Close the gaps by moving what follows first towards the front.
		w := first
		for r := first + 1; r < l.n; r++ {
			v := l.At(r)
			if r <= last && v == s {
				continue
			}
			l.SetAt(w, v)
			w++
		}
		l.clearRange(w, l.n)
	} else {
		// Close the gaps by moving what precedes last towards the back.
		w := last
		for r := last - 1; r >= 0; r-- {
			v := l.At(r)
			if r >= first && v == s {
				continue
			}
			l.SetAt(w, v)
			w--
		}
		l.clearRange(0, w+1)
		l.head = l.slot(k)
	}
	l.n -= k
	l.shrink()
	return k
}

// Trim removes front elements from the head and back elements from the tail
// (front+back <= Len).
func (l *List) Trim(front, back int) {
	if front+back == 0 {
		return
	}
	l.clearRange(0, front)
	l.clearRange(l.n-back, l.n)
	if l.n -= front + back; l.n == 0 {
		l.buf, l.head = nil, 0
		return
	}
	l.head = (l.head + front) & (len(l.buf) - 1)
	l.shrink()
}

// Clone returns an independent copy.
func (l *List) Clone() *List {
	c := &List{n: l.n}
	if l.n > 0 {
		c.buf = make([]string, sizeFor(l.n))
		l.copyTo(c.buf)
	}
	return c
}

func (l *List) appendRewrite(buf []byte, key string) []byte {
	return l.appendRewriteRange(buf, key, 0, l.n)
}

// appendRewriteRange emits the RPUSHes for elements [from, to).
func (l *List) appendRewriteRange(buf []byte, key string, from, to int) []byte {
	var stack [2 + rewriteBatch]string // no garbage per key in a snapshot
	for i := from; i < to; i += rewriteBatch {
		end := min(i+rewriteBatch, to)
		args := stack[:0]
		args = append(args, "RPUSH", key)
		for j := i; j < end; j++ {
			args = append(args, l.At(j))
		}
		buf = resp.AppendCommand(buf, args...)
	}
	return buf
}
