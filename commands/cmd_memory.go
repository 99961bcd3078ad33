package commands

import (
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
)

func init() {
	register(&Command{Name: "memory", Hidden: ReadOnly, Complexity: "Depends on subcommand.", Arity: -2, Flags: ReadOnly, Group: "server", Since: "4.0.0",
		Summary: "A container for memory diagnostics commands.",
		Args:    "<DOCTOR | MALLOC-STATS | PURGE | STATS | USAGE key [SAMPLES count] | HELP>",
		Handler: memoryCommand})
}

var memoryHelp = []string{
	"MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
	"DOCTOR",
	"    Return memory problems reports.",
	"MALLOC-STATS",
	"    Return internal statistics report from the memory allocator.",
	"PURGE",
	"    Attempt to purge dirty pages for reclamation by the allocator.",
	"STATS",
	"    Return information about the memory usage of the server.",
	"USAGE <key> [SAMPLES <count>]",
	"    Return memory in bytes used by <key> and its value. Nested values are",
	"    sampled up to <count> times (default: 5, 0 means sample all).",
	"HELP",
	"    Prints this help.", // redis-server 7.0's wording
}

func memoryCommand(c *Ctx) {
	sub := strings.ToLower(string(c.Args[1]))
	n := len(c.Args)
	switch {
	case sub == "help" && n == 2:
		c.R.Array(len(memoryHelp))
		for _, line := range memoryHelp {
			c.R.Simple(line)
		}
	case sub == "usage" && n >= 3:
		memoryUsageCommand(c)
	case sub == "stats" && n == 2:
		memoryStats(c)
	case sub == "malloc-stats" && n == 2:
		// What redis-server built without jemalloc answers.
		c.R.BulkString("Stats not supported for the current allocator")
	case sub == "doctor" && n == 2:
		memoryDoctor(c)
	case sub == "purge" && n == 2:
		debug.FreeOSMemory()
		c.R.OK()
	case sub == "usage":
		c.Err(ArityErr("memory|usage"))
	case sub == "help" || sub == "stats" || sub == "malloc-stats" || sub == "doctor" || sub == "purge":
		c.Err(ArityErr("memory|" + sub))
	default:
		c.Err("ERR unknown subcommand '" + truncate(cString(c.Args[1]), 128) + "'. Try MEMORY HELP.")
	}
}

func memoryUsageCommand(c *Ctx) {
	samples := 5
	for j := 3; j < len(c.Args); j++ {
		if !EqualFold(c.Args[j], "samples") || j+1 >= len(c.Args) {
			c.SyntaxErr()
			return
		}
		n, ok := ParseInt(c.Args[j+1])
		if !ok {
			c.Err(ErrNotInt)
			return
		}
		if n < 0 {
			c.SyntaxErr()
			return
		}
		samples = int(min(n, 1<<31))
		if n == 0 {
			samples = 1 << 31
		}
		j++
	}
	v, ok := c.Peek(c.Args[2])
	if !ok {
		c.R.Null()
		return
	}
	c.R.Int(int64(memoryUsage(string(c.Args[2]), v, samples)))
}

// memoryStats answers MEMORY STATS with Redis 7.0's fields, in its order:
// the totals are used_memory's (StartupMemory plus the dataset's accounted
// bytes, as INFO reports them), the allocator fields the Go heap's.
func memoryStats(c *Ctx) {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	total := c.Store.UsedMemory()
	peak := max(c.Store.PeakMemory, total)
	start := StartupMemory
	type dbOver struct {
		id          int
		main, expir int64
	}
	var dbs []dbOver
	keys := int64(0)
	overhead := start
	for _, db := range c.Store.DBs {
		if db.Len() == 0 {
			continue
		}
		d := dbOver{db.ID, int64(db.Len()) * (dictEntrySize + 8), int64(db.Expires()) * (dictEntrySize + 8)}
		overhead += d.main + d.expir
		keys += int64(db.Len())
		dbs = append(dbs, d)
	}
	dataset := max(total-overhead, 0)
	pct := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return float32Of(a * 100 / b)
	}
	ratio := func(a, b uint64) float64 {
		if b == 0 {
			return 0
		}
		return float32Of(float64(a) / float64(b))
	}
	resident := m.HeapSys - m.HeapReleased
	rss := m.Sys - m.HeapReleased
	c.R.Map(28 + len(dbs))
	kv := func(k string, v int64) { c.R.BulkString(k); c.R.Int(v) }
	kf := func(k string, v float64) { c.R.BulkString(k); c.R.Double(v) }
	kv("peak.allocated", peak)
	kv("total.allocated", total)
	kv("startup.allocated", start)
	kv("replication.backlog", 0)
	kv("clients.slaves", 0)
	kv("clients.normal", 0)
	kv("cluster.links", 0)
	kv("aof.buffer", 0)
	kv("lua.caches", 0)
	kv("functions.caches", 0)
	for _, d := range dbs {
		c.R.BulkString("db." + strconv.Itoa(d.id))
		c.R.Map(2)
		kv("overhead.hashtable.main", d.main)
		kv("overhead.hashtable.expires", d.expir)
	}
	kv("overhead.hashtable.slot-to-keys", 0)
	kv("overhead.total", overhead)
	kv("keys.count", keys)
	perKey := int64(0)
	if keys > 0 {
		perKey = (total - start) / keys
	}
	kv("keys.bytes-per-key", perKey)
	kv("dataset.bytes", dataset)
	kf("dataset.percentage", pct(float64(dataset), float64(total-start)))
	kf("peak.percentage", pct(float64(total), float64(peak)))
	kv("allocator.allocated", int64(m.HeapAlloc))
	kv("allocator.active", int64(m.HeapInuse))
	kv("allocator.resident", int64(resident))
	kf("allocator-fragmentation.ratio", ratio(m.HeapInuse, m.HeapAlloc))
	kv("allocator-fragmentation.bytes", int64(m.HeapInuse)-int64(m.HeapAlloc))
	kf("allocator-rss.ratio", ratio(resident, m.HeapInuse))
	kv("allocator-rss.bytes", int64(resident)-int64(m.HeapInuse))
	kf("rss-overhead.ratio", ratio(rss, resident))
	kv("rss-overhead.bytes", int64(rss)-int64(resident))
	kf("fragmentation", ratio(rss, m.HeapAlloc))
	kv("fragmentation.bytes", int64(rss)-int64(m.HeapAlloc))
}

// float32Of rounds as Redis does: it computes these figures in C floats.
func float32Of(f float64) float64 { return float64(float32(f)) }

// memoryDoctor gives Redis' report: below 5 MB of data it declines to judge,
// otherwise Geomys has none of the allocator or client-buffer issues
// Redis' doctor looks for.
func memoryDoctor(c *Ctx) {
	if c.Store.DatasetBytes() < 5<<20 {
		c.R.Verbatim("Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. " +
			"Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n")
		return
	}
	c.R.Verbatim("Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n")
}
