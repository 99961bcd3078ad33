package commands

import (
	"strings"

	"github.com/geomys/geomys/conffile"
)

// LibraryHeader reads a function library's first line, "#!<engine> name=<lib>",
// as FUNCTION LOAD does. errMsg is Redis' error text ("" when valid).
func LibraryHeader(code string) (engine, name, errMsg string) {
	if !strings.HasPrefix(code, "#!") {
		return "", "", "ERR Missing library metadata"
	}
	// As Redis' functionExtractLibMetaData: the line is split as
	// redis.conf lines are (quotes allowed), and its errors come before
	// the engine's and the name's.
	line, _, found := strings.Cut(code, "\n")
	if !found {
		return "", "", "ERR Invalid library metadata"
	}
	fields, ok := conffile.SplitArgs(line)
	if !ok || len(fields) == 0 {
		return "", "", "ERR Invalid library metadata"
	}
	engine = fields[0][2:]
	named := false
	for _, f := range fields[1:] {
		if len(f) < 5 || !strings.EqualFold(f[:5], "name=") {
			return "", "", "ERR Invalid metadata value given: " + f
		}
		if named {
			return "", "", "ERR Invalid metadata value, name argument was given multiple times"
		}
		name, named = f[5:], true
	}
	if !named {
		return "", "", "ERR Library name was not given"
	}
	if !strings.EqualFold(engine, "lua") {
		return "", "", "ERR Engine '" + engine + "' not found"
	}
	if !ValidFunctionName(name) {
		return "", "", "ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
	}
	return engine, name, ""
}

// ValidFunctionName is Redis' rule for library and function names.
func ValidFunctionName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}
