package lualib

import (
	"context"
	"errors"
	"fmt"
	"github.com/geomys/geomys/internal/testutil"
	"regexp"
	"strconv"
	"testing"

	"github.com/redis/go-redis/v9"
	lua "github.com/yuin/gopher-lua"
)

// startReferenceRedis runs a stock redis-server for the test.
func startReferenceRedis(t *testing.T) string { return testutil.StartRedis(t) }

// newState is a gopher-lua state with the libraries Redis scripts see. Its
// registry (gopher-lua's value stack) may grow past the 8000 slots a Lua 5.1
// C function may use, so that the libraries' own limits are the ones hit.
func newState() *lua.LState {
	L := lua.NewState(lua.Options{SkipOpenLibs: true, RegistrySize: 1024 * 16, RegistryMaxSize: 1024 * 64})
	for _, open := range []lua.LGFunction{lua.OpenBase, lua.OpenTable, lua.OpenString, lua.OpenMath} {
		L.Push(L.NewFunction(open))
		L.Call(0, 0)
	}
	OpenAll(L)
	return L
}

// runGopher runs a snippet that returns a string, or fails with a message.
func runGopher(src string) (string, error) {
	L := newState()
	defer L.Close()
	fn, err := L.LoadString(src)
	if err != nil {
		return "", err
	}
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		var apiErr *lua.ApiError
		if errors.As(err, &apiErr) {
			return "", errors.New(lua.LVAsString(apiErr.Object))
		}
		return "", err
	}
	s, ok := L.Get(-1).(lua.LString)
	if !ok {
		return "", fmt.Errorf("snippet returned %s, not a string", L.Get(-1).Type())
	}
	return string(s), nil
}

// redisScriptError pulls the Lua message out of Redis's script error reply.
var redisScriptError = regexp.MustCompile(`^ERR (.*) script: [0-9a-f]+, on @user_script:\d+\.$`)

// positionPrefix is where the two interpreters differ in name only: Redis
// runs scripts as "user_script", gopher-lua's LoadString as "<string>". It
// is stripped from both sides, wherever a message starts with it.
var positionPrefix = regexp.MustCompile(`^(user_script|<string>):\d+: `)

func normalise(s string) string {
	return positionPrefix.ReplaceAllString(s, "")
}

