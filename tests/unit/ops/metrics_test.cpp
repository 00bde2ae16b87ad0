#include "dualwrite/ops/metrics.hpp"

#include <gtest/gtest.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

#include "dualwrite/ops/slot_poller.hpp"

namespace dualwrite::ops {
namespace {

// The exposition as: family -> type, and family -> label names seen on its samples, and
// sample (name{labels}) -> value.
struct Parsed {
  std::map<std::string, std::string> type;
  std::map<std::string, std::string> help;
  std::map<std::string, std::set<std::string>> labels;
  std::map<std::string, double> samples;
};

Parsed parse(const std::string& text) {
  Parsed p;
  std::istringstream in(text);
  std::string line;
  const std::regex type_re(R"(# TYPE (\S+) (\S+))");
  const std::regex help_re(R"(# HELP (\S+) (.+))");
  const std::regex sample_re(R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+))");
  const std::regex label_re(R"(([a-zA-Z_][a-zA-Z0-9_]*)=")");
  std::string family;
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, type_re)) {
      family = m[1];
      p.type[family] = m[2];
    } else if (std::regex_match(line, m, help_re)) {
      p.help[m[1]] = m[2];
    } else if (std::regex_match(line, m, sample_re)) {
      const std::string labels = m[2];
      p.samples[std::string(m[1]) + labels] = std::stod(m[3]);
      for (std::sregex_iterator it(labels.begin(), labels.end(), label_re), end; it != end; ++it) {
        if ((*it)[1] != "le") p.labels[family].insert((*it)[1]);
      }
    }
  }
  return p;
}

struct Expected {
  std::string name;
  std::string type;
  std::set<std::string> labels;
};

// daemon.md's table, plus the slot and process metrics of the ops issue.
const std::vector<Expected> kExpected = {
    {"dualwrite_build_info", "gauge", {"version"}},
    {"dualwrite_source_connected", "gauge", {}},
    {"dualwrite_replication_lag_bytes", "gauge", {}},
    {"dualwrite_replication_lag_seconds", "gauge", {}},
    {"dualwrite_slot_retained_wal_bytes", "gauge", {}},
    {"dualwrite_received_lsn", "gauge", {}},
    {"dualwrite_applied_lsn", "gauge", {}},
    {"dualwrite_confirmed_flush_lsn", "gauge", {}},
    {"dualwrite_changes_total", "counter", {"table", "operation"}},
    {"dualwrite_rows_written_total", "counter", {"table"}},
    {"dualwrite_transactions_total", "counter", {}},
    {"dualwrite_live_transactions_total", "counter", {}},
    {"dualwrite_live_fallbacks_total", "counter", {}},
    {"dualwrite_apply_duration_seconds", "histogram", {}},
    {"dualwrite_commit_to_apply_seconds", "histogram", {}},
    {"dualwrite_dead_letters_total", "counter", {"table", "reason"}},
    {"dualwrite_dead_letters_unresolved", "gauge", {}},
    {"dualwrite_duplicates_merged_total", "counter", {"table"}},
    {"dualwrite_errors_total", "counter", {"stage"}},
    {"dualwrite_reconnects_total", "counter", {}},
    {"dualwrite_verify_mismatches", "gauge", {"table"}},
    {"dualwrite_slot_wal_status", "gauge", {"status"}},
    {"dualwrite_slot_safe_wal_size_bytes", "gauge", {}},
    {"process_start_time_seconds", "gauge", {}},
    {"process_cpu_seconds_total", "counter", {}},
    {"process_resident_memory_bytes", "gauge", {}},
    {"process_open_fds", "gauge", {}},
};

