#include "dualwrite/daemon/runner.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/apply/consumer.hpp"
#include "dualwrite/apply/live.hpp"
#include "dualwrite/apply/pg.hpp"
#include "dualwrite/core/pg_time.hpp"
#include "dualwrite/daemon/buffer_release.hpp"
#include "dualwrite/daemon/supervisor.hpp"
#include "dualwrite/ops/logging.hpp"
#include "dualwrite/pg/attempt.hpp"
#include "dualwrite/pg/session.hpp"
#include "dualwrite/progress/progress.hpp"
#include "dualwrite/sql/daemon.hpp"
#include "dualwrite/stream/backoff.hpp"
#include "dualwrite/stream/driver.hpp"

namespace dualwrite::daemon {

namespace {

using Clock = std::chrono::steady_clock;

// The slot's confirmed_flush_lsn, so that a restart keeps the replay window's history in the
// slot (see ProgressTracker); invalid when it cannot be read (then the origin alone is used).
Lsn slot_confirmed_flush(const std::string& source, const std::string& slot) {
  auto confirmed = pg::attempt(ErrorDomain::source, [&] {
    auto conn = apply::Connection::open(source);
    bool found = false;
    const std::string text = conn.scalar(sql::daemon::slot_confirmed_flush, {slot.c_str()}, &found);
    return found ? Lsn::parse(text).value_or(Lsn::invalid()) : Lsn::invalid();
  });
  if (confirmed) return *confirmed;
  spdlog::warn(
      "source: cannot read the slot's confirmed position ({}); the replay window "
      "starts at the applied position",
      confirmed.error().message);
  return Lsn::invalid();
}

// Waits `wait`, telling the supervisor the loop still turns, until `stop` says otherwise.
void sleep_turning(std::chrono::milliseconds wait, const std::atomic<bool>& stop,
                   ApplyProbe& probe) {
  for (auto until = Clock::now() + wait; Clock::now() < until && !stop.load();) {
    probe.turned();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

// READY=1 (and /readyz) once per run, the first time the stream is connected or brings a frame.
class Readiness {
 public:
  Readiness(const Observers& observers, Supervisor& supervisor, std::string slot)
      : observers_(observers), supervisor_(supervisor), slot_(std::move(slot)) {}
  bool sent() const { return sent_; }
  void send() {
    if (sent_) return;
    if (observers_.notifier != nullptr) observers_.notifier->ready("streaming slot " + slot_);
    supervisor_.mark_ready();
    sent_ = true;
  }

 private:
  const Observers& observers_;
  Supervisor& supervisor_;
  std::string slot_;
  bool sent_ = false;
};

// The replication stream of one attempt, from the tracker's durable position.
stream::StreamConfig stream_config(const config::Config& config, const std::string& source,
                                   progress::ProgressTracker& tracker, progress::LagMonitor& lag) {
  stream::StreamConfig sc;
  sc.conninfo = source;
  sc.start.slot = config.source.slot;
  sc.start.publications = {config.source.publication};
  sc.start.proto_version = config.source.proto_version;
  sc.status_interval = config.progress.status_interval;
  sc.backoff = {config.reconnect.initial_backoff, config.reconnect.max_backoff};
  sc.durable_position = [&tracker]() -> Result<Lsn> { return tracker.durable(); };
  sc.on_retry = [](const Error& e, std::chrono::milliseconds in) {
    spdlog::warn("source: {}; reconnecting in {} ms", e.message, in.count());
  };
  sc.on_transaction = [&lag](const stream::TransactionCommit& c) {
    lag.on_received(c.commit_lsn, stream::from_pg_timestamp(c.commit_time));
  };
  return sc;
}

// The apply duration of a batch (from its first pending transaction) and the time from the
// source commit of its last transaction to now, when it is visible.
void observe_batch(ops::Metrics& metrics, Clock::time_point batch_started,
                   std::int64_t last_commit_time) {
  if (batch_started != Clock::time_point{}) {
    metrics.observe_apply(std::chrono::duration<double>(Clock::now() - batch_started).count());
  }
  const double commit_unix = static_cast<double>(last_commit_time + kPgEpochUnixMicros) / 1e6;
  const double now_unix =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  metrics.observe_commit_to_apply(std::max(0.0, now_unix - commit_unix));
}

}  // namespace

// Start-up: the slot, publication and origin checks of ensure_replication_setup, retried like a
// connection lost at run time while the failure is one that time may cure (a database down,
// starting, unreachable); at once fatal otherwise (authentication, a missing database or role,
// a lost slot, a bootstrap to finish): a restart could not fix those, and a person must act.
// Returns 0 to go on, else the exit status.
int set_up_with_retries(const config::Config& config, const SetupOptions& setup,
                        const std::atomic<bool>& stop, ApplyProbe& probe,
                        const Observers& observers) {
  stream::Backoff backoff({config.reconnect.initial_backoff, config.reconnect.max_backoff});
  for (int attempt = 1;; ++attempt) {
    Status s = Ok{};
    {
      auto call = probe.target_call();
      s = ensure_replication_setup(config, setup);
    }
    if (s) {
      if (attempt > 1) spdlog::info("start-up: connected after {} attempts", attempt);
      return 0;
    }
    Error e = s.error();
    if (e.domain == ErrorDomain::target && config.target.conninfo.empty() &&
        e.message.find("cannot connect") != std::string::npos) {
      // The target is the source database: not reaching it is not reaching the source (exit 4).
      e.domain = ErrorDomain::source;
      e.message = "source (also the target): " + e.message;
    }
    const bool transient = (e.domain == ErrorDomain::source || e.domain == ErrorDomain::target) &&
                           pg::transient_connect_failure(e.message);
    if (!transient) {
      spdlog::error("{}", e.message);
      return exit_code(e.domain);
    }
    if (observers.metrics != nullptr) {
      observers.metrics->count_error(e.domain == ErrorDomain::target ? "target_connect" : "stream");
    }
    const auto wait = backoff.next();
    spdlog::warn("start-up attempt {}: {}; retrying in {} ms (not ready until streaming)", attempt,
                 e.message, wait.count());
    sleep_turning(wait, stop, probe);
    if (stop.load()) return 0;
  }
}

std::uint64_t total_changes(const apply::ApplyStats& s) {
  std::uint64_t n = 0;
  for (const auto& table : s.changes) {
    for (const auto& op : table) n += op.load(std::memory_order_relaxed);
  }
  return n;
}

namespace {

// `dualwrite run` once set up: the parts it wires together (the applier, the backoffs, the
// readiness, the careful-mode mark), and the loop that connects the target, streams from its
// origin, and starts again after a failure (runner.hpp has the state machine).
class Daemon {
 public:
  Daemon(const config::Config& config, std::atomic<bool>& stop, apply::ApplyStats& stats,
         const Observers& observers, BatchLimits& limits, progress::LagMonitor& lag,
         ApplyProbe& probe, Supervisor& supervisor)
      : config_(config),
        stop_(stop),
        stats_(stats),
        observers_(observers),
        limits_(limits),
        lag_(lag),
        probe_(probe),
        supervisor_(supervisor),
        applier_(apply_options(config), stats),
        live_(config.apply.streamed_transactions == "live"
                  ? std::make_unique<apply::LiveApply>(apply_options(config), stats, applier_,
                                                       config.apply.live_lock_timeout)
                  : nullptr),
        target_backoff_({config.reconnect.initial_backoff, config.reconnect.max_backoff}),
        attempt_backoff_({config.reconnect.initial_backoff, config.reconnect.max_backoff}),
        source_(admin::source_conninfo(config)),
        readiness_(observers, supervisor, config.source.slot) {
    // The apply thread waits on the live connection too: the supervisor's deadline covers it.
    if (live_) live_->on_socket([this](int socket) { probe_.set_live_target(socket); });
  }

  // Until SIGTERM or a fatal failure; returns the exit status.
  int loop() {
    while (!stop_.load()) {
      // Target first: its origin says where the stream starts.
      if (!connect_target()) continue;
      int fatal_code = 0;
      const Outcome outcome = attempt(fatal_code);
      if (outcome == Outcome::fatal) return fatal_code;
      if (outcome == Outcome::stopped && stop_.load()) break;
      // Restart: the target connection is rebuilt and the stream starts again from its origin.
      if (applier_.in_transaction()) {
        auto call = probe_.target_call();
        applier_.rollback();
      }
      if (outcome == Outcome::restart && !stop_.load()) {
        // Not at once: a failure that repeats (a refused change, a lock) must not spin.
        sleep_turning(attempt_backoff_.next(), stop_, probe_);
      }
    }
    spdlog::info("stopped at {}", applier_.origin_progress().to_string());
    return 0;
  }

 private:
  enum class Outcome { stopped, restart, fatal };

  // The state of one attempt at streaming: from the origin, until a failure or SIGTERM.
  struct Attempt {
    Attempt(Daemon& d, Lsn origin)
        : slot_confirmed(d.config_.progress.replay_window.count() > 0
                             ? slot_confirmed_flush(d.source_, d.config_.source.slot)
                             : Lsn::invalid()),
          tracker(origin, d.config_.progress.replay_window, clock, slot_confirmed),
          queue(queue_bound(d.config_)),
          driver(stream_config(d.config_, d.source_, tracker, d.lag_), tracker, queue),
          consumer(d.applier_) {}
    progress::SteadyClock clock;
    Lsn slot_confirmed;
    progress::ProgressTracker tracker;
    stream::FrameQueue queue;
    stream::StreamDriver driver;
    Status stream_status = Ok{};
    apply::Consumer consumer;
    std::uint64_t last_commit_seq = 0;
    Clock::time_point first_pending{};
    Clock::time_point batch_started{};
  };

  // In live mode the apply is the slow side while a large transaction streams (it applies
  // instead of spooling), so the queue fills to its bound: held at 16 MiB there, which keeps the
  // daemon under 64 MiB over a 1M-row transaction (58 MiB, bench/README.md; the same speed in
  // the measured pair).
  static std::size_t queue_bound(const config::Config& config) {
    constexpr std::uint64_t kLiveQueueMax = std::uint64_t{16} << 20;
    if (config.apply.streamed_transactions != "live") return config.apply.queue_max_bytes;
    return std::max(config.apply.batch_max_bytes,
                    std::min(config.apply.queue_max_bytes, kLiveQueueMax));
  }

  static apply::ApplyOptions apply_options(const config::Config& config) {
    apply::ApplyOptions options = admin::target_apply_options(config);
    options.origin = config.source.origin;
    return options;
  }

  // Connects the applier to the target; on failure waits a backoff and returns false.
  bool connect_target() {
    auto connected = pg::attempt(ErrorDomain::target, [&] {
      auto call = probe_.target_call();
      applier_.connect();
    });
    if (connected) {
      probe_.set_target(applier_.socket(), true);
      probe_.new_attempt(total_changes(stats_));
      if (target_attempts_ > 0) spdlog::info("target: connected again");
      target_attempts_ = 0;
      target_backoff_.reset();
      // A new target connection here, a new replication connection below: what libpq held for
      // a large change is gone with the old ones.
      if (buffer_release_.connections_renewed()) return_freed_memory();
      return true;
    }
    probe_.set_target(-1, false);
    const auto wait = target_backoff_.next();
    ++target_attempts_;
    spdlog::warn("target: {} (attempt {}); retrying in {} ms", connected.error().message,
                 target_attempts_, wait.count());
    if (observers_.metrics != nullptr) observers_.metrics->count_error("target_connect");
    sleep_turning(wait, stop_, probe_);
    return false;
  }

  // Streams from the target's origin until a failure or SIGTERM. For a fatal outcome
  // `exit_status` says how to exit.
  Outcome attempt(int& exit_status) {
    const Lsn origin = applier_.origin_progress();
    spdlog::info("target origin {} at {}; streaming slot {}", config_.source.origin,
                 origin.to_string(), config_.source.slot);
    Attempt a(*this, origin);
    a.consumer.set_live(live_.get(), [this, &a] { commit_batch(a); });
    lag_.on_applied(origin);
    supervisor_.attach(a.driver, a.tracker);
    std::thread stream_thread([&a] { a.stream_status = a.driver.run(); });

    Outcome outcome = Outcome::stopped;
    int fatal_code = 0;
    try {
      if (careful_until_ > origin) applier_.set_careful(true);
      auto consumed = pg::attempt(ErrorDomain::target, [&] { return consume(a, fatal_code); });
      if (consumed) {
        outcome = *consumed;
      } else {
        ops::log_error(spdlog::level::warn, "target", consumed.error());
        if (observers_.metrics != nullptr) observers_.metrics->count_error("apply");
        if (consumed.error().connection_lost) probe_.set_target(-1, false);
        outcome = Outcome::restart;
      }
    } catch (const apply::ApplyRejected& e) {
      // Every failed attempt is counted (also a careful-mode one, which can fail again).
      if (observers_.metrics != nullptr) observers_.metrics->count_error("apply");
      if (live_conflict(e)) {
        // A transaction committed before the live one waited for a row the live one holds,
        // while the live one waits for it to commit: the live one gives way, and the stream
        // starts again from the origin (the live transaction is then spooled).
        live_->fall_back(e.what());
        outcome = Outcome::restart;
      } else {
        careful_until_ = std::max(careful_until_, a.consumer.last_end_lsn() + 1);
        Error rejected = make_error(ErrorDomain::target, e.what());
        rejected.context = e.context;
        ops::log_error(spdlog::level::warn,
                       "target rejected a batch (re-applying it change by change)", rejected);
        outcome = Outcome::restart;
      }
    } catch (const std::exception& e) {
      // Anything else is a bug or a broken invariant: stop cleanly (the stream thread is joined
      // and nothing uncommitted is confirmed) and let the service manager restart us.
      spdlog::critical("apply: {}", e.what());
      fatal_code = exit_code(ErrorDomain::internal);
      outcome = Outcome::fatal;
    }

    if (live_) {
      // Whatever was applied live and not committed is streamed again.
      auto call = probe_.target_call();
      live_->reset();
    }
    a.driver.stop();
    stream_thread.join();
    supervisor_.detach();
    if (outcome == Outcome::fatal) {
      if (!a.stream_status.ok()) {
        spdlog::critical("{}", a.stream_status.error().message);
        exit_status = exit_code(a.stream_status.error().domain);
      } else {
        exit_status = fatal_code != 0 ? fatal_code : exit_code(ErrorDomain::internal);
      }
    }
    return outcome;
  }

  // A lock timeout of the main connection while a transaction is applied live: the conflict
  // apply/live.hpp describes (lock_not_available, 55P03).
  bool live_conflict(const apply::ApplyRejected& e) const {
    return live_ && live_->xid() && e.sqlstate == "55P03";
  }

  // Commits the open target transaction (the batch) and moves every position past it.
  void commit_batch(Attempt& a) {
    Lsn durable;
    {
      auto call = probe_.target_call();
      durable = applier_.commit();
    }
    lag_.on_applied(durable);
    probe_.new_attempt(total_changes(stats_));
    attempt_backoff_.reset();
    if (observers_.metrics != nullptr) {
      observe_batch(*observers_.metrics, a.batch_started, a.consumer.last_commit_time());
    }
    a.batch_started = {};
    a.tracker.mark_durable(durable);
    a.tracker.mark_consumed(a.last_commit_seq);
    a.tracker.note_applied_commit_time(from_pg_micros(a.consumer.last_commit_time()));
    if (applier_.careful() && durable > careful_until_) {
      applier_.set_careful(false);
      spdlog::info("past the rejected batch at {}: back to fast mode", careful_until_.to_string());
    }
  }

  // The apply loop of one attempt: frames from the queue into the consumer, batches committed
  // when full, when the queue runs dry, or one by one in careful mode.
  Outcome consume(Attempt& a, int& fatal_code) {
    while (true) {
      probe_.turned();
      if (stop_.load()) {
        // Only whole source transactions are committed; a partial one is rolled back and
        // will be streamed again.
        if (a.consumer.in_transaction()) {
          auto call = probe_.target_call();
          applier_.rollback();
        } else if (applier_.in_transaction()) {
          commit_batch(a);
        }
        return Outcome::stopped;
      }
      auto event = a.queue.pop_for(std::chrono::milliseconds(100));
      if (!event) {
        if (a.queue.closed()) {
          return !a.stream_status.ok() || !stop_.load() ? Outcome::fatal : Outcome::stopped;
        }
        if (!readiness_.sent() && a.driver.stats().connected) readiness_.send();
        // The queue ran dry: close the batch now for latency.
        if (applier_.in_transaction() && !a.consumer.in_transaction()) commit_batch(a);
        if (buffer_release_.due(a.consumer.between_transactions() && !applier_.in_transaction(),
                                Clock::now())) {
          spdlog::info(
              "a {} MiB change has passed: reconnecting to release the memory libpq keeps for it",
              (buffer_release_.largest() + (1 << 20) - 1) >> 20);
          buffer_release_.released(Clock::now());
          return Outcome::restart;
        }
        continue;
      }
      if (const auto* restarted = std::get_if<stream::Restarted>(&*event)) {
        // The source reconnected: what was in flight comes again from the durable position.
        if (applier_.in_transaction()) applier_.rollback();
        a.consumer.reset();
        a.tracker.mark_consumed(restarted->seq);
        continue;
      }
      auto& frame = std::get<stream::Frame>(*event);
      buffer_release_.note_message(frame.payload.size());
      readiness_.send();
      Result<apply::Consumer::Event> result = apply::Consumer::Event::none;
      {
        auto call = probe_.target_call();
        result = a.consumer.feed(frame.payload);
      }
      if (!result) {
        spdlog::critical("cannot process the change stream at {}: {}", frame.data_start.to_string(),
                         result.error().message);
        fatal_code = exit_code(result.error().domain);
        if (observers_.metrics != nullptr) observers_.metrics->count_error("decode");
        return Outcome::fatal;
      }
      if (*result != apply::Consumer::Event::committed) {
        // A frame outside any transaction (a non-transactional logical message) carries
        // nothing to apply: finished as soon as no batch is open, or the tracker would count
        // it outstanding and hold the slot (and the reported positions) until the next commit.
        if (a.consumer.between_transactions() && !applier_.in_transaction()) {
          a.tracker.mark_consumed(frame.seq);
        }
        continue;
      }
      on_commit(a, frame.seq);
    }
  }

  // A source transaction has ended: finished at once when it wrote nothing, else its batch is
  // committed once full (or at once when the queue is empty, or in careful mode).
  void on_commit(Attempt& a, std::uint64_t seq) {
    a.last_commit_seq = seq;
    if (!applier_.in_transaction()) {
      // Skipped (already applied) or empty: nothing to commit, but it is finished.
      a.tracker.mark_durable(a.consumer.last_end_lsn());
      lag_.on_applied(a.consumer.last_end_lsn());
      a.tracker.mark_consumed(seq);
      return;
    }
    if (a.first_pending == Clock::time_point{}) a.first_pending = Clock::now();
    if (a.batch_started == Clock::time_point{}) a.batch_started = a.first_pending;
    const bool full =
        applier_.pending_changes() >= limits_.max_changes.load() ||
        applier_.pending_bytes() >= limits_.max_bytes.load() ||
        Clock::now() - a.first_pending >= std::chrono::milliseconds(limits_.max_delay_ms.load());
    if (full || a.queue.size() == 0 || applier_.careful()) {
      commit_batch(a);
      a.first_pending = {};
    }
  }

  const config::Config& config_;
  std::atomic<bool>& stop_;
  apply::ApplyStats& stats_;
  const Observers& observers_;
  BatchLimits& limits_;
  progress::LagMonitor& lag_;
  ApplyProbe& probe_;
  Supervisor& supervisor_;
  apply::Applier applier_;
  std::unique_ptr<apply::LiveApply> live_;  // [apply] streamed_transactions = "live"
  stream::Backoff target_backoff_;
  // Between failed attempts at applying (a refused change, a timeout, a lock): reset by a commit.
  stream::Backoff attempt_backoff_;
  const std::string source_;
  Readiness readiness_;
  Lsn careful_until_;  // careful mode while source commits are at or below this
  int target_attempts_ = 0;
  BufferRelease buffer_release_;  // libpq keeps a large change's buffers: recycle when idle
};

}  // namespace

int run(const config::Config& config, std::atomic<bool>& stop, apply::ApplyStats& stats,
        const Observers& observers, BatchLimits* limits, const SetupOptions& setup) {
  BatchLimits own_limits;
  if (limits == nullptr) {
    own_limits.set(config.apply);
    limits = &own_limits;
  }
  progress::LagMonitor own_lag(progress::WallClock::now());
  progress::LagMonitor& lag = observers.lag != nullptr ? *observers.lag : own_lag;
  ApplyProbe probe;
  SupervisorConfig supervision;
  supervision.limits.target_deadline = target_deadline(config.target.statement_timeout);
  Supervisor supervisor(supervision, {observers.metrics, observers.health, observers.notifier},
                        stats, lag, probe, stop);
  supervisor.start();
  if (const int code = set_up_with_retries(config, setup, stop, probe, observers); code != 0) {
    return code;
  }
  Daemon daemon(config, stop, stats, observers, *limits, lag, probe, supervisor);
  return daemon.loop();
}

}  // namespace dualwrite::daemon
