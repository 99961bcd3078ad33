package commands

import "strings"

// LibraryHeader reads a function library's first line, "#!<engine> name=<lib>",
// as FUNCTION LOAD does. errMsg is Redis' error text ("" when valid).
func LibraryHeader(code string) (engine, name, errMsg string) {
	if !strings.HasPrefix(code, "#!") {
		return "", "", "ERR Missing library metadata"
	}
	line, _, _ := strings.Cut(code, "\n")
	fields := strings.Fields(strings.TrimSuffix(line[2:], "\r"))
	if len(fields) == 0 {
		return "", "", "ERR Engine '' not found"
	}
	engine = fields[0]
	for _, f := range fields[1:] {
		v, ok := strings.CutPrefix(f, "name=")
		if !ok {
			return "", "", "ERR Invalid metadata value given: " + f
		}
		name = v
	}
	if !strings.EqualFold(engine, "lua") {
		return "", "", "ERR Engine '" + engine + "' not found"
	}
	if name == "" {
		return "", "", "ERR Library name was not given"
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