TEST(Metrics, EveryMetricOfTheSpecIsRegisteredWithItsTypeLabelsAndHelp) {
  Metrics m("1.2.3");
  m.set_verify_mismatches("account_linkages", 2);
  m.set_slot(SlotState{"reserved", 1000, 10});
  const auto p = parse(m.exposition());
  for (const auto& e : kExpected) {
    SCOPED_TRACE(e.name);
    ASSERT_TRUE(p.type.count(e.name)) << "not registered";
    EXPECT_EQ(p.type.at(e.name), e.type);
    EXPECT_TRUE(p.help.count(e.name)) << "no help text";
    EXPECT_EQ(p.labels.count(e.name) ? p.labels.at(e.name) : std::set<std::string>{}, e.labels);
  }
  EXPECT_EQ(p.samples.at("dualwrite_build_info{version=\"1.2.3\"}"), 1);
  EXPECT_EQ(p.samples.at("dualwrite_verify_mismatches{table=\"account_linkages\"}"), 2);
  EXPECT_GT(p.samples.at("process_start_time_seconds"), 1.6e9);
  EXPECT_GT(p.samples.at("process_resident_memory_bytes"), 0);
  EXPECT_GT(p.samples.at("process_open_fds"), 0);
}

TEST(Metrics, LabelCombinationsExistFromTheStart) {
  Metrics m("x");
  const auto p = parse(m.exposition());
  EXPECT_EQ(p.samples.at(R"(dualwrite_changes_total{operation="delete",table="chatbot_messages"})"),
            0);
  EXPECT_EQ(
      p.samples.at(
          R"(dualwrite_dead_letters_total{reason="unlinked_user",table="activity_feedback"})"),
      0);
  EXPECT_EQ(p.samples.at(R"(dualwrite_errors_total{stage="slot_poll"})"), 0);
  EXPECT_EQ(p.samples.at(R"(dualwrite_slot_wal_status{status="lost"})"), 0);
}

TEST(Metrics, SchemaMismatchLettersAreCountedForLegacyTablesAndUnknownRelations) {
  Metrics m("x");
  auto p = parse(m.exposition());
  const std::string legacy =
      R"(dualwrite_dead_letters_total{reason="schema_mismatch",table="chatbot_messages"})";
  const std::string unknown =
      R"(dualwrite_dead_letters_total{reason="schema_mismatch",table="unknown_relation"})";
  EXPECT_EQ(p.samples.at(legacy), 0);
  EXPECT_EQ(p.samples.at(unknown), 0);  // there from the first scrape, so alerts can use it
  apply::ApplyStats stats;
  stream::StreamStats stream;
  const auto reason = static_cast<std::size_t>(translate::DeadLetterReason::schema_mismatch);
  stats.dead_letters[static_cast<std::size_t>(translate::LegacyTable::chatbot_messages)][reason] =
      2;
  stats.dead_letters[apply::ApplyStats::kUnknownRelation][reason] = 3;
  m.refresh(stats, stream, {});
  p = parse(m.exposition());
  EXPECT_EQ(p.samples.at(legacy), 2);
  EXPECT_EQ(p.samples.at(unknown), 3);
  // Only schema_mismatch exists for relations that are not legacy tables.
  EXPECT_EQ(p.samples.count(
                R"(dualwrite_dead_letters_total{reason="unlinked_user",table="unknown_relation"})"),
            0u);
}

progress::ProgressTracker::Snapshot snapshot(std::uint64_t wal_end, std::uint64_t confirmed) {
  progress::ProgressTracker::Snapshot s;
  s.positions.server_wal_end = Lsn(wal_end);
  s.positions.received = Lsn(wal_end);
  s.positions.durable = Lsn(confirmed);
  s.confirmed = Lsn(confirmed);
  return s;
}

