package test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// appProgram is one real application run as its users run it; it exits
// non-zero, saying why, when an outcome is wrong (a job result, a lock that
// let two holders in, a retry that did not happen).
type appProgram struct {
	name   string
	interp string
	script string
}

// TestApps runs the application programs of test/apps (Bull, BullMQ,
// redlock, rate-limiter-flexible, Celery, redis-py's Lock; all of them send
// Lua scripts, and BullMQ reads its events stream with XREAD BLOCK) against a stock redis-server as a control and against one Geomys
// node: a program that fails on both is broken, one that fails on Geomys only
// found a Geomys bug.
func TestApps(t *testing.T) {
	python := pythonWithCelery(t)
	nodeBin := nodeWithApps(t)
	nodeDir := filepath.Join("apps", "node")
	pyDir := filepath.Join("apps", "python")
	programs := []appProgram{
		{"bull", nodeBin, filepath.Join(nodeDir, "bull.mjs")},
		{"bullmq", nodeBin, filepath.Join(nodeDir, "bullmq.mjs")},
		{"redlock", nodeBin, filepath.Join(nodeDir, "redlock.mjs")},
		{"rate-limiter-flexible", nodeBin, filepath.Join(nodeDir, "rate_limiter.mjs")},
		{"celery", python, filepath.Join(pyDir, "celery_app.py")},
		{"redis-py-lock", python, filepath.Join(pyDir, "redis_py_lock.py")},
	}
	redisAddr := startRedis(t)
	n := startNode(t)
	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			controlOut, controlErr := runApp(p, redisAddr)
			if controlErr != nil {
				t.Errorf("control run on redis-server %s failed (%v): the program or its environment is broken; output:\n%s",
					redisAddr, controlErr, controlOut)
			}
			out, err := runApp(p, n.addr())
			if err != nil {
				verdict := "it passed on redis-server, so Geomys differs from Redis"
				if controlErr != nil {
					verdict = "it failed on redis-server too"
				}
				t.Fatalf("%s on Geomys %s failed (%v); %s; output:\n%s\nserver log tail:\n%s",
					p.script, n.addr(), err, verdict, out, clientsTail(n.log.String(), 40))
			}
			if first, _, _ := strings.Cut(out, "\n"); first != "" {
				t.Log(first) // the library versions
			}
			t.Logf("redis-server: %s; Geomys: %s", clientsLastLine(controlOut), clientsLastLine(out))
		})
	}
}

// TestAppsThroughFollower runs the job queues and the locks against a
// follower of a 3-node cluster, as TestClientsThroughFollower does the
// clients: the follower relays their writes, scripts and blocking pops
// (BZPOPMIN, XREAD BLOCK) to the leader, and an application must not notice.
func TestAppsThroughFollower(t *testing.T) {
	nodeBin := nodeWithApps(t)
	nodeDir := filepath.Join("apps", "node")
	programs := []appProgram{
		{"bull", nodeBin, filepath.Join(nodeDir, "bull.mjs")},
		{"bullmq", nodeBin, filepath.Join(nodeDir, "bullmq.mjs")},
		{"redlock", nodeBin, filepath.Join(nodeDir, "redlock.mjs")},
	}
	c := startCluster(t, 3)
	f := c.followers()[0]
	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			out, err := runApp(p, f.addr())
			if err != nil {
				t.Fatalf("%s through follower %s failed (%v); output:\n%s\ncluster logs:\n%s",
					p.script, f.addr(), err, out, c.logs())
			}
			t.Log(clientsLastLine(out))
		})
	}
	c.waitConverged()
}

// runApp runs one program against addr and returns its combined output and
// why it failed (a non-zero exit or the time limit).
func runApp(p appProgram, addr string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, p.interp, p.script, addr)
	host, port, _ := strings.Cut(addr, ":")
	cmd.Env = append(os.Environ(), "GEOMYS_HOST="+host, "GEOMYS_PORT="+port)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	if ctx.Err() != nil {
		return out.String(), fmt.Errorf("timed out after %v", time.Since(start).Round(time.Millisecond))
	}
	return out.String(), err
}

// pythonWithCelery finds a python3 that can import celery, kombu and redis.
func pythonWithCelery(t *testing.T) string {
	return pythonWith(t, "celery, kombu, redis", "python3-celery")
}

// nodeWithApps checks for node and for the libraries of test/apps/node (npm ci).
func nodeWithApps(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node not found (Node.js 20+ runs the Bull, BullMQ, redlock and rate-limiter-flexible tests); install nodejs and npm, then run `make test`")
	}
	for _, pkg := range []string{"bull", "bullmq", "ioredis", "redlock", "rate-limiter-flexible"} {
		pj := filepath.Join("apps", "node", "node_modules", pkg, "package.json")
		if _, err := os.Stat(pj); err != nil {
			t.Fatalf("%s is not installed in test/apps/node/node_modules; run `make test` (scripts/ensure-deps.sh runs `npm ci` there) and re-run", pkg)
		}
	}
	return path
}
