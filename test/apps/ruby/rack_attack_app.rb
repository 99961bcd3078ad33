# Rack::Attack (Debian's ruby-rack-attack, on redis-rb: its cache store is
# a Redis client) in front of a Rack application, as a Ruby web application
# runs it: requests go through the middleware with Rack::MockRequest. The
# store counts a period's requests with a pipelined INCRBY and EXPIRE on a
# key named after the period, bans with SETEX, reads bans with GET and
# resets with SCAN MATCH and DEL.
# Checks: a throttle lets a period's limit through and answers 429 with
# Retry-After past it, callers apart, the next period anew; 20 concurrent
# requests let exactly the limit through; fail2ban refuses bad requests and
# after the third bans the caller, even its good ones, until the ban expires; allow2ban
# lets the first requests through then bans; a track counts without
# blocking; Rack::Attack.reset! deletes every counter.
#
# Usage: ruby rack_attack_app.rb [HOST:PORT] (or GEOMYS_HOST / GEOMYS_PORT)
# Prints the library versions first, "ok: <check>" lines, and exits 1 at the
# first failed check.
require "securerandom"
require "rack"
require "rack/attack"
require "rack/attack/version"
require "redis"

WHERE = ARGV.find { |a| a.include?(":") } ||
        "#{ENV.fetch("GEOMYS_HOST", "127.0.0.1")}:#{ENV.fetch("GEOMYS_PORT", "6379")}"
HOST, PORT = WHERE.split(":")
RUN = SecureRandom.hex(4)
PREFIX = "gapp:rack-attack:#{RUN}"
VERSIONS = "rack-attack #{Rack::Attack::VERSION}, rack #{Rack.release}, redis-rb #{Redis::VERSION}"

require_relative "apputil"

THROTTLE_PERIOD = 2
LIMIT = 5

Rack::Attack.cache.store = Redis.new(host: HOST, port: PORT.to_i, timeout: 5)
Rack::Attack.cache.prefix = PREFIX
Rack::Attack.throttled_response_retry_after_header = true
Rack::Attack.throttle("api", limit: LIMIT, period: THROTTLE_PERIOD) do |req|
  req.ip if req.path.start_with?("/api")
end
# Three bad logins within 10 s ban the address for 2 s.
Rack::Attack.blocklist("logins") do |req|
  next unless req.path == "/login"
  Rack::Attack::Fail2Ban.filter("login-#{req.ip}", maxretry: 3, findtime: 10, bantime: 2) do
    req.get_header("HTTP_X_PASSWORD") != "right"
  end
end
# Scrapers: the first 4 requests pass, the 5th within 10 s bans for 2 s.
Rack::Attack.blocklist("scrapers") do |req|
  next unless req.path.start_with?("/pages")
  Rack::Attack::Allow2Ban.filter("scrape-#{req.ip}", maxretry: 4, findtime: 10, bantime: 2) { true }
end
Rack::Attack.track("downloads", limit: 2, period: THROTTLE_PERIOD) do |req|
  req.ip if req.path == "/download"
end

APP = Rack::Builder.new do
  use Rack::Attack
  run ->(_env) { [200, { "content-type" => "text/plain" }, ["ok\n"]] }
end.to_app

def get(path, ip, headers = {})
  Rack::MockRequest.new(APP).get(path, { "REMOTE_ADDR" => ip }.merge(headers))
end

def redis
  @redis ||= Redis.new(host: HOST, port: PORT.to_i, timeout: 5)
end

# Waits for a period to begin, so that a check's requests fall in one.
def at_period_start(period)
  sleep(period - (Time.now.to_f % period) + 0.02)
end

def throttle
  at_period_start(THROTTLE_PERIOD)
  codes = Array.new(LIMIT + 1) { get("/api/items", "10.0.0.1").status }
  eq(codes, [200] * LIMIT + [429], "statuses of #{LIMIT + 1} requests")
  res = get("/api/items", "10.0.0.1")
  eq(res.status, 429, "another request past the limit")
  retry_after = res.headers["retry-after"].to_i
  check(retry_after >= 1 && retry_after <= THROTTLE_PERIOD, "retry-after #{res.headers["retry-after"].inspect}")
  eq(get("/api/items", "10.0.0.2").status, 200, "another caller")
  eq(get("/other", "10.0.0.1").status, 200, "a path the throttle leaves alone")
  key = "#{PREFIX}:#{Time.now.to_i / THROTTLE_PERIOD}:api:10.0.0.1"
  eq(redis.get(key), (LIMIT + 2).to_s, "count of the period")
  ttl = redis.ttl(key)
  check(ttl >= 1 && ttl <= THROTTLE_PERIOD + 1, "TTL of the count: #{ttl}")
  at_period_start(THROTTLE_PERIOD)
  eq(get("/api/items", "10.0.0.1").status, 200, "first request of the next period")
