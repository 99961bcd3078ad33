// Package redisimport loads a Redis AOF (its RDB preamble or base included)
// into a running Geomys node or cluster as a client does: every key and
// library becomes ordinary commands sent to the node, so they go through
// the normal write path (Raft, every member's AOF).
package redisimport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/geomys/geomys/aof"
	"github.com/geomys/geomys/rdb"
	"github.com/geomys/geomys/resp"
)

// Options says where to send the data.
type Options struct {
	Addr     string // a node's client address
	User     string // for AUTH, with Password
	Password string
	Logger   *slog.Logger
}

// Stats counts what an import sent.
type Stats struct {
	Files, Keys, Functions, Commands int
}

// ErrNotEmpty is the refusal to import into a node that has data.
var ErrNotEmpty = errors.New("the dataset is not empty: --import loads into an empty node or cluster only; remove --import to start normally, or empty it (FLUSHALL, FUNCTION FLUSH) first")

// batch is how many commands are pipelined before their replies are read.
const batch = 512

// Run imports the Redis AOF in dir (see aof.RedisFiles).
func Run(ctx context.Context, dir string, o Options) (Stats, error) {
	var st Stats
	files, err := aof.RedisFiles(dir)
	if err != nil {
		return st, err
	}
	c, err := net.DialTimeout("tcp", o.Addr, 5*time.Second)
	if err != nil {
		return st, fmt.Errorf("connect to %s: %w", o.Addr, err)
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	p := &pipe{c: c, w: bufio.NewWriterSize(c, 1<<16), r: bufio.NewReaderSize(c, 1<<16)}
	if o.Password != "" {
		args := []string{"AUTH", o.Password}
		if o.User != "" {
			args = []string{"AUTH", o.User, o.Password}
		}
		if _, err := p.do(args...); err != nil {
			return st, err
		}
	}
	if err := p.checkEmpty(); err != nil {
		return st, err
	}
	for _, f := range files {
		if err := p.importFile(f, &st); err != nil {
			return st, err
		}
		st.Files++
	}
	if err := p.drain(); err != nil {
		return st, err
	}
	st.Commands = p.sent
	return st, nil
}

type pipe struct {
	c       net.Conn
	w       *bufio.Writer
	r       *bufio.Reader
	buf     []byte
	pending []string // command names awaiting replies
	sent    int
	db      int
}

// do sends one command and returns its reply after the pending ones.
func (p *pipe) do(args ...string) (string, error) {
	if err := p.drain(); err != nil {
		return "", err
	}
	p.w.Write(resp.AppendCommand(nil, args...))
	if err := p.w.Flush(); err != nil {
		return "", err
	}
	p.c.SetReadDeadline(time.Now().Add(time.Minute))
	b, err := resp.ReadReply(p.r, nil)
	if err != nil {
		return "", err
	}
	if len(b) > 0 && b[0] == '-' {
		return "", fmt.Errorf("%s: %s", args[0], strings.TrimSpace(string(b[1:])))
	}
	return string(b), nil
}

func (p *pipe) send(args ...[]byte) error {
	p.buf = resp.AppendCommand(p.buf[:0], args...)
	if _, err := p.w.Write(p.buf); err != nil {
		return err
	}
	p.pending = append(p.pending, strings.ToUpper(string(args[0])))
	p.sent++
	if len(p.pending) >= batch {
		return p.drain()
	}
	return nil
}

func (p *pipe) sendStrings(args ...string) error {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return p.send(b...)
}

// drain reads the replies of the pipelined commands; an error reply ends
// the import (a command Redis wrote that Geomys refuses).
func (p *pipe) drain() error {
	if err := p.w.Flush(); err != nil {
		return err
	}
	for _, name := range p.pending {
		p.c.SetReadDeadline(time.Now().Add(time.Minute))
		b, err := resp.ReadReply(p.r, nil)
		if err != nil {
			return fmt.Errorf("reading the reply to %s: %w", name, err)
		}
		if len(b) > 0 && b[0] == '-' {
			return fmt.Errorf("%s refused: %s", name, strings.TrimSpace(string(b[1:])))
		}
	}
	p.pending = p.pending[:0]
	return nil
}

func (p *pipe) checkEmpty() error {
	info, err := p.do("INFO", "keyspace")
	if err != nil {
		return err
	}
	if strings.Contains(info, "\ndb") {
		return ErrNotEmpty
	}
	libs, err := p.do("FUNCTION", "LIST")
	if err != nil {
		return err
	}
	if !strings.HasPrefix(libs, "*0\r\n") {
		return ErrNotEmpty
	}
	return nil
}

func (p *pipe) selectDB(db int) error {
	if db == p.db {
		return nil
	}
	p.db = db
	return p.sendStrings("SELECT", strconv.Itoa(db))
}

// importFile sends one file: Redis replays each from database 0.
func (p *pipe) importFile(name string, st *Stats) error {
	f, err := os.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	p.db = -1
	if err := p.selectDB(0); err != nil {
		return err
	}
	var sig [5]byte
	n, _ := io.ReadFull(f, sig[:])
	if n == 5 && string(sig[:]) == "REDIS" {
		// An RDB base or preamble: read whole, as its values are sliced.
		data, err := os.ReadFile(name)
		if err != nil {
			return err
		}
		rest, err := rdb.ReadFile(data, func(r rdb.Record) error { return p.record(r, st) })
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		return aof.ReadCommands(bytes.NewReader(rest), name, int64(len(rest)), p.command)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	return aof.ReadCommands(f, name, fi.Size(), p.command)
}

func (p *pipe) command(args [][]byte) error {
	if strings.EqualFold(string(args[0]), "SELECT") && len(args) == 2 {
		if n, err := strconv.Atoi(string(args[1])); err == nil {
			p.db = n
		}
	}
	return p.send(args...)
}

// record sends one key (RESTORE, streams included) or one library.
func (p *pipe) record(r rdb.Record, st *Stats) error {
	if r.Function != "" {
		st.Functions++
	} else {
		st.Keys++
	}
	return Commands(r, p.selectDB, p.send)
}

// Commands turns one record of an RDB file into the commands that recreate
// it, passed to send after selectDB has been told the record's database:
// RESTORE for a key (commands for a stream, which Geomys' RESTORE does not
// take), FUNCTION LOAD REPLACE for a library. Both --import and REPLICAOF's
// full sync (server/replicaof.go) load RDB files through it.
func Commands(r rdb.Record, selectDB func(db int) error, send func(args ...[]byte) error) error {
	sendStrings := func(args ...string) error {
		b := make([][]byte, len(args))
		for i, a := range args {
			b[i] = []byte(a)
		}
		return send(b...)
	}
	if r.Function != "" {
		return sendStrings("FUNCTION", "LOAD", "REPLACE", r.Function)
	}
	if err := selectDB(r.DB); err != nil {
		return err
	}
	payload := rdb.AppendFooter(append([]byte{r.Type}, r.Body...))
	args := [][]byte{[]byte("RESTORE"), []byte(r.Key), []byte("0"), payload}
	if r.ExpireMs > 0 {
		args[2] = []byte(strconv.FormatInt(r.ExpireMs, 10))
		args = append(args, []byte("ABSTTL"))
	}
	return send(args...)
}
