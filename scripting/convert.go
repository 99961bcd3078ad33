package scripting

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/geomys/geomys/commands"
	"github.com/geomys/geomys/resp"
	lua "github.com/yuin/gopher-lua"
)

// maxDepth bounds nesting in both directions, so a table that contains
// itself gets an error instead of exhausting the stack.
const maxDepth = 256

// replyToLua converts a command's RESP reply to the Lua value redis.call
// returns (the reply was rendered in the script's RESP version). A top-level error
// reply comes back as errMsg (redis.call raises it, redis.pcall returns it
// as {err=...}).
func replyToLua(L *lua.LState, b []byte) (v lua.LValue, errMsg string) {
	if len(b) > 0 && b[0] == '-' {
		line, _, _ := bytes.Cut(b[1:], []byte("\r\n"))
		return nil, string(line)
	}
	v, _ = parseValue(L, b)
	if v == nil {
		v = lua.LFalse
	}
	return v, ""
}

// parseValue converts the RESP value at the start of b; it returns the rest.
func parseValue(L *lua.LState, b []byte) (lua.LValue, []byte) {
	it, rest, err := resp.Next(b)
	if err != nil {
		return lua.LNil, nil
	}
	switch it.Kind {
	case '+':
		t := L.NewTable()
		t.RawSetString("ok", lua.LString(it.Line))
		return t, rest
	case '-':
		t := L.NewTable()
		t.RawSetString("err", lua.LString(it.Line))
		return t, rest
	case ':':
		n, _ := strconv.ParseInt(string(it.Line), 10, 64)
		return lua.LNumber(n), rest
	case '$':
		if it.Bulk == nil {
			return lua.LFalse, rest
		}
		return lua.LString(it.Bulk), rest
	case '=':
		if len(it.Bulk) < 4 {
			return lua.LFalse, rest
		}
		t, f := L.NewTable(), L.NewTable()
		f.RawSetString("format", lua.LString(it.Bulk[:3]))
		f.RawSetString("string", lua.LString(it.Bulk[4:]))
		t.RawSetString("verbatim_string", f)
		return t, rest
	case '*', '~', '%', '>':
		if it.N < 0 {
			return lua.LFalse, rest
		}
		t := L.CreateTable(it.N, 0)
		var v, k lua.LValue
		for i := 0; i < it.N; i++ {
			switch it.Kind {
			case '%':
				k, rest = parseValue(L, rest)
				v, rest = parseValue(L, rest)
				t.RawSet(k, v)
			case '~':
				v, rest = parseValue(L, rest)
				t.RawSet(v, lua.LTrue)
			default:
				v, rest = parseValue(L, rest)
				t.RawSetInt(i+1, v)
			}
		}
		switch it.Kind {
		case '%':
			w := L.NewTable()
			w.RawSetString("map", t)
			return w, rest
		case '~':
			w := L.NewTable()
			w.RawSetString("set", t)
			return w, rest
		}
		return t, rest
	case '|':
		// Attributes are not shown to scripts (as in Redis): skip their
		// pairs and convert the reply they precede.
		for i := 0; i < 2*it.N; i++ {
			_, rest = parseValue(L, rest)
		}
		return parseValue(L, rest)
	case '_':
		return lua.LNil, rest
	case '#':
		return lua.LBool(len(it.Line) > 0 && it.Line[0] == 't'), rest
	case ',':
		f, _ := strconv.ParseFloat(string(it.Line), 64)
		switch string(it.Line) {
		case "inf":
			f = posInf
		case "-inf":
			f = -posInf
		}
		t := L.NewTable()
		t.RawSetString("double", lua.LNumber(f))
		return t, rest
	case '(':
		t := L.NewTable()
		t.RawSetString("big_number", lua.LString(it.Line))
		return t, rest
	}
	return lua.LNil, rest
}

var posInf = func() float64 { f, _ := strconv.ParseFloat("inf", 64); return f }()

// writeLua converts a script's return value to the reply, as Redis does:
// numbers become integers (truncated), false and nil become null, true is
// 1 (a RESP3 boolean once the script called redis.setresp(3)), tables with
// err/ok are error/status replies, {double=}, {map=}, {set=}, {big_number=}
// and {verbatim_string=} the RESP3 types, and other tables arrays cut at the
// first nil. An error table of cmdErrs (a command's error, counted when
// the script ends unless replied) it writes is taken out of cmdErrs: the
// reply's sending counts it, as Redis counts such an error once.
func writeLua(v lua.LValue, r *commands.Reply, scriptResp int, depth int, cmdErrs map[*lua.LTable]string) {
	if depth > maxDepth {
		r.Error("ERR reached lua stack limit")
		return
	}
	switch v := v.(type) {
	case lua.LString:
		r.BulkString(string(v))
	case lua.LNumber:
		r.Int(int64(v))
	case lua.LBool:
		switch {
		case scriptResp == 3:
			r.Bool(bool(v))
		case v == lua.LTrue:
			r.Int(1)
		default:
			r.Null()
		}
	case *lua.LTable:
		writeTable(v, r, scriptResp, depth, cmdErrs)
	default:
		r.Null()
	}
}

func writeTable(t *lua.LTable, r *commands.Reply, scriptResp int, depth int, cmdErrs map[*lua.LTable]string) {
	if e, ok := t.RawGetString("err").(lua.LString); ok {
		delete(cmdErrs, t)
		r.Error(string(e))
		return
	}
	if s, ok := t.RawGetString("ok").(lua.LString); ok {
		r.Simple(string(s))
		return
	}
	if d, ok := t.RawGetString("double").(lua.LNumber); ok {
		r.Double(float64(d))
		return
	}
	if b, ok := t.RawGetString("big_number").(lua.LString); ok {
		// As Redis: a line end would break the reply's framing.
		r.BigNumber(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(b)))
		return
	}
	if m, ok := t.RawGetString("map").(*lua.LTable); ok {
		n := 0
		m.ForEach(func(_, _ lua.LValue) { n++ })
		r.Map(n)
		m.ForEach(func(k, v lua.LValue) {
			writeLua(k, r, scriptResp, depth+1, cmdErrs)
			writeLua(v, r, scriptResp, depth+1, cmdErrs)
		})
		return
	}
	if s, ok := t.RawGetString("set").(*lua.LTable); ok {
		n := 0
		s.ForEach(func(_, _ lua.LValue) { n++ })
		r.Set(n)
		s.ForEach(func(k, _ lua.LValue) { writeLua(k, r, scriptResp, depth+1, cmdErrs) })
		return
	}
	if vs, ok := t.RawGetString("verbatim_string").(*lua.LTable); ok {
		format, _ := vs.RawGetString("format").(lua.LString)
		str, _ := vs.RawGetString("string").(lua.LString)
		r.VerbatimFormat(string(format), string(str))
		return
	}
	n := 0
	for t.RawGetInt(n+1) != lua.LNil {
		n++
	}
	r.Array(n)
	for i := 1; i <= n; i++ {
		writeLua(t.RawGetInt(i), r, scriptResp, depth+1, cmdErrs)
	}
}
