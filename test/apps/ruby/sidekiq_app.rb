# Sidekiq (Debian's ruby-sidekiq, on redis-rb) on one server, run as its
# users run it: this program pushes jobs (perform_async, push_bulk,
# perform_in, jobs failing with retry: 1 and retry: 0) and starts `sidekiq -r sidekiq_app.rb -c 2` as a
# process, which requires this same file for its job classes. The jobs write
# their results to keys of their own; the program reads them back, and reads
# Sidekiq's own state through its API: the queue, the scheduled set, the
# retry set (a failed job waiting there is retried with RetrySet#retry_all,
# as from the Web UI, and ends in the dead set once its retries are
# exhausted), Stats and the process set (the heartbeat, a MULTI of HSET,
# EXPIRE and RPOP).
#
# Usage: ruby sidekiq_app.rb [HOST:PORT] (or GEOMYS_HOST / GEOMYS_PORT)
# Prints the library versions first, "ok: <check>" lines, and exits 1 at the
# first failed check.
require "securerandom"
require "tmpdir"
require "sidekiq"
require "sidekiq/api"

# Sidekiq 6.4 calls Redis#sadd, whose reply redis-rb 4.8 warns will change.
Redis.silence_deprecations = true

# The sidekiq process finds the server and the run in its environment.
def app_where
  arg = ARGV.find { |a| a.include?(":") } if $PROGRAM_NAME == __FILE__
  return arg if arg
  "#{ENV.fetch("GEOMYS_HOST", "127.0.0.1")}:#{ENV.fetch("GEOMYS_PORT", "6379")}"
end

WHERE = ENV["GAPP_SIDEKIQ_WHERE"] || app_where
RUN = ENV["GAPP_SIDEKIQ_RUN"] || SecureRandom.hex(4)
QUEUE = "gapp-sidekiq-#{RUN}"
RESULTS = "gapp:sidekiq:#{RUN}:results"
ATTEMPTS = "gapp:sidekiq:#{RUN}:attempts"

Sidekiq.configure_client { |c| c.redis = { url: "redis://#{WHERE}/0" } }
Sidekiq.configure_server do |c|
  c.redis = { url: "redis://#{WHERE}/0" }
  # Scheduled jobs are polled for every 0.25 to 0.75 s (every 5 s by default).
  c.options[:poll_interval_average] = 0.5
end

class AddJob
  include Sidekiq::Worker
  sidekiq_options queue: QUEUE

  def perform(x, y)
    Sidekiq.redis do |r|
      r.hincrby(ATTEMPTS, "add", 1)
      r.hset(RESULTS, "add:#{x}", x + y)
    end
  end
end

class StampJob
  include Sidekiq::Worker
  sidekiq_options queue: QUEUE

  def perform(pushed, field = "stamp")
    Sidekiq.redis { |r| r.hset(RESULTS, field, format("%.6f %.6f", pushed, Time.now.to_f)) }
  end
end

# Runs until the program lets it finish, to be seen busy.
class BlockerJob
  include Sidekiq::Worker
  sidekiq_options queue: QUEUE

  def perform
    deadline = Time.now + 15
    sleep 0.02 until Sidekiq.redis { |r| r.hexists(RESULTS, "release") } || Time.now > deadline
    Sidekiq.redis { |r| r.hset(RESULTS, "blocker", "done") }
  end
end

class BrokenJob
  include Sidekiq::Worker
  sidekiq_options queue: QUEUE, retry: 1

  def perform(tag)
    n = Sidekiq.redis { |r| r.hincrby(ATTEMPTS, tag, 1) }
    raise ArgumentError, "always broken (#{tag}, attempt #{n})"
  end
end

# No retries: a failure goes to the dead set at once.
class DoomedJob < BrokenJob
  sidekiq_options retry: 0

  sidekiq_retries_exhausted do |msg, _err|
    Sidekiq.redis { |r| r.hset(RESULTS, "exhausted", "#{msg["jid"]} #{msg["error_message"]}") }
  end
end

