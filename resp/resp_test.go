package resp

import (
	"bufio"
	"errors"
	"strings"
	"testing"

	"github.com/geomys/geomys/internal/testutil"
)

func TestWriterBothProtocols(t *testing.T) {
	for _, tc := range []struct {
		write  func(w *Writer)
		r2, r3 string
	}{
		{func(w *Writer) { w.Null() }, "$-1\r\n", "_\r\n"},
		{func(w *Writer) { w.NullArray() }, "*-1\r\n", "_\r\n"},
		{func(w *Writer) { w.Map(1); w.BulkString("k"); w.Int(1) }, "*2\r\n$1\r\nk\r\n:1\r\n", "%1\r\n$1\r\nk\r\n:1\r\n"},
		{func(w *Writer) { w.Set(0) }, "*0\r\n", "~0\r\n"},
		{func(w *Writer) { w.Double(1.5) }, "$3\r\n1.5\r\n", ",1.5\r\n"},
		{func(w *Writer) { w.Bool(true) }, ":1\r\n", "#t\r\n"},
		{func(w *Writer) { w.BigNumber("123") }, "$3\r\n123\r\n", "(123\r\n"},
		{func(w *Writer) { w.VerbatimFormat("txt", "hi") }, "$2\r\nhi\r\n", "=6\r\ntxt:hi\r\n"},
		{func(w *Writer) { w.Error("ERR a\r\nb") }, "-ERR a  b\r\n", "-ERR a  b\r\n"},
	} {
		for proto, want := range map[int]string{2: tc.r2, 3: tc.r3} {
			w := NewWriter(proto)
			tc.write(w)
			if got := string(w.Bytes()); got != want {
				t.Errorf("RESP%d: %q, want %q", proto, got, want)
			}
		}
	}
}

func TestReadReplyAndNext(t *testing.T) {
	in := "*3\r\n:1\r\n%1\r\n+k\r\n$-1\r\n|1\r\n+a\r\n:2\r\n~1\r\n$3\r\nabc\r\n" + "+next\r\n"
	r := bufio.NewReader(strings.NewReader(in))
	got, err := ReadReply(r, nil)
	if err != nil || string(got) != in[:len(in)-len("+next\r\n")] {
		t.Fatalf("ReadReply = %q, %v", got, err)
	}
	if got, err := ReadReply(r, nil); err != nil || string(got) != "+next\r\n" {
		t.Fatalf("second ReadReply = %q, %v", got, err)
	}
	it, rest, err := Next([]byte("*2\r\n$1\r\na\r\n$-1\r\n"))
	if err != nil || it.Kind != '*' || it.N != 2 {
		t.Fatalf("Next header = %+v, %v", it, err)
	}
	if it, rest, err = Next(rest); err != nil || string(it.Bulk) != "a" {
		t.Fatalf("Next bulk = %+v, %v", it, err)
	}
	if it, rest, err = Next(rest); err != nil || it.Bulk != nil || len(rest) != 0 {
		t.Fatalf("Next null bulk = %+v, %q, %v", it, rest, err)
	}
	for _, bad := range []string{"?x\r\n", "$abc\r\n", "*-5x\r\n", "+no crlf"} {
		if _, err := ReadReply(bufio.NewReader(strings.NewReader(bad)), nil); err == nil {
			t.Errorf("ReadReply(%q) accepted", bad)
		}
	}
	if _, err := ReadReply(bufio.NewReader(strings.NewReader("$999999999999\r\n")), nil); !errors.Is(err, ErrMalformed) {
		t.Errorf("an oversized bulk: %v", err)
	}
}

// The client and the reader against a real redis-server.
func TestClientAgainstRedis(t *testing.T) {
	c, err := Dial(testutil.StartRedis(t))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, step := range []struct {
		args []string
		want string
	}{
		{[]string{"SET", "k", "a\r\nb"}, "+OK\r\n"},
		{[]string{"GET", "k"}, "$4\r\na\r\nb\r\n"},
		{[]string{"HELLO", "3"}, ""},
		{[]string{"HSET", "h", "f", "v"}, ":1\r\n"},
		{[]string{"HGETALL", "h"}, "%1\r\n$1\r\nf\r\n$1\r\nv\r\n"},
		{[]string{"NOSUCH"}, "-ERR unknown command 'NOSUCH', with args beginning with: \r\n"},
	} {
		got, err := c.Do(step.args...)
		if err != nil || step.want != "" && got != step.want {
			t.Errorf("%q = %q, %v; want %q", step.args, got, err, step.want)
		}
	}
}
