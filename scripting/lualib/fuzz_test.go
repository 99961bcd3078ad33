package lualib

import (
	"errors"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// callOn runs lib.fn(args...) and fails the test if Go panicked: malformed
// input may raise a Lua error, never crash the server.
func callOn(t *testing.T, lib, fn string, args ...lua.LValue) {
	L := newState()
	defer L.Close()
	f := L.GetField(L.GetGlobal(lib), fn)
	err := L.CallByParam(lua.P{Fn: f, NRet: lua.MultRet, Protect: true}, args...)
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Type == lua.ApiErrorPanic {
		t.Fatalf("%s.%s%q panicked: %v", lib, fn, args, apiErr)
	}
}

func FuzzCJSONDecode(f *testing.F) {
	for _, s := range []string{`[1,{"a":null}]`, `"\ud83d\ude00"`, `-0x1p3`, `{"a":`, "\"\\u12", `nan(`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		callOn(t, "cjson", "decode", lua.LString(s))
	})
}

func FuzzCMsgpackUnpack(f *testing.F) {
	for _, s := range []string{"\x93\x01\xa1x\x81\xa1k\xc0", "\xdb\xff\xff\xff\xff", "\xdd\xff\xff\xff\xff\x01", "\xd9"} {
		f.Add(s, int64(0), int64(0))
	}
	f.Fuzz(func(t *testing.T, s string, limit, offset int64) {
		callOn(t, "cmsgpack", "unpack", lua.LString(s))
		callOn(t, "cmsgpack", "unpack_one", lua.LString(s), lua.LNumber(offset))
		callOn(t, "cmsgpack", "unpack_limit", lua.LString(s), lua.LNumber(limit), lua.LNumber(offset))
	})
}

func FuzzStruct(f *testing.F) {
	for _, s := range []string{">iH", "!4bd", "c0", "i32", "s", "b c0", "!3", "<I9"} {
		f.Add(s, "\x03abcdefghijklmnopqrstuvwxyz\x00", 1.0, int64(1))
	}
	f.Fuzz(func(t *testing.T, format, data string, n float64, pos int64) {
		callOn(t, "struct", "size", lua.LString(format))
		callOn(t, "struct", "pack", lua.LString(format), lua.LNumber(n), lua.LString(data), lua.LNumber(n))
		callOn(t, "struct", "unpack", lua.LString(format), lua.LString(data), lua.LNumber(pos))
	})
}

func FuzzBitTohex(f *testing.F) {
	f.Add(1.0, -8.0)
	f.Fuzz(func(t *testing.T, x, n float64) {
		callOn(t, "bit", "tohex", lua.LNumber(x), lua.LNumber(n))
	})
}
