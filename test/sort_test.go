package test

import "testing"

const sortScript = `
RPUSH l 3 1 2 10 -5 2.5 1e3
SORT l
SORT l DESC
SORT l ALPHA
SORT l ALPHA DESC
SORT l LIMIT 1 3
SORT l LIMIT 0 0
SORT l LIMIT -1 2
SORT l LIMIT 5 100
SORT l LIMIT 100 2
SORT l LIMIT 2 -1
SORT l LIMIT x 1
SORT l LIMIT 1
SORT l BOGUS
SORT_RO l DESC LIMIT 0 3
SORT_RO l STORE dst
SORT nokey
SORT nokey STORE dst
EXISTS dst
SET str v
SORT str
SORT_RO str
RPUSH words banana apple cherry date apple elderberry fig
SORT words
SORT words ALPHA
SORT_RO words ALPHA DESC LIMIT 1 3
SORT words BY nosort
SORT words BY nosort DESC
SORT words BY nosort LIMIT 2 3
SORT words BY nosort DESC LIMIT 2 3
SORT words BY nosort LIMIT 10 3
# BY and GET patterns, hash fields
MSET w_banana 5 w_apple 3 w_cherry 5 w_date -1 w_fig notanumber
HSET h_banana f 2 name B
HSET h_apple f 9 name A
HSET h_cherry f 2 name C
HSET h_date f 7
SORT words BY w_*
SORT words BY w_* ALPHA
SORT words BY w_* ALPHA DESC
SORT words BY w_* ALPHA LIMIT 1 3
SORT words BY h_*->f
SORT words BY h_*->f DESC GET # GET h_*->name GET w_* GET nosuch_*
SORT words BY h_*->f LIMIT 0 2 GET h_*->name
SORT words BY h_*->f ALPHA LIMIT 1 4
SORT words BY h_*-> GET h_*->
SORT words GET # GET constant ALPHA
SORT words BY w_*->f ALPHA
DEL w_fig
SORT words BY w_* GET #
SORT words BY w_* DESC GET # GET w_*
SORT words BY w_* STORE sorted
LRANGE sorted 0 -1
SORT words BY w_* GET # GET w_* STORE sorted
LRANGE sorted 0 -1
SORT words BY nosort GET w_* STORE sorted2
LRANGE sorted2 0 -1
SET str2 x
SORT words ALPHA STORE str2
TYPE str2
LRANGE str2 0 -1
SORT words ALPHA LIMIT 0 0 STORE str2
EXISTS str2
# numeric conversion
RPUSH bad 1 2 x
SORT bad
SORT bad ALPHA
SORT bad STORE dst
# (no out-of-range weights such as 1e400: redis-server then leaves errno
# set to ERANGE, and every later numeric SORT in that process fails)
RPUSH odd2 " 5" "" "0x10" "inf" "-inf" "+3" 7.5
SORT odd2
SORT odd2 DESC
# sets and sorted sets
SADD s 5 3 9 1 7
SORT s
SORT s DESC LIMIT 1 2
SORT s BY nosort
SORT s BY nosort STORE sdst
LRANGE sdst 0 -1
SADD sw zeta alpha mid beta
SORT sw ALPHA
SORT sw BY nosort STORE swdst
LRANGE swdst 0 -1
SORT sw
ZADD z 3 c 1 a 2 b 5 e 4 d
SORT z ALPHA
SORT z BY nosort
SORT z BY nosort DESC
SORT z BY nosort LIMIT 1 2
SORT z BY nosort DESC LIMIT 1 2
SORT z BY nosort LIMIT 10 2
MSET zw_a 10 zw_b 40 zw_c 30 zw_d 20 zw_e 50
SORT z BY zw_*
SORT z BY zw_* DESC LIMIT 0 2 GET # GET zw_*
HSET hash a 1
SORT hash
# scripts
EVAL "return redis.call('SORT', KEYS[1], 'DESC')" 1 l
EVAL "return redis.call('SORT', KEYS[1], 'BY', 'w_*', 'STORE', KEYS[2])" 2 words viascript
LRANGE viascript 0 -1
`

func TestSort(t *testing.T) {
	runOnOneNode(t,
		nodeTest{"CommandsMatchRedis", func(t *testing.T, n *node) { compareWithRedis(t, n, sortScript) }},
	)
}
