#include "dualwrite/backfill/plan.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "dualwrite/core/sql_template.hpp"
#include "dualwrite/sql/backfill.hpp"

namespace dualwrite::backfill {

namespace {

Step copy_step(std::string table, KeyKind key, std::string source, double per_source_row,
               std::string key_column, std::string view) {
  Step s;
  s.name = table;
  s.kind = StepKind::copy;
  s.key = key;
  s.source_table = std::move(source);
  s.rows_per_source_row = per_source_row;
  s.key_column = std::move(key_column);
  s.reader = with_identifier(sql::backfill::expected_rows, "view", view);
  s.target = "public." + table;
  return s;
}

// The legacy rows of `table` the expected views leave out: the rows the stream would
// dead-letter (or the target refuse), read by `reader` (sql/backfill/letters_<table>.sql) in
// the order the stream would have met them (their commit order is gone; their timestamps are
// the closest record of it). It matters: a retried letter is applied in letter order, and a
// chat message's sequence is 1 + its session's highest when it is applied.
Step letters_step(const std::string& table, std::string_view reader) {
  Step s;
  s.name = "dead_letters:" + table;
  s.kind = StepKind::letters;
  s.source_table = table;
  s.rows_per_source_row = 0.0;  // few; the ETA of this step is not worth estimating
  s.reader = reader;
  return s;
}

std::vector<Step> make_steps() {
  std::vector<Step> out;
  out.push_back(copy_step("accounts", KeyKind::uuid, "account_linkages", 1.0, "x.id", "accounts"));
  out.push_back(copy_step("account_user_links", KeyKind::uuid, "account_linkages", 1.0, "x.id",
                          "account_user_links"));
  out.push_back(copy_step("account_profiles", KeyKind::uuid, "user_attributes", 1.0, "x.account_id",
                          "account_profiles"));
  out.push_back(copy_step("account_settings", KeyKind::uuid, "user_attributes", 1.0, "x.account_id",
                          "account_settings"));
  // One source per suggestion some feedback names; each chunk scans the feedback once.
  out.push_back(copy_step("interaction_sources", KeyKind::uuid, "ai_suggestions", 1.0,
                          "x.source_id", "interaction_sources"));
  {
    Step s;
    s.name = "activity_interactions";
    s.kind = StepKind::interactions;
    s.key = KeyKind::bigint;
    s.source_table = "activity_feedback";
    s.key_column = "f.legacy_id";
    // No one reader: the runner picks sql/backfill/feedback_*.sql by how likes are merged.
    s.target = "public.activity_interactions";
    out.push_back(s);
  }
  out.push_back(copy_step("recommendation_runs", KeyKind::uuid, "ai_suggestions", 1.0, "x.id",
                          "recommendation_runs"));
  // Items without outcomes (each chunk of runs reads only its suggestions); the outcomes step
  // below sets them in one pass over the feedback.
  out.push_back(copy_step("recommendation_items", KeyKind::uuid, "ai_suggestions", 15.0, "x.run_id",
                          "_items"));
  {
    Step s;
    s.name = "recommendation_items.outcomes";
    s.kind = StepKind::outcomes;
    s.source_table = "activity_feedback";
    s.rows_per_source_row = 0.0;
    s.reader = sql::backfill::item_outcomes;
    out.push_back(s);
  }
  out.push_back(copy_step("offline_interactions", KeyKind::none, "offline_likes", 1.0, "",
                          "offline_interactions"));
  out.push_back(copy_step("chat_sessions", KeyKind::uuid, "chatbot_conversations", 1.0, "x.id",
                          "chat_sessions"));
  // A session's messages stay in one chunk: their sequence numbers a session as a whole.
  out.push_back(copy_step("chat_messages", KeyKind::uuid, "chatbot_messages", 1.0, "x.session_id",
                          "chat_messages"));
  out.back().hash_joins_only = true;
  out.push_back(copy_step("chat_summaries", KeyKind::uuid, "conversation_context", 1.0,
                          "x.session_id", "chat_summaries"));

  // Dead letters, in the order the stream would meet the parents before their children.
  namespace files = sql::backfill;
  out.push_back(letters_step("account_metadata", files::letters_account_metadata));
  out.push_back(letters_step("user_attributes", files::letters_user_attributes));
  out.push_back(letters_step("activity_feedback", files::letters_activity_feedback));
  out.push_back(letters_step("ai_suggestions", files::letters_ai_suggestions));
  out.push_back(letters_step("offline_likes", files::letters_offline_likes));
  out.push_back(letters_step("chatbot_conversations", files::letters_chatbot_conversations));
  out.push_back(letters_step("chatbot_messages", files::letters_chatbot_messages));
  out.push_back(letters_step("conversation_context", files::letters_conversation_context));
  return out;
}

std::string uuid_bound(std::uint64_t leading32) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08llx-0000-0000-0000-000000000000",
                static_cast<unsigned long long>(leading32));
  return buf;
}

}  // namespace

