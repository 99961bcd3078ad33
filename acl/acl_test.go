package acl

import "testing"

// The descriptions are Redis 7.0's for the same rules (checked against
// redis-server by the end-to-end suite, which compares ACL LIST).
func TestDescribe(t *testing.T) {
	cases := map[string]string{
		"":                                    "off resetchannels -@all",
		"+@all -get":                          "off resetchannels +@all -get",
		"+get +set -get":                      "off resetchannels -@all +set",
		"+@read -@read":                       "off resetchannels -@all",
		"+GET +@READ":                         "off resetchannels -@all +@read",
		"+select|0":                           "off resetchannels -@all +select|0",
		"+config|get +config":                 "off resetchannels -@all +config",
		"+config -config|set":                 "off resetchannels -@all +config -config|set",
		"nocommands +@all":                    "off resetchannels +@all",
		"~a ~b allkeys":                       "off ~* resetchannels -@all",
		"%RW~a %W~b":                          "off ~a %W~b resetchannels -@all",
		">x nopass":                           "off nopass resetchannels -@all",
		"on >x ~foo* &ch* +@hash +get -hdel":  "on #2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881 ~foo* resetchannels &ch* -@all +@hash +get -hdel",
		"(+get ~a) (+set ~b)":                 "off resetchannels -@all (~a resetchannels -@all +get) (~b resetchannels -@all +set)",
		"+config|get +config|set -config|get": "off resetchannels -@all +config|set",
	}
	for rules, want := range cases {
		var rs []string
		if rules != "" {
			rs = splitRules(rules)
		}
		us, err := NewUsers().SetUser("u", rs)
		if err != nil {
			t.Fatalf("%q: %v", rules, err)
		}
		if got := us.Get("u").Describe(); got != want {
			t.Errorf("%q: got %q, want %q", rules, got, want)
		}
		back, err := Parse(us.Text(), "f")
		if err != nil || !back.Equal(us) {
			t.Errorf("%q: does not survive the ACL file: %v", rules, err)
		}
	}
}

func splitRules(s string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i == len(s) || s[i] == ' ' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return out
}
