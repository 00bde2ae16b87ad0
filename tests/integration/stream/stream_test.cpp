// Integration tests of the stream stage against the real test server: the replication
// commands, the driver's delivery, keepalives under a stalled consumer, idle advance, the
// durable bound on confirmed_flush_lsn, reconnects and the fatal slot_lost cases.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "dualwrite/progress/progress.hpp"
#include "dualwrite/stream/driver.hpp"
#include "dualwrite/stream/replication.hpp"
#include "support/pg_test.hpp"

namespace dualwrite::stream {
namespace {

using namespace std::chrono_literals;
using testing::TestDatabase;

std::uint64_t be64(const std::vector<std::byte>& p, std::size_t off) {
  std::uint64_t v = 0;
  for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | std::to_integer<std::uint64_t>(p[off + i]);
  return v;
}

// The end_lsn of a pgoutput Commit ('C') or Stream Commit ('c'); the test reads only this field
// so that it needs no decoder.
std::optional<Lsn> commit_end(const std::vector<std::byte>& p) {
  if (p.empty()) return std::nullopt;
  if (static_cast<char>(p[0]) == 'C' && p.size() >= 18) return Lsn{be64(p, 10)};
  if (static_cast<char>(p[0]) == 'c' && p.size() >= 22) return Lsn{be64(p, 14)};
  return std::nullopt;
}

bool wait_until(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// A consumer thread: records every event; at each commit marks the commit durable and the
// events consumed (unless `mark` is off); on Restarted drops the partial transaction.
class Collector {
 public:
  Collector(FrameQueue& q, progress::ProgressTracker& t, bool mark) : q_(q), t_(t), mark_(mark) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Collector() {
    stall(false);  // a failed assertion may leave it stalled
    join();
  }
  void join() {
    if (thread_.joinable()) thread_.join();
  }
  void stall(bool on) {
    std::lock_guard lock(mu_);
    stalled_ = on;
    cv_.notify_all();
  }

  struct Txn {
    std::vector<char> kinds;  // first payload byte of each message
    Lsn end;
  };
  std::vector<Txn> committed() {
    std::lock_guard lock(mu_);
    return committed_;
  }
  std::vector<Restarted> restarts() {
    std::lock_guard lock(mu_);
    return restarts_;
  }
  std::size_t frames_seen() {
    std::lock_guard lock(mu_);
    return frames_;
  }

 private:
  void loop() {
    while (auto ev = q_.pop()) {
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !stalled_; });
      }
      if (const auto* r = std::get_if<Restarted>(&*ev)) {
        std::lock_guard lock(mu_);
        restarts_.push_back(*r);
        partial_.clear();
        if (mark_) t_.mark_consumed(r->seq);
        continue;
      }
      const auto& f = std::get<Frame>(*ev);
      std::lock_guard lock(mu_);
      ++frames_;
      if (f.payload.empty()) continue;
      partial_.push_back(static_cast<char>(f.payload[0]));
      if (auto end = commit_end(f.payload)) {
        committed_.push_back(Txn{std::move(partial_), *end});
        partial_.clear();
        if (mark_) {
          t_.mark_durable(*end);
          t_.mark_consumed(f.seq);
        }
      }
    }
  }

  FrameQueue& q_;
  progress::ProgressTracker& t_;
  const bool mark_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stalled_ = false;
  std::vector<char> partial_;
  std::vector<Txn> committed_;
  std::vector<Restarted> restarts_;
  std::size_t frames_ = 0;
  std::thread thread_;
};

std::size_t count(const std::vector<char>& kinds, char k) {
  return static_cast<std::size_t>(std::count(kinds.begin(), kinds.end(), k));
}

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    static std::atomic<int> n{0};
    slot_ = "dws_" + std::to_string(getpid()) + "_" + std::to_string(n++);
    app_ = "dwtest_" + slot_;
    db_.exec("INSERT INTO auth.users (id) VALUES ('00000000-0000-0000-0000-000000000001')");
    db_.exec("CREATE PUBLICATION " + pub_sql_ + " FOR TABLE public.activity_feedback");
    db_.exec("CREATE TABLE public.not_published (id bigserial PRIMARY KEY, v text)");
    auto rc = ReplicationConnection::connect(db_.conninfo(), app_ + "_create");
    ASSERT_TRUE(rc.ok()) << rc.error().message;
    auto created = rc->create_slot(slot_, SnapshotAction::nothing);
    ASSERT_TRUE(created.ok()) << created.error().message;
    start_ = created->consistent_point;
  }

  StreamConfig config(const std::string& extra_conninfo = "") {
    StreamConfig c;
    c.conninfo = db_.conninfo() + " " + extra_conninfo;
    c.application_name = app_;
    c.start.slot = slot_;
    c.start.publications = {pub_name_};
    c.start.proto_version = 1;
    c.backoff = {.initial = 50ms, .cap = 500ms};
    return c;
  }

  void insert_rows(int rows) {
    db_.exec(
        "INSERT INTO public.activity_feedback (user_id, activity_slug, feedback_type) "
        "SELECT '00000000-0000-0000-0000-000000000001', 'slug-' || g, 'like' "
        "FROM generate_series(1, " +
        std::to_string(rows) + ") g");
  }

  Lsn confirmed_flush() {
    return *Lsn::parse(db_.scalar(
        "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = '" + slot_ + "'"));
  }

  void terminate_walsender() {
    db_.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_replication "
        "WHERE application_name = '" +
        app_ + "'");
  }

  TestDatabase db_{"stream"};
  // A publication name that needs quoting both as an identifier and inside the option string.
  const std::string pub_name_ = "odd \"pub\", name";
  const std::string pub_sql_ = "\"odd \"\"pub\"\", name\"";
  std::string slot_;
  std::string app_;
  Lsn start_;
};

