package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"slices"
	"strings"
)

// User is one ACL user. Users are values replaced whole on a change (copy
// on write), so readers never lock.
type User struct {
	Name      string
	Enabled   bool
	NoPass    bool
	sanitize  string // "", "sanitize-payload" or "skip-sanitize-payload"
	Passwords []string
	// Selectors[0] is the root selector; the rest are "(...)" selectors.
	Selectors []*Selector
}

// NewUser is a user as ACL SETUSER creates it: off, no passwords, no
// permissions.
func NewUser(name string) *User {
	return &User{Name: name, Selectors: []*Selector{newSelector()}}
}

// NewDefaultUser is the default user of a fresh server: on, nopass, all.
func NewDefaultUser() *User {
	u := NewUser("default")
	for _, r := range []string{"on", "nopass", "~*", "&*", "+@all"} {
		u.Apply(r)
	}
	return u
}

// Clone copies the user deeply.
func (u *User) Clone() *User {
	c := *u
	c.Passwords = slices.Clone(u.Passwords)
	c.Selectors = make([]*Selector, len(u.Selectors))
	for i, s := range u.Selectors {
		c.Selectors[i] = s.clone()
	}
	return &c
}

// HashPassword is how Redis stores a password: SHA-256, lower-case hex.
func HashPassword(pw string) string {
	sum := sha256.Sum256([]byte(pw))
	return hex.EncodeToString(sum[:])
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if !(h[i] >= '0' && h[i] <= '9' || h[i] >= 'a' && h[i] <= 'f') {
			return false
		}
	}
	return true
}

// Apply runs one rule on the user (Redis' ACLSetUser).
func (u *User) Apply(op string) error {
	lop := strings.ToLower(op)
	switch {
	case lop == "on":
		u.Enabled = true
	case lop == "off":
		u.Enabled = false
	case lop == "skip-sanitize-payload" || lop == "sanitize-payload":
		u.sanitize = lop
	case lop == "nopass":
		u.NoPass, u.Passwords = true, nil
	case lop == "resetpass":
		u.NoPass, u.Passwords = false, nil
	case strings.HasPrefix(op, ">") || strings.HasPrefix(op, "#"):
		h := op[1:]
		if op[0] == '>' {
			h = HashPassword(op[1:])
		} else if !validHash(h) {
			return ErrBadHash
		}
		if !slices.Contains(u.Passwords, h) {
			u.Passwords = append(u.Passwords, h)
		}
		u.NoPass = false
	case strings.HasPrefix(op, "<") || strings.HasPrefix(op, "!"):
		h := op[1:]
		if op[0] == '<' {
			h = HashPassword(op[1:])
		} else if !validHash(h) {
			return ErrBadHash
		}
		i := slices.Index(u.Passwords, h)
		if i < 0 {
			return ErrNoSuchPass
		}
		u.Passwords = slices.Delete(u.Passwords, i, i+1)
	case strings.HasPrefix(op, "(") && strings.HasSuffix(op, ")"):
		s := newSelector()
		for _, r := range strings.Fields(op[1 : len(op)-1]) {
			if err := s.apply(r); err != nil {
				return err
			}
		}
		u.Selectors = append(u.Selectors, s)
	case lop == "clearselectors":
		u.Selectors = u.Selectors[:1]
	case lop == "reset":
		for _, r := range []string{"resetpass", "resetkeys", "resetchannels", "off", "sanitize-payload", "clearselectors", "-@all"} {
			u.Apply(r)
		}
	default:
		return u.Selectors[0].apply(op)
	}
	return nil
}

// MergeSelectors joins rules split by the client's quoting ("(~a", "+get)")
// back into one "(~a +get)" rule, as Redis' ACLMergeSelectorArguments; ok
// is false for an unterminated selector.
func MergeSelectors(rules []string) (out []string, ok bool) {
	var open []string
	for _, r := range rules {
		switch {
		case open != nil:
			open = append(open, r)
			if strings.HasSuffix(r, ")") {
				out = append(out, strings.Join(open, " "))
				open = nil
			}
		case strings.HasPrefix(r, "(") && !strings.HasSuffix(r, ")"):
			open = []string{r}
		default:
			out = append(out, r)
		}
	}
	return out, open == nil
}

// Flags are the user's flags in GETUSER order.
func (u *User) Flags() []string {
	var f []string
	if u.Enabled {
		f = append(f, "on")
	} else {
		f = append(f, "off")
	}
	if u.NoPass {
		f = append(f, "nopass")
	}
	if u.sanitize != "" {
		f = append(f, u.sanitize)
	}
	return f
}

// Describe is the user's rules as ACL LIST shows them (without "user name").
func (u *User) Describe() string {
	var b strings.Builder
	for _, f := range u.Flags() {
		b.WriteString(f + " ")
	}
	for _, p := range u.Passwords {
		b.WriteString("#" + p + " ")
	}
	b.WriteString(u.Selectors[0].describe())
	for _, s := range u.Selectors[1:] {
		b.WriteString(" (" + s.describe() + ")")
	}
	return b.String()
}

// CheckPassword reports whether pw opens this user (enabled, and nopass or
// one of its passwords).
func (u *User) CheckPassword(pw string) bool {
	if !u.Enabled {
		return false
	}
	if u.NoPass {
		return true
	}
	h := HashPassword(pw)
	ok := false
	for _, p := range u.Passwords {
		if subtle.ConstantTimeCompare([]byte(p), []byte(h)) == 1 {
			ok = true
		}
	}
	return ok
}

// Unrestricted reports whether the root selector allows every command,
// key and channel, so no check is needed.
func (u *User) Unrestricted() bool {
	s := u.Selectors[0]
	return s.allCommands && s.allKeys && s.allChannels
}
