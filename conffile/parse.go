// Package conffile reads and rewrites configuration files in redis.conf
// syntax: one directive per line, arguments split and unquoted as Redis'
// sdssplitargs does, '#' comments, include. It knows nothing of what the
// directives mean; main maps them onto flags and CONFIG parameters.
package conffile

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Directive is one configuration line.
type Directive struct {
	Name string   // lower case
	Args []string // unquoted
	File string
	Line int    // 1-based
	Text string // the line as written, trimmed
}

// FatalError is a configuration error, formatted as redis-server prints it.
type FatalError struct {
	Version string // the Redis version reported in the banner
	Line    int    // 0: not about a line
	Text    string // the offending line
	Msg     string
}

func (e *FatalError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n", e.Version)
	if e.Line > 0 {
		fmt.Fprintf(&b, "Reading the configuration file, at line %d\n", e.Line)
		fmt.Fprintf(&b, ">>> '%s'\n", e.Text)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Fatal is the error for directive d.
func Fatal(version string, d Directive, msg string) *FatalError {
	return &FatalError{Version: version, Line: d.Line, Text: d.Text, Msg: msg}
}

// maxIncludeDepth stops include loops.
const maxIncludeDepth = 16

// Parse reads path and the files it includes, in order. Include patterns
// are globs, relative to the working directory, as in Redis.
func Parse(path, version string) ([]Directive, error) {
	return parse(path, version, 0)
}

func parse(path, version string, depth int) ([]Directive, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("Fatal error, can't open config file '%s': %w", path, err)
	}
	var out []Directive
	for i, raw := range strings.Split(string(data), "\n") {
		text := strings.Trim(raw, " \t\r\n")
		if text == "" || text[0] == '#' {
			continue
		}
		d := Directive{File: path, Line: i + 1, Text: text}
		args, ok := SplitArgs(text)
		if !ok {
			return nil, Fatal(version, d, "Unbalanced quotes in configuration line")
		}
		if len(args) == 0 {
			continue
		}
		d.Name, d.Args = strings.ToLower(args[0]), args[1:]
		if d.Name != "include" {
			out = append(out, d)
			continue
		}
		if len(d.Args) != 1 {
			return nil, Fatal(version, d, "wrong number of arguments")
		}
		if depth >= maxIncludeDepth {
			return nil, Fatal(version, d, "too many nested includes")
		}
		files, err := filepath.Glob(d.Args[0])
		if err != nil || len(files) == 0 && !strings.ContainsAny(d.Args[0], "*?[") {
			files = []string{d.Args[0]} // a plain name that does not exist fails below
		}
		for _, f := range files {
			sub, err := parse(f, version, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, sub...)
		}
	}
	return out, nil
}

// SplitArgs is Redis' sdssplitargs: space-separated arguments, "double
// quoted" with C escapes (\n \r \t \b \a \\ \" \xHH) or 'single quoted'
// (only \' escaped); a closing quote must end the argument. ok is false on
// unbalanced quotes.
func SplitArgs(line string) (args []string, ok bool) {
	i := 0
	for {
		for i < len(line) && isSpace(line[i]) {
			i++
		}
		if i >= len(line) {
			return args, true
		}
		var cur []byte
		inq, insq := false, false
		for done := false; !done; {
			switch {
			case inq:
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+3 < len(line) && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					cur = append(cur, hexVal(line[i+2])<<4|hexVal(line[i+3]))
					i += 3
				case c == '\\' && i+1 < len(line):
					i++
					switch line[i] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, line[i])
					}
				case c == '"':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, c)
				}
			case insq:
				if i >= len(line) {
					return nil, false
				}
				c := line[i]
				switch {
				case c == '\\' && i+1 < len(line) && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case c == '\'':
					if i+1 < len(line) && !isSpace(line[i+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, c)
				}
			default:
				if i >= len(line) {
					done = true
					continue
				}
				switch c := line[i]; c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if i < len(line) {
				i++
			}
		}
		args = append(args, string(cur))
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// Quote is Redis' sdscatrepr: a double-quoted string with C escapes, as
// CONFIG REWRITE writes string values.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c < 0x20 || c >= 0x7f {
				fmt.Fprintf(&b, `\x%02x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
