package test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// writeConf writes a config file into a fresh directory.
func writeConf(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "geomys.conf")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// runGeomys runs the binary to completion and returns its output and exit code.
func runGeomys(t *testing.T, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(geomysBin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatalf("geomys %v did not exit:\n%s", args, out.String())
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

// geomysFlags are the binary's flags, from its usage text.
func geomysFlags(t *testing.T) map[string]bool {
	t.Helper()
	out, _ := runGeomys(t, "--help")
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+--([a-z0-9-]+)`).FindAllStringSubmatch(out, -1) {
		flags[m[1]] = true
	}
	if !flags["node-id"] {
		t.Fatalf("no flags in the usage text:\n%s", out)
	}
	return flags
}

func TestConfigFileErrors(t *testing.T) {
	for _, tc := range []struct{ conf, want string }{
		{"port 7777\nfoo bar\n", "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n>>> 'foo bar'\nBad directive or wrong number of arguments\n"},
		{"# comment\n\nport abc\n", "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 3\n>>> 'port abc'\nargument couldn't be parsed into an integer\n"},
		{"save \"900 1\n", "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'save \"900 1'\nUnbalanced quotes in configuration line\n"},
		{"port\n", "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 1\n>>> 'port'\nwrong number of arguments\n"},
		{"maxmemory 10 20\n", ">>> 'maxmemory 10 20'\nwrong number of arguments\n"},
		{"maxmemory-policy lru\n", "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction\n"},
		{"rename-command CONFIG \"\"\n", "Geomys does not rename commands: remove rename-command (restrict commands with ACL users instead)\n"},
		{"read-consistency sometimes\n", "--read-consistency must be linearizable or stale, not \"sometimes\"\n"},
		{"include /nonexistent/geomys-extra.conf\n", "can't open config file '/nonexistent/geomys-extra.conf'"},
	} {
		out, code := runGeomys(t, writeConf(t, tc.conf), "--port", strconv.Itoa(freePort(t)))
		if code == 0 || !strings.Contains(out, tc.want) {
			t.Errorf("config %q: exit %d, output:\n%q\nwant it to contain\n%q", tc.conf, code, out, tc.want)
		}
	}
}

func TestConfigFileDirectivesAndFlags(t *testing.T) {
	extra := writeConf(t, "hz 20\n")
	conf := writeConf(t, `# a comment that CONFIG REWRITE keeps
port 1
notify-keyspace-events "KEA"
include `+extra+`
save ""
save 900 1
save 300 10
client-output-buffer-limit pubsub 1mb 512kb 30
hash-max-listpack-entries 7
auto-aof-rewrite-min-size 32mb
slowlog-max-len 9
loglevel notice
`)
	n := startNode(t, conf) // --port from the command line wins over port 1
	c := n.client()
	ctx := ctxT(t)
	for name, want := range map[string]string{
		"port": strconv.Itoa(n.port), "notify-keyspace-events": "AKE", "hz": "20", "save": "900 1 300 10",
		"client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 1048576 524288 30",
		"hash-max-listpack-entries":  "7", "auto-aof-rewrite-min-size": "33554432", "slowlog-max-len": "9",
		"read-consistency": "linearizable", "node-id": "node-" + strconv.Itoa(n.port),
	} {
		got, err := c.ConfigGet(ctx, name).Result()
		if err != nil || got[name] != want {
			t.Errorf("CONFIG GET %s = %v (%v), want %q", name, got, err, want)
		}
	}
	all, err := c.ConfigGet(ctx, "*").Result()
	if err != nil || len(all) < 200 || all["raft-election-timeout"] != "1s" || all["maxmemory"] != "0" {
		t.Errorf("CONFIG GET * has %d parameters (%v): raft-election-timeout=%q maxmemory=%q", len(all), err,
			all["raft-election-timeout"], all["maxmemory"])
	}
	// The file's value took effect, not just CONFIG GET's.
	c.HSet(ctx, "h", "a", 1, "b", 2, "c", 3, "d", 4, "e", 5, "f", 6, "g", 7, "h", 8)
	if enc := c.ObjectEncoding(ctx, "h").Val(); enc != "hashtable" {
		t.Errorf("hash of 8 fields with hash-max-listpack-entries 7: encoding %q", enc)
	}

	// CONFIG REWRITE: comments and order kept, changed lines in place, new
	// ones at the end, and the values survive a restart.
	if err := c.ConfigSet(ctx, "slowlog-max-len", "33").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigSet(ctx, "maxmemory-policy", "allkeys-lru").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigRewrite(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(conf)
	want := `# a comment that CONFIG REWRITE keeps
port ` + strconv.Itoa(n.port) + `
notify-keyspace-events "AKE"
include ` + extra + `
save 900 1
save 300 10

client-output-buffer-limit normal 0 0 0
hash-max-listpack-entries 7
auto-aof-rewrite-min-size 32mb
slowlog-max-len 33
loglevel warning
# Generated by CONFIG REWRITE
`
	if !strings.HasPrefix(string(text), want) {
		t.Fatalf("rewritten file:\n%s\nwant it to start with:\n%s", text, want)
	}
	for _, l := range []string{"client-output-buffer-limit slave 256mb 64mb 60\n", "client-output-buffer-limit pubsub 1mb 512kb 30\n",
		"maxmemory-policy allkeys-lru\n", `dir "` + n.dir + `"` + "\n", "hz 20\n"} {
		if !strings.Contains(string(text), l) {
			t.Errorf("rewritten file lacks %q:\n%s", l, text)
		}
	}
	if strings.Contains(string(text), "node-id") || strings.Contains(string(text), "raft-election-timeout") {
		t.Errorf("rewritten file has derived or default values:\n%s", text)
	}
	n.stop()
	n.restart()
	c = n.client()
	for name, want := range map[string]string{"slowlog-max-len": "33", "maxmemory-policy": "allkeys-lru", "hz": "20"} {
		if got := c.ConfigGet(ctx, name).Val(); got[name] != want {
			t.Errorf("after restart CONFIG GET %s = %v, want %q", name, got, want)
		}
	}
	plain := startNode(t)
	if err := plain.client().ConfigRewrite(ctx).Err(); err == nil || err.Error() != "ERR The server is running without a config file" {
		t.Errorf("CONFIG REWRITE without a file: %v", err)
	}
}

// Debian's stock /etc/redis/redis.conf with its port, dir, pidfile and
// logfile changed runs Geomys: daemonized, writing its pid and log.
func TestConfigFileDebianRedisConf(t *testing.T) {
	stock, err := os.ReadFile("/etc/redis/redis.conf")
	if err != nil {
		t.Fatalf("Debian's redis.conf (package redis-server): %v", err)
	}
	dir := t.TempDir()
	port := freePort(t)
	conf := string(stock)
	for re, repl := range map[string]string{`(?m)^port .*$`: "port " + strconv.Itoa(port), `(?m)^dir .*$`: "dir " + dir + "/data",
		`(?m)^pidfile .*$`: "pidfile " + dir + "/geomys.pid", `(?m)^logfile .*$`: "logfile " + dir + "/geomys.log"} {
		conf = regexp.MustCompile(re).ReplaceAllString(conf, repl)
	}
	if !strings.Contains(conf, "\ndaemonize yes\n") {
		t.Fatal("the stock file no longer says daemonize yes")
	}
	path := filepath.Join(dir, "redis.conf")
	os.WriteFile(path, []byte(conf), 0o644)
	start := func() int {
		out, code := runGeomys(t, path, "--raft-addr", "127.0.0.1:"+strconv.Itoa(freePort(t)))
		if code != 0 {
			t.Fatalf("geomys with the stock redis.conf: exit %d\n%s", code, out)
		}
		var pid int
		deadline := time.Now().Add(20 * time.Second)
		for pid == 0 && time.Now().Before(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "geomys.pid"))
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			time.Sleep(20 * time.Millisecond)
		}
		if pid == 0 {
			log, _ := os.ReadFile(filepath.Join(dir, "geomys.log"))
			t.Fatalf("no pid file; log:\n%s", log)
		}
		t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
		return pid
	}
	pid := start()
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port)})
	defer c.Close()
	ctx := ctxT(t)
	waitSet := func() {
		deadline := time.Now().Add(20 * time.Second)
		for c.Set(ctx, "k", "v", 0).Err() != nil {
			if time.Now().After(deadline) {
				log, _ := os.ReadFile(filepath.Join(dir, "geomys.log"))
				t.Fatalf("not serving; log:\n%s", log)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitSet()
	for name, want := range map[string]string{"daemonize": "yes", "hash-max-listpack-entries": "512", "databases": "16",
		"pidfile": dir + "/geomys.pid", "appendonly": "yes", "bind": "127.0.0.1"} {
		if got := c.ConfigGet(ctx, name).Val(); got[name] != want {
			t.Errorf("CONFIG GET %s = %v, want %q", name, got, want)
		}
	}
	if err := c.ConfigSet(ctx, "slowlog-max-len", "64").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ConfigRewrite(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	syscall.Kill(pid, syscall.SIGTERM)
	for i := 0; i < 400 && syscall.Kill(pid, 0) == nil; i++ {
		time.Sleep(25 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(dir, "geomys.log"))
	if !strings.Contains(string(log), "Geomys listens on one address: using 127.0.0.1, not -::1") ||
		!strings.Contains(string(log), "'appendonly no' has no effect in Geomys") {
		t.Errorf("log lacks the warnings about bind and appendonly:\n%s", log)
	}
	rewritten, _ := os.ReadFile(path)
	if len(rewritten) < len(stock)*9/10 || !strings.Contains(string(rewritten), "\nslowlog-max-len 64\n") ||
		!strings.Contains(string(rewritten), "# Redis configuration file example") {
		t.Errorf("CONFIG REWRITE lost the file's comments or the new value (%d bytes, stock %d)", len(rewritten), len(stock))
	}
	start()
	waitSet()
	if got := c.Get(ctx, "k").Val(); got != "v" {
		t.Errorf("after restart GET k = %q", got)
	}
	if got := c.ConfigGet(ctx, "slowlog-max-len").Val(); got["slowlog-max-len"] != "64" {
		t.Errorf("after restart slowlog-max-len = %v", got)
	}
}

func TestLogFormatJSON(t *testing.T) {
	n := startNode(t, "--log-format", "json", "--loglevel", "notice")
	n.stop()
	lines := strings.Split(strings.TrimSpace(n.log.String()), "\n")
	ready := false
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q (%v)", l, err)
		}
		if m["msg"] == "Ready to accept connections" && m["level"] == "INFO" {
			ready = true
		}
	}
	if !ready {
		t.Errorf("no JSON 'Ready to accept connections' line:\n%s", n.log.String())
	}
	out, code := runGeomys(t, "--log-format", "yaml", "--port", strconv.Itoa(freePort(t)))
	if code == 0 || !strings.Contains(out, `--log-format must be text or json, not "yaml"`) {
		t.Errorf("--log-format yaml: exit %d: %s", code, out)
	}
}