std::string with_commas(std::uint64_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

bool is_retired_step(std::string_view name) {
  // "activities.status": brought activities.status in line with is_published, which needs
  // UPDATE on the application's catalog. mapping.md puts that backfill in Phase 0, where the
  // migration does it as the table's owner (20261125000400); the bridge's role only reads
  // activities (20261204000200).
  return name == "activities.status";
}

const std::vector<Step>& steps() {
  static const std::vector<Step> all = make_steps();
  return all;
}

std::uint64_t chunk_count(std::uint64_t estimated_rows, std::uint64_t chunk_rows) {
  if (chunk_rows == 0) return 1;
  return std::clamp<std::uint64_t>((estimated_rows + chunk_rows - 1) / chunk_rows, 1, 4096);
}

std::vector<Chunk> uuid_chunks(std::uint64_t count) {
  count = std::clamp<std::uint64_t>(count, 1, 4096);
  std::vector<Chunk> out;
  constexpr std::uint64_t space = std::uint64_t{1} << 32;
  for (std::uint64_t i = 0; i < count; ++i) {
    Chunk c;
    c.number = static_cast<int>(i);
    if (i > 0) c.lo = uuid_bound(space * i / count);
    if (i + 1 < count) c.hi = uuid_bound(space * (i + 1) / count);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<Chunk> bigint_chunks(std::int64_t min, std::int64_t max, std::uint64_t chunk_rows) {
  std::vector<Chunk> out;
  if (chunk_rows == 0 || max <= min) {
    out.push_back(Chunk{});
    return out;
  }
  const auto step = static_cast<std::int64_t>(chunk_rows);
  // Boundaries min+step, min+2*step, … up to max; the last range is open above.
  int number = 0;
  std::optional<std::string> lo;
  for (std::int64_t bound = min + step; bound <= max; bound += step) {
    out.push_back(Chunk{number++, lo, std::to_string(bound)});
    lo = std::to_string(bound);
  }
  out.push_back(Chunk{number, lo, std::nullopt});
  return out;
}

std::string range_predicate(const std::string& column, KeyKind key, const Chunk& chunk) {
  if (key == KeyKind::none || (!chunk.lo && !chunk.hi)) return "true";
  // Bounds are our own numbers and hex, never user input; quoted as literals of the key type.
  const std::string type = key == KeyKind::uuid ? "uuid" : "bigint";
  std::string out;
  if (chunk.lo) out += column + " >= '" + *chunk.lo + "'::" + type;
  if (chunk.hi) {
    if (!out.empty()) out += " AND ";
    out += column + " < '" + *chunk.hi + "'::" + type;
  }
  return out;
}

std::string with_range(std::string_view reader, const std::string& predicate) {
  return with_sql(reader, "range", "(" + predicate + ")");
}

Staging staging(const std::string& target, bool tolerant) {
  const auto dot = target.find('.');
  const std::string schema = target.substr(0, dot), table = target.substr(dot + 1);
  Staging out;
  out.table = "dw_stage_" + table;
  auto fill = [&](std::string_view sql) {
    return with_identifier(
        with_identifier(with_identifier(sql, "stage", out.table), "schema", schema), "table",
        table);
  };
  out.create = fill(sql::backfill::stage_create);
  out.insert = fill(tolerant ? sql::backfill::stage_insert_tolerant : sql::backfill::stage_insert);
  return out;
}

std::string progress_line(const std::string& step, std::uint64_t rows,
                          std::uint64_t estimated_total, std::chrono::duration<double> elapsed,
                          bool done) {
  const double seconds = std::max(elapsed.count(), 1e-3);
  const auto rate = static_cast<std::uint64_t>(static_cast<double>(rows) / seconds);
  std::string out = step + ": " + with_commas(rows) + " rows";
  if (done) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " in %.1f s", elapsed.count());
    return out + buf + ", " + with_commas(rate) + " rows/s, done";
  }
  if (estimated_total > 0) {
    const std::uint64_t shown = std::max(estimated_total, rows);
    out += " of ~" + with_commas(shown) + " (" + std::to_string(rows * 100 / shown) + "%)";
  }
  out += ", " + with_commas(rate) + " rows/s";
  if (estimated_total > rows && rate > 0) {
    out += ", ETA " + std::to_string((estimated_total - rows) / rate + 1) + " s";
  }
  return out;
}

}  // namespace dualwrite::backfill