// compareCorpus is the corpus run through both interpreters. Every snippet
// returns a string; errors are caught with pcall and returned as text.
// Objects with more than one key are avoided: gopher-lua iterates tables in
// insertion order, Redis in hash order.
var compareCorpus = []string{
	// cjson: encoding
	`return cjson.encode(cjson.decode('[1,2,{"a":null}]'))`,
	`return cjson.encode({})`,
	`return cjson.encode({1, 2, 3})`,
	`return cjson.encode({1, 2, nil, 4})`,
	`return cjson.encode({a = {b = {c = 'd'}}})`,
	`return cjson.encode('a/b"c\\d\n\r\t\b\f' .. string.char(0, 1, 31, 127, 128, 255))`,
	`return cjson.encode(0.1)`,
	`return cjson.encode(1/3)`,
	`return cjson.encode(-0.0)`,
	`return cjson.encode(1e20)`,
	`return cjson.encode(123456789012345678)`,
	`return cjson.encode(1e-7)`,
	`return cjson.encode(3.14159265358979)`,
	`return cjson.encode(2^53)`,
	`return cjson.encode(true) .. cjson.encode(false) .. cjson.encode(cjson.null)`,
	`return cjson.encode({[1] = 'a', [2] = 'b', [4] = 'd'})`,
	`return cjson.encode({[10] = 1})`,
	`return cjson.encode({[1.5] = 1})`,
	`return cjson.encode({[0] = 'zero'})`,
	`return cjson.encode({[-1] = 'neg'})`,
	`return cjson.encode({{}, {{}}, {1, {2}}})`,
	`local ok, e = pcall(function() return cjson.encode({[1] = 1, [20] = 1}) end) return e`,
	`local ok, e = pcall(function() return cjson.encode(function() end) end) return e`,
	`local ok, e = pcall(function() return cjson.encode({[true] = 1}) end) return e`,
	`local ok, e = pcall(function() return cjson.encode(1/0) end) return e`,
	`local ok, e = pcall(function() return cjson.encode(0/0) end) return e`,
	`local ok, e = pcall(function() return cjson.encode() end) return e`,
	`local ok, e = pcall(function() return cjson.encode(1, 2) end) return e`,
	`local t = {} t.t = t local ok, e = pcall(function() return cjson.encode(t) end) return e`,
	`local t = {} local c = t for i = 1, 1000 do c[1] = {} c = c[1] end return #cjson.encode(t) .. ''`,
	`local t = {} local c = t for i = 1, 1001 do c[1] = {} c = c[1] end local ok, e = pcall(cjson.encode, t) return e`,
	`cjson.encode_sparse_array(true) local r = cjson.encode({[1] = 1, [20] = 1}) cjson.encode_sparse_array(false) return r`,
	`local a, b, c = cjson.encode_sparse_array() return tostring(a) .. b .. c`,
	`local a, b, c = cjson.encode_sparse_array(false, 0) local r = cjson.encode({[100] = 1}) cjson.encode_sparse_array(false, 2, 10) return r`,
	`cjson.encode_number_precision(3) local r = cjson.encode(3.14159) cjson.encode_number_precision(14) return r`,
	`local ok, e = pcall(function() return cjson.encode_number_precision(15) end) return e`,
	`local ok, e = pcall(function() return cjson.encode_number_precision('x') end) return e`,
	`local ok, e = pcall(function() return cjson.encode_max_depth(0) end) return e`,
	`local ok, e = pcall(function() return cjson.encode_keep_buffer('maybe') end) return e`,
	`local ok, e = pcall(function() return cjson.encode_keep_buffer(1, 2) end) return e`,
	`cjson.encode_max_depth(2) local ok, e = pcall(cjson.encode, {{{1}}}) cjson.encode_max_depth(1000) return e`,
	`cjson.encode_invalid_numbers(true) local r = cjson.encode({1/0, -1/0, 0/0}) cjson.encode_invalid_numbers(false) return r`,
	`local r = tostring(cjson.encode_invalid_numbers('null')) .. cjson.encode({1/0}) cjson.encode_invalid_numbers(false) return r`,
	`return tostring(cjson.encode_keep_buffer()) .. tostring(cjson.decode_invalid_numbers()) .. cjson.encode_max_depth() .. cjson.decode_max_depth() .. cjson.encode_number_precision()`,
	`return cjson._NAME .. ' ' .. cjson._VERSION`,
	`local j = cjson.new() j.encode_number_precision(2) return j.encode(1.2345) .. cjson.encode(1.2345)`,
	`return type(cjson.null) .. tostring(cjson.new().null == cjson.null)`,
	// cjson: decoding
	`return tostring(cjson.decode('null') == cjson.null)`,
	`return string.format('%.17g', cjson.decode(' 1.5e3 '))`,
	`return string.format('%.17g', cjson.decode('-0.1'))`,
	`return cjson.decode('"\\u00e9\\u20ac\\ud83d\\ude00\\/\\b"')`,
	`return cjson.decode('"\\u0041\\n"')`,
	`local t = cjson.decode('{"a":[1,2,3]}') return #t.a .. ''`,
	`local t = cjson.decode('[true,false,null]') return tostring(t[1]) .. tostring(t[2]) .. tostring(t[3] == cjson.null)`,
	`return string.format('%.17g', cjson.decode('0x10'))`,
	`return string.format('%.17g', cjson.decode('+5'))`,
	`return string.format('%.17g', cjson.decode('007'))`,
	`return tostring(cjson.decode('-Infinity') == -1/0) .. tostring(cjson.decode('inf') == 1/0)`,
	`local v = cjson.decode('nan') return tostring(v ~= v)`,
	`local ok, e = pcall(cjson.decode, 'x') return e`,
	`local ok, e = pcall(function() return cjson.decode('x') end) return e`,
	`local ok, e = pcall(cjson.decode, '') return e`,
	`local ok, e = pcall(cjson.decode, '[1,2') return e`,
	`local ok, e = pcall(cjson.decode, '[1 2]') return e`,
	`local ok, e = pcall(cjson.decode, '{"a" 1}') return e`,
	`local ok, e = pcall(cjson.decode, '{1:2}') return e`,
	`local ok, e = pcall(cjson.decode, '{"a":1,}') return e`,
	`local ok, e = pcall(cjson.decode, '[1] x') return e`,
	`local ok, e = pcall(cjson.decode, '"abc') return e`,
	`local ok, e = pcall(cjson.decode, '"\\q"') return e`,
	`local ok, e = pcall(cjson.decode, '"\\u12"') return e`,
	`local ok, e = pcall(cjson.decode, '"\\udc00"') return e`,
	`local ok, e = pcall(cjson.decode, 'nul') return e`,
	`local ok, e = pcall(cjson.decode, '-') return e`,
	`local ok, e = pcall(cjson.decode, '.5') return e`,
	`local ok, e = pcall(cjson.decode, '1' .. string.char(0) .. '2') return e`,
	`local ok, e = pcall(cjson.decode, '[1]' .. string.char(0) .. 'x') return tostring(ok)`,
	`local ok, e = pcall(cjson.decode) return e`,
	`local ok, e = pcall(function() return cjson.decode({}) end) return e`,
	`cjson.decode_invalid_numbers(false) local ok, e = pcall(cjson.decode, '0x10') cjson.decode_invalid_numbers(true) return e`,
	`cjson.decode_invalid_numbers(false) local ok, e = pcall(cjson.decode, 'NaN') cjson.decode_invalid_numbers(true) return e`,
	`cjson.decode_max_depth(2) local ok, e = pcall(cjson.decode, '[[[1]]]') cjson.decode_max_depth(1000) return e`,
	`cjson.decode_max_depth(2) local ok, e = pcall(cjson.decode, '{"a":[[1]]}') cjson.decode_max_depth(1000) return e`,
	`local ok, e = pcall(cjson.decode, string.rep('[', 1001) .. string.rep(']', 1001)) return e`,
	`return cjson.encode(cjson.decode('[{"k":"v"},[],{},"s",1.25,-7]'))`,
	`return string.format('%.17g', cjson.decode(123))`,
	// cmsgpack: packing
	`return cmsgpack.pack(1, -1, 2^40, 1.5, 'x', {1,2}, {a=1})`,
	`return cmsgpack.pack(0, 127, 128, 255, 256, 65535, 65536, 4294967295, 4294967296)`,
	`return cmsgpack.pack(-32, -33, -128, -129, -32768, -32769, -2147483648, -2147483649)`,
	`return cmsgpack.pack(2^63, -2^63, 2^64, 0.1, 1e300, 1/0, -1/0, 3.25)`,
	`return cmsgpack.pack(string.rep('a', 31), string.rep('b', 32), string.rep('c', 255), string.rep('d', 256))`,
	`return cmsgpack.pack(string.rep('e', 65536))`,
	`return cmsgpack.pack(nil, true, false, cjson.null, type)`,
	`local t = {} for i = 1, 16 do t[i] = i end return cmsgpack.pack(t)`,
	`local t = {} for i = 1, 70000 do t[i] = 0 end return cmsgpack.pack(t)`,
	`local t = {} for i = 1, 20 do t['k' .. i] = i end return #cmsgpack.pack(t) .. ''`,
	`return cmsgpack.pack({1, nil, 3})`,
	`return cmsgpack.pack({[2] = 2})`,
	`return cmsgpack.pack({[1.5] = 1})`,
	`return cmsgpack.pack({['1'] = 'x'})`,
	`return cmsgpack.pack({})`,
	`local t = {} t[1] = t return cmsgpack.pack(t)`,
	`local ok, e = pcall(function() return cmsgpack.pack() end) return e`,
	`return cmsgpack._NAME .. cmsgpack._VERSION .. cmsgpack._COPYRIGHT .. cmsgpack._DESCRIPTION`,
	// cmsgpack: unpacking
	`return cmsgpack.pack(cmsgpack.unpack(cmsgpack.pack(1, -1, 2^40, 1.5, 'x', {1,2}, {a=1})))`,
	`local a, b, c = cmsgpack.unpack(cmsgpack.pack(1, 'two', 3)) return a .. b .. c`,
	`return string.format('%.17g', cmsgpack.unpack('\203\63\185\153\153\153\153\153\154'))`,
	`return string.format('%.17g', cmsgpack.unpack('\202\62\32\0\0'))`,
	`return string.format('%.17g', cmsgpack.unpack('\207\255\255\255\255\255\255\255\255'))`,
	`return string.format('%.17g', cmsgpack.unpack('\211\128\0\0\0\0\0\0\0'))`,
	`return string.format('%d %d %d %d', cmsgpack.unpack('\208\128\209\128\0\210\128\0\0\0\224'))`,
	`return cmsgpack.unpack('\217\3abc') .. cmsgpack.unpack('\218\0\2de') .. cmsgpack.unpack('\219\0\0\0\1f')`,
	`local t = cmsgpack.unpack('\222\0\1\161k\161v') return t.k`,
	`local t = cmsgpack.unpack('\220\0\2\1\2') return t[1] + t[2] .. ''`,
	`return tostring(select('#', cmsgpack.unpack(''))) .. tostring(cmsgpack.unpack('\192'))`,
	`local ok, e = pcall(cmsgpack.unpack, '\196\1a') return e`,
	`local ok, e = pcall(cmsgpack.unpack, '\212\1a') return e`,
	`local ok, e = pcall(cmsgpack.unpack, '\193') return e`,
	`local ok, e = pcall(cmsgpack.unpack, '\204') return e`,
	`local ok, e = pcall(cmsgpack.unpack, '\146\1') return e`,
	`local ok, e = pcall(function() return cmsgpack.unpack('\217\5ab') end) return e`,
	`local ok, e = pcall(function() return cmsgpack.unpack() end) return e`,
	`local ok, e = pcall(cmsgpack.unpack, '\129\192\1') return e`,
	`local o, a = cmsgpack.unpack_one(cmsgpack.pack(1, 2)) return o .. ' ' .. a`,
	`local o, a = cmsgpack.unpack_one(cmsgpack.pack(1, 2), 1) return o .. ' ' .. a`,
	`local o, a, b = cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 2) return o .. ' ' .. a .. b`,
	`return select('#', cmsgpack.unpack_limit(cmsgpack.pack(1, 2, 3), 0)) .. ''`,
	`local ok, e = pcall(function() return cmsgpack.unpack_one('abc', -1) end) return e`,
	`local ok, e = pcall(function() return cmsgpack.unpack_one('abc', 4) end) return e`,
	`local ok, e = pcall(function() return cmsgpack.unpack_limit('abc') end) return e`,
	`local ok, e = pcall(cmsgpack.unpack, string.rep('\145', 5000) .. '\1') return e`,
	`local ok, e = pcall(cmsgpack.unpack, string.rep('\145', 3999) .. '\1') return tostring(ok)`,
	`local ok, e = pcall(cmsgpack.unpack, string.rep('\145', 4000) .. '\1') return e`,
	`local ok, e = pcall(cmsgpack.unpack, string.rep('\129\1', 3999) .. '\1') return tostring(ok)`,
	`local ok, e = pcall(cmsgpack.unpack, string.rep('\129\1', 4000) .. '\1') return e`,
	`local ok, e = pcall(cmsgpack.unpack, string.rep('\1', 7999)) return tostring(ok)`,
	`local ok, e = pcall(cmsgpack.unpack, string.rep('\1', 8000)) return e`,
	`return select('#', cmsgpack.unpack_limit(string.rep('\1', 9000), 5)) .. ''`,
	// bit
	`return bit.tohex(-1) .. bit.tohex(255, 2) .. bit.tohex(255, -4) .. bit.tohex(1, 20) .. bit.tohex(0x12345678, 0)`,
	`return string.format('%d %d %d', bit.tobit(2^32 + 5), bit.tobit(2^31), bit.tobit(-1))`,
	`return string.format('%d %d %d %d', bit.tobit(1.5), bit.tobit(2.5), bit.tobit(-1.5), bit.tobit(0.4999))`,
	`return string.format('%d %d', bit.tobit(2^52 + 3), bit.tobit(1e300))`,
	`return string.format('%d %d %d', bit.bnot(0), bit.band(0xff, 0x0f, 0x3c), bit.bor(1, 2, 4, 8))`,
	`return string.format('%d %d', bit.bxor(0xff, 0x0f), bit.band(-1))`,
	`return string.format('%d %d %d', bit.lshift(1, 31), bit.lshift(1, 32), bit.lshift(1, 33))`,
	`return string.format('%d %d %d', bit.rshift(-1, 28), bit.arshift(-256, 4), bit.arshift(256, 36))`,
	`return string.format('%d %d %d %d', bit.rol(0x12345678, 8), bit.ror(0x12345678, 8), bit.rol(1, 0), bit.ror(1, 32))`,
	`return string.format('%d %d', bit.bswap(0x12345678), bit.bswap(-1))`,
	`return string.format('%d', bit.tobit('0x10'))`,
	`return string.format('%d %d', bit.band('12', ' 10 '), bit.tobit('1e3'))`,
	`local ok, e = pcall(function() return bit.tohex() end) return e`,
	`local ok, e = pcall(function() return bit.band(1, 'x') end) return e`,
	`local ok, e = pcall(function() return bit.tohex(1, nil) end) return e`,
	`local ok, e = pcall(bit.tohex) return e`,
	`local ok, e = pcall(function() local t = bit.tobit({}) return t end) return e`,
	`local f = bit.lshift local ok, e = pcall(function() return f(1, {}) end) return e`,
	// struct
	`return struct.pack('>iH', 1, 2)`,
	`return struct.pack('<iH', 1, 2)`,
	`return struct.pack('bBhHlLT', -1, 255, -2, 65535, -3, 2^40, 7)`,
	`return struct.pack('>i3I5', -2, 2^33)`,
	`return struct.pack('>fd', 1.5, -0.1)`,
	`return struct.pack('<fd', 1.5, -0.1)`,
	`return struct.pack('s', 'abc') .. struct.pack('c5', 'abcdefg') .. struct.pack('c0', 'xyz')`,
	`return struct.pack('!4 b i', 1, 2) .. '|' .. struct.pack('!b d', 1, 2) .. '|' .. struct.pack('!2b i', 1, 2)`,
	`return struct.pack('>bxxI2', 1, 2)`,
	`return struct.pack('>i16', -1) .. struct.pack('<I10', 2^60)`,
	`return struct.pack('>L', 2^64) .. struct.pack('>l', -2^63) .. struct.pack('>I', 2^32 + 1)`,
	`return struct.pack('i', '12')`,
	`return struct.pack('c', 12)`,
	`return string.format('%.17g %.17g %d', struct.unpack('>iH', struct.pack('>iH', -5, 7)))`,
	`return string.format('%.17g %.17g %d', struct.unpack('<fd', struct.pack('<fd', 0.1, 0.1)))`,
	`local a, b, c, n = struct.unpack('bBh', '\255\255\255\127') return a .. ' ' .. b .. ' ' .. c .. ' ' .. n`,
	`local s, n = struct.unpack('s', 'hello\0world') return s .. n`,
	`local n, s, p = struct.unpack('b c0', '\3abcd') return n .. s .. tostring(p)`,
	`local a, b, p = struct.unpack('>i16 I3', string.rep('\255', 16) .. '\1\2\3') return string.format('%.17g %d %d', a, b, p)`,
	`local a, p = struct.unpack('>i9', '\128\0\0\0\0\0\0\0\1') return string.format('%.17g %d', a, p)`,
	`local a, p = struct.unpack('H', 'xxab', 3) return a .. ' ' .. p`,
	`return struct.size('>iH') .. ' ' .. struct.size('!8bd') .. ' ' .. struct.size('c10xT') .. ' ' .. struct.size('z')`,
	`local ok, e = pcall(struct.size, 's') return e`,
	`local ok, e = pcall(struct.size, 'c0') return e`,
	`local ok, e = pcall(function() return struct.pack('z', 1) end) return e`,
	`local ok, e = pcall(function() return struct.pack('i3') end) return e`,
	`local ok, e = pcall(function() return struct.pack('i', 'x') end) return e`,
	`local ok, e = pcall(function() return struct.pack('c5', 'abc') end) return e`,
	`local ok, e = pcall(function() return struct.pack('i64', 1) end) return e`,
	`local ok, e = pcall(function() return struct.pack('c99999999999', 'a') end) return e`,
	`local ok, e = pcall(function() return struct.pack('!3i', 1) end) return e`,
	`local ok, e = pcall(function() return struct.unpack('i', 'abc') end) return e`,
	`local ok, e = pcall(function() return struct.unpack('s', 'abc') end) return e`,
	`local ok, e = pcall(function() return struct.unpack('c0', 'abc') end) return e`,
	`local ok, e = pcall(function() return struct.unpack('i', 'abcd', 0) end) return e`,
	`local ok, e = pcall(function() return struct.unpack('b c0', '\9abc') end) return e`,
	`local ok, e = pcall(function() return struct.pack() end) return e`,
	`local ok, e = pcall(function() return struct.unpack('i') end) return e`,
	// edge cases
	`return cjson.encode({0.1 + 0.2, 1e15, 1e14, 123456789012345, -1e-5, 5e-324, 1.7976931348623157e308, 99999999999999.5})`,
	`return cjson.encode({['1'] = 1}) .. cjson.encode({[1] = 1, [2] = 2})`,
	`local t = cjson.decode('{"a":1,"a":2}') return cjson.encode(t)`,
	`return cjson.encode(cjson.decode('\t[ 1 ,\n2 ]\r'))`,
	`local s = cjson.decode('"a\\u0000b"') return #s .. cjson.encode(s)`,
	`local ok, e = pcall(cjson.decode, 'truex') return e`,
	`local ok, e = pcall(cjson.decode, '[1,]') return e`,
	`local ok, e = pcall(cjson.decode, '{"a":1 "b":2}') return e`,
	`local ok, e = pcall(cjson.decode, '[1' .. string.char(200) .. ']') return e`,
	`local ok, e = pcall(cjson.decode, '"\\ud800\\u0041"') return e`,
	`return tostring(cjson.decode('1e400') == 1/0) .. string.format(' %.17g %.17g', cjson.decode('-0'), cjson.decode('1E+2'))`,
	`local a = cjson.encode_sparse_array('on') local r = cjson.encode({[30] = 1}) cjson.encode_sparse_array(false) return tostring(a) .. r`,
	`local ok, e = pcall(function() return cjson.encode_sparse_array(true, -1) end) cjson.encode_sparse_array(false) return e`,
	`local ok, e = pcall(function() return cjson.encode_sparse_array(false, 2, 'x') end) return e`,
	`local ok, e = pcall(function() return cjson.encode_sparse_array(false, 2, 10, 1) end) return e`,
	`return tostring(cjson.encode_keep_buffer('off')) .. tostring(cjson.encode_keep_buffer(true))`,
	`local r = tostring(cjson.encode_invalid_numbers('on')) cjson.encode_invalid_numbers('off') return r`,
	`local ok, e = pcall(function() return cjson.encode_invalid_numbers('bogus') end) return e`,
	`local ok, e = pcall(function() return cjson.decode_invalid_numbers(1) end) return e`,
	`cjson.encode_invalid_numbers(true) local r = cjson.encode({[1/0] = 1}) cjson.encode_invalid_numbers(false) return r`,
	`cjson.encode_max_depth(5000) local t = {} local c = t for i = 1, 4500 do c.k = {} c = c.k end local ok, e = pcall(cjson.encode, t) cjson.encode_max_depth(1000) return e`,
	`cjson.decode_max_depth(5000) local ok, e = pcall(cjson.decode, string.rep('{"k":', 4500)) cjson.decode_max_depth(1000) return e`,
	`return cmsgpack.pack(0.5, -0.0, 0/0, 2^-149, 16777217, 2^31, -2^31 - 1)`,
	`return cmsgpack.pack({[1] = 1, [3] = 3}) .. cmsgpack.pack({[0] = 0}) .. cmsgpack.pack({[-1] = 1})`,
	`local t = {} local c = t for i = 1, 20 do c[1] = {} c = c[1] end return cmsgpack.pack(t)`,
	`local t = cmsgpack.unpack('\129\161a\192') return tostring(next(t))`,
	`local ok, e = pcall(cmsgpack.unpack, '\129\203\127\248\0\0\0\0\0\0\1') return e`,
	`local o = cmsgpack.unpack_one('\1', 1) return tostring(o)`,
	`local ok, e = pcall(function() return cmsgpack.unpack_limit('abc', -1) end) return e`,
	`local ok, e = pcall(function() return cmsgpack.unpack_one('abc', 'x') end) return e`,
	`local t = cmsgpack.unpack('\222\0\2\217\5delay\205\3\232\217\8attempts\3') return t.delay .. ' ' .. t.attempts`,
	`return cmsgpack.pack(cmsgpack.unpack('\223\0\0\0\1\161k\221\0\0\0\2\1\2'))`,
	`return string.format('%d %d %d', bit.lshift(1, -1), bit.tobit(2^53), bit.tobit(-2^31 - 0.5))`,
	`return bit.tohex(-1, -8) .. bit.tohex(0x7fffffff, 3) .. bit.tohex(-2, 9)`,
	`return struct.pack('<i', 2^31) .. struct.pack('<i', -2^63 - 2^20) .. struct.pack('>L', 2^63)`,
	`return struct.pack('I', 1.9) .. struct.pack('i', -1.9) .. struct.pack('b', 300)`,
	`return struct.pack('!bxd', 1, 2) .. struct.pack('!bT', 1, 2) .. struct.size('!bxd') .. struct.size('!2bd')`,
	`return string.format('%.17g %d', struct.unpack('>f', '\64\73\15\219'))`,
	`local ok, e = pcall(function() return struct.unpack('i', 'abcd', 2) end) return e`,
	`local a, p = struct.unpack('>', 'x', 5) return p .. ''`,
	`return struct.pack('>h', -2) .. struct.pack('<H', 65536 + 2)`,
	`return struct.pack(' > i 2', 1)`,
}