TEST(Metrics, CountersMoveByDeltasAndNeverGoDown) {
  Metrics m("x");
  apply::ApplyStats stats;
  stream::StreamStats stream;
  const std::string key = R"(dualwrite_changes_total{operation="insert",table="account_linkages"})";
  stats.changes[0][0] = 5;
  stats.source_transactions = 2;
  stats.live_transactions = 3;
  stats.live_fallbacks = 1;
  stream.reconnects = 1;
  m.refresh(stats, stream, snapshot(100, 100));
  m.refresh(stats, stream, snapshot(100, 100));  // no change: no increment
  auto p = parse(m.exposition());
  EXPECT_EQ(p.samples.at(key), 5);
  EXPECT_EQ(p.samples.at("dualwrite_transactions_total"), 2);
  EXPECT_EQ(p.samples.at("dualwrite_live_transactions_total"), 3);
  EXPECT_EQ(p.samples.at("dualwrite_live_fallbacks_total"), 1);
  EXPECT_EQ(p.samples.at("dualwrite_reconnects_total"), 1);
  EXPECT_EQ(p.samples.at(R"(dualwrite_errors_total{stage="stream"})"), 1);

  stats.changes[0][0] = 8;
  m.refresh(stats, stream, snapshot(100, 100));
  p = parse(m.exposition());
  EXPECT_EQ(p.samples.at(key), 8);

  // A fresh ApplyStats (pipeline restarted) starts from 0: the exported counter keeps going.
  apply::ApplyStats fresh;
  fresh.changes[0][0] = 1;
  m.refresh(fresh, stream, snapshot(100, 100));
  p = parse(m.exposition());
  EXPECT_EQ(p.samples.at(key), 9);
}

TEST(Metrics, RowsWrittenSumsTheOpKindsOfATargetTable) {
  Metrics m("x");
  apply::ApplyStats stats;
  for (std::size_t k = 0; k < translate::kOpKindCount; ++k) stats.rows_written[k] = 1;
  m.refresh(stats, {}, snapshot(0, 0));
  const auto p = parse(m.exposition());
  double total = 0;
  for (const auto& [k, v] : p.samples) {
    if (k.rfind("dualwrite_rows_written_total{", 0) == 0) total += v;
  }
  EXPECT_EQ(total, static_cast<double>(translate::kOpKindCount));
}

TEST(Metrics, LagPositionsAndConnections) {
  Metrics m("x");
  apply::ApplyStats stats;
  stream::StreamStats stream;
  stream.connected = true;
  auto snap = snapshot(0x5000, 0x1000);
  snap.positions.durable = Lsn(0x2000);
  m.refresh(stats, stream, snap);
  m.set_lag(0x4000, 90);
  m.set_connection("target_apply", true);
  m.set_target_wait(12);
  m.set_stalled(30);
  auto p = parse(m.exposition());
  EXPECT_EQ(p.samples.at("dualwrite_replication_lag_bytes"), 0x4000);
  EXPECT_EQ(p.samples.at("dualwrite_replication_lag_seconds"), 90);
  EXPECT_EQ(p.samples.at("dualwrite_received_lsn"), 0x5000);
  EXPECT_EQ(p.samples.at("dualwrite_applied_lsn"), 0x2000);
  EXPECT_EQ(p.samples.at("dualwrite_confirmed_flush_lsn"), 0x1000);
  EXPECT_EQ(p.samples.at("dualwrite_source_connected"), 1);
  EXPECT_EQ(p.samples.at(R"(dualwrite_connection_up{connection="source_replication"})"), 1);
  EXPECT_EQ(p.samples.at(R"(dualwrite_connection_up{connection="target_apply"})"), 1);
  EXPECT_EQ(p.samples.at(R"(dualwrite_connection_up{connection="source_poll"})"), 0);
  EXPECT_EQ(p.samples.at("dualwrite_target_wait_seconds"), 12);
  EXPECT_EQ(p.samples.at("dualwrite_apply_stalled_seconds"), 30);

  // The stream stops: both source gauges say so.
  stream.connected = false;
  m.refresh(stats, stream, snap);
  p = parse(m.exposition());
  EXPECT_EQ(p.samples.at("dualwrite_source_connected"), 0);
  EXPECT_EQ(p.samples.at(R"(dualwrite_connection_up{connection="source_replication"})"), 0);
}