// Runs a driver on its own thread for the duration of a test.
struct Running {
  Running(StreamConfig c, progress::ProgressTracker& t, FrameQueue& q)
      : driver(std::move(c), t, q), thread([this] { result = driver.run(); }) {}
  ~Running() { (void)finish(); }
  Status finish() {
    driver.stop();
    if (thread.joinable()) thread.join();
    return result;
  }
  StreamDriver driver;
  Status result = Ok{};
  std::thread thread;
};

TEST_F(StreamTest, ReplicationCommandsAndExportedSnapshot) {
  auto rc = ReplicationConnection::connect(db_.conninfo(), app_);
  ASSERT_TRUE(rc.ok()) << rc.error().message;
  auto id = rc->identify_system();
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ(id->dbname, db_.name());
  EXPECT_GE(id->timeline, 1u);
  EXPECT_TRUE(id->xlogpos.is_valid());
  auto created = rc->create_slot(slot_ + "_x", SnapshotAction::export_snapshot);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->slot_name, slot_ + "_x");
  EXPECT_EQ(created->output_plugin, "pgoutput");
  EXPECT_GE(created->consistent_point, id->xlogpos);
  ASSERT_FALSE(created->snapshot_name.empty());
  // The snapshot is importable while the replication connection stays open and idle.
  db_.exec("BEGIN ISOLATION LEVEL REPEATABLE READ");
  db_.exec("SET TRANSACTION SNAPSHOT '" + created->snapshot_name + "'");
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM public.activity_feedback"), "0");
  db_.exec("COMMIT");
  auto cmd = rc->start_command({.slot = slot_,
                                .start = Lsn{0x10},
                                .publications = {"a'b", "c\"d"},
                                .proto_version = 2,
                                .messages = true});
  ASSERT_TRUE(cmd.ok());
  EXPECT_EQ(*cmd, "START_REPLICATION SLOT \"" + slot_ +
                      "\" LOGICAL 0/10 (proto_version '2', publication_names "
                      "'\"a''b\",\"c\"\"d\"', messages 'true', streaming 'on')");
  auto timeout = rc->show("wal_sender_timeout");
  ASSERT_TRUE(timeout.ok()) << timeout.error().message;
  EXPECT_TRUE(parse_guc_duration(*timeout).ok()) << *timeout;
  StartOptions no_publications;
  no_publications.slot = slot_;
  EXPECT_FALSE(rc->start_command(no_publications).ok());
}

TEST_F(StreamTest, StreamsATransactionAndConfirmsItOnStop) {
  progress::SteadyClock clock;
  progress::ProgressTracker tracker(start_, 0s, clock);
  FrameQueue queue;
  Collector collector(queue, tracker, true);
  Running run(config(), tracker, queue);
  insert_rows(3);
  ASSERT_TRUE(wait_until([&] { return !collector.committed().empty(); }, 20s));
  const auto txns = collector.committed();
  ASSERT_EQ(txns.size(), 1u);
  const auto& k = txns[0].kinds;
  ASSERT_FALSE(k.empty());
  EXPECT_EQ(k.front(), 'B');
  EXPECT_EQ(k.back(), 'C');
  EXPECT_EQ(count(k, 'R'), 1u);
  EXPECT_EQ(count(k, 'I'), 3u);
  EXPECT_GT(txns[0].end, start_);
  const auto restarts = collector.restarts();
  ASSERT_EQ(restarts.size(), 1u);
  EXPECT_EQ(restarts[0].session, 1u);
  EXPECT_EQ(restarts[0].from, start_);
  ASSERT_TRUE(run.finish().ok()) << run.result.error().message;
  collector.join();
  // stop() sent a final status update: the slot is confirmed at least up to the commit.
  EXPECT_GE(confirmed_flush(), txns[0].end);
  EXPECT_EQ(run.driver.stats().reconnects, 0u);
}

