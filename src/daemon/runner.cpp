#include "dualwrite/daemon/runner.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/apply/consumer.hpp"
#include "dualwrite/apply/pg.hpp"
#include "dualwrite/core/pg_time.hpp"
#include "dualwrite/daemon/buffer_release.hpp"
#include "dualwrite/daemon/supervisor.hpp"
#include "dualwrite/pg/session.hpp"
#include "dualwrite/progress/progress.hpp"
#include "dualwrite/stream/backoff.hpp"
#include "dualwrite/stream/driver.hpp"

namespace dualwrite::daemon {

namespace {

using Clock = std::chrono::steady_clock;

// The slot's confirmed_flush_lsn, so that a restart keeps the replay window's history in the
// slot (see ProgressTracker); invalid when it cannot be read (then the origin alone is used).
Lsn slot_confirmed_flush(const std::string& source, const std::string& slot) {
  try {
    auto conn = apply::Connection::open(source);
    bool found = false;
    const std::string text = conn.scalar(
        "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = $1",
        {slot.c_str()}, &found);
    return found ? Lsn::parse(text).value_or(Lsn::invalid()) : Lsn::invalid();
  } catch (const apply::DbError& e) {
    spdlog::warn(
        "source: cannot read the slot's confirmed position ({}); the replay window "
        "starts at the applied position",
        e.what());
    return Lsn::invalid();
  }
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
    for (auto until = Clock::now() + wait; Clock::now() < until;) {
      if (stop.load()) return 0;
      probe.turned();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
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
  apply::ApplyOptions options = admin::target_apply_options(config);
  options.origin = config.source.origin;
  apply::Applier applier(options, stats);
  stream::Backoff target_backoff({config.reconnect.initial_backoff, config.reconnect.max_backoff});
  // Between failed attempts at applying (a refused change, a timeout, a lock): reset by a commit.
  stream::Backoff attempt_backoff({config.reconnect.initial_backoff, config.reconnect.max_backoff});
  const std::string source = admin::source_conninfo(config);

  Lsn careful_until;  // careful mode while source commits are at or below this
  bool ready_sent = false;
  auto send_ready = [&] {
    if (ready_sent) return;
    if (observers.notifier != nullptr) {
      observers.notifier->ready("streaming slot " + config.source.slot);
    }
    supervisor.mark_ready();
    ready_sent = true;
  };
  int target_attempts = 0;
  BufferRelease buffer_release;  // libpq keeps a large change's buffers: recycle when idle

  while (!stop.load()) {
    // Target first: its origin says where the stream starts.
    try {
      {
        auto call = probe.target_call();
        applier.connect();
      }
      probe.set_target(applier.socket(), true);
      probe.new_attempt(total_changes(stats));
      if (target_attempts > 0) spdlog::info("target: connected again");
      target_attempts = 0;
      target_backoff.reset();
      // A new target connection here, a new replication connection below: what libpq held for
      // a large change is gone with the old ones.
      if (buffer_release.connections_renewed()) return_freed_memory();
    } catch (const apply::DbError& e) {
      probe.set_target(-1, false);
      const auto wait = target_backoff.next();
      ++target_attempts;
      spdlog::warn("target: {} (attempt {}); retrying in {} ms", e.what(), target_attempts,
                   wait.count());
      if (observers.metrics != nullptr) observers.metrics->count_error("target_connect");
      for (auto until = Clock::now() + wait; Clock::now() < until && !stop.load();) {
        probe.turned();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      continue;
    }
    const Lsn origin = applier.origin_progress();
    spdlog::info("target origin {} at {}; streaming slot {}", config.source.origin,
                 origin.to_string(), config.source.slot);

    progress::SteadyClock clock;
    const Lsn slot_confirmed = config.progress.replay_window.count() > 0
                                   ? slot_confirmed_flush(source, config.source.slot)
                                   : Lsn::invalid();
    progress::ProgressTracker tracker(origin, config.progress.replay_window, clock, slot_confirmed);
    stream::FrameQueue queue(config.apply.queue_max_bytes);
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
    lag.on_applied(origin);
    stream::StreamDriver driver(sc, tracker, queue);
    supervisor.attach(driver, tracker);
    Status stream_status = Ok{};
    std::thread stream_thread([&] { stream_status = driver.run(); });

    apply::Consumer consumer(applier);
    enum class Outcome { stopped, restart, fatal } outcome = Outcome::stopped;
    int fatal_code = 0;
    std::uint64_t last_commit_seq = 0;
    auto first_pending = Clock::time_point{};
    auto batch_started = Clock::time_point{};

    auto commit_batch = [&]() {
      Lsn durable;
      {
        auto call = probe.target_call();
        durable = applier.commit();
      }
      lag.on_applied(durable);
      probe.new_attempt(total_changes(stats));
      attempt_backoff.reset();
      if (observers.metrics != nullptr) {
        const auto now = Clock::now();
        if (batch_started != Clock::time_point{}) {
          observers.metrics->observe_apply(
              std::chrono::duration<double>(now - batch_started).count());
        }
        // From the source commit of the batch's last transaction to now, when it is visible.
        const double commit_unix =
            static_cast<double>(consumer.last_commit_time() + kPgEpochUnixMicros) / 1e6;
        const double now_unix =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        observers.metrics->observe_commit_to_apply(std::max(0.0, now_unix - commit_unix));
      }
      batch_started = {};
      tracker.mark_durable(durable);
      tracker.mark_consumed(last_commit_seq);
      tracker.note_applied_commit_time(from_pg_micros(consumer.last_commit_time()));
      if (applier.careful() && durable > careful_until) {
        applier.set_careful(false);
        spdlog::info("past the rejected batch at {}: back to fast mode", careful_until.to_string());
      }
    };

    try {
      if (careful_until > origin) applier.set_careful(true);
      while (true) {
        probe.turned();
        if (stop.load()) {
          // Only whole source transactions are committed; a partial one is rolled back and
          // will be streamed again.
          if (consumer.in_transaction()) {
            auto call = probe.target_call();
            applier.rollback();
          } else if (applier.in_transaction()) {
            commit_batch();
          }
          outcome = Outcome::stopped;
          break;
        }
        auto event = queue.pop_for(std::chrono::milliseconds(100));
        if (!event) {
          if (queue.closed()) {
            if (!stream_status.ok() || !stop.load()) {
              outcome = Outcome::fatal;
              break;
            }
            outcome = Outcome::stopped;
            break;
          }
          if (!ready_sent && driver.stats().connected) send_ready();
          // The queue ran dry: close the batch now for latency.
          if (applier.in_transaction() && !consumer.in_transaction()) commit_batch();
          if (buffer_release.due(consumer.between_transactions() && !applier.in_transaction(),
                                 Clock::now())) {
            spdlog::info(
                "a {} MiB change has passed: reconnecting to release the memory libpq keeps for "
                "it",
                (buffer_release.largest() + (1 << 20) - 1) >> 20);
            buffer_release.released(Clock::now());
            outcome = Outcome::restart;
            break;
          }
          continue;
        }
        if (const auto* restarted = std::get_if<stream::Restarted>(&*event)) {
          // The source reconnected: what was in flight comes again from the durable position.
          if (applier.in_transaction()) applier.rollback();
          consumer.reset();
          tracker.mark_consumed(restarted->seq);
          continue;
        }
        auto& frame = std::get<stream::Frame>(*event);
        buffer_release.note_message(frame.payload.size());
        send_ready();
        Result<apply::Consumer::Event> result = apply::Consumer::Event::none;
        {
          auto call = probe.target_call();
          result = consumer.feed(frame.payload);
        }
        if (!result) {
          spdlog::critical("cannot process the change stream at {}: {}",
                           frame.data_start.to_string(), result.error().message);
          fatal_code = exit_code(result.error().domain);
          if (observers.metrics != nullptr) observers.metrics->count_error("decode");
          outcome = Outcome::fatal;
          break;
        }
        if (*result != apply::Consumer::Event::committed) {
          // A frame outside any transaction (a non-transactional logical message) carries
          // nothing to apply: finished as soon as no batch is open, or the tracker would count
          // it outstanding and hold the slot (and the reported positions) until the next commit.
          if (consumer.between_transactions() && !applier.in_transaction()) {
            tracker.mark_consumed(frame.seq);
          }
          continue;
        }
        {
          last_commit_seq = frame.seq;
          if (!applier.in_transaction()) {
            // Skipped (already applied) or empty: nothing to commit, but it is finished.
            tracker.mark_durable(consumer.last_end_lsn());
            lag.on_applied(consumer.last_end_lsn());
            tracker.mark_consumed(frame.seq);
            continue;
          }
          if (first_pending == Clock::time_point{}) first_pending = Clock::now();
          if (batch_started == Clock::time_point{}) batch_started = first_pending;
          const bool full = applier.pending_changes() >= limits->max_changes.load() ||
                            applier.pending_bytes() >= limits->max_bytes.load() ||
                            Clock::now() - first_pending >=
                                std::chrono::milliseconds(limits->max_delay_ms.load());
          if (full || queue.size() == 0 || applier.careful()) {
            commit_batch();
            first_pending = {};
          }
        }
      }
    } catch (const apply::ApplyRejected& e) {
      // Every failed attempt is counted (also a careful-mode one, which can fail again).
      if (observers.metrics != nullptr) observers.metrics->count_error("apply");
      careful_until = std::max(careful_until, consumer.last_end_lsn() + 1);
      spdlog::warn("target rejected a batch ({}); re-applying it change by change", e.what());
      outcome = Outcome::restart;
    } catch (const apply::DbError& e) {
      spdlog::warn("target: {}", e.what());
      if (observers.metrics != nullptr) observers.metrics->count_error("apply");
      if (e.connection_lost()) probe.set_target(-1, false);
      outcome = Outcome::restart;
    } catch (const std::exception& e) {
      // Anything else is a bug or a broken invariant: stop cleanly (the stream thread is joined
      // and nothing uncommitted is confirmed) and let the service manager restart us.
      spdlog::critical("apply: {}", e.what());
      fatal_code = exit_code(ErrorDomain::internal);
      outcome = Outcome::fatal;
    }

    driver.stop();
    stream_thread.join();
    supervisor.detach();
    if (outcome == Outcome::fatal) {
      if (!stream_status.ok()) {
        spdlog::critical("{}", stream_status.error().message);
        return exit_code(stream_status.error().domain);
      }
      return fatal_code != 0 ? fatal_code : exit_code(ErrorDomain::internal);
    }
    if (outcome == Outcome::stopped && stop.load()) break;
    // Restart: the target connection is rebuilt and the stream starts again from its origin.
    if (applier.in_transaction()) {
      auto call = probe.target_call();
      applier.rollback();
    }
    if (outcome == Outcome::restart && !stop.load()) {
      // Not at once: a failure that repeats (a refused change, a lock) must not spin.
      const auto wait = attempt_backoff.next();
      for (auto until = Clock::now() + wait; Clock::now() < until && !stop.load();) {
        probe.turned();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
    }
  }
  spdlog::info("stopped at {}", applier.origin_progress().to_string());
  return 0;
}

}  // namespace dualwrite::daemon
