package lualib

import (
	"fmt"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// OpenCJSON registers the global `cjson`, lua-cjson 2.1.0 as Redis embeds it.
func OpenCJSON(L *lua.LState) {
	L.SetGlobal("cjson", newCJSON(L))
}

// cjsonConfig is one module table's settings; cjson.new() makes another.
type cjsonConfig struct {
	sparseConvert  int
	sparseRatio    int
	sparseSafe     int
	encodeMaxDepth int
	decodeMaxDepth int
	encodeInvalid  int // 0 refuse, 1 write inf/nan, 2 write null
	decodeInvalid  int
	keepBuffer     int
	precision      int
}

const cjsonNullKey = "geomys.lualib.cjson.null"

// cjsonNull is the state's cjson.null. In C it is a NULL light userdata, so
// every cjson table shares it; here one userdata per state plays that part.
func cjsonNull(L *lua.LState) *lua.LUserData {
	if ud, ok := L.G.Registry.RawGetString(cjsonNullKey).(*lua.LUserData); ok {
		return ud
	}
	ud := L.NewUserData()
	L.G.Registry.RawSetString(cjsonNullKey, ud)
	return ud
}

func newCJSON(L *lua.LState) *lua.LTable {
	cfg := &cjsonConfig{
		sparseRatio:    2,
		sparseSafe:     10,
		encodeMaxDepth: 1000,
		decodeMaxDepth: 1000,
		decodeInvalid:  1,
		keepBuffer:     1,
		precision:      14,
	}
	null := cjsonNull(L)
	fns := map[string]lua.LGFunction{
		"encode": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				argError(L, 1, "expected 1 argument")
			}
			e := &jsonEncoder{L: L, cfg: cfg, null: null, top: 1}
			e.value(L.Get(1), 0)
			L.Push(lua.LString(e.buf))
			return 1
		},
		"decode": func(L *lua.LState) int {
			if L.GetTop() != 1 {
				argError(L, 1, "expected 1 argument")
			}
			s := checkLString(L, 1)
			if len(s) >= 2 && (s[0] == 0 || s[1] == 0) {
				raise(L, "JSON parser does not support UTF-16 or UTF-32")
			}
			d := &jsonDecoder{L: L, cfg: cfg, null: null, data: s, top: 1}
			tok := d.next()
			v := d.value(tok)
			if tok = d.next(); tok.typ != tEnd {
				d.parseError("the end", tok)
			}
			L.Push(v)
			return 1
		},
		"encode_sparse_array": func(L *lua.LState) int {
			cjsonArgInit(L, 3)
			cjsonEnumOption(L, 1, &cfg.sparseConvert, nil)
			cjsonIntOption(L, 2, &cfg.sparseRatio, 0, math.MaxInt32)
			cjsonIntOption(L, 3, &cfg.sparseSafe, 0, math.MaxInt32)
			return 3
		},
		"encode_max_depth": func(L *lua.LState) int {
			cjsonArgInit(L, 1)
			return cjsonIntOption(L, 1, &cfg.encodeMaxDepth, 1, math.MaxInt32)
		},
		"decode_max_depth": func(L *lua.LState) int {
			cjsonArgInit(L, 1)
			return cjsonIntOption(L, 1, &cfg.decodeMaxDepth, 1, math.MaxInt32)
		},
		"encode_number_precision": func(L *lua.LState) int {
			cjsonArgInit(L, 1)
			return cjsonIntOption(L, 1, &cfg.precision, 1, 14)
		},
		"encode_keep_buffer": func(L *lua.LState) int {
			cjsonArgInit(L, 1)
			return cjsonEnumOption(L, 1, &cfg.keepBuffer, nil)
		},
		"encode_invalid_numbers": func(L *lua.LState) int {
			cjsonArgInit(L, 1)
			return cjsonEnumOption(L, 1, &cfg.encodeInvalid, []string{"off", "on", "null"})
		},
		"decode_invalid_numbers": func(L *lua.LState) int {
			cjsonArgInit(L, 1)
			return cjsonEnumOption(L, 1, &cfg.decodeInvalid, nil)
		},
		"new": func(L *lua.LState) int {
			L.Push(newCJSON(L))
			return 1
		},
	}
	t := L.SetFuncs(L.NewTable(), fns)
	t.RawSetString("null", null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

// cjsonArgInit refuses extra arguments and pads missing ones with nil.
func cjsonArgInit(L *lua.LState, args int) {
	if L.GetTop() > args {
		argError(L, args+1, "found too many arguments")
	}
	for L.GetTop() < args {
		L.Push(lua.LNil)
	}
}

// cjsonIntOption sets an integer setting when given and pushes its value.
// The C code blames argument 1 for a value out of range whatever its place.
func cjsonIntOption(L *lua.LState, n int, setting *int, min, max int) int {
	if L.Get(n) != lua.LNil {
		v := int(int32(checkInteger(L, n)))
		if v < min || v > max {
			argError(L, 1, fmt.Sprintf("expected integer between %d and %d", min, max))
		}
		*setting = v
	}
	L.Push(lua.LNumber(*setting))
	return 1
}

// cjsonEnumOption sets an enumerated setting from a boolean or one of its
// names, and pushes it back as a boolean when it is off or on.
func cjsonEnumOption(L *lua.LState, n int, setting *int, options []string) int {
	if options == nil {
		options = []string{"off", "on"}
	}
	if v := L.Get(n); v != lua.LNil {
		if b, ok := v.(lua.LBool); ok {
			*setting = 0
			if b {
				*setting = 1
			}
		} else {
			name := checkLString(L, n)
			if i := strings.IndexByte(name, 0); i >= 0 {
				name = name[:i]
			}
			found := -1
			for i, o := range options {
				if o == name {
					found = i
					break
				}
			}
			if found < 0 {
				argError(L, n, fmt.Sprintf("invalid option '%s'", name))
			}
			*setting = found
		}
	}
	if *setting <= 1 {
		L.Push(lua.LBool(*setting == 1))
	} else {
		L.Push(lua.LString(options[*setting]))
	}
	return 1
}

// ===== Encoding =====

type jsonEncoder struct {
	L    *lua.LState
	cfg  *cjsonConfig
	null *lua.LUserData
	buf  []byte
	top  int // Lua stack slots the C encoder would hold
}

// jsonEscapes is lua-cjson's char2escape table as Redis ships it, which
// also escapes '/' and DEL.
var jsonEscapes = func() [256]string {
	var t [256]string
	for c := 0; c < 32; c++ {
		t[c] = fmt.Sprintf("\\u%04x", c)
	}
	t['\b'], t['\t'], t['\n'], t['\f'], t['\r'] = `\b`, `\t`, `\n`, `\f`, `\r`
	t['"'], t['/'], t['\\'], t[0x7f] = `\"`, `\/`, `\\`, `\u007f`
	return t
}()

func (e *jsonEncoder) fail(v lua.LValue, reason string) {
	raise(e.L, "Cannot serialise %s: %s", v.Type().String(), reason)
}

func (e *jsonEncoder) str(s string) {
	e.buf = append(e.buf, '"')
	for i := 0; i < len(s); i++ {
		if esc := jsonEscapes[s[i]]; esc != "" {
			e.buf = append(e.buf, esc...)
		} else {
			e.buf = append(e.buf, s[i])
		}
	}
	e.buf = append(e.buf, '"')
}

func (e *jsonEncoder) number(n lua.LNumber) {
	f := float64(n)
	bad := math.IsInf(f, 0) || math.IsNaN(f)
	switch {
	case bad && e.cfg.encodeInvalid == 0:
		e.fail(n, "must not be NaN or Inf")
	case math.IsNaN(f) && e.cfg.encodeInvalid == 1:
		// Written by hand so that no platform prints "-nan".
		e.buf = append(e.buf, "nan"...)
		return
	case bad && e.cfg.encodeInvalid == 2:
		e.buf = append(e.buf, "null"...)
		return
	}
	e.buf = append(e.buf, FormatG(f, e.cfg.precision)...)
}

func (e *jsonEncoder) value(v lua.LValue, depth int) {
	switch x := v.(type) {
	case lua.LString:
		e.str(string(x))
	case lua.LNumber:
		e.number(x)
	case lua.LBool:
		if x {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case *lua.LTable:
		depth++
		if depth > e.cfg.encodeMaxDepth || e.top+3 > luaMaxCStack {
			raise(e.L, "Cannot serialise, excessive nesting (%d)", depth)
		}
		if n := e.arrayLength(x); n > 0 {
			e.array(x, n, depth)
		} else {
			e.object(x, depth)
		}
	default:
		if v == lua.LNil || v == e.null {
			e.buf = append(e.buf, "null"...)
			return
		}
		e.fail(v, "type not supported")
	}
}

// arrayLength is lua_array_length: the largest key when every key is a
// positive integral number, -1 for an object. Excessively sparse arrays
// are an error, or objects when encode_sparse_array converts them.
func (e *jsonEncoder) arrayLength(t *lua.LTable) int {
	max, items := 0, 0
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		f := float64(n)
		if !ok || f == 0 || math.Floor(f) != f || f < 1 {
			return -1
		}
		if f > float64(max) {
			max = int(int32(toInteger(f)))
		}
		items++
	}
	c := e.cfg
	if c.sparseRatio > 0 && max > items*c.sparseRatio && max > c.sparseSafe {
		if c.sparseConvert == 0 {
			e.fail(t, "excessively sparse array")
		}
		return -1
	}
	return max
}

func (e *jsonEncoder) array(t *lua.LTable, n, depth int) {
	e.buf = append(e.buf, '[')
	e.top++ // each element sits on the stack while it is encoded
	for i := 1; i <= n; i++ {
		if i > 1 {
			e.buf = append(e.buf, ',')
		}
		e.value(t.RawGetInt(i), depth)
	}
	e.top--
	e.buf = append(e.buf, ']')
}

func (e *jsonEncoder) object(t *lua.LTable, depth int) {
	e.buf = append(e.buf, '{')
	e.top += 2 // lua_next's key and value
	first := true
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		switch key := k.(type) {
		case lua.LNumber:
			e.buf = append(e.buf, '"')
			e.number(key)
			e.buf = append(e.buf, '"', ':')
		case lua.LString:
			e.str(string(key))
			e.buf = append(e.buf, ':')
		default:
			e.fail(k, "table key must be a number or string")
		}
		e.value(v, depth)
	}
	e.top -= 2
	e.buf = append(e.buf, '}')
}