TEST(Metrics, HistogramsObserve) {
  Metrics m("x");
  m.observe_apply(0.003);
  m.observe_commit_to_apply(-1);  // clock skew: counted as 0
  const auto p = parse(m.exposition());
  EXPECT_EQ(p.samples.at("dualwrite_apply_duration_seconds_count"), 1);
  EXPECT_EQ(p.samples.at(R"(dualwrite_apply_duration_seconds_bucket{le="0.005"})"), 1);
  EXPECT_EQ(p.samples.at(R"(dualwrite_apply_duration_seconds_bucket{le="0.0025"})"), 0);
  EXPECT_EQ(p.samples.at("dualwrite_commit_to_apply_seconds_sum"), 0);
}

TEST(Metrics, SlotStateAndItsDisappearance) {
  Metrics m("x");
  m.set_slot(SlotState{"unreserved", 4096, 1 << 20});
  auto p = parse(m.exposition());
  EXPECT_EQ(p.samples.at(R"(dualwrite_slot_wal_status{status="unreserved"})"), 1);
  EXPECT_EQ(p.samples.at(R"(dualwrite_slot_wal_status{status="reserved"})"), 0);
  EXPECT_EQ(p.samples.at("dualwrite_slot_safe_wal_size_bytes"), 4096);
  EXPECT_EQ(p.samples.at("dualwrite_slot_retained_wal_bytes"), 1 << 20);
  // No max_slot_wal_keep_size: no safe size series at all.
  m.set_slot(SlotState{"reserved", std::nullopt, 10});
  p = parse(m.exposition());
  EXPECT_EQ(p.samples.count("dualwrite_slot_safe_wal_size_bytes"), 0u);
  // Slot missing: every status 0.
  m.set_slot(std::nullopt);
  p = parse(m.exposition());
  EXPECT_EQ(p.samples.at(R"(dualwrite_slot_wal_status{status="reserved"})"), 0);
}

TEST(Metrics, CountError) {
  Metrics m("x");
  m.count_error("slot_poll");
  m.count_error("slot_poll");
  EXPECT_EQ(parse(m.exposition()).samples.at(R"(dualwrite_errors_total{stage="slot_poll"})"), 2);
}

TEST(ProcStat, ParsesFieldsAfterTheCommand) {
  // comm with spaces and a parenthesis; utime 250, stime 50, starttime 1000, rss 300 pages.
  const std::string stat =
      "4242 (dual (write) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 3 0 1000 "
      "12345678 300 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
  const auto s = parse_proc_stat(stat, 1'700'000'000, 100, 4096);
  ASSERT_TRUE(s);
  EXPECT_DOUBLE_EQ(s->cpu_seconds, 3.0);
  EXPECT_DOUBLE_EQ(s->start_time_seconds, 1'700'000'010);
  EXPECT_DOUBLE_EQ(s->resident_bytes, 300 * 4096);
  EXPECT_FALSE(parse_proc_stat("4242 (x) S 1 2", 0, 100, 4096));
  EXPECT_FALSE(parse_proc_stat("garbage", 0, 100, 4096));
}

TEST(SlotRow, Parses) {
  auto r = parse_slot_row("extended", "-1024", "5000");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->wal_status, "extended");
  EXPECT_EQ(r->safe_wal_size, -1024);
  EXPECT_EQ(r->retained_bytes, 5000u);
  r = parse_slot_row("lost", nullptr, nullptr);
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->safe_wal_size);
  EXPECT_FALSE(r->retained_bytes);
  EXPECT_FALSE(parse_slot_row("reserved", "12x", "1"));
}

TEST(SlotPoller, AFailedPollCountsAnError) {
  Metrics m("x");
  // Port 1 on localhost: connection refused at once.
  SlotPoller poller({"host=127.0.0.1 port=1 dbname=x connect_timeout=2",
                     "",
                     "dualwrite",
                     std::chrono::milliseconds(100),
                     {}},
                    m);
  EXPECT_FALSE(poller.poll_once());
  EXPECT_EQ(parse(m.exposition()).samples.at(R"(dualwrite_errors_total{stage="slot_poll"})"), 1);
}

}  // namespace
}  // namespace dualwrite::ops