TEST_F(StreamTest, StalledConsumerKeepsTheConnectionAndEverythingArrivesAfterwards) {
  progress::SteadyClock clock;
  progress::ProgressTracker tracker(start_, 0s, clock);
  FrameQueue queue(256 << 10);  // small, so that backpressure reaches the socket
  Collector collector(queue, tracker, true);
  collector.stall(true);
  Running run(config("options='-c wal_sender_timeout=2s'"), tracker, queue);
  ASSERT_TRUE(wait_until([&] { return run.driver.stats().connected; }, 20s));
  EXPECT_EQ(run.driver.stats().status_interval, 1s);
  insert_rows(50'000);
  ASSERT_TRUE(wait_until([&] { return queue.bytes() > (128u << 10); }, 20s));
  std::this_thread::sleep_for(5s);       // 2.5 x wal_sender_timeout with nothing consumed
  EXPECT_GE(queue.bytes(), 128u << 10);  // the reader stayed blocked on the full queue
  EXPECT_GE(run.driver.stats().status_updates, 4u);
  collector.stall(false);
  ASSERT_TRUE(wait_until([&] { return !collector.committed().empty(); }, 60s));
  EXPECT_EQ(count(collector.committed()[0].kinds, 'I'), 50'000u);
  EXPECT_EQ(run.driver.stats().reconnects, 0u);
  EXPECT_EQ(collector.restarts().size(), 1u);
  ASSERT_TRUE(run.finish().ok());
}

TEST_F(StreamTest, IdleServerStillAdvancesTheSlot) {
  progress::SteadyClock clock;
  progress::ProgressTracker tracker(start_, 0s, clock);
  FrameQueue queue;
  Collector collector(queue, tracker, true);
  auto cfg = config();
  cfg.status_interval = 300ms;
  Running run(cfg, tracker, queue);
  ASSERT_TRUE(wait_until([&] { return run.driver.stats().connected; }, 20s));
  const Lsn before = confirmed_flush();
  const bool advanced = wait_until(
      [&] {
        db_.exec("INSERT INTO public.not_published (v) SELECT 'x' FROM generate_series(1, 100)");
        return confirmed_flush() > before;
      },
      20s);
  EXPECT_TRUE(advanced);
  EXPECT_EQ(collector.frames_seen(), 0u);  // nothing published was written
  ASSERT_TRUE(run.finish().ok());
}

TEST_F(StreamTest, FlushNeverPassesWhatTheConsumerMadeDurable) {
  progress::SteadyClock clock;
  progress::ProgressTracker tracker(start_, 0s, clock);
  FrameQueue queue;
  Collector collector(queue, tracker, /*mark=*/false);
  auto cfg = config();
  cfg.status_interval = 200ms;
  Running run(cfg, tracker, queue);
  insert_rows(10);
  db_.exec("INSERT INTO public.not_published (v) SELECT 'x' FROM generate_series(1, 1000)");
  ASSERT_TRUE(wait_until([&] { return !collector.committed().empty(); }, 20s));
  const auto status_before = run.driver.stats().status_updates;
  ASSERT_TRUE(
      wait_until([&] { return run.driver.stats().status_updates >= status_before + 5; }, 20s));
  // We did report what we received (write), but never flushed past the start.
  const auto write_lsn = db_.scalar(
      "SELECT write_lsn FROM pg_stat_replication "
      "WHERE application_name = '" +
      app_ + "'");
  ASSERT_FALSE(write_lsn.empty());
  EXPECT_GT(*Lsn::parse(write_lsn), start_);
  EXPECT_EQ(confirmed_flush(), start_);
  ASSERT_TRUE(run.finish().ok());
  EXPECT_EQ(confirmed_flush(), start_);  // the final status update on stop too
}

TEST_F(StreamTest, ReconnectsAfterTheWalsenderIsKilledAndResumesFromDurable) {
  progress::SteadyClock clock;
  progress::ProgressTracker tracker(start_, 0s, clock);
  FrameQueue queue(256 << 10);
  Collector collector(queue, tracker, true);
  Running run(config(), tracker, queue);
  insert_rows(5);  // A: consumed and durable before the kill
  ASSERT_TRUE(wait_until([&] { return collector.committed().size() == 1; }, 20s));
  const Lsn durable_a = collector.committed()[0].end;
  ASSERT_TRUE(wait_until([&] { return tracker.durable() == durable_a; }, 5s));
  collector.stall(true);
  insert_rows(30'000);  // C: the walsender is killed while C streams
  ASSERT_TRUE(wait_until([&] { return queue.bytes() > 0; }, 20s));
  terminate_walsender();
  // A terminated walsender first sends its FATAL error, which waits behind the data we have not
  // read yet: let the consumer go on, so that part of C is consumed before the restart.
  collector.stall(false);
  ASSERT_TRUE(wait_until([&] { return run.driver.stats().sessions >= 2; }, 30s));
  EXPECT_GE(run.driver.stats().reconnects, 1u);
  ASSERT_TRUE(wait_until([&] { return collector.committed().size() >= 2; }, 60s));
  const auto txns = collector.committed();
  ASSERT_EQ(txns.size(), 2u);
  EXPECT_EQ(count(txns[1].kinds, 'I'), 30'000u);  // complete: nothing lost, nothing doubled
  EXPECT_EQ(txns[1].kinds.front(), 'B');
  const auto restarts = collector.restarts();
  ASSERT_GE(restarts.size(), 2u);
  EXPECT_EQ(restarts.back().from, durable_a);
  EXPECT_EQ(restarts.back().session, run.driver.stats().sessions);
  ASSERT_TRUE(run.finish().ok());
}

TEST_F(StreamTest, MissingSlotAtStartIsFatalSlotLost) {
  progress::SteadyClock clock;
  progress::ProgressTracker tracker(start_, 0s, clock);
  FrameQueue queue;
  auto cfg = config();
  cfg.start.slot = slot_ + "_nope";
  StreamDriver driver(cfg, tracker, queue);
  const auto st = driver.run();
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().domain, ErrorDomain::slot_lost);
  EXPECT_EQ(exit_code(st.error().domain), 6);
  EXPECT_NE(st.error().message.find("does not exist"), std::string::npos) << st.error().message;
  EXPECT_EQ(driver.stats().reconnects, 0u);
  EXPECT_TRUE(queue.closed());
}

TEST_F(StreamTest, SlotDroppedWhileStreamingIsFatalSlotLost) {
  progress::SteadyClock clock;
  progress::ProgressTracker tracker(start_, 0s, clock);
  FrameQueue queue;
  Collector collector(queue, tracker, true);
  auto cfg = config();
  cfg.backoff = {.initial = 1000ms, .cap = 2000ms};  // leaves the test time to drop the slot
  Running run(cfg, tracker, queue);
  ASSERT_TRUE(wait_until([&] { return run.driver.stats().connected; }, 20s));
  // An active slot cannot be dropped: end our walsender, and drop the slot as soon as it is
  // released, before the driver reconnects.
  db_.exec(
      "DO $$ BEGIN FOR i IN 1..50 LOOP "
      "PERFORM pg_terminate_backend(pid) FROM pg_stat_replication "
      "WHERE application_name = '" +
      app_ +
      "'; "
      "FOR j IN 1..400 LOOP "
      "IF EXISTS (SELECT FROM pg_replication_slots WHERE slot_name = '" +
      slot_ +
      "' AND NOT active) THEN "
      "BEGIN PERFORM pg_drop_replication_slot('" +
      slot_ +
      "'); RETURN; "
      "EXCEPTION WHEN object_in_use THEN EXIT; END; END IF; "
      "PERFORM pg_sleep(0.005); END LOOP; END LOOP; "
      "RAISE 'could not drop the slot'; END $$");
  run.thread.join();
  ASSERT_FALSE(run.result.ok());
  EXPECT_EQ(run.result.error().domain, ErrorDomain::slot_lost) << run.result.error().message;
  EXPECT_TRUE(queue.closed());
}

TEST_F(StreamTest, LargeTransactionStreamsCompleteInProtocolTwo) {
  progress::SteadyClock clock;
  progress::ProgressTracker tracker(start_, 0s, clock);
  FrameQueue queue;
  Collector collector(queue, tracker, true);
  auto cfg = config("options='-c logical_decoding_work_mem=64kB'");
  cfg.start.proto_version = 2;
  Running run(cfg, tracker, queue);
  insert_rows(100'000);
  ASSERT_TRUE(wait_until([&] { return !collector.committed().empty(); }, 120s));
  const auto txns = collector.committed();
  ASSERT_EQ(txns.size(), 1u);
  const auto& k = txns[0].kinds;
  EXPECT_GT(count(k, 'S'), 1u);  // streamed in several chunks, before the commit
  EXPECT_EQ(count(k, 'S'), count(k, 'E'));
  EXPECT_EQ(count(k, 'I'), 100'000u);
  EXPECT_EQ(k.back(), 'c');  // Stream Commit
  ASSERT_TRUE(wait_until([&] { return tracker.durable() == txns[0].end; }, 5s));
  ASSERT_TRUE(run.finish().ok());
  EXPECT_GE(confirmed_flush(), txns[0].end);
}

}  // namespace
}  // namespace dualwrite::stream
