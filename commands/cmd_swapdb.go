package commands

func init() {
	register(&Command{Name: "swapdb", Complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.", Arity: 3, Flags: Write | Fast, Group: "server", Since: "4.0.0",
		Summary: "Swaps two Redis databases.",
		Args:    "index1 index2", Handler: swapdbCommand})
}

// swapdbCommand exchanges two databases' contents. It goes through the log
// like any write, so every node swaps at the same point; the AOF gets the
// command as received, which a stock redis-server also replays.
func swapdbCommand(c *Ctx) {
	var ids [2]int
	for i, what := range [2]string{"first", "second"} {
		n, ok := ParseInt(c.Args[1+i])
		if !ok || n < -1<<31 || n > 1<<31-1 {
			c.Err("ERR invalid " + what + " DB index")
			return
		}
		ids[i] = int(n)
	}
	if ids[0] < 0 || ids[0] >= NumDBs || ids[1] < 0 || ids[1] >= NumDBs {
		c.Err(ErrDBIndex)
		return
	}
	if ids[0] != ids[1] {
		a, b := c.Store.DBs[ids[0]], c.Store.DBs[ids[1]]
		c.Store.swapDB(a, b, c.Now)
		c.SignalAllIn(a)
		c.SignalAllIn(b)
	}
	c.Dirty(1)
	c.R.OK()
}