// ===== Decoding =====

type tokenType int

const (
	tObjBegin tokenType = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tWhitespace
	tError
	tUnknown
)

var tokenNames = [...]string{
	"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING",
	"T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END",
	"T_WHITESPACE", "T_ERROR", "T_UNKNOWN",
}

var ch2token = func() [256]tokenType {
	var t [256]tokenType
	for i := range t {
		t[i] = tError
	}
	t['{'], t['}'], t['['], t[']'] = tObjBegin, tObjEnd, tArrBegin, tArrEnd
	t[','], t[':'], t[0] = tComma, tColon, tEnd
	t[' '], t['\t'], t['\n'], t['\r'] = tWhitespace, tWhitespace, tWhitespace, tWhitespace
	for _, c := range "fiInNt\"+-0123456789" {
		t[c] = tUnknown
	}
	return t
}()

var escape2char = func() [256]byte {
	var t [256]byte
	t['"'], t['\\'], t['/'] = '"', '\\', '/'
	t['b'], t['t'], t['n'], t['f'], t['r'] = '\b', '\t', '\n', '\f', '\r'
	t['u'] = 'u'
	return t
}()

type token struct {
	typ   tokenType
	index int
	str   string // the string, or the error text of a tError
	num   float64
	b     bool
}

// jsonDecoder walks the text as the C parser walks its NUL-terminated
// buffer: a NUL byte, or the end, reads as the end of input.
type jsonDecoder struct {
	L     *lua.LState
	cfg   *cjsonConfig
	null  *lua.LUserData
	data  string
	ptr   int
	depth int
	top   int // Lua stack slots the C parser would hold
}

