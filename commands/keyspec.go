package commands

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// KeyFlags say how a command uses one of its keys, as Redis 7's key specs
// do (COMMAND INFO, COMMAND GETKEYSANDFLAGS, ACL %R~/%W~).
type KeyFlags uint16

const (
	KeyRO KeyFlags = 1 << iota // reads the value
	KeyRW                      // reads and changes it
	KeyOW                      // overwrites it without reading
	KeyRM                      // removes it
	KeyAccess
	KeyUpdate
	KeyInsert
	KeyDelete
	KeyNotKey // looks like a key but is not one (a shard channel)
	KeyIncomplete
	KeyVariableFlags
)

var keyFlagNames = []string{"RO", "RW", "OW", "RM", "access", "update", "insert", "delete",
	"not_key", "incomplete", "variable_flags"}

// Names lists the flags in the order Redis replies them.
func (f KeyFlags) Names() []string {
	var out []string
	for i, n := range keyFlagNames {
		if f&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// KeySpec is one Redis 7 key specification: where the search for keys
// begins (an index, or after a keyword) and how the keys are found from
// there (a range, or a count argument).
type KeySpec struct {
	Notes string
	Flags KeyFlags
	// BeginSearch: Keyword == "" && Index > 0 is "index"; Keyword != "" is
	// "keyword" (StartFrom may be negative: search backwards from the end);
	// neither is "unknown".
	Index     int
	Keyword   string
	StartFrom int
	// FindKeys: Find is "range" (LastKey, KeyStep, Limit), "keynum"
	// (KeyNumIdx, FirstKey, KeyStep) or "unknown".
	Find      string
	LastKey   int
	KeyStep   int
	Limit     int
	KeyNumIdx int
	FirstKey  int
}

// parseKeySpecs reads the compact form the table declares key specs in:
// specs separated by ';', each "FLAGS... BEGIN [FIND]" where BEGIN is
// index=N, keyword=WORD,STARTFROM or unknown, and FIND is
// range=LASTKEY,STEP,LIMIT (default range=0,1,0), keynum=IDX,FIRST,STEP or
// unknown; "# text" ends a spec with its notes. A bad declaration is a programming error and panics at start-up.
func parseKeySpecs(name, s string) []KeySpec {
	var specs []KeySpec
	for _, part := range strings.Split(s, ";") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		sp, err := parseKeySpec(part)
		if err != nil {
			panic(fmt.Sprintf("command %s: key spec %q: %v", name, part, err))
		}
		specs = append(specs, sp)
	}
	return specs
}

func parseKeySpec(s string) (KeySpec, error) {
	sp := KeySpec{Find: "range", KeyStep: 1}
	if i := strings.Index(s, "#"); i >= 0 {
		s, sp.Notes = s[:i], strings.TrimSpace(s[i+1:])
	}
	begun := false
	nums := func(v string, n int) ([]int, error) {
		f := strings.Split(v, ",")
		if len(f) != n {
			return nil, fmt.Errorf("want %d numbers in %q", n, v)
		}
		out := make([]int, n)
		for i, x := range f {
			var err error
			if out[i], err = strconv.Atoi(x); err != nil {
				return nil, fmt.Errorf("number %q: %w", x, err)
			}
		}
		return out, nil
	}
	for _, w := range strings.Fields(s) {
		key, val, _ := strings.Cut(w, "=")
		switch {
		case !begun && key == "index":
			n, err := nums(val, 1)
			if err != nil {
				return sp, err
			}
			sp.Index, begun = n[0], true
		case !begun && key == "keyword":
			word, from, ok := strings.Cut(val, ",")
			n, err := nums(from, 1)
			if !ok || err != nil || word == "" {
				return sp, fmt.Errorf("keyword=WORD,STARTFROM: %q", val)
			}
			sp.Keyword, sp.StartFrom, begun = word, n[0], true
		case !begun && key == "unknown":
			begun = true
		case begun && key == "range":
			n, err := nums(val, 3)
			if err != nil {
				return sp, err
			}
			sp.LastKey, sp.KeyStep, sp.Limit = n[0], n[1], n[2]
		case begun && key == "keynum":
			n, err := nums(val, 3)
			if err != nil {
				return sp, err
			}
			sp.Find, sp.KeyNumIdx, sp.FirstKey, sp.KeyStep = "keynum", n[0], n[1], n[2]
		case begun && key == "unknown":
			sp.Find, sp.KeyStep = "unknown", 0
		case !begun:
			i := indexOf(keyFlagNames, w)
			if i < 0 {
				return sp, fmt.Errorf("unknown key flag %q", w)
			}
			sp.Flags |= 1 << i
		default:
			return sp, fmt.Errorf("unexpected %q", w)
		}
	}
	if !begun {
		return sp, fmt.Errorf("no begin_search")
	}
	return sp, nil
}

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

// KeyRef is one key argument: its position in the arguments (the command
// name is 0) and how the command uses it.
type KeyRef struct {
	Pos   int
	Flags KeyFlags
}

// allKeySpecFlags is Redis' getAllKeySpecsFlags: with inv, the flags that
// at least one spec lacks.
func (c *Command) allKeySpecFlags(inv bool) KeyFlags {
	var f KeyFlags
	for _, sp := range c.KeySpecs {
		if inv {
			f |= ^sp.Flags
		} else {
			f |= sp.Flags
		}
	}
	return f
}

// HasKeys is Redis' doesCommandHaveKeys: a key spec that is a real key, or
// a key-finding function of its own.
func (c *Command) HasKeys() bool {
	return c.GetKeys != nil || c.allKeySpecFlags(true)&KeyNotKey != 0
}

// KeysWithFlags returns the key arguments of args (args[0] is the command
// name) with their flags, as Redis' getKeysFromCommandWithSpecs: from the
// key specs when they are complete and their flags fixed, otherwise from
// the command's own GetKeys. ok is false when the arguments do not say
// where the keys are (a bad numkeys, a missing keyword's value).
func (c *Command) KeysWithFlags(args [][]byte) (keys []KeyRef, ok bool) {
	hasSpec := c.allKeySpecFlags(true)&KeyNotKey != 0
	varFlags := c.allKeySpecFlags(false)&KeyVariableFlags != 0
	if hasSpec && !varFlags {
		if keys, ok := c.keysFromSpecs(args); ok {
			return keys, true
		}
	}
	if c.GetKeys != nil {
		return c.GetKeys(args)
	}
	return nil, !hasSpec
}

// keysFromSpecs is Redis' getKeysUsingKeySpecs without partial results.
func (c *Command) keysFromSpecs(args [][]byte) ([]KeyRef, bool) {
	argc := len(args)
	var keys []KeyRef
	for _, sp := range c.KeySpecs {
		if sp.Flags&KeyNotKey != 0 {
			continue
		}
		first := 0
		switch {
		case sp.Keyword != "":
			start, end := sp.StartFrom, argc-1
			if sp.StartFrom <= 0 {
				start, end = argc+sp.StartFrom, 1
			}
			for i := start; i != end; {
				if i >= argc || i < 1 {
					break
				}
				if bytes.EqualFold(args[i], []byte(sp.Keyword)) {
					first = i + 1
					break
				}
				if start <= end {
					i++
				} else {
					i--
				}
			}
			if first == 0 {
				continue // keyword absent: this spec has no keys
			}
		case sp.Index > 0:
			first = sp.Index
		default:
			return nil, false
		}
		var last, step int
		switch sp.Find {
		case "range":
			step = sp.KeyStep
			switch {
			case sp.LastKey >= 0:
				last = first + sp.LastKey
			case sp.Limit == 0:
				last = argc + sp.LastKey
			default:
				last = first + ((argc-first)/sp.Limit + sp.LastKey)
			}
		case "keynum":
			step = sp.KeyStep
			at := first + sp.KeyNumIdx
			if at >= argc {
				return nil, false
			}
			n, ok := ParseInt(args[at])
			if !ok || n < 0 || n > int64(argc) {
				return nil, false
			}
			first += sp.FirstKey
			last = first + int(n) - 1
		default:
			return nil, false
		}
		if last >= argc || last < first || first >= argc {
			return nil, false
		}
		for i := first; i <= last; i += step {
			keys = append(keys, KeyRef{Pos: i, Flags: sp.Flags})
		}
		if sp.Flags&KeyIncomplete != 0 {
			return nil, false
		}
	}
	return keys, true
}