// TestCompareWithRedis runs every corpus snippet through redis-server's
// EVAL and through gopher-lua with these libraries, and requires the same
// string from both.
func TestCompareWithRedis(t *testing.T) {
	addr := startReferenceRedis(t)
	rc := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer rc.Close()
	ctx := context.Background()
	if len(compareCorpus) < 80 {
		t.Fatalf("corpus has %d snippets, want at least 80", len(compareCorpus))
	}
	for i, src := range compareCorpus {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			// Settings set by one script outlive it in Redis; a fresh
			// interpreter per snippet keeps the corpus order-free.
			if err := rc.ScriptFlush(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			var want string
			v, err := rc.Eval(ctx, src, nil).Result()
			if err != nil {
				m := redisScriptError.FindStringSubmatch(err.Error())
				if m == nil {
					t.Fatalf("redis: %v\nsnippet: %s", err, src)
				}
				want = "error: " + normalise(m[1])
			} else if s, ok := v.(string); ok {
				want = normalise(s)
			} else {
				t.Fatalf("redis returned %T %v, not a string\nsnippet: %s", v, v, src)
			}
			got, err := runGopher(src)
			if err != nil {
				got = "error: " + normalise(err.Error())
			} else {
				got = normalise(got)
			}
			if got != want {
				t.Errorf("snippet: %s\nredis:  %q\ngopher: %q", src, want, got)
			}
		})
	}
}