func (d *jsonDecoder) at(i int) byte {
	if i < len(d.data) {
		return d.data[i]
	}
	return 0
}

func (d *jsonDecoder) errorToken(msg string) token {
	return token{typ: tError, index: d.ptr, str: msg}
}

func (d *jsonDecoder) next() token {
	for ch2token[d.at(d.ptr)] == tWhitespace {
		d.ptr++
	}
	tok := token{typ: ch2token[d.at(d.ptr)], index: d.ptr}
	switch tok.typ {
	case tError:
		return d.errorToken("invalid token")
	case tEnd:
		return tok
	case tUnknown:
	default:
		d.ptr++
		return tok
	}
	rest := d.data[d.ptr:]
	switch ch := d.at(d.ptr); {
	case ch == '"':
		return d.stringToken()
	case ch == '-' || isDigit(ch):
		if d.cfg.decodeInvalid == 0 && d.invalidNumber() {
			return d.errorToken("invalid number")
		}
		return d.numberToken()
	case strings.HasPrefix(rest, "true"):
		d.ptr += 4
		return token{typ: tBoolean, index: tok.index, b: true}
	case strings.HasPrefix(rest, "false"):
		d.ptr += 5
		return token{typ: tBoolean, index: tok.index}
	case strings.HasPrefix(rest, "null"):
		d.ptr += 4
		return token{typ: tNull, index: tok.index}
	case d.cfg.decodeInvalid != 0 && d.invalidNumber():
		// Only inf, nan, hex and '+' numbers get here, so that other bad
		// tokens are reported as tokens rather than numbers.
		return d.numberToken()
	}
	return d.errorToken("invalid token")
}

