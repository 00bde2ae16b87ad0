#include "bridge_harness.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <random>

#include "dualwrite/decode/hex.hpp"

namespace dualwrite::testing {

Bridge::Bridge(TestDatabase& db, std::string proto_version)
    : db_(db), proto_(std::move(proto_version)) {
  // Slots, like origins, are cluster-wide: one per test database.
  db_.exec("SELECT pg_create_logical_replication_slot('" + db_.name() + "', 'pgoutput')");
}

std::vector<std::vector<std::byte>> Bridge::peek() {
  std::string options =
      "'proto_version', '" + proto_ + "', 'publication_names', 'dualwrite_legacy'";
  if (proto_ == "2") options += ", 'streaming', 'on'";
  const auto rows =
      db_.rows("SELECT encode(data, 'hex') FROM pg_logical_slot_peek_binary_changes('" +
               db_.name() + "', NULL, NULL, " + options + ")");
  std::vector<std::vector<std::byte>> out;
  for (const auto& hex : rows) {
    std::vector<std::byte> bytes;
    const auto s = decode::parse_hex(hex, bytes);
    if (!s) throw std::runtime_error("bad hex from the server: " + s.error().message);
    out.push_back(std::move(bytes));
  }
  return out;
}

int Bridge::pump(const std::string& origin) {
  apply::ApplyOptions options;
  options.conninfo = db_.conninfo();
  options.copy_min_rows = copy_min_rows_;
  options.replica_role = replica_role_;
  // Replication origins are cluster-wide: parallel tests must not share one.
  options.origin = db_.name() + "_" + origin;
  const auto messages = peek();
  apply::Applier applier(options, stats_);
  std::unique_ptr<apply::LiveApply> live;
  if (live_lock_timeout_) {
    live = std::make_unique<apply::LiveApply>(options, stats_, applier, *live_lock_timeout_);
  }
  bool careful = false;
  int applied = 0;
  // Each attempt starts from the first message again, as the daemon restarts from the origin
  // (which skips what the attempts before committed).
  for (int attempt = 0; attempt < 4; ++attempt) {
    // A rejected attempt rolled back; the session (which holds the origin) carries on.
    if (!applier.connected()) applier.connect();
    replica_role_seen_ = applier.replica_role();
    applier.set_careful(careful);
    applied = 0;
    apply::Consumer consumer(applier);
    consumer.set_live(live.get(), [&] {
      applier.commit();
      ++applied;
    });
    try {
      for (const auto& m : messages) {
        auto event = consumer.feed(m);
        if (!event) throw std::runtime_error("consumer: " + event.error().message);
        if (*event == apply::Consumer::Event::committed && applier.in_transaction()) {
          applier.commit();
          ++applied;
        }
      }
      return applied;
    } catch (const apply::ApplyRejected& e) {
      if (live && live->xid() && e.sqlstate == "55P03") {
        live->fall_back(e.what());
        continue;
      }
      if (live) live->reset();
      if (careful) throw;
      careful = true;
    }
  }
  throw std::runtime_error("pump: four attempts did not apply everything");
}

int Bridge::pump_grouped(std::uint32_t seed, int max_group, const std::string& origin) {
  apply::ApplyOptions options;
  options.conninfo = db_.conninfo();
  options.copy_min_rows = copy_min_rows_;
  options.replica_role = replica_role_;
  options.origin = db_.name() + "_" + origin;
  const auto messages = peek();
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int> group_size(1, max_group);
  apply::Applier applier(options, stats_);
  applier.connect();
  replica_role_seen_ = applier.replica_role();
  apply::Consumer consumer(applier);
  // A rejected group is applied again in careful mode from its first message, as the daemon
  // re-streams it from the origin.
  std::size_t group_start = 0;
  int commits = 0;
  int in_group = 0;
  int group = group_size(rng);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    try {
      auto event = consumer.feed(messages[i]);
      if (!event) throw std::runtime_error("consumer: " + event.error().message);
      if (*event != apply::Consumer::Event::committed) continue;
      if (++in_group < group && i + 1 < messages.size()) continue;
      if (applier.in_transaction()) {
        applier.commit();
        ++commits;
      }
      if (applier.careful()) applier.set_careful(false);
      in_group = 0;
      group = group_size(rng);
      group_start = i + 1;
    } catch (const apply::ApplyRejected& e) {
      if (applier.careful()) throw;
      std::fprintf(stderr, "grouped apply: a group was rejected (%s); applied again carefully\n",
                   e.what());
      applier.set_careful(true);
      consumer.reset();
      in_group = 0;
      i = group_start - 1;  // the loop's ++i makes it group_start
      if (group_start == 0) i = static_cast<std::size_t>(-1);
    }
  }
  if (applier.in_transaction()) {
    applier.commit();
    ++commits;
  }
  return commits;
}

std::vector<std::string> target_table_rows(TestDatabase& db) {
  std::vector<std::string> out;
  for (const char* table : {"accounts", "account_user_links", "account_profiles",
                            "account_settings", "activity_interactions", "interaction_sources",
                            "recommendation_runs", "recommendation_items", "offline_interactions",
                            "chat_sessions", "chat_messages", "chat_summaries"}) {
    for (auto& row :
         db.rows(std::string("SELECT t::text FROM public.") + table + " t ORDER BY t::text")) {
      out.push_back(std::string(table) + ": " + row);
    }
  }
  return out;
}

std::vector<std::string> Bridge::target_snapshot() {
  std::vector<std::string> out = target_table_rows(db_);
  for (auto& row :
       db_.rows("SELECT source_table || ' ' || operation || ' ' || reason || ' ' || "
                "coalesce(new_row::text, old_key::text, '') "
                "|| ' ' || (resolved_at IS NOT NULL) FROM dualwrite.dead_letters ORDER BY id")) {
    out.push_back("dead_letter: " + row);
  }
  return out;
}

}  // namespace dualwrite::testing
