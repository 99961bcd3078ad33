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

// ACL LOAD's errors are Redis 7.0's, byte for byte (taken from
// redis-server 7.0.15 loading the same files).
func TestParseErrors(t *testing.T) {
	const tail = "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	cases := map[string]string{
		"user x +nocmd\n":                    "f:1: Error in applying operation '+nocmd': Unknown command or category name in ACL. ",
		"user x blah foo +nocmd -nocmd2\n":   "f:1: Syntax error. f:1: Error in applying operation '+nocmd': Unknown command or category name in ACL. f:1: Error in applying operation '-nocmd2': Unknown command or category name in ACL. ",
		"user x #abc\n":                      "f:1: The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters. ",
		"user x (+get ~a\n":                  "f:1: Unmatched parenthesis in selector definition.",
		"# comment\nuser x on\n":             "f:1 should start with user keyword followed by the username. ",
		"user x on\nuser x off\n":            "WARNING: Duplicate user 'x' found on line 2. ",
		"user x on\tnopass\n":                "f:1: Syntax error. ",
		"user x (+get ~a) (+nocmd) (blah)\n": "f:1: Error in applying operation '(+nocmd)': Unknown command or category name in ACL. f:1: Syntax error. ",
		"user x +select|0|1 +config|get|x\n": "f:1: Error in applying operation '+select|0|1': Unknown command or category name in ACL. f:1: Allowing first-arg of a subcommand is not supported. ",
	}
	for text, want := range cases {
		_, err := Parse(text, "f")
		if err == nil || err.Error() != want+tail {
			t.Errorf("%q:\n got %v\nwant %s", text, err, want+tail)
		}
	}
	us, err := Parse("\n\n  user x on nopass  \r\nuser y  on +@all -cluster +failover\n", "f")
	if err != nil || us.Get("x") == nil || us.Get("default") == nil || us.Get("y").Describe() != "on resetchannels +@all -cluster" {
		t.Errorf("lenient lines: %v", err)
	}
}
