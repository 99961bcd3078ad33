package acl

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Users is the whole ACL: every user by name. A Users value is never
// changed once published; changes build a new one (With, Without).
type Users struct {
	byName map[string]*User
}

// NewUsers is a fresh server's ACL: the default user only.
func NewUsers() *Users {
	return &Users{byName: map[string]*User{"default": NewDefaultUser()}}
}

// Get finds a user.
func (us *Users) Get(name string) *User { return us.byName[name] }

// Names lists the user names, sorted.
func (us *Users) Names() []string { return slices.Sorted(maps.Keys(us.byName)) }

// With returns a copy of the ACL where u replaces (or adds) its user.
func (us *Users) With(u *User) *Users {
	n := &Users{byName: maps.Clone(us.byName)}
	n.byName[u.Name] = u
	return n
}

// Without returns a copy without the named users, and how many it removed.
func (us *Users) Without(names ...string) (*Users, int) {
	n := &Users{byName: maps.Clone(us.byName)}
	removed := 0
	for _, name := range names {
		if _, ok := n.byName[name]; ok {
			delete(n.byName, name)
			removed++
		}
	}
	return n, removed
}

// DefaultOpen reports whether the default user lets every connection in
// without AUTH (on and nopass), Redis' authRequired test.
func (us *Users) DefaultOpen() bool {
	d := us.byName["default"]
	return d != nil && d.Enabled && d.NoPass
}

// List is ACL LIST: one "user name rules" line per user, sorted by name.
func (us *Users) List() []string {
	out := make([]string, 0, len(us.byName))
	for _, name := range us.Names() {
		out = append(out, "user "+name+" "+us.byName[name].Describe())
	}
	return out
}

// Text is the ACL in ACL file form (ACL SAVE; the replicated form too).
func (us *Users) Text() string {
	return strings.Join(us.List(), "\n") + "\n"
}

// Equal reports whether two ACLs describe the same users.
func (us *Users) Equal(o *Users) bool { return us.Text() == o.Text() }

// SetUser applies rules to the named user (created if missing) and
// returns the new ACL; nothing changes when a rule fails. err names the
// failing rule as Redis does.
func (us *Users) SetUser(name string, rules []string) (*Users, error) {
	var u *User
	if old := us.byName[name]; old != nil {
		u = old.Clone()
	} else {
		u = NewUser(name)
	}
	merged, ok := MergeSelectors(rules)
	if !ok {
		return nil, fmt.Errorf("ERR Unmatched parenthesis in acl selector starting at '%s'.", lastOpen(rules))
	}
	for _, r := range merged {
		if err := u.Apply(r); err != nil {
			return nil, fmt.Errorf("ERR Error in ACL SETUSER modifier '%s': %w", r, err)
		}
	}
	return us.With(u), nil
}

func lastOpen(rules []string) string {
	for i := len(rules) - 1; i >= 0; i-- {
		if strings.HasPrefix(rules[i], "(") {
			return rules[i]
		}
	}
	return ""
}

// Parse reads an ACL file as Redis 7.0's ACLLoadFromFile: one "user <name>
// <rules...>" line per user, rules separated by single spaces, blank lines
// skipped; anything else (comments included: ACL SAVE would drop them) is
// an error. A default user missing from the file is the fresh one. Errors
// name the file and line with Redis' texts, and nothing is loaded.
func Parse(text, filename string) (*Users, error) {
	us := &Users{byName: map[string]*User{}}
	var errs strings.Builder
	for i, line := range strings.Split(text, "\n") {
		line = strings.Trim(line, " \t\r\n")
		if line == "" {
			continue
		}
		f := strings.Split(line, " ")
		if f[0] != "user" || len(f) < 2 {
			fmt.Fprintf(&errs, "%s:%d should start with user keyword followed by the username. ", filename, i+1)
			continue
		}
		if us.byName[f[1]] != nil {
			fmt.Fprintf(&errs, "WARNING: Duplicate user '%s' found on line %d. ", f[1], i+1)
			continue
		}
		u := NewUser(f[1])
		us.byName[u.Name] = u
		merged, ok := MergeSelectors(f[2:])
		if !ok {
			fmt.Fprintf(&errs, "%s:%d: Unmatched parenthesis in selector definition.", filename, i+1)
			continue
		}
		syntaxErr := false
		for _, r := range merged {
			if r = strings.Trim(r, "\t\r\n"); r == "" {
				continue
			}
			err := u.Apply(r)
			switch {
			case err == nil:
			case errors.Is(err, ErrUnknownName):
				// Redis names every unknown command, but only the first
				// other error of a line, which may explain the rest.
				fmt.Fprintf(&errs, "%s:%d: Error in applying operation '%s': %s. ", filename, i+1, r, err)
			case !syntaxErr:
				fmt.Fprintf(&errs, "%s:%d: %s. ", filename, i+1, err)
				syntaxErr = true
			}
		}
	}
	if errs.Len() > 0 {
		return nil, fmt.Errorf("%sWARNING: ACL errors detected, no change to the previously active ACL rules was performed", errs.String())
	}
	if us.byName["default"] == nil {
		us.byName["default"] = NewDefaultUser()
	}
	return us, nil
}
