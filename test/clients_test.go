package test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestClients runs the client-library smoke scripts in test/clients against
// one real node: redis-py (Debian's python3-redis), ioredis and node-redis
// (versions pinned in test/clients/node/package-lock.json), each on its
// default options. A script prints "ok: <scenario>" lines, "SKIPPED:
// <scenario> (server lacks <cmd>)" for MULTI/EXEC and pub/sub while the server
// lacks them, and exits non-zero at the first failed scenario.
func TestClients(t *testing.T) {
	python := pythonWithRedis(t)
	nodeBin := nodeWithClients(t)
	n := startNode(t)
	host, port := "127.0.0.1", strconv.Itoa(n.port)

	t.Run("redis-py", func(t *testing.T) {
		runClientScript(t, n, python, filepath.Join("clients", "redis_py_smoke.py"), host, port)
	})
	t.Run("ioredis", func(t *testing.T) {
		runClientScript(t, n, nodeBin, filepath.Join("clients", "node", "ioredis_smoke.mjs"), host, port)
	})
	t.Run("node-redis", func(t *testing.T) {
		runClientScript(t, n, nodeBin, filepath.Join("clients", "node", "node_redis_smoke.mjs"), host, port)
	})
}

// pythonWithRedis finds a python3 that can import redis.
func pythonWithRedis(t *testing.T) string { return pythonWith(t, "redis", "python3-redis") }

// pythonWith finds a python3 that can import modules (comma-separated):
// Debian's /usr/bin/python3 first (where pkg, the Debian package, installs
// them), then python3 on PATH.
func pythonWith(t *testing.T, modules, pkg string) string {
	t.Helper()
	var tried []string
	for _, cand := range []string{"/usr/bin/python3", "python3"} {
		path, err := exec.LookPath(cand)
		if err != nil {
			continue
		}
		out, err := exec.Command(path, "-c", "import "+modules).CombinedOutput()
		if err == nil {
			return path
		}
		tried = append(tried, path+": "+strings.TrimSpace(clientsLastLine(string(out))))
	}
	if len(tried) == 0 {
		t.Fatal("python3 not found; run `make test` (scripts/ensure-deps.sh installs " + pkg + ") and re-run")
	}
	t.Fatalf("no python3 can import %s (%s); the Debian package %s is missing: run `make test` (scripts/ensure-deps.sh installs it) and re-run",
		modules, strings.Join(tried, "; "), pkg)
	return ""
}

// nodeWithClients checks for node and for test/clients/node/node_modules
// holding ioredis and redis (npm ci).
func nodeWithClients(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found (Node.js 20+ is needed for the ioredis and node-redis smoke tests); install nodejs and npm, then run `make test`")
	}
	for _, pkg := range []string{"ioredis", "redis"} {
		pj := filepath.Join("clients", "node", "node_modules", pkg, "package.json")
		if _, err := os.Stat(pj); err != nil {
			t.Fatalf("%s is not installed in test/clients/node/node_modules; run `make test` (scripts/ensure-deps.sh runs `npm ci` there) and re-run", pkg)
		}
	}
	return path
}

func runClientScript(t *testing.T, n *node, interpreter, script, host, port string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, interpreter, script, host, port)
	cmd.Env = append(os.Environ(), "GEOMYS_HOST="+host, "GEOMYS_PORT="+port)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	for _, line := range strings.Split(out.String(), "\n") {
		if strings.HasPrefix(line, "SKIPPED:") {
			t.Log(line)
		}
	}
	if ctx.Err() != nil {
		t.Fatalf("%s timed out after %v; output:\n%s\nserver log tail:\n%s", script, time.Since(start).Round(time.Millisecond), out.String(), clientsTail(n.log.String(), 40))
	}
	if err != nil {
		t.Fatalf("%s failed (%v); output:\n%s\nserver log tail:\n%s", script, err, out.String(), clientsTail(n.log.String(), 40))
	}
	if first, _, _ := strings.Cut(out.String(), "\n"); first != "" {
		t.Log(first) // the client and server versions
	}
	t.Log(clientsLastLine(out.String()))
}

func clientsLastLine(s string) string {
	s = strings.TrimRight(s, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

func clientsTail(s string, lines int) string {
	parts := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}

// TestClientsThroughFollower runs the same client scripts against a follower
// of a 3-node cluster: a client with no cluster awareness must not notice.
func TestClientsThroughFollower(t *testing.T) {
	python := pythonWithRedis(t)
	nodeBin := nodeWithClients(t)
	c := startCluster(t, 3)
	f := c.followers()[0]
	host, port := "127.0.0.1", strconv.Itoa(f.port)
	t.Run("redis-py", func(t *testing.T) {
		runClientScript(t, f, python, filepath.Join("clients", "redis_py_smoke.py"), host, port)
	})
	t.Run("ioredis", func(t *testing.T) {
		runClientScript(t, f, nodeBin, filepath.Join("clients", "node", "ioredis_smoke.mjs"), host, port)
	})
	t.Run("node-redis", func(t *testing.T) {
		runClientScript(t, f, nodeBin, filepath.Join("clients", "node", "node_redis_smoke.mjs"), host, port)
	})
	c.waitConverged()
}