end

def concurrent
  at_period_start(THROTTLE_PERIOD)
  codes = Array.new(20) { Thread.new { get("/api/x", "10.0.0.3").status } }.map(&:value)
  eq(codes.count(200), LIMIT, "concurrent requests that passed")
  eq(codes.count(429), 20 - LIMIT, "concurrent requests throttled")
end

def fail2ban
  # A bad login is itself refused; the third within the find time bans.
  eq(get("/login", "10.0.1.1").status, 403, "bad login 1")
  eq(get("/login", "10.0.1.1").status, 403, "bad login 2")
  eq(get("/login", "10.0.1.1", "HTTP_X_PASSWORD" => "right").status, 200, "a good login before the ban")
  eq(get("/login", "10.0.1.1").status, 403, "bad login 3 (bans)")
  eq(get("/login", "10.0.1.1", "HTTP_X_PASSWORD" => "right").status, 403, "a good login while banned")
  eq(get("/login", "10.0.1.2", "HTTP_X_PASSWORD" => "right").status, 200, "a good login from another address")
  ban = "#{PREFIX}:fail2ban:ban:login-10.0.1.1"
  eq(redis.get(ban), "1", "ban key")
  ttl = redis.ttl(ban)
  check(ttl >= 1 && ttl <= 2, "TTL of the ban: #{ttl}")
  sleep 2.2
  eq(redis.exists?(ban), false, "ban key after the ban time")
  eq(get("/login", "10.0.1.1", "HTTP_X_PASSWORD" => "right").status, 200, "a good login after the ban")
end

def allow2ban
  codes = Array.new(6) { get("/pages/#{rand(100)}", "10.0.2.1").status }
  eq(codes, [200, 200, 200, 200, 403, 403], "statuses of 6 page requests")
  eq(get("/pages/1", "10.0.2.2").status, 200, "another address")
  Rack::Attack::Allow2Ban.reset("scrape-10.0.2.1", findtime: 10)
  eq(get("/pages/1", "10.0.2.1").status, 200, "after Allow2Ban.reset")
end

def track
  at_period_start(THROTTLE_PERIOD)
  4.times { eq(get("/download", "10.0.3.1").status, 200, "a tracked request past its limit") }
  eq(redis.get("#{PREFIX}:#{Time.now.to_i / THROTTLE_PERIOD}:downloads:10.0.3.1"), "4", "track count")
end

def reset
  check(!redis.keys("#{PREFIX}*").empty?, "no keys before reset!")
  Rack::Attack.reset!
  eq(redis.keys("#{PREFIX}*"), [], "keys after reset!")
end

if $PROGRAM_NAME == __FILE__
  $stdout.sync = true
  puts "#{VERSIONS} against #{WHERE}"
  started = Time.now
  checks = [
    ["a throttle: #{LIMIT} a period, then 429 with Retry-After; the next period anew", :throttle],
    ["20 concurrent requests: exactly #{LIMIT} pass", :concurrent],
    ["fail2ban bans after 3 bad logins until its ban time ends", :fail2ban],
    ["allow2ban lets 4 through, then bans; reset lifts it", :allow2ban],
    ["a track counts without blocking", :track],
    ["reset! deletes every counter (SCAN MATCH, DEL)", :reset],
  ]
  Thread.new do
    sleep 40
    puts "FAIL: not done within 40 s"
    exit!(1)
  end
  passed = false
  begin
    checks.each do |name, step|
      send(step)
      puts "ok: #{name}"
    end
    passed = true
  rescue StandardError => e
    puts "FAIL: #{e.class}: #{e.message}"
    puts e.backtrace.first(5).map { |l| "  #{l}" } unless e.is_a?(CheckFailed)
  end
  begin
    keys = redis.keys("#{PREFIX}*")
    redis.del(*keys) unless keys.empty?
  rescue StandardError => e
    puts "cleanup: #{e.message}"
  end
  puts format("%s: %d checks passed in %.1f s", VERSIONS, checks.size, Time.now - started) if passed
  exit(passed ? 0 : 1)
end