// invalidNumber is json_is_invalid_number: what strtod takes but JSON
// does not (leading '+', hex, leading zeros, inf, nan).
func (d *jsonDecoder) invalidNumber() bool {
	p := d.ptr
	if d.at(p) == '+' {
		return true
	}
	if d.at(p) == '-' {
		p++
	}
	c := d.at(p)
	if c == '0' {
		c2 := d.at(p + 1)
		return c2|0x20 == 'x' || isDigit(c2)
	}
	if c <= '9' || c >= 0x80 { // C compares a signed char
		return false
	}
	rest := d.data[min(p, len(d.data)):]
	return hasPrefixFold(rest, "inf") || hasPrefixFold(rest, "nan")
}

func (d *jsonDecoder) numberToken() token {
	f, n := strtod(d.data, d.ptr)
	if n == 0 {
		return d.errorToken("invalid number")
	}
	tok := token{typ: tNumber, index: d.ptr, num: f}
	d.ptr += n
	return tok
}

func (d *jsonDecoder) stringToken() token {
	start := d.ptr
	d.ptr++
	var b []byte
	for {
		ch := d.at(d.ptr)
		if ch == '"' {
			break
		}
		if ch == 0 {
			return d.errorToken("unexpected end of string")
		}
		if ch == '\\' {
			esc := escape2char[d.at(d.ptr+1)]
			if esc == 'u' {
				var ok bool
				if b, ok = d.unicodeEscape(b); !ok {
					return d.errorToken("invalid unicode escape code")
				}
				continue
			}
			if esc == 0 {
				return d.errorToken("invalid escape code")
			}
			ch = esc
			d.ptr++
		}
		b = append(b, ch)
		d.ptr++
	}
	d.ptr++
	return token{typ: tString, index: start, str: string(b)}
}

func (d *jsonDecoder) hex4(p int) int {
	v := 0
	for i := 0; i < 4; i++ {
		c := d.at(p + i)
		var x int
		switch {
		case isDigit(c):
			x = int(c - '0')
		case c|0x20 >= 'a' && c|0x20 <= 'f':
			x = int(c|0x20-'a') + 10
		default:
			return -1
		}
		v = v<<4 | x
	}
	return v
}

