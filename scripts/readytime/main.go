// Command readytime measures how long a Geomys node takes from process start
// to its first acknowledged write, the way a start-up script sees it: poll
// PING until +PONG, then SET, retrying the SET until +OK.
//
//	go build -o bin/geomys . && go run ./scripts/readytime -bin bin/geomys -keys 0 -runs 5
//	go run ./scripts/readytime -bin bin/geomys -keys 1000000 -runs 5
//	go run ./scripts/readytime -bin old/geomys,bin/geomys -keys 1000000 -runs 5
//
// With -keys 0 every run starts on a fresh empty --dir; otherwise one dir is
// filled once (pipelined SETs, then a clean stop) and every run restarts on it.
// Several comma-separated binaries take turns in every round, on the same
// dir, so a busy machine slows them alike.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	bin := flag.String("bin", "bin/geomys", "geomys binary, or several separated by commas")
	keys := flag.Int("keys", 0, "keys to load before the timed restarts (0: fresh empty dir per run)")
	runs := flag.Int("runs", 5, "timed starts")
	extra := flag.String("args", "", "extra geomys flags, space separated")
	keep := flag.String("dir", "", "data dir to fill (if it does not exist yet) and keep, instead of a temporary one")
	flag.Parse()
	if err := run(strings.Split(*bin, ","), *keys, *runs, strings.Fields(*extra), *keep); err != nil {
		fmt.Fprintln(os.Stderr, "readytime:", err)
		os.Exit(1)
	}
}

type result struct {
	pong, write     time.Duration
	failedAfterPong int // SETs refused after the first PONG
	firstErr        string
}

func run(bins []string, keys, runs int, extra []string, keep string) error {
	base, err := os.MkdirTemp("", "readytime-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(base)
	dir := filepath.Join(base, "data")
	filled := false
	if keep != "" {
		_, err := os.Stat(keep)
		dir, filled = keep, err == nil
	}
	if keys > 0 && !filled {
		p, err := start(bins[0], dir, extra)
		if err != nil {
			return err
		}
		if _, err := measure(p); err != nil {
			p.stop()
			return err
		}
		t := time.Now()
		if err := fill(p.addr, keys); err != nil {
			p.stop()
			return err
		}
		fmt.Printf("loaded %d keys in %.1fs\n", keys, time.Since(t).Seconds())
		if err := p.stop(); err != nil {
			return err
		}
	}
	res := make([][]result, len(bins))
	for i := 0; i < runs; i++ {
		for b, bin := range bins {
			d := dir
			if keys == 0 {
				d = filepath.Join(base, "run"+strconv.Itoa(i)+"-"+strconv.Itoa(b))
			}
			p, err := start(bin, d, extra)
			if err != nil {
				return err
			}
			r, err := measure(p)
			stopErr := p.stop()
			if err != nil {
				return err
			}
			if stopErr != nil {
				return stopErr
			}
			fmt.Printf("%s run %d: first PONG %6.0f ms, first acknowledged SET %6.0f ms, SETs refused after PONG %d %s\n",
				bin, i+1, ms(r.pong), ms(r.write), r.failedAfterPong, r.firstErr)
			res[b] = append(res[b], r)
		}
	}
	for b, bin := range bins {
		pongs, writes := make([]float64, len(res[b])), make([]float64, len(res[b]))
		for i, r := range res[b] {
			pongs[i], writes[i] = ms(r.pong), ms(r.write)
		}
		fmt.Printf("%s: median of %d (keys=%d): first PONG %.0f ms, first acknowledged SET %.0f ms\n",
			bin, len(res[b]), keys, median(pongs), median(writes))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func median(v []float64) float64 {
	sort.Float64s(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

type proc struct {
	cmd    *exec.Cmd
	addr   string
	start  time.Time
	exited chan struct{}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func start(bin, dir string, extra []string) (*proc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	raftPort, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--port", strconv.Itoa(port), "--dir", dir, "--node-id", "n1",
		"--raft-addr", "127.0.0.1:" + strconv.Itoa(raftPort), "--loglevel", "warning"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	p := &proc{cmd: cmd, addr: "127.0.0.1:" + strconv.Itoa(port), exited: make(chan struct{})}
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { cmd.Wait(); close(p.exited) }()
	return p, nil
}

func (p *proc) stop() error {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
		return nil
	case <-time.After(60 * time.Second):
		p.cmd.Process.Kill()
		return fmt.Errorf("geomys did not stop on SIGTERM")
	}
}

// measure polls PING every millisecond until +PONG, then SETs at once and
// until +OK.
func measure(p *proc) (result, error) {
	var r result
	deadline := p.start.Add(120 * time.Second)
	var c net.Conn
	for c == nil {
		if time.Now().After(deadline) {
			return r, fmt.Errorf("%s: no connection", p.addr)
		}
		select {
		case <-p.exited:
			return r, fmt.Errorf("geomys exited during start-up")
		default:
		}
		conn, err := net.Dial("tcp", p.addr)
		if err != nil {
			time.Sleep(time.Millisecond)
			continue
		}
		c = conn
	}
	defer c.Close()
	br := bufio.NewReader(c)
	call := func(cmd string) (string, error) {
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Write([]byte(cmd)); err != nil {
			return "", err
		}
		line, err := br.ReadString('\n')
		return strings.TrimSpace(line), err
	}
	for {
		reply, err := call("PING\r\n")
		if err != nil {
			return r, err
		}
		if reply == "+PONG" {
			r.pong = time.Since(p.start)
			break
		}
		if time.Now().After(deadline) {
			return r, fmt.Errorf("no PONG: %s", reply)
		}
		time.Sleep(time.Millisecond)
	}
	for {
		reply, err := call("*3\r\n$3\r\nSET\r\n$13\r\nreadytime:key\r\n$1\r\n1\r\n")
		if err != nil {
			return r, err
		}
		if reply == "+OK" {
			r.write = time.Since(p.start)
			return r, nil
		}
		if r.failedAfterPong == 0 {
			r.firstErr = "(" + reply + ")"
		}
		r.failedAfterPong++
		if time.Now().After(deadline) {
			return r, fmt.Errorf("no +OK: %s", reply)
		}
		time.Sleep(time.Millisecond)
	}
}

// fill loads keys with pipelined SETs of 1000 commands.
func fill(addr string, keys int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	br := bufio.NewReaderSize(c, 1<<16)
	bw := bufio.NewWriterSize(c, 1<<16)
	const batch = 1000
	for i := 0; i < keys; i += batch {
		n := min(batch, keys-i)
		for j := i; j < i+n; j++ {
			k := "key:" + strconv.Itoa(j)
			fmt.Fprintf(bw, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$16\r\nvalue-0123456789\r\n", len(k), k)
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		for j := 0; j < n; j++ {
			line, err := br.ReadString('\n')
			if err != nil {
				return err
			}
			if line != "+OK\r\n" {
				return fmt.Errorf("SET %d: %s", i+j, strings.TrimSpace(line))
			}
		}
	}
	return nil
}
