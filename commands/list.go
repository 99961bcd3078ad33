package commands

// List is a deque of strings on a ring buffer: O(1) push and pop at both ends
// and O(1) indexing, which LINDEX, LSET and LRANGE rely on.
type List struct {
	buf  []string // len(buf) is zero or a power of two
	head int
	n    int
}

func NewList() *List { return &List{} }

func (l *List) Len() int { return l.n }

func (l *List) grow() {
	size := len(l.buf) * 2
	if size == 0 {
		size = 4
	}
	nb := make([]string, size)
	l.copyTo(nb)
	l.buf, l.head = nb, 0
}

// shrink keeps memory proportional to the length after many pops.
func (l *List) shrink() {
	if len(l.buf) > 16 && l.n <= len(l.buf)/4 {
		nb := make([]string, len(l.buf)/2)
		l.copyTo(nb)
		l.buf, l.head = nb, 0
	}
}

func (l *List) copyTo(dst []string) {
	if l.n == 0 {
		return
	}
	end := l.head + l.n
	if end <= len(l.buf) {
		copy(dst, l.buf[l.head:end])
		return
	}
	k := copy(dst, l.buf[l.head:])
	copy(dst[k:], l.buf[:end-len(l.buf)])
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

func (l *List) PopFront() string {
	s := l.buf[l.head]
	l.buf[l.head] = ""
	l.head = (l.head + 1) & (len(l.buf) - 1)
	l.n--
	l.shrink()
	return s
}

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

// Clone returns an independent copy.
func (l *List) Clone() *List {
	c := &List{n: l.n}
	if l.n > 0 {
		size := 4
		for size < l.n {
			size *= 2
		}
		c.buf = make([]string, size)
		l.copyTo(c.buf)
	}
	return c
}

func (l *List) appendRewrite(buf []byte, key string) []byte {
	for i := 0; i < l.n; i += rewriteBatch {
		end := min(i+rewriteBatch, l.n)
		args := make([]string, 0, 2+end-i)
		args = append(args, "RPUSH", key)
		for j := i; j < end; j++ {
			args = append(args, l.At(j))
		}
		buf = AppendCommandStrings(buf, args...)
	}
	return buf
}
