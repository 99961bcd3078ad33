package server

import "strings"

// infoOrder is every INFO section in the order Redis 7.0 prints them, with
// Geomys' raft section after cpu.
var infoOrder = []string{"server", "clients", "memory", "persistence", "stats", "replication", "cpu", "raft",
	"modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace"}

// infoNotDefault are the sections that only "all", "everything" or their own
// name select (Redis' genInfoSectionDict without the default flag).
var infoNotDefault = map[string]bool{"commandstats": true, "latencystats": true}

// infoTitles are the headers that are not just the capitalized name.
var infoTitles = map[string]string{"cpu": "CPU"}

func infoTitle(sec string) string {
	if t, ok := infoTitles[sec]; ok {
		return t
	}
	return strings.ToUpper(sec[:1]) + sec[1:]
}

// infoSelect returns the sections INFO args[1:] selects, in output order, as
// Redis 7.0 does: no argument means "default"; "default" adds the default
// sections, "all" and "everything" every one; other names (case-insensitive)
// add that section, and unknown names add nothing.
func infoSelect(args [][]byte) []string {
	want := map[string]bool{}
	add := func(all bool) {
		for _, n := range infoOrder {
			if all || !infoNotDefault[n] {
				want[n] = true
			}
		}
	}
	if len(args) <= 1 {
		add(false)
	}
	for _, a := range args[1:] {
		switch sec := strings.ToLower(string(a)); sec {
		case "default":
			add(false)
		case "all", "everything":
			add(true)
		default:
			want[sec] = true
		}
	}
	out := make([]string, 0, len(want))
	for _, n := range infoOrder {
		if want[n] {
			out = append(out, n)
		}
	}
	return out
}
