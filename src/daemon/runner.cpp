#include "dualwrite/daemon/runner.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "dualwrite/admin/bridge.hpp"
#include "dualwrite/apply/consumer.hpp"
#include "dualwrite/apply/pg.hpp"
#include "dualwrite/daemon/buffer_release.hpp"
#include "dualwrite/progress/progress.hpp"
#include "dualwrite/stream/backoff.hpp"
#include "dualwrite/stream/driver.hpp"
#include "dualwrite/stream/replication.hpp"

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

// A bootstrap that has not finished owns the new tables: a streamed change to a row its backfill
// has not reached yet would collide with the backfill when it resumes.
Status check_bootstrap_finished(const config::Config& config) {
  try {
    auto target = admin::connect_target(config);
    bool found = false;
    if (target.scalar("SELECT to_regclass('dualwrite.bootstrap') IS NOT NULL") != "t") return Ok{};
    const std::string done = target.scalar(
        "SELECT format('%s of %s chunks', count(c.done_at), count(c.*)) "
        "FROM dualwrite.bootstrap b LEFT JOIN dualwrite.bootstrap_chunks c ON c.slot = b.slot "
        "WHERE b.slot = $1 AND b.finished_at IS NULL GROUP BY b.slot",
        {config.source.slot.c_str()}, &found);
    if (found) {
      return make_error(ErrorDomain::usage,
                        "the bootstrap of slot " + config.source.slot + " has not finished (" +
                            done +
                            " done): run `dualwrite bootstrap` again to resume it, then "
                            "start the daemon");
    }
  } catch (const apply::DbError& e) {
    return make_error(ErrorDomain::target, std::string("target: ") + e.what());
  }
  return Ok{};
}

Status ensure_replication_setup(const config::Config& config) {
  if (auto s = check_bootstrap_finished(config); !s) return s;
  const std::string source = admin::source_conninfo(config);
  try {
    auto conn = apply::Connection::open(source);
    bool found = false;
    if (admin::ensure_publication(conn, config)) {
      spdlog::info("created publication {} for {} legacy tables", config.source.publication,
                   config.source.tables.size());
    }
    const char* slot = config.source.slot.c_str();
    const std::string wal_status = conn.scalar(
        "SELECT coalesce(wal_status, '') FROM pg_replication_slots WHERE slot_name = $1", {slot},
        &found);
    if (found) {
      if (wal_status == "lost") {
        return make_error(ErrorDomain::slot_lost,
                          "replication slot " + config.source.slot +
                              " is invalidated (wal_status = lost): WAL it needed was removed; "
                              "drop it and bootstrap again");
      }
      return Ok{};
    }
  } catch (const apply::DbError& e) {
    return make_error(ErrorDomain::source, std::string("source: ") + e.what());
  }
  auto repl = stream::ReplicationConnection::connect(source);
  if (!repl) return repl.error();
  auto created = repl->create_slot(config.source.slot, stream::SnapshotAction::nothing);
  if (!created) return created.error();
  spdlog::info("created replication slot {} at {}", created->slot_name,
               created->consistent_point.to_string());
  try {
    auto target = admin::connect_target(config);
    const char* origin = config.source.origin.c_str();
    const std::string point = created->consistent_point.to_string();
    bool found = false;
    target.scalar("SELECT pg_replication_origin_oid($1)", {origin}, &found);
    if (!found) target.query("SELECT pg_replication_origin_create($1)", {origin});
    target.query("SELECT pg_replication_origin_advance($1, $2::pg_lsn)", {origin, point.c_str()});
  } catch (const apply::DbError& e) {
    return make_error(ErrorDomain::target, std::string("target: ") + e.what());
  }
  return Ok{};
}

