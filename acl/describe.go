package acl

import (
	"math"
	"strings"

	"github.com/geomys/geomys/commands"
)

// countCategory counts the commands (not subcommands, as Redis) of a
// category that s allows and denies.
func (s *Selector) countCategory(cat commands.Category) (on, off int) {
	for _, id := range topIDs {
		if id.cats&cat != 0 {
			if s.allowed[id.name] {
				on++
			} else {
				off++
			}
		}
	}
	return on, off
}

// CommandRules describes the selector's command permissions as Redis'
// ACLDescribeSelectorCommandRules does: start from +@all or -@all, add the
// categories that best fit what is left to explain, then single commands.
func (s *Selector) CommandRules() string {
	var b strings.Builder
	fake, temp := newSelector(), s.clone()
	additive := !s.future
	if additive {
		b.WriteString("-@all ")
	} else {
		b.WriteString("+@all ")
		fake.all(true)
	}
	applied := make([]bool, len(commands.CategoryNames))
	for {
		best, mindiff, maxsame := -1, math.MaxInt, 0
		for j := range commands.CategoryNames {
			if applied[j] {
				continue
			}
			on, off := temp.countCategory(1 << j)
			diff, same := off, on
			if !additive {
				diff, same = on, off
			}
			if same > diff && (diff < mindiff || diff == mindiff && same > maxsame) {
				best, mindiff, maxsame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		sign, inv := "+@", "-@"
		if !additive {
			sign, inv = inv, sign
		}
		fake.apply(sign + commands.CategoryNames[best])
		temp.apply(inv + commands.CategoryNames[best])
		b.WriteString(sign + commands.CategoryNames[best] + " ")
		applied[best] = true
	}
	s.singleCommands(&b, fake, topIDs)
	return strings.TrimSuffix(b.String(), " ")
}

func (s *Selector) singleCommands(b *strings.Builder, fake *Selector, ids []*cmdID) {
	for _, id := range ids {
		user := s.allowed[id.name]
		if user != fake.allowed[id.name] {
			if user {
				b.WriteString("+")
			} else {
				b.WriteString("-")
			}
			b.WriteString(id.name + " ")
			fake.changePerm(id, user)
		}
		s.singleCommands(b, fake, id.subs)
		if !user {
			for _, arg := range s.firstArgs[id.name] {
				b.WriteString("+" + id.name + "|" + arg + " ")
			}
		}
	}
}

// Keys describes the key patterns ("~*", "~a %R~b", or "").
func (s *Selector) Keys() string {
	if s.allKeys {
		return "~*"
	}
	parts := make([]string, len(s.keys))
	for i, k := range s.keys {
		switch k.perms {
		case permRead:
			parts[i] = "%R~" + k.pat
		case permWrite:
			parts[i] = "%W~" + k.pat
		default:
			parts[i] = "~" + k.pat
		}
	}
	return strings.Join(parts, " ")
}

// Channels describes the channel patterns as GETUSER does ("&*", "&a &b").
func (s *Selector) Channels() string {
	if s.allChannels {
		return "&*"
	}
	parts := make([]string, len(s.channels))
	for i, c := range s.channels {
		parts[i] = "&" + c
	}
	return strings.Join(parts, " ")
}

// describe is the selector in ACL LIST form.
func (s *Selector) describe() string {
	var b strings.Builder
	if k := s.Keys(); k != "" {
		b.WriteString(k + " ")
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteString("&" + c + " ")
		}
	}
	b.WriteString(s.CommandRules())
	return b.String()
}
