package scripting

import "strings"

// Flags are the script flags a "#!lua flags=..." first line declares.
type Flags struct {
	Shebang        bool // the script has a shebang line at all
	NoWrites       bool
	AllowOOM       bool
	AllowStale     bool
	NoCluster      bool
	AllowCrossSlot bool
}

// ParseShebang reads the optional first line "#!lua [flags=a,b]" and
// returns the code to compile, with that line blanked so line numbers in
// errors stay the ones the user wrote. errMsg is Redis' error text.
func ParseShebang(body string) (code string, f Flags, errMsg string) {
	if !strings.HasPrefix(body, "#!") {
		return body, f, ""
	}
	f.Shebang = true
	line, rest, found := strings.Cut(body, "\n")
	if !found {
		return "", f, "ERR Invalid script shebang"
	}
	line = strings.TrimSuffix(line, "\r")
	fields := strings.Split(line, " ")
	if fields[0] != "#!lua" {
		return "", f, "ERR Unexpected engine in script shebang: " + fields[0]
	}
	for _, opt := range fields[1:] {
		if opt == "" {
			continue
		}
		list, ok := strings.CutPrefix(opt, "flags=")
		if !ok {
			return "", f, "ERR Unknown lua shebang option: " + opt
		}
		if list == "" {
			continue
		}
		for _, name := range strings.Split(list, ",") {
			switch name {
			case "no-writes":
				f.NoWrites = true
			case "allow-oom":
				f.AllowOOM = true
			case "allow-stale":
				f.AllowStale = true
			case "no-cluster":
				f.NoCluster = true
			case "allow-cross-slot-keys":
				f.AllowCrossSlot = true
			default:
				return "", f, "ERR Unexpected flag in script shebang: " + name
			}
		}
	}
	return "\n" + rest, f, ""
}