int run(const config::Config& config, std::atomic<bool>& stop, apply::ApplyStats& stats,
        const Observers& observers, BatchLimits* limits) {
  BatchLimits own_limits;
  if (limits == nullptr) {
    own_limits.set(config.apply);
    limits = &own_limits;
  }
  // The loop's heartbeat: health, watchdog and the systemd status line. Called at least every
  // second by whatever the loop is doing, including waiting for the target.
  auto heartbeat = [&](bool source_connected, bool target_healthy, double lag_seconds,
                       const std::string& status) {
    if (observers.health != nullptr) {
      observers.health->update(source_connected, target_healthy, lag_seconds);
      observers.health->beat();
    }
    if (observers.notifier != nullptr) {
      observers.notifier->watchdog();
      observers.notifier->status(status);
    }
  };
  if (auto s = ensure_replication_setup(config); !s) {
    spdlog::error("{}", s.error().message);
    return exit_code(s.error().domain);
  }
  apply::ApplyOptions options = admin::target_apply_options(config);
  options.origin = config.source.origin;
  apply::Applier applier(options, stats);
  stream::Backoff target_backoff({config.reconnect.initial_backoff, config.reconnect.max_backoff});
  const std::string source = admin::source_conninfo(config);

  Lsn careful_until;  // careful mode while source commits are at or below this
  bool ready_sent = false;
  BufferRelease buffer_release;  // libpq keeps a large change's buffers: recycle when idle

  while (!stop.load()) {
    // Target first: its origin says where the stream starts.
    try {
      applier.connect();
      target_backoff.reset();
      // A new target connection here, a new replication connection below: what libpq held for
      // a large change is gone with the old ones.
      if (buffer_release.connections_renewed()) return_freed_memory();
    } catch (const apply::DbError& e) {
      const auto wait = target_backoff.next();
      spdlog::warn("target: {}; retrying in {} ms", e.what(), wait.count());
      if (observers.metrics != nullptr) observers.metrics->count_error("target_connect");
      for (auto until = Clock::now() + wait; Clock::now() < until && !stop.load();) {
        heartbeat(false, false, 0, "waiting for the target");
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
    stream::StreamDriver driver(sc, tracker, queue);
    Status stream_status = Ok{};
    std::thread stream_thread([&] { stream_status = driver.run(); });

    apply::Consumer consumer(applier);
    enum class Outcome { stopped, restart, fatal } outcome = Outcome::stopped;
    int fatal_code = 0;
    std::uint64_t last_commit_seq = 0;
    auto first_pending = Clock::time_point{};
    auto last_tick = Clock::now();
    auto batch_started = Clock::time_point{};

    auto commit_batch = [&]() {
      const Lsn durable = applier.commit();
      if (observers.metrics != nullptr) {
        const auto now = Clock::now();
        if (batch_started != Clock::time_point{}) {
          observers.metrics->observe_apply(
              std::chrono::duration<double>(now - batch_started).count());
        }
        // From the source commit of the batch's last transaction to now, when it is visible.
        const double commit_unix =
            static_cast<double>(consumer.last_commit_time()) / 1e6 + 946'684'800.0;
        const double now_unix =
            std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
                .count();
        observers.metrics->observe_commit_to_apply(std::max(0.0, now_unix - commit_unix));
      }
      batch_started = {};
      tracker.mark_durable(durable);
      tracker.mark_consumed(last_commit_seq);
      tracker.note_applied_commit_time(std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::microseconds(consumer.last_commit_time() + 946'684'800LL * 1'000'000))));
      if (applier.careful() && durable > careful_until) {
        applier.set_careful(false);
        spdlog::info("past the rejected batch at {}: back to fast mode", careful_until.to_string());
      }
    };

    try {
      if (careful_until > origin) applier.set_careful(true);
      while (true) {
        if (stop.load()) {
          // Only whole source transactions are committed; a partial one is rolled back and
          // will be streamed again.
          if (consumer.in_transaction()) {
            applier.rollback();
          } else if (applier.in_transaction()) {
            commit_batch();
          }
          outcome = Outcome::stopped;
          break;
        }
        auto event = queue.pop_for(std::chrono::milliseconds(100));
        if (Clock::now() - last_tick > std::chrono::seconds(1)) {
          last_tick = Clock::now();
          const auto snap = tracker.snapshot();
          const auto stream_stats = driver.stats();
          ops::Lag lag;
          if (observers.metrics != nullptr) {
            lag = observers.metrics->refresh(stats, stream_stats, snap,
                                             std::chrono::system_clock::now());
          }
          heartbeat(stream_stats.connected, applier.connected(), lag.seconds,
                    "applied " + snap.positions.durable.to_string() + ", confirmed " +
                        snap.confirmed.to_string() + ", lag " + std::to_string(lag.bytes) +
                        " bytes" + (applier.careful() ? ", careful mode" : ""));
        }
        if (!event) {
          if (queue.closed()) {
            if (!stream_status.ok() || !stop.load()) {
              outcome = Outcome::fatal;
              break;
            }
            outcome = Outcome::stopped;
            break;
          }
          if (!ready_sent && driver.stats().connected) {
            if (observers.notifier != nullptr) {
              observers.notifier->ready("streaming slot " + config.source.slot);
            }
            ready_sent = true;
          }
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
        if (!ready_sent) {
          if (observers.notifier != nullptr) {
            observers.notifier->ready("streaming slot " + config.source.slot);
          }
          ready_sent = true;
        }
        auto result = consumer.feed(frame.payload);
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
      careful_until = std::max(careful_until, consumer.last_end_lsn() + 1);
      spdlog::warn("target rejected a batch ({}); re-applying it change by change", e.what());
      outcome = Outcome::restart;
    } catch (const apply::DbError& e) {
      spdlog::warn("target: {}", e.what());
      if (observers.metrics != nullptr) observers.metrics->count_error("apply");
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
    if (outcome == Outcome::fatal) {
      if (!stream_status.ok()) {
        spdlog::critical("{}", stream_status.error().message);
        return exit_code(stream_status.error().domain);
      }
      return fatal_code != 0 ? fatal_code : exit_code(ErrorDomain::internal);
    }
    if (outcome == Outcome::stopped && stop.load()) break;
    // Restart: the target connection is rebuilt and the stream starts again from its origin.
    if (applier.in_transaction()) applier.rollback();
  }
  spdlog::info("stopped at {}", applier.origin_progress().to_string());
  return 0;
}

}  // namespace dualwrite::daemon
