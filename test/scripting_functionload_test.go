package test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// FUNCTION LOAD answers as Redis 7.0 does: the library's first line is
// split as redis.conf lines are, its errors come in Redis' order, the load
// code sees redis.REDIS_VERSION_NUM, a top level that runs over 500 ms is
// stopped, and FUNCTION RESTORE names a taken library without quotes.
func TestFunctionLoadLikeRedis(t *testing.T) {
	n := startNode(t)
	ctx := ctxT(t)
	g := redis.NewClient(&redis.Options{Addr: n.addr(), DisableIdentity: true})
	defer g.Close()
	r := redis.NewClient(&redis.Options{Addr: startRedis(t), DisableIdentity: true})
	defer r.Close()
	reg := "\nredis.register_function('f', function() return 1 end)"
	codes := []string{
		"#! name=test" + reg,
		"#!lua name=foo name=bar" + reg,
		"#!foo" + reg,
		"#!foo name=a b=c" + reg,
		"#!lua NAME=upper" + reg,
		"#!lua name=\"quoted\"" + reg,
		"#!lua name=\"two words\"" + reg,
		"#!lua name=\"unterminated" + reg,
		"#!lua name=" + reg,
		"#!lua name=noline",
		"#!lua name=ver\nlocal v = redis.REDIS_VERSION_NUM .. redis.REDIS_VERSION .. redis.LOG_WARNING\nredis.register_function('v', function() return v end)",
		"#!lua name=spin\nlocal a = 1\nwhile 1 do a = a + 1 end",
	}
	for _, code := range codes {
		start := time.Now()
		gv, gerr := g.Do(ctx, "FUNCTION", "LOAD", "REPLACE", code).Text()
		if time.Since(start) > 10*time.Second {
			t.Errorf("FUNCTION LOAD of %q took %v", code, time.Since(start))
		}
		rv, rerr := r.Do(ctx, "FUNCTION", "LOAD", "REPLACE", code).Text()
		if gv != rv || errText(gerr) != errText(rerr) {
			t.Errorf("FUNCTION LOAD %q:\n geomys: %q %v\n redis:  %q %v", code, gv, gerr, rv, rerr)
		}
	}
	if gv, rv := g.Do(ctx, "FCALL", "v", 0).Val(), r.Do(ctx, "FCALL", "v", 0).Val(); gv != rv {
		t.Errorf("FCALL v: geomys %v, redis %v", gv, rv)
	}

	// A payload whose library is loaded already.
	for _, c := range []*redis.Client{g, r} {
		c.Do(ctx, "FUNCTION", "FLUSH")
		if err := c.Do(ctx, "FUNCTION", "LOAD", "#!lua name=lib1"+reg).Err(); err != nil {
			t.Fatal(err)
		}
	}
	payload, err := g.Do(ctx, "FUNCTION", "DUMP").Text()
	if err != nil {
		t.Fatal(err)
	}
	_, gerr := g.Do(ctx, "FUNCTION", "RESTORE", payload).Result()
	_, rerr := r.Do(ctx, "FUNCTION", "RESTORE", payload).Result()
	if errText(gerr) != errText(rerr) || gerr == nil {
		t.Errorf("FUNCTION RESTORE of loaded libraries: geomys %v, redis %v", gerr, rerr)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
