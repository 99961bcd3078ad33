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
	interp string // the interpreter, or the program itself when script is ""
	script string
}

// TestApps runs the application programs of test/apps (Bull, BullMQ,
// bee-queue, redlock, rate-limiter-flexible, express-session with
// connect-redis, express-rate-limit with rate-limit-redis, socket.io with
// its Redis streams adapter and its (sharded) pub/sub adapter, Celery,
// redis-py's Lock, rq, Django Channels' layers, Sidekiq, Rack::Attack and
// asynq; most send Lua scripts or MULTI/EXEC transactions, BullMQ and
// socket.io's streams adapter read a stream with XREAD BLOCK, socket.io's
// adapters count servers with PUBSUB NUMSUB and SHARDNUMSUB, bee-queue and
// Channels block in BRPOPLPUSH and BZPOPMIN) against a stock redis-server as
// a control and against one Geomys node: a program that fails on both is
// broken, one that fails on Geomys only found a Geomys bug. A program's two
// runs go side by side: they share nothing but the machine, and most of
// their time is spent waiting.
func TestApps(t *testing.T) {
	python := pythonWithCelery(t)
	nodeBin := nodeWithApps(t)
	nodeDir := filepath.Join("apps", "node")
	pyDir := filepath.Join("apps", "python")
	programs := []appProgram{
		{"bull", nodeBin, filepath.Join(nodeDir, "bull.mjs")},
		{"bullmq", nodeBin, filepath.Join(nodeDir, "bullmq.mjs")},
		{"bee-queue", nodeBin, filepath.Join(nodeDir, "bee_queue.mjs")},
		{"redlock", nodeBin, filepath.Join(nodeDir, "redlock.mjs")},
		{"rate-limiter-flexible", nodeBin, filepath.Join(nodeDir, "rate_limiter.mjs")},
		{"express-session", nodeBin, filepath.Join(nodeDir, "express_session.mjs")},
		{"rate-limit-redis", nodeBin, filepath.Join(nodeDir, "rate_limit_redis.mjs")},
		{"socket.io-redis-streams-adapter", nodeBin, filepath.Join(nodeDir, "socketio_streams.mjs")},
		{"socket.io-redis-adapter", nodeBin, filepath.Join(nodeDir, "socketio_redis.mjs")},
		{"celery", python, filepath.Join(pyDir, "celery_app.py")},
		{"redis-py-lock", python, filepath.Join(pyDir, "redis_py_lock.py")},
		rqProgram(t),
		channelsProgram(t),
		sidekiqProgram(t),
		rackAttackProgram(t),
		asynqProgram(t),
	}
	redisAddr := startRedis(t)
	n := startNode(t)
	for _, p := range programs {
		t.Run(p.name, func(t *testing.T) {
			type result struct {
				out string
				err error
			}
			control := make(chan result, 1)
			go func() {
				out, err := runApp(p, redisAddr)
				control <- result{out, err}
			}()
			out, err := runApp(p, n.addr())
			c := <-control
			controlOut, controlErr := c.out, c.err
			if controlErr != nil {
				t.Errorf("control run on redis-server %s failed (%v): the program or its environment is broken; output:\n%s",
					redisAddr, controlErr, controlOut)
			}
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

// TestAppsThroughFollower runs the job queues, the locks, the session
// store, socket.io's adapters and the channel layer against a follower of a
// 3-node cluster, as TestClientsThroughFollower does the clients: the
// follower relays their writes, scripts, transactions and blocking pops
// (BZPOPMIN, XREAD BLOCK, BRPOP, BRPOPLPUSH) to the leader, and an
// application must not notice.
func TestAppsThroughFollower(t *testing.T) {
	nodeBin := nodeWithApps(t)
	nodeDir := filepath.Join("apps", "node")
	programs := []appProgram{
		{"bull", nodeBin, filepath.Join(nodeDir, "bull.mjs")},
		{"bullmq", nodeBin, filepath.Join(nodeDir, "bullmq.mjs")},
		{"bee-queue", nodeBin, filepath.Join(nodeDir, "bee_queue.mjs")},
		{"redlock", nodeBin, filepath.Join(nodeDir, "redlock.mjs")},
		{"express-session", nodeBin, filepath.Join(nodeDir, "express_session.mjs")},
		{"socket.io-redis-streams-adapter", nodeBin, filepath.Join(nodeDir, "socketio_streams.mjs")},
		{"socket.io-redis-adapter", nodeBin, filepath.Join(nodeDir, "socketio_redis.mjs")},
		rqProgram(t),
		channelsProgram(t),
		sidekiqProgram(t),
		asynqProgram(t),
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
	args := []string{addr}
	if p.script != "" {
		args = append([]string{p.script}, args...)
	}
	cmd := exec.CommandContext(ctx, p.interp, args...)
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
		t.Fatal("node not found (Node.js 20+ runs the Bull, BullMQ, bee-queue, redlock, rate-limiter-flexible, express-session, express-rate-limit and socket.io tests); install nodejs and npm, then run `make test`")
	}
	for _, pkg := range []string{"bull", "bullmq", "bee-queue", "ioredis", "redis", "redlock", "rate-limiter-flexible",
		"express", "express-session", "connect-redis", "express-rate-limit", "rate-limit-redis",
		"socket.io", "socket.io-client", "@socket.io/redis-streams-adapter", "@socket.io/redis-adapter"} {
		pj := filepath.Join("apps", "node", "node_modules", pkg, "package.json")
		if _, err := os.Stat(pj); err != nil {
			t.Fatalf("%s is not installed in test/apps/node/node_modules; run `make test` (scripts/ensure-deps.sh runs `npm ci` there) and re-run", pkg)
		}
	}
	return path
}

// rqProgram is test/apps/python/rq_app.py, run by a python3 that can import
// rq (Debian's python3-rq), whose `rq worker` processes it starts itself.
func rqProgram(t *testing.T) appProgram {
	python := pythonWith(t, "rq, redis", "python3-rq")
	return appProgram{"rq", python, filepath.Join("apps", "python", "rq_app.py")}
}

// channelsProgram is test/apps/python/channels_app.py, run by a python3
// that can import channels_redis (Debian's python3-channels-redis, with
// Django Channels and redis-py).
func channelsProgram(t *testing.T) appProgram {
	python := pythonWith(t, "channels_redis, channels, redis", "python3-channels-redis")
	return appProgram{"channels-redis", python, filepath.Join("apps", "python", "channels_app.py")}
}

// rackAttackProgram is test/apps/ruby/rack_attack_app.rb, run by a ruby that
// can require Rack::Attack (Debian's ruby-rack-attack, with ruby-rack) and
// redis-rb.
func rackAttackProgram(t *testing.T) appProgram {
	t.Helper()
	ruby, err := exec.LookPath("ruby")
	if err != nil {
		t.Fatal("ruby not found (the Rack::Attack test runs it); run `make test` (scripts/ensure-deps.sh installs ruby-rack-attack) and re-run")
	}
	probe := `require "rack"; require "rack/attack"; require "redis"`
	if out, err := exec.Command(ruby, "-e", probe).CombinedOutput(); err != nil {
		t.Fatalf("%s cannot load Rack::Attack and redis-rb (%s); the Debian packages ruby-rack-attack and ruby-redis are missing: run `make test` (scripts/ensure-deps.sh installs them) and re-run",
			ruby, strings.TrimSpace(clientsLastLine(string(out))))
	}
	return appProgram{"rack-attack", ruby, filepath.Join("apps", "ruby", "rack_attack_app.rb")}
}

// sidekiqProgram is test/apps/ruby/sidekiq_app.rb, run by a ruby that can
// require Sidekiq (Debian's ruby-sidekiq, with ruby-redis); it starts the
// sidekiq command of the same gem.
func sidekiqProgram(t *testing.T) appProgram {
	t.Helper()
	ruby, err := exec.LookPath("ruby")
	if err != nil {
		t.Fatal("ruby not found (the Sidekiq test runs it); run `make test` (scripts/ensure-deps.sh installs ruby-sidekiq) and re-run")
	}
	probe := `require "sidekiq"; require "sidekiq/api"; Gem.bin_path("sidekiq", "sidekiq")`
	if out, err := exec.Command(ruby, "-e", probe).CombinedOutput(); err != nil {
		t.Fatalf("%s cannot load Sidekiq (%s); the Debian package ruby-sidekiq is missing: run `make test` (scripts/ensure-deps.sh installs it) and re-run",
			ruby, strings.TrimSpace(clientsLastLine(string(out))))
	}
	return appProgram{"sidekiq", ruby, filepath.Join("apps", "ruby", "sidekiq_app.rb")}
}

// asynqProgram builds test/apps/go, a module of its own so that Geomys does
// not depend on asynq, with the go command running the tests (the module
// proxy serves its pinned requirements).
func asynqProgram(t *testing.T) appProgram {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is not on PATH to build the asynq program: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "asynq_app")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goBin, "build", "-o", bin, ".")
	cmd.Dir = filepath.Join("apps", "go")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build in test/apps/go: %v\n%s", err, out)
	}
	return appProgram{"asynq", bin, ""}
}
