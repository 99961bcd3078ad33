package commands

import "strings"

// DebugProtocol is DEBUG PROTOCOL's reply: one test value of each reply
// type, as Redis's debug.c writes it (the server's DEBUG, and scripts
// after DEBUG SET-DISABLE-DENY-SCRIPTS 1).
func DebugProtocol(w *Reply, name string) {
	switch strings.ToLower(name) {
	case "string":
		w.BulkString("Hello World")
	case "integer":
		w.Int(12345)
	case "double":
		w.Double(3.141)
	case "bignum":
		w.BigNumber("1234567999999999999999999999999999999")
	case "null":
		w.Null()
	case "array", "set":
		if name == "array" {
			w.Array(3)
		} else {
			w.Set(3)
		}
		for j := int64(0); j < 3; j++ {
			w.Int(j)
		}
	case "map":
		w.Map(3)
		for j := int64(0); j < 3; j++ {
			w.Int(j)
			w.Bool(j == 1)
		}
	case "attrib":
		if w.Proto >= 3 {
			w.Attribute(1)
			w.BulkString("key-popularity")
			w.Array(2)
			w.BulkString("key:123")
			w.Int(90)
		}
		// Attributes are not replies: a real one follows.
		w.BulkString("Some real reply following the attribute")
	case "push":
		if w.Proto < 3 {
			w.Error(ErrDebugPushRESP2)
			return
		}
		w.Push(2)
		w.BulkString("server-cpu-usage")
		w.Int(42)
		// A push is not the command's reply: a real one follows.
		w.BulkString("Some real reply following the push reply")
	case "true":
		w.Bool(true)
	case "false":
		w.Bool(false)
	case "verbatim":
		w.VerbatimFormat("txt", "This is a verbatim\nstring")
	default:
		w.Error(ErrDebugProtocolType)
	}
}
