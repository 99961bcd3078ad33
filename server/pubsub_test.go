package server

import (
	"bufio"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/geomys/geomys/resp"
)

func respCmd(args ...string) string { return string(resp.AppendCommand(nil, args...)) }

// TestPubSubConcurrent churns subscriptions, protocol switches, publishers
// and disconnects at once (run it with -race), then checks that every
// subscriber saw its publisher's messages in order and that nothing is left
// registered.
func TestPubSubConcurrent(t *testing.T) {
	s := startTestServer(t)
	addr := s.Addr().String()
	const pubs, msgs = 3, 300
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	ready := make(chan struct{}, 16)

	// Subscribers: read every message of every publisher, in order.
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			br := bufio.NewReader(c)
			if i%2 == 1 {
				c.Write([]byte(respCmd("HELLO", "3")))
				if _, err := readFrame(br); err != nil {
					errs <- err
					return
				}
			}
			c.Write([]byte(respCmd("SUBSCRIBE", "c")))
			if _, err := readFrame(br); err != nil {
				errs <- err
				return
			}
			ready <- struct{}{}
			next := make([]int, pubs)
			for got := 0; got < pubs*msgs; {
				f, err := readFrame(br)
				if err != nil {
					errs <- fmt.Errorf("subscriber %d after %d messages: %v", i, got, err)
					return
				}
				if len(f) != 3 || f[0] != "message" {
					continue // e.g. a reply to a PING below
				}
				var p, n int
				fmt.Sscanf(f[2], "%d/%d", &p, &n)
				if n != next[p] {
					errs <- fmt.Errorf("subscriber %d: publisher %d message %d, want %d", i, p, n, next[p])
					return
				}
				next[p]++
				got++
				if got%100 == 0 {
					c.Write([]byte(respCmd("PING")))
				}
			}
		}(i)
	}
	for i := 0; i < 4; i++ {
		<-ready
	}
	// Churners: subscribe, unsubscribe, switch protocol, disconnect.
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					errs <- err
					return
				}
				var b strings.Builder
				b.WriteString(respCmd("PSUBSCRIBE", "c*", "x"))
				b.WriteString(respCmd("SUBSCRIBE", "c", "d"))
				b.WriteString(respCmd("HELLO", strconv.Itoa(2+k%2)))
				b.WriteString(respCmd("UNSUBSCRIBE", "c"))
				if k%3 == 0 {
					b.WriteString(respCmd("RESET"))
				}
				c.Write([]byte(b.String()))
				time.Sleep(time.Millisecond)
				c.Close()
			}
		}(i)
	}
	for p := 0; p < pubs; p++ {
		wg.Add(1)
		go func(p int) {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(30 * time.Second))
			br := bufio.NewReader(c)
			for n := 0; n < msgs; n += 10 {
				var b strings.Builder
				for k := n; k < n+10; k++ {
					b.WriteString(respCmd("PUBLISH", "c", fmt.Sprintf("%d/%d", p, k)))
				}
				c.Write([]byte(b.String()))
				for k := 0; k < 10; k++ {
					if _, err := readFrame(br); err != nil {
						errs <- err
						return
					}
				}
			}
		}(p)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		ch, pat := s.pubsub.counts()
		if ch == 0 && pat == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("left registered: %d channels, %d patterns", ch, pat)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readFrame reads one reply whose elements are all simple (a frame of bulk
// strings and integers, or one scalar) and returns its elements as text.
func readFrame(br *bufio.Reader) ([]string, error) {
	raw, err := resp.ReadReply(br, nil)
	if err != nil {
		return nil, err
	}
	out, _, err := frameItems(raw)
	return out, err
}

// frameItems flattens the value at the start of b: an aggregate becomes its
// elements (each a nested aggregate's items joined by spaces), a scalar its
// text ("" for a null bulk).
func frameItems(b []byte) ([]string, []byte, error) {
	it, rest, err := resp.Next(b)
	if err != nil {
		return nil, nil, err
	}
	switch it.Kind {
	case '*', '>', '%':
		n := it.N
		if it.Kind == '%' {
			n *= 2
		}
		var out []string
		for i := 0; i < n; i++ {
			var f []string
			if f, rest, err = frameItems(rest); err != nil {
				return nil, nil, err
			}
			out = append(out, strings.Join(f, " "))
		}
		return out, rest, nil
	case '$':
		return []string{string(it.Bulk)}, rest, nil
	}
	return []string{string(it.Line)}, rest, nil
}
