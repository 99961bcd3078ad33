package fsm

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"maps"
	"slices"
	"strings"

	"github.com/geomys/geomys/commands"
)

// ScriptCommand is the internal command that keeps the script cache, which is
// replicated data: [".script", "load", body] or [".script", "flush"]. A script
// loaded on any node (SCRIPT LOAD, or the first EVAL of it) is known to every
// node, after a failover and after a restart, so EVALSHA keeps working: a
// queue that saw NOSCRIPT mid-job could lose work.
const ScriptCommand = ".script"

// scriptPrefix starts the AOF annotation that carries a script body (base64,
// to stay on one line); redis-server skips it, a restart reloads it.
const (
	scriptPrefix      = "geomys:script "
	scriptFlushPrefix = "geomys:scriptflush"
)

// ScriptSHA is the name Redis gives a script body.
func ScriptSHA(body []byte) string {
	sum := sha1.Sum(body)
	return hex.EncodeToString(sum[:])
}

func (f *FSM) applyScript(c *commands.Ctx, args [][]byte) {
	switch {
	case len(args) == 3 && string(args[1]) == "load":
		body := string(args[2])
		f.scripts[ScriptSHA(args[2])] = body
		f.prop.Annotate(scriptPrefix + base64.StdEncoding.EncodeToString(args[2]))
		c.R.OK()
	case len(args) == 2 && string(args[1]) == "flush":
		clear(f.scripts)
		f.prop.Annotate(scriptFlushPrefix)
		c.R.OK()
	default:
		c.R.Error("ERR malformed script entry")
	}
}

// loadScriptNote replays a script annotation found in the AOF.
func (f *FSM) loadScriptNote(note string) bool {
	if note == scriptFlushPrefix {
		clear(f.scripts)
		return true
	}
	rest, ok := strings.CutPrefix(note, scriptPrefix)
	if !ok {
		return false
	}
	if body, err := base64.StdEncoding.DecodeString(rest); err == nil {
		f.scripts[ScriptSHA(body)] = string(body)
	}
	return true
}

func appendScriptNotes(buf []byte, scripts map[string]string) []byte {
	for _, sha := range slices.Sorted(maps.Keys(scripts)) {
		buf = append(buf, '#')
		buf = append(buf, scriptPrefix...)
		buf = base64.StdEncoding.AppendEncode(buf, []byte(scripts[sha]))
		buf = append(buf, '\r', '\n')
	}
	return buf
}

// Script returns the body of a cached script by its sha (lower case hex).
func (f *FSM) Script(sha string) (string, bool) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	body, ok := f.scripts[sha]
	return body, ok
}

// ScriptsExist reports for each sha whether the cache holds it.
func (f *FSM) ScriptsExist(shas []string) []bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	out := make([]bool, len(shas))
	for i, sha := range shas {
		_, out[i] = f.scripts[strings.ToLower(sha)]
	}
	return out
}

// ScriptCount is how many scripts the cache holds (INFO).
func (f *FSM) ScriptCount() int {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return len(f.scripts)
}