// unicodeEscape decodes \uXXXX, or a \uXXXX\uXXXX surrogate pair, at ptr
// into UTF-8.
func (d *jsonDecoder) unicodeEscape(b []byte) ([]byte, bool) {
	cp := d.hex4(d.ptr + 2)
	if cp < 0 {
		return b, false
	}
	escLen := 6
	if cp&0xF800 == 0xD800 {
		if cp&0x400 != 0 {
			return b, false
		}
		if d.at(d.ptr+6) != '\\' || d.at(d.ptr+7) != 'u' {
			return b, false
		}
		low := d.hex4(d.ptr + 8)
		if low < 0 || low&0xFC00 != 0xDC00 {
			return b, false
		}
		cp = ((cp&0x3FF)<<10 | low&0x3FF) + 0x10000
		escLen = 12
	}
	switch {
	case cp <= 0x7F:
		b = append(b, byte(cp))
	case cp <= 0x7FF:
		b = append(b, byte(cp>>6|0xC0), byte(cp&0x3F|0x80))
	case cp <= 0xFFFF:
		b = append(b, byte(cp>>12|0xE0), byte(cp>>6&0x3F|0x80), byte(cp&0x3F|0x80))
	default:
		b = append(b, byte(cp>>18|0xF0), byte(cp>>12&0x3F|0x80), byte(cp>>6&0x3F|0x80), byte(cp&0x3F|0x80))
	}
	d.ptr += escLen
	return b, true
}

func (d *jsonDecoder) parseError(expected string, tok token) {
	found := tokenNames[tok.typ]
	if tok.typ == tError {
		found = tok.str
	}
	raise(d.L, "Expected %s but found %s at character %d", expected, found, tok.index+1)
}

// descend enters an object or array, which needs slots more stack slots.
func (d *jsonDecoder) descend(slots int) {
	d.depth++
	if d.depth <= d.cfg.decodeMaxDepth && d.top+slots <= luaMaxCStack {
		return
	}
	raise(d.L, "Found too many nested data structures (%d) at character %d", d.depth, d.ptr)
}

func (d *jsonDecoder) value(tok token) lua.LValue {
	switch tok.typ {
	case tString:
		return lua.LString(tok.str)
	case tNumber:
		return lua.LNumber(tok.num)
	case tBoolean:
		return lua.LBool(tok.b)
	case tNull:
		return d.null
	case tObjBegin:
		return d.object()
	case tArrBegin:
		return d.array()
	}
	d.parseError("value", tok)
	return nil
}

func (d *jsonDecoder) object() lua.LValue {
	d.descend(3)
	t := d.L.NewTable()
	d.top += 2 // the table and the key
	defer func() { d.top -= 2 }()
	tok := d.next()
	if tok.typ == tObjEnd {
		d.depth--
		return t
	}
	for {
		if tok.typ != tString {
			d.parseError("object key string", tok)
		}
		key := tok.str
		if tok = d.next(); tok.typ != tColon {
			d.parseError("colon", tok)
		}
		t.RawSetString(key, d.value(d.next()))
		tok = d.next()
		if tok.typ == tObjEnd {
			d.depth--
			return t
		}
		if tok.typ != tComma {
			d.parseError("comma or object end", tok)
		}
		tok = d.next()
	}
}

func (d *jsonDecoder) array() lua.LValue {
	d.descend(2)
	t := d.L.NewTable()
	d.top++ // the table
	defer func() { d.top-- }()
	tok := d.next()
	if tok.typ == tArrEnd {
		d.depth--
		return t
	}
	for i := 1; ; i++ {
		t.RawSetInt(i, d.value(tok))
		tok = d.next()
		if tok.typ == tArrEnd {
			d.depth--
			return t
		}
		if tok.typ != tComma {
			d.parseError("comma or array end", tok)
		}
		tok = d.next()
	}
}
