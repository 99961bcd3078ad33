package commands

func init() {
	register(
		&Command{Name: "get", Arity: 2, Flags: ReadOnly | Fast, FirstKey: 1, LastKey: 1, Step: 1, Group: "string", Since: "1.0.0",
			Summary: "Returns the string value of a key.", Args: "key", Handler: getCommand},
	)
}

// getString looks key up as a string: ok false with a reply already written
// when it holds another type.
func getString(c *Ctx, key []byte) (s string, found, ok bool) {
	v, found := c.Lookup(key)
	if !found {
		return "", false, true
	}
	s, isStr := v.(string)
	if !isStr {
		c.WrongType()
		return "", true, false
	}
	return s, true, true
}

func getCommand(c *Ctx) {
	s, found, ok := getString(c, c.Args[1])
	switch {
	case !ok:
	case !found:
		c.R.Null()
	default:
		c.R.BulkString(s)
	}
}
