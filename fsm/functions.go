package fsm

import (
	"crypto/sha1"
	"maps"
	"slices"
	"strings"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/resp"
)

// FunctionCommand is the internal command that changes the function
// libraries, which are part of the dataset as in Redis 7:
// [".function", "load", name, code], [".function", "delete", name] or
// [".function", "flush"]. The leader validated the code before proposing.
// The AOF gets FUNCTION LOAD REPLACE / DELETE / FLUSH, which a stock
// redis-server loads too.
const FunctionCommand = ".function"

func (f *FSM) applyFunction(c *commands.Ctx, args [][]byte) {
	switch {
	case len(args) == 4 && string(args[1]) == "load":
		f.libraries[string(args[2])] = string(args[3])
		f.prop.Command(c.DB.ID, []byte("FUNCTION"), []byte("LOAD"), []byte("REPLACE"), args[3])
	case len(args) == 3 && string(args[1]) == "delete":
		delete(f.libraries, string(args[2]))
		f.prop.Command(c.DB.ID, []byte("FUNCTION"), []byte("DELETE"), args[2])
	case len(args) == 2 && string(args[1]) == "flush":
		clear(f.libraries)
		f.prop.CommandStrings(c.DB.ID, "FUNCTION", "FLUSH")
	default:
		c.R.Error("ERR malformed function entry")
		return
	}
	f.libVersion.Add(1)
	f.dirty.Add(1)
	c.R.OK()
}

// loadFunctionCommand replays a FUNCTION command found in the AOF.
func (f *FSM) loadFunctionCommand(args [][]byte) {
	if len(args) < 2 {
		return
	}
	switch strings.ToLower(string(args[1])) {
	case "load":
		code := args[len(args)-1]
		if _, name, errMsg := commands.LibraryHeader(string(code)); errMsg == "" {
			f.libraries[name] = string(code)
		}
	case "delete":
		if len(args) == 3 {
			delete(f.libraries, string(args[2]))
		}
	case "flush":
		clear(f.libraries)
	}
	f.libVersion.Add(1)
}

// Libraries returns the function libraries (name → code) and a version
// that changes whenever they do, so the server knows when to recompile.
func (f *FSM) Libraries() (version uint64, libs map[string]string) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.libVersion.Load(), maps.Clone(f.libraries)
}

// Digest is the dataset's digest (commands.Store.Digest) with the function
// libraries mixed in, since they are part of the dataset: each library
// XORs sha1(name, code) into it, so their order does not matter and an
// empty set leaves the keys' digest as it is.
func (f *FSM) Digest(now int64) [20]byte {
	f.mu.RLock()
	defer f.mu.RUnlock()
	d := f.store.Digest(now)
	f.digestACL(&d)
	for name, code := range f.libraries {
		h := sha1.New()
		h.Write([]byte("function\x00" + name + "\x00"))
		h.Write([]byte(code))
		var sum [20]byte
		h.Sum(sum[:0])
		for i := range d {
			d[i] ^= sum[i]
		}
	}
	return d
}

// LibraryVersion is the version Libraries would report.
func (f *FSM) LibraryVersion() uint64 { return f.libVersion.Load() }

func appendFunctionLoads(buf []byte, libs map[string]string) []byte {
	for _, name := range slices.Sorted(maps.Keys(libs)) {
		buf = resp.AppendCommand(buf, "FUNCTION", "LOAD", "REPLACE", libs[name])
	}
	return buf
}
