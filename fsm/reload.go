package fsm

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/geomys/geomys/aof"
	"github.com/geomys/geomys/commands"
)

// ReloadCommand is the internal command of DEBUG RELOAD and DEBUG LOADAOF:
// [".reload", option...] with the options "nosave", "noflush" and "merge".
//
// Redis saves its dataset to disk and loads it back. In Geomys the dataset
// is replicated state, so the reload is a log entry that every node applies
// at the same point: it dumps the dataset with the code that writes
// snapshots and AOF rewrites (commands.AppendRewrite, FUNCTION LOAD for the
// libraries), replays that dump into a scratch store the way an AOF is
// loaded, and puts the result in place of the dataset. Every node thus does
// the same round trip on the same data, and RAFT.DIGEST stays equal.
//
// It works in memory rather than on the files: reading the AOF while
// applying an entry would be node-local I/O that can fail on one node and
// not on another, and the AOF on disk may not hold the batch being applied
// yet (it is written after the batch). DEBUG LOADAOF therefore does the same
// round trip as DEBUG RELOAD.
//
// NOSAVE loads "the file on disk" without writing it first. A Geomys node's
// persisted state always equals its dataset (every applied entry is in the
// Raft log and the AOF before anything reads the dataset again), so NOSAVE
// loads the same dump as a plain RELOAD: no dump is kept between reloads,
// and nothing a node holds alone (a restart, a snapshot install) can make
// one node load something the others do not.
const ReloadCommand = ".reload"

// errReload is Redis's reply when the RDB cannot be loaded.
const errReload = "ERR Error trying to load the RDB dump"

// reloadNote is the AOF note of a reload (Redis skips '#' lines).
const reloadNote = "geomys:debug-reload"

type reloadOpts struct{ flush, merge bool }

func parseReload(args [][]byte) (reloadOpts, bool) {
	o := reloadOpts{flush: true}
	for _, a := range args[1:] {
		switch strings.ToLower(string(a)) {
		case "nosave": // see ReloadCommand
		case "noflush":
			o.flush = false
		case "merge":
			o.merge = true
		default:
			return o, false
		}
	}
	return o, true
}

func (f *FSM) applyReload(c *commands.Ctx, args [][]byte) {
	o, ok := parseReload(args)
	if !ok {
		c.R.Error(commands.ErrDebugReloadOption)
		return
	}
	scratch, libs, err := loadDump(f.dumpDataset())
	if err != nil {
		f.log.Error("DEBUG RELOAD could not load the dump it made", "err", err)
		c.R.Error(errReload)
		return
	}
	if !o.flush && !o.merge {
		// Redis stops at the first duplicate (and dies on a key): here
		// nothing changes.
		clash := f.store.ConflictsWith(scratch)
		for name := range libs {
			_, dup := f.libraries[name]
			clash = clash || dup
		}
		if clash {
			c.R.Error(errReload)
			return
		}
	}
	// The dump is the dataset as it is, so the result equals the dataset and
	// the AOF needs only the note.
	f.prop.Annotate(reloadNote)
	if o.flush {
		c.FlushAll()
		clear(f.libraries)
	}
	f.store.MoveFrom(scratch)
	maps.Copy(f.libraries, libs)
	f.libVersion.Add(1)
	f.dirty.Add(1)
	c.R.OK()
}

// dumpDataset writes the keys and libraries as a snapshot would.
func (f *FSM) dumpDataset() []byte {
	buf := []byte{}
	for _, db := range f.store.DBs {
		if db.Len() == 0 {
			continue
		}
		buf = append(buf, "*2\r\n$6\r\nSELECT\r\n$"...)
		n := fmt.Sprint(db.ID)
		buf = append(buf, fmt.Sprintf("%d\r\n%s\r\n", len(n), n)...)
		db.Range(func(k string, v any, at int64) bool {
			buf = commands.AppendRewrite(buf, k, v, at)
			return true
		})
	}
	return appendFunctionLoads(buf, f.libraries)
}

// loadDump replays a dump into a new store as an AOF is loaded: at time 0,
// so that keys whose TTL passed are kept as they were (the dataset keeps
// them until they are accessed or the expiry cycle deletes them).
func loadDump(dump []byte) (*commands.Store, map[string]string, error) {
	st := commands.NewStore()
	libs := map[string]string{}
	c := &commands.Ctx{Store: st, R: commands.NewReply(2), Prop: commands.NewPropagation()}
	c.Rand = rand.New(rand.NewPCG(0, 0))
	db := 0
	err := aof.Replay(dump, func(args [][]byte) error {
		switch {
		case commands.EqualFold(args[0], "select") && len(args) == 2:
			n, ok := commands.ParseInt(args[1])
			if !ok || n < 0 || n >= commands.NumDBs {
				return fmt.Errorf("dump selects invalid db %q", args[1])
			}
			db = int(n)
			return nil
		case commands.EqualFold(args[0], "function"):
			code := string(args[len(args)-1])
			if _, name, msg := commands.LibraryHeader(code); msg == "" {
				libs[name] = code
			}
			return nil
		}
		cmd := commands.Lookup(args[0])
		if cmd == nil || cmd.Handler == nil {
			return fmt.Errorf("dump holds unknown command %q", args[0])
		}
		c.R.Reset()
		c.Prop.Reset()
		c.Begin(st.DBs[db], args)
		cmd.Handler(c)
		c.Finish()
		if b := c.R.Bytes(); len(b) > 0 && b[0] == '-' {
			return errors.New("dump command " + string(args[0]) + " failed: " + strings.TrimSpace(string(b)))
		}
		c.TakeReady()
		return nil
	}, func(note string) {
		commands.LoadStreamNote(st.DBs[db], note)
	})
	return st, libs, err
}

// PopulateCommand is DEBUG POPULATE's internal command: [".populate",
// count, prefix, size] creates the string keys prefix:0 ... prefix:count-1
// that do not exist yet, valued "value:<n>" (cut or padded with zero bytes
// to size when size > 0), as Redis does. The server checked the numbers.
const PopulateCommand = ".populate"

func (f *FSM) applyPopulate(c *commands.Ctx, args [][]byte) {
	if len(args) != 4 {
		c.R.Error("ERR malformed populate entry")
		return
	}
	count, ok1 := commands.ParseInt(args[1])
	size, ok2 := commands.ParseInt(args[3])
	if !ok1 || !ok2 || count < 0 || size < 0 {
		c.R.Error("ERR malformed populate entry")
		return
	}
	prefix := string(args[2])
	for j := int64(0); j < count; j++ {
		key := []byte(prefix + ":" + strconv.FormatInt(j, 10))
		if _, ok := c.Lookup(key); ok {
			continue
		}
		val := "value:" + strconv.FormatInt(j, 10)
		if size > 0 {
			b := make([]byte, size)
			copy(b, val)
			val = string(b)
		}
		c.Put(key, val, false)
		c.Signal(string(key))
		f.prop.Command(c.DB.ID, []byte("SET"), key, []byte(val))
		f.dirty.Add(1)
	}
	c.R.OK()
}