# The rest is the program; the sidekiq process only needs the job classes.
if $PROGRAM_NAME == __FILE__
  require_relative "apputil"

  def wait_for(what, seconds = 10)
    deadline = Time.now + seconds
    until yield
      raise CheckFailed, "#{what}: not within #{seconds} s" if Time.now > deadline
      sleep 0.05
    end
  end

  def redis(&block)
    Sidekiq.redis(&block)
  end

  class App
    attr_reader :log

    def initialize
      @jids = {}
      @stats = Sidekiq::Stats.new
    end

    def push
      @jids[:add] = (0...10).map { |i| AddJob.perform_async(i, i * 10) }
      @pushed = Time.now.to_f
      @jids[:stamp] = StampJob.perform_in(1, @pushed)
      @jids[:later] = StampJob.perform_in(3600, @pushed, "later")
      @jids[:broken] = BrokenJob.perform_async("broken")
      @jids[:doomed] = DoomedJob.perform_async("doomed")
      @jids[:bulk] = Sidekiq::Client.push_bulk("class" => AddJob, "args" => [[100, 1], [200, 2]])
      @jids[:blocker] = BlockerJob.perform_async
      q = Sidekiq::Queue.new(QUEUE)
      eq(q.size, 15, "jobs in the queue before the processor starts")
      eq(@jids[:bulk].size, 2, "jids of push_bulk")
      eq(q.find_job(@jids[:bulk][1])&.args, [200, 2], "arguments of a job found in the queue")
      check(q.latency >= 0, "queue latency #{q.latency}")
      scheduled = Sidekiq::ScheduledSet.new.find_job(@jids[:stamp])
      check(scheduled && (scheduled.at.to_f - @pushed - 1).abs < 0.5, "the perform_in(1) job in the scheduled set: #{scheduled&.at.inspect}")
      eq(scheduled.klass, "StampJob", "class of the scheduled job")
      check(Sidekiq::Queue.all.map(&:name).include?(QUEUE), "Sidekiq::Queue.all lacks #{QUEUE}")
    end

    def start
      @log = File.join(Dir.tmpdir, "gapp-sidekiq-#{RUN}.log")
      env = { "GAPP_SIDEKIQ_WHERE" => WHERE, "GAPP_SIDEKIQ_RUN" => RUN }
      bin = begin
        Gem.bin_path("sidekiq", "sidekiq")
      rescue Gem::Exception
        "sidekiq"
      end
      @pid = Process.spawn(env, RbConfig.ruby, bin, "-r", File.expand_path(__FILE__), "-c", "2", "-q", QUEUE, "-t", "3",
                           "-e", "production", %i[out err] => [@log, "w"])
    end

    def processed
      wait_for("12 add jobs, the scheduled job, a failure in the retry set and one in the dead set", 15) do
        redis { |r| r.hlen(RESULTS) } == 14 && Sidekiq::RetrySet.new.size == 1
      end
      sums = redis { |r| r.hgetall(RESULTS) }
      (0...10).each { |i| eq(sums["add:#{i}"], (11 * i).to_s, "add(#{i}, #{i * 10})") }
      eq([sums["add:100"], sums["add:200"]], %w[101 202], "jobs pushed with push_bulk")
      eq(Sidekiq::Queue.new(QUEUE).size, 0, "jobs left in the queue")
    end

    def scheduled
      pushed, ran = redis { |r| r.hget(RESULTS, "stamp") }.split.map(&:to_f)
      check(ran - pushed >= 1, format("the perform_in(1) job ran %.3f s after it was pushed", ran - pushed))
      # The job due in an hour, added to its queue by hand, runs at once.
      later = Sidekiq::ScheduledSet.new.find_job(@jids[:later])
      check(later && later.at.to_f - pushed > 3500, "the perform_in(3600) job in the scheduled set: #{later&.at.inspect}")
      later.add_to_queue
      wait_for("the job added to its queue by hand") { redis { |r| r.hexists(RESULTS, "later") } }
      eq(Sidekiq::ScheduledSet.new.size, 0, "jobs left in the scheduled set")
    end

    def retry_set
      entry = Sidekiq::RetrySet.new.find_job(@jids[:broken])
      check(entry, "the failed job is not in the retry set")
      eq([entry.klass, entry["retry_count"], entry["error_class"]], ["BrokenJob", 0, "ArgumentError"], "retry set entry")
      eq(entry["error_message"], "always broken (broken, attempt 1)", "error message of the retry")
      check(entry.at.to_f > entry["failed_at"].to_f, "a retry scheduled at #{entry.at.to_f}, before it failed at #{entry["failed_at"]}")
      eq(redis { |r| r.hget(ATTEMPTS, "broken") }, "1", "attempts of the failing job")
    end

    def manual_retry
      # Retried by hand (the Web UI's Retry), a job runs again at once and,
      # failing, is back in the retry set: a retry by hand is not counted.
      Sidekiq::RetrySet.new.find_job(@jids[:broken]).retry
      wait_for("the job retried by hand running again") { redis { |r| r.hget(ATTEMPTS, "broken") } == "2" }
      entry = nil
      wait_for("the job back in the retry set") { entry = Sidekiq::RetrySet.new.find_job(@jids[:broken]) }
      eq([entry["retry_count"], entry["error_message"]], [0, "always broken (broken, attempt 2)"], "retry set entry after a retry by hand")
      check(entry["retried_at"], "no retried_at in the retry set entry")
      # Killed by hand, it moves to the dead set.
      entry.kill
      check(Sidekiq::DeadSet.new.find_job(@jids[:broken]), "the killed job is not in the dead set")
      eq(Sidekiq::RetrySet.new.size, 0, "jobs left in the retry set")
    end

    def dead
      eq(redis { |r| r.hget(RESULTS, "exhausted") }, "#{@jids[:doomed]} always broken (doomed, attempt 1)", "sidekiq_retries_exhausted of a retry: 0 job")
      entry = Sidekiq::DeadSet.new.find_job(@jids[:doomed])
      check(entry, "the retry: 0 job is not in the dead set")
      eq([entry.klass, entry["error_class"]], ["DoomedJob", "ArgumentError"], "dead set entry")
      eq(redis { |r| r.hget(ATTEMPTS, "doomed") }, "1", "attempts of the retry: 0 job")
    end

    # A sidekiq process counts the jobs it runs in memory and adds them to
    # the stats with its heartbeat, every 5 s, and when it exits.
    def stats
      now = Sidekiq::Stats.new
      # add 12, stamp 2, broken 2, doomed 1, blocker 1; 3 failures.
      eq(now.processed - @stats.processed, 18, "Stats#processed since the start")
      eq(now.failed - @stats.failed, 3, "Stats#failed since the start")
      eq([now.retry_size, now.scheduled_size, now.queues[QUEUE] || 0], [0, 0, 0], "retry and scheduled set sizes, queue size")
      check(now.dead_size >= 2, "Stats#dead_size #{now.dead_size}")
      history = Sidekiq::Stats::History.new(1)
      check(history.processed.values.first.to_i >= 18, "today's processed history: #{history.processed}")
    end

    def processes
      procs = Sidekiq::ProcessSet.new.select { |p| p["queues"] == [QUEUE] }
      eq(procs.size, 1, "sidekiq processes serving #{QUEUE}")
      eq([procs.first["concurrency"], procs.first["pid"]], [2, @pid], "concurrency and pid of the sidekiq process")
      check(Time.now.to_f - procs.first["beat"] < 10, "the last heartbeat of the sidekiq process is #{procs.first["beat"]}")
      # The job in progress is in the process's heartbeat (every 5 s).
      busy = nil
      wait_for("the blocking job among the busy workers", 12) do
        busy = Sidekiq::Workers.new.find { |_process, _thread, work| work["payload"]["jid"] == @jids[:blocker] }
      end
      eq(busy[2]["queue"], QUEUE, "queue of the busy worker")
      # The heartbeat writes the workers and then, in a MULTI of its own,
      # the process's busy count: a reader can come in between.
      wait_for("the process to count its busy thread", 12) do
        Sidekiq::ProcessSet.new.find { |p| p["queues"] == [QUEUE] }["busy"] >= 1
      end
      redis { |r| r.hset(RESULTS, "release", 1) }
      wait_for("the blocking job finishing") { redis { |r| r.hexists(RESULTS, "blocker") } }
    end

    def stop
      Process.kill("TERM", @pid)
      _, status = Process.wait2(@pid)
      @pid = nil
      eq(status.exitstatus, 0, "exit status of the sidekiq process")
      wait_for("the stopped process leaving the process set", 5) do
        Sidekiq::ProcessSet.new.none? { |p| p["queues"] == [QUEUE] }
      end
    end

    def cleanup
      if @pid
        Process.kill("KILL", @pid)
        Process.wait(@pid)
      end
      %i[broken doomed].each { |k| Sidekiq::DeadSet.new.find_job(@jids[k])&.delete }
      Sidekiq::Queue.new(QUEUE).clear
      redis { |r| r.del(RESULTS, ATTEMPTS) }
      File.delete(@log) if @log && File.exist?(@log)
    end
  end

  puts "sidekiq #{Sidekiq::VERSION} redis-rb #{Redis::VERSION} against #{WHERE}"
  $stdout.sync = true
  started = Time.now
  app = App.new
  checks = [
    ["jobs pushed: perform_async, push_bulk, perform_in in the scheduled set, jobs failing with retry: 1 and retry: 0", :push],
    ["the processor ran the jobs; their results read back", :processed],
    ["the perform_in(1) job ran after its delay; a scheduled job added to its queue by hand", :scheduled],
    ["the failed job waits in the retry set", :retry_set],
    ["retried by hand from the retry set, it fails again and is killed to the dead set", :manual_retry],
    ["a retry: 0 job is dead at once, its sidekiq_retries_exhausted called", :dead],
    ["the sidekiq process in the process set, its job in progress among the busy workers", :processes],
    ["the sidekiq process stops on TERM and leaves the process set", :stop],
    ["Stats and daily history", :stats],
  ]
  passed = false
  Thread.new do
    sleep 40
    puts "FAIL: not done within 40 s"
    exit!(1)
  end
  begin
    checks.each_with_index do |(name, step), i|
      app.start if i == 1
      app.send(step)
      puts "ok: #{name}"
    end
    passed = true
  rescue StandardError => e
    puts "FAIL: #{e.class}: #{e.message}"
    puts e.backtrace.first(5).map { |l| "  #{l}" } unless e.is_a?(CheckFailed)
    puts "sidekiq process log:", File.read(app.log) if app.log && File.exist?(app.log)
  end
  begin
    app.cleanup
  rescue StandardError => e
    puts "cleanup: #{e.message}"
  end
  puts format("sidekiq %s: %d checks passed in %.1f s", Sidekiq::VERSION, checks.size, Time.now - started) if passed
  exit(passed ? 0 : 1)
end
