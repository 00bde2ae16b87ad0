// The expected-state SQL (migrations 20261125001500_expected_state.sql and …1600_compare.sql) on a live PostgreSQL 15.
//
// For: proving that dualwrite_expected.* computes mapping.md's rows from the legacy tables — one
// hand-written legacy data set covers every mapping rule and every dead-letter reason, and each
// view's rows are asserted (ids against the bridge's own v5 implementation) — and that
// dualwrite_expected.diff() reports exactly what differs, while tolerating only what compare.sql
// documents. The last test runs the views on the synthetic corpus and prints their timings.
// Not for: the bridge itself (tests/integration/apply and stream stream into these tables).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "dualwrite/translate/uuid.hpp"
#include "support/pg_test.hpp"

namespace {

using dualwrite::testing::TestDatabase;
using Rows = std::vector<std::string>;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Loads expected.sql then compare.sql, twice: both files must be re-runnable.
void load_verify_sql(TestDatabase& db) {
  for (int pass = 0; pass < 2; ++pass) {
    db.exec("SET client_min_messages = warning");
    db.exec(read_file(std::string(DUALWRITE_SQL_DIR) + "/migrations/20261125001500_expected_state.sql"));
    db.exec(read_file(std::string(DUALWRITE_SQL_DIR) + "/migrations/20261125001600_compare.sql"));
  }
}

std::string v5(const std::string& name) {
  return std::string(dualwrite::translate::view(dualwrite::translate::mapping_uuid(name)));
}

// Fills the twelve target tables from the views, in foreign-key order (what bootstrap will do).
void fill_targets_from_views(TestDatabase& db) {
  for (const char* t : {"accounts", "account_user_links", "account_profiles", "account_settings",
                        "interaction_sources", "activity_interactions", "recommendation_runs",
                        "recommendation_items", "offline_interactions", "chat_sessions",
                        "chat_messages", "chat_summaries"}) {
    db.exec(std::string("INSERT INTO public.") + t + " SELECT * FROM dualwrite_expected." + t);
  }
}

// Users: U1 linked; U2 linked only after its rows were written (legacy account_id NULL);
// U3 never linked; U6 / U7 linked but with a bad age_range / preferences.
#define U1 "00000000-0000-4000-8000-0000000000a1"
#define U2 "00000000-0000-4000-8000-0000000000a2"
#define U3 "00000000-0000-4000-8000-0000000000a3"
#define U6 "00000000-0000-4000-8000-0000000000a6"
#define U7 "00000000-0000-4000-8000-0000000000a7"
// Accounts: A4 exists only through account_metadata, A5's metadata has an unknown status, C9 is
// named by a feedback row but created by nothing.
#define A1 "00000000-0000-4000-8000-0000000000c1"
#define A2 "00000000-0000-4000-8000-0000000000c2"
#define A4 "00000000-0000-4000-8000-0000000000c4"
#define A5 "00000000-0000-4000-8000-0000000000c5"
#define A6 "00000000-0000-4000-8000-0000000000c6"
#define A7 "00000000-0000-4000-8000-0000000000c7"
#define C9 "00000000-0000-4000-8000-0000000000c9"
#define L1 "00000000-0000-4000-8000-0000000000b1"
#define L2 "00000000-0000-4000-8000-0000000000b2"
#define L6 "00000000-0000-4000-8000-0000000000b6"
#define L7 "00000000-0000-4000-8000-0000000000b7"
#define D1 "00000000-0000-4000-8000-0000000000d1"
#define D2 "00000000-0000-4000-8000-0000000000d2"
#define S1 "00000000-0000-4000-8000-000000000051"
#define S2 "00000000-0000-4000-8000-000000000052"
#define S9 "00000000-0000-4000-8000-000000000059"
#define S10 "00000000-0000-4000-8000-000000000510"
#define CV1 "00000000-0000-4000-8000-0000000000f1"
#define CV2 "00000000-0000-4000-8000-0000000000f2"
#define CV3 "00000000-0000-4000-8000-0000000000f3"
#define CV4 "00000000-0000-4000-8000-0000000000f4"
#define CV5 "00000000-0000-4000-8000-0000000000f5"
#define M1 "00000000-0000-4000-8000-0000000000e1"
#define M2 "00000000-0000-4000-8000-0000000000e2"
#define M3 "00000000-0000-4000-8000-0000000000e3"
#define M4 "00000000-0000-4000-8000-0000000000e4"
#define M8 "00000000-0000-4000-8000-0000000000e8"

constexpr const char* kLegacyData =
    R"SQL(
INSERT INTO auth.users (id, email) VALUES
  (')SQL" U1 R"SQL(', 'u1@example.com'), (')SQL" U2 R"SQL(', 'u2@example.com'),
  (')SQL" U3 R"SQL(', 'u3@example.com'), (')SQL" U6 R"SQL(', 'u6@example.com'),
  (')SQL" U7 R"SQL(', 'u7@example.com');
INSERT INTO public.account_linkages (id, user_id, account_id, created_at) VALUES
  (')SQL" L1 R"SQL(', ')SQL" U1 R"SQL(', ')SQL" A1 R"SQL(', '2024-01-01 10:00+00'),
  (')SQL" L6 R"SQL(', ')SQL" U6 R"SQL(', ')SQL" A6 R"SQL(', '2024-01-01 11:00+00'),
  (')SQL" L7 R"SQL(', ')SQL" U7 R"SQL(', ')SQL" A7 R"SQL(', '2024-01-01 12:00+00');
INSERT INTO public.account_metadata (account_id, status, onboarding_state, updated_at) VALUES
  (')SQL" A1 R"SQL(', 'suspended', '{"step": 2}', '2024-01-05 00:00+00'),
  (')SQL" A4 R"SQL(', 'deleted', '{"done": true}', '2024-02-01 00:00+00'),
  (')SQL" A5 R"SQL(', 'banned', '{}', '2024-02-02 00:00+00');
INSERT INTO public.user_attributes (user_id, display_name, locale, timezone, country, age_range,
                                    travel_style, preferences, updated_at) VALUES
  (')SQL" U1 R"SQL(', 'Ana', 'pt-PT', 'Europe/Lisbon', 'PT', '25-34', 'luxury',
   '{"notifications": {"email": true}, "feature_flags": {"beta": true}, "theme": "dark"}',
   '2024-03-01 00:00+00'),
  (')SQL" U2 R"SQL(', 'Bo', NULL, NULL, NULL, NULL, 'backpacker', '{"lang": "pt"}',
   '2023-12-01 00:00+00'),
  (')SQL" U3 R"SQL(', 'Cy', NULL, NULL, NULL, '18-24', NULL, '{}', '2024-03-01 00:00+00'),
  (')SQL" U6 R"SQL(', 'Di', NULL, NULL, NULL, '17-', NULL, '{}', '2024-03-01 00:00+00'),
  (')SQL" U7 R"SQL(', 'Ed', NULL, NULL, NULL, NULL, NULL, '{"notifications": "yes"}',
   '2024-03-01 00:00+00');
INSERT INTO public.activities (id, slug, title) VALUES
  (')SQL" D1 R"SQL(', 'surf-lisbon', 'Surf'), (')SQL" D2 R"SQL(', 'wine-porto', 'Wine');
INSERT INTO public.ai_suggestions (id, user_id, source, prompt, model, model_params, suggestions,
                                   status, created_at) VALUES
  (')SQL" S1 R"SQL(', ')SQL" U1 R"SQL(', 'quiz', '{"q": 1}', 'gpt-4o-mini', '{"t": 0.2}',
   '[{"slug": "surf-lisbon", "score": 0.9, "reason": "sun", "features": {"a": 1, "score": 5}},
     {"slug": "ghost-tour"},
     {"slug": "wine-porto", "features": {"b": 2}, "reason": null}]',
   'completed', '2024-04-01 00:00+00'),
  (')SQL" S2 R"SQL(', ')SQL" U2 R"SQL(', 'chat', '{}', NULL, '{}', '[]', 'pending',
   '2024-04-01 01:00+00'),
  ('00000000-0000-4000-8000-000000000053', ')SQL" U1 R"SQL(', 'email', '{}', NULL, '{}', '[]',
   'completed', '2024-04-01 02:00+00'),
  ('00000000-0000-4000-8000-000000000054', ')SQL" U1 R"SQL(', 'quiz', '{}', NULL, '{}', '[]',
   'running', '2024-04-01 02:00+00'),
  ('00000000-0000-4000-8000-000000000055', ')SQL" U1 R"SQL(', 'quiz', '{}', NULL, '{}',
   '{"slug": "surf-lisbon"}', 'completed', '2024-04-01 02:00+00'),
  ('00000000-0000-4000-8000-000000000056', ')SQL" U1 R"SQL(', 'quiz', '{}', NULL, '{}',
   '[{"slug": "surf-lisbon"}, {"score": 1}]', 'completed', '2024-04-01 02:00+00'),
  ('00000000-0000-4000-8000-000000000057', ')SQL" U3 R"SQL(', 'quiz', '{}', NULL, '{}', '[]',
   'completed', '2024-04-01 02:00+00'),
  ('00000000-0000-4000-8000-000000000058', ')SQL" U1 R"SQL(', 'manual', '{}', NULL, '{}',
   '[{"slug": "surf-lisbon", "features": [1]}]', 'completed', '2024-04-01 02:00+00'),
  (')SQL" S9 R"SQL(', ')SQL" U1 R"SQL(', 'manual', '{"m": true}', 'm1', '{}', '[]', 'completed',
   '2024-04-01 03:00+00'),
  (')SQL" S10 R"SQL(', ')SQL" U1 R"SQL(', 'cron', '{}', 'm2', '{}', '[]', 'failed',
   '2024-04-01 04:00+00');
INSERT INTO public.activity_feedback (id, user_id, account_id, activity_slug, feedback_type,
                                      suggestion_id, score, metadata, created_at) VALUES
  (1,  ')SQL" U1 R"SQL(', NULL, 'surf-lisbon', 'like',    ')SQL" S1
    R"SQL(', 1.5, '{"src": "app"}', '2024-04-02 10:00+00'),
  (2,  ')SQL" U1 R"SQL(', NULL, 'surf-lisbon', 'like',    ')SQL" S1
    R"SQL(', NULL, '{}', '2024-04-02 11:00+00'),
  (3,  ')SQL" U1 R"SQL(', NULL, 'surf-lisbon', 'dislike', ')SQL" S1
    R"SQL(', NULL, '{"why": "cold"}', '2024-04-02 12:00+00'),
  (4,  ')SQL" U1 R"SQL(', NULL, 'surf-lisbon', 'view',    ')SQL" S1
    R"SQL(', NULL, '{}', '2024-04-02 13:00+00'),
  (5,  ')SQL" U1 R"SQL(', NULL, 'surf-lisbon', 'view',    ')SQL" S1
    R"SQL(', NULL, '{}', '2024-04-02 09:00+00'),
  (6,  ')SQL" U1 R"SQL(', NULL, 'wine-porto',  'save',    ')SQL" S1
    R"SQL(', NULL, '{}', '2024-04-02 14:00+00'),
  (7,  ')SQL" U1 R"SQL(', NULL, 'wine-porto',  'save',    NULL, NULL, '{}', '2024-04-02 15:00+00'),
  (8,  ')SQL" U1 R"SQL(', NULL, 'ghost-tour',  'booked',  ')SQL" S1
    R"SQL(', NULL, '{}', '2024-04-02 16:00+00'),
  (9,  ')SQL" U1 R"SQL(', NULL, 'wine-porto',  'shared',  NULL, -2.25, '{}', '2024-04-02 17:00+00'),
  (10, ')SQL" U1
    R"SQL(', NULL, 'ghost-tour',  'skip',    NULL, NULL, '{"legacy_feedback_type": "x"}', '2024-04-02 18:00+00'),
  (11, ')SQL" U2 R"SQL(', NULL, 'surf-lisbon', 'like',    NULL, NULL, '{}', '2024-04-02 19:00+00'),
  (12, ')SQL" U1
    R"SQL(', NULL, 'surf-lisbon', 'superlike', NULL, NULL, '{}', '2024-04-02 20:00+00'),
  (13, ')SQL" U3 R"SQL(', NULL, 'surf-lisbon', 'like',    NULL, NULL, '{}', '2024-04-02 20:00+00'),
  (14, ')SQL" U1 R"SQL(', NULL, 'surf-lisbon', 'dislike', NULL, NULL, '[1]', '2024-04-02 20:00+00'),
  (15, ')SQL" U1 R"SQL(', ')SQL" C9
    R"SQL(', 'surf-lisbon', 'like', NULL, NULL, '{}', '2024-04-02 20:00+00');
INSERT INTO public.offline_likes (user_id, activity_slug, payload, updated_at) VALUES
  (')SQL" U1 R"SQL(', 'surf-lisbon', '{"liked": true}', '2024-05-01 00:00+00'),
  (')SQL" U2 R"SQL(', 'wine-porto', '{"liked": false}', '2024-05-02 00:00+00'),
  (')SQL" U3 R"SQL(', 'wine-porto', '{}', '2024-05-03 00:00+00');
INSERT INTO public.chatbot_conversations (id, user_id, conversation_type, context, created_by,
                                          metadata, created_at, updated_at, ended_at) VALUES
  (')SQL" CV1 R"SQL(', ')SQL" U1 R"SQL(', 'trip_planning', '{"s": 1}', ')SQL" U1
    R"SQL(', '{"k": "v"}',
   '2024-06-01 00:00+00', '2024-06-02 00:00+00', NULL),
  (')SQL" CV2 R"SQL(', ')SQL" U2 R"SQL(', 'support', '{}', NULL, '{}',
   '2024-06-03 00:00+00', '2024-06-04 00:00+00', '2024-06-05 00:00+00'),
  (')SQL" CV3 R"SQL(', ')SQL" U1 R"SQL(', 'sales', '{}', NULL, '{}',
   '2024-06-03 00:00+00', '2024-06-04 00:00+00', NULL),
  (')SQL" CV4 R"SQL(', ')SQL" U3 R"SQL(', 'support', '{}', NULL, '{}',
   '2024-06-03 00:00+00', '2024-06-04 00:00+00', NULL),
  (')SQL" CV5 R"SQL(', ')SQL" U1 R"SQL(', 'onboarding', '{}', NULL, '{}',
   '2024-06-06 00:00+00', '2024-06-06 00:00+00', NULL);
INSERT INTO public.chatbot_messages (id, conversation_id, role, content, metadata, created_at) VALUES
  (')SQL" M1 R"SQL(', ')SQL" CV1 R"SQL(', 'user', 'hi', '{}', '2024-06-01 10:00+00'),
  (')SQL" M2 R"SQL(', ')SQL" CV1 R"SQL(', 'assistant', 'hello',
   '{"tool_calls": [{"name": "search"}], "latency_ms": 120, "model": "gpt"}', '2024-06-01 10:01+00'),
  (')SQL" M3 R"SQL(', ')SQL" CV1 R"SQL(', 'assistant', 'more', '{"latency_ms": 12.5}',
   '2024-06-01 10:01+00'),
  (')SQL" M4 R"SQL(', ')SQL" CV1 R"SQL(', 'system', 'be nice', '{}', '2024-06-01 09:59+00'),
  ('00000000-0000-4000-8000-0000000000e5', ')SQL" CV1
    R"SQL(', 'bot', 'x', '{}', '2024-06-01 11:00+00'),
  ('00000000-0000-4000-8000-0000000000e6', ')SQL" CV3
    R"SQL(', 'user', 'x', '{}', '2024-06-01 11:00+00'),
  ('00000000-0000-4000-8000-0000000000e7', ')SQL" CV1
    R"SQL(', 'user', 'x', '"str"', '2024-06-01 11:00+00'),
  (')SQL" M8 R"SQL(', ')SQL" CV2 R"SQL(', 'tool', 'result',
   '{"tool_calls": null, "latency_ms": 99999999999}', '2024-06-03 10:00+00'),
  ('00000000-0000-4000-8000-0000000000e9', ')SQL" CV4
    R"SQL(', 'user', 'x', '{}', '2024-06-03 10:00+00');
INSERT INTO public.conversation_context (conversation_id, summary, updated_at) VALUES
  (')SQL" CV1 R"SQL(', 'planning Lisbon', '2024-06-02 00:00+00'),
  (')SQL" CV3 R"SQL(', 'sales talk', '2024-06-04 00:00+00'),
  (')SQL" CV4 R"SQL(', 'unlinked', '2024-06-04 00:00+00');
-- U2 is linked only now: the legacy triggers left its rows above with account_id NULL.
INSERT INTO public.account_linkages (id, user_id, account_id, created_at) VALUES
  (')SQL" L2 R"SQL(', ')SQL" U2 R"SQL(', ')SQL" A2 R"SQL(', '2024-01-02 10:00+00');
)SQL";

class ExpectedState : public ::testing::Test {
 protected:
  void SetUp() override {
    db_.exec("SET TimeZone = 'UTC'");
    db_.exec(kLegacyData);
    load_verify_sql(db_);
  }
  Rows rows(const std::string& sql) { return db_.rows(sql); }
  TestDatabase db_{"expected"};
};

TEST_F(ExpectedState, LegacyDataIsAsIntended) {
  // The data set relies on the legacy triggers leaving U2's rows unresolved.
  EXPECT_EQ(db_.scalar("SELECT count(*) FROM public.activity_feedback WHERE account_id IS NULL "
                       "AND user_id = '" U2 "'"),
            "1");
}

TEST_F(ExpectedState, Accounts) {
  EXPECT_EQ(rows("SELECT id, status, onboarding_state, created_at, updated_at "
                 "FROM dualwrite_expected.accounts ORDER BY id"),
            (Rows{
                // linkage 01-01, metadata 01-05, profile 03-01: created by the earlier write,
                // updated_at moved forward by the profile
                A1 "|suspended|{\"step\": 2}|2024-01-01 10:00:00+00|2024-03-01 00:00:00+00",
                // profile older than the linkage: updated_at stays at the linkage
                A2 "|active|{}|2024-01-02 10:00:00+00|2024-01-02 10:00:00+00",
                // created by account_metadata alone; A5 (status 'banned') and C9 are absent
                A4 "|deleted|{\"done\": true}|2024-02-01 00:00:00+00|2024-02-01 00:00:00+00",
                A6 "|active|{}|2024-01-01 11:00:00+00|2024-01-01 11:00:00+00",
                A7 "|active|{}|2024-01-01 12:00:00+00|2024-01-01 12:00:00+00",
            }));
  EXPECT_EQ(rows("SELECT * FROM dualwrite_expected.account_user_links ORDER BY id"),
            (Rows{
                L1 "|" A1 "|" U1 "|t|2024-01-01 10:00:00+00",
                L2 "|" A2 "|" U2 "|t|2024-01-02 10:00:00+00",
                L6 "|" A6 "|" U6 "|t|2024-01-01 11:00:00+00",
                L7 "|" A7 "|" U7 "|t|2024-01-01 12:00:00+00",
            }));
}

TEST_F(ExpectedState, ProfilesAndSettings) {
  // U3 unlinked_user, U6 unknown_enum_value (age_range), U7 invalid_payload (notifications).
  EXPECT_EQ(rows("SELECT * FROM dualwrite_expected.account_profiles ORDER BY account_id"),
            (Rows{
                A1 "|Ana|pt-PT|Europe/Lisbon|PT|25-34|luxury|2024-03-01 00:00:00+00",
                A2 "|Bo|<NULL>|<NULL>|<NULL>|<NULL>|backpacker|2023-12-01 00:00:00+00",
            }));
  EXPECT_EQ(
      rows("SELECT * FROM dualwrite_expected.account_settings ORDER BY account_id"),
      (Rows{
          A1 "|{\"email\": true}|{\"beta\": true}|{\"theme\": \"dark\"}|2024-03-01 00:00:00+00",
          A2 "|{}|{}|{\"lang\": \"pt\"}|2023-12-01 00:00:00+00",
      }));
}

TEST_F(ExpectedState, InteractionsMergeAndMapTypes) {
  const std::string src = v5("interaction_sources:recommendation:" S1);
  auto id = [](int legacy) { return v5("activity_feedback:" + std::to_string(legacy)); };
  Rows want = {
      // 2 (second like) and 7 (second save) are merged; 12 unknown type, 13 unlinked user,
      // 14 a dislike whose metadata is not an object, 15 an account nothing creates
      id(1) + "|" A1 "|" D1 "|surf-lisbon|like|" + src + "|1.500|{\"src\": \"app\"}",
      id(3) + "|" A1 "|" D1 "|surf-lisbon|skip|" + src +
          "|<NULL>|{\"why\": \"cold\", \"legacy_feedback_type\": \"dislike\"}",
      id(4) + "|" A1 "|" D1 "|surf-lisbon|view|" + src + "|<NULL>|{}",
      id(5) + "|" A1 "|" D1 "|surf-lisbon|view|" + src + "|<NULL>|{}",
      id(6) + "|" A1 "|" D2 "|wine-porto|bookmark|" + src + "|<NULL>|{}",
      id(8) + "|" A1 "|<NULL>|ghost-tour|book|" + src + "|<NULL>|{}",
      id(9) + "|" A1 "|" D2 "|wine-porto|share|<NULL>|-2.250|{}",
      id(10) + "|" A1 "|<NULL>|ghost-tour|skip|<NULL>|<NULL>|{\"legacy_feedback_type\": \"x\"}",
      // resolved through U2's later linkage; not merged with U1's like
      id(11) + "|" A2 "|" D1 "|surf-lisbon|like|<NULL>|<NULL>|{}",
  };
  std::sort(want.begin(), want.end());
  EXPECT_EQ(rows("SELECT id, account_id, activity_id, activity_slug, interaction_type, "
                 "source_session_id, score_delta, metadata FROM "
                 "dualwrite_expected.activity_interactions ORDER BY id::text"),
            want);
  EXPECT_EQ(db_.scalar("SELECT created_at FROM dualwrite_expected.activity_interactions "
                       "WHERE id = '" +
                       id(9) + "'"),
            "2024-04-02 17:00:00+00");
  // One source, created by the first feedback by legacy id (1, 10:00), not the earliest
  // created_at among them (5, 09:00).
  EXPECT_EQ(rows("SELECT * FROM dualwrite_expected.interaction_sources"),
            (Rows{src + "|recommendation|" S1 "|{}|2024-04-02 10:00:00+00"}));
}

TEST_F(ExpectedState, RunsItemsAndOutcomes) {
  EXPECT_EQ(rows("SELECT * FROM dualwrite_expected.recommendation_runs ORDER BY id"),
            (Rows{
                S1 "|" A1 "|quiz_result|{\"q\": 1}|{\"model\": \"gpt-4o-mini\", \"params\": "
                   "{\"t\": 0.2}}|completed|2024-04-01 00:00:00+00",
                S2 "|" A2 "|chat_prompt|{}|{\"model\": null, \"params\": {}}|pending|"
                   "2024-04-01 01:00:00+00",
                S9 "|" A1 "|manual|{\"m\": true}|{\"model\": \"m1\", \"params\": {}}|completed|"
                   "2024-04-01 03:00:00+00",
                S10 "|" A1 "|cron|{}|{\"model\": \"m2\", \"params\": {}}|failed|"
                    "2024-04-01 04:00:00+00",
            }));
  const std::string item = std::string("ai_suggestions:") + S1 + ":";
  EXPECT_EQ(
      rows("SELECT * FROM dualwrite_expected.recommendation_items ORDER BY position"),
      (Rows{
          // presented_at: the earliest view (5, 09:00), not the first by id (4, 13:00);
          // dismissed by the dislike; liked: the latest like/dislike (3, a dislike)
          v5(item + "1") + "|" S1 "|" D1 "|surf-lisbon|{\"a\": 1, \"score\": 0.9, "
                           "\"reason\": \"sun\"}|1|2024-04-02 09:00:00+00|2024-04-02 12:00:00+00|"
                           "<NULL>|f",
          v5(item + "2") + "|" S1 "|<NULL>|ghost-tour|{}|2|<NULL>|<NULL>|"
                           "2024-04-02 16:00:00+00|<NULL>",
          v5(item + "3") + "|" S1 "|" D2 "|wine-porto|{\"b\": 2, \"reason\": null}|3|"
                           "<NULL>|<NULL>|2024-04-02 14:00:00+00|<NULL>",
      }));
}

TEST_F(ExpectedState, OfflineInteractions) {
  Rows want = {
      v5("offline_likes:" U1 ":surf-lisbon") + "|" A1
                                               "|surf-lisbon|like|{\"liked\": true}|"
                                               "2024-05-01 00:00:00+00",
      v5("offline_likes:" U2 ":wine-porto") + "|" A2
                                              "|wine-porto|like|{\"liked\": false}|"
                                              "2024-05-02 00:00:00+00",
  };
  std::sort(want.begin(), want.end());
  EXPECT_EQ(rows("SELECT * FROM dualwrite_expected.offline_interactions ORDER BY id::text"), want);
}

TEST_F(ExpectedState, ChatSessionsMessagesSummaries) {
  EXPECT_EQ(rows("SELECT * FROM dualwrite_expected.chat_sessions ORDER BY id"),
            (Rows{
                CV1 "|" A1 "|trip_planning|{\"s\": 1}|2024-06-01 00:00:00+00|"
                    "2024-06-02 00:00:00+00|<NULL>|" U1 "|{\"k\": \"v\"}",
                CV2 "|" A2 "|support|{}|2024-06-03 00:00:00+00|2024-06-04 00:00:00+00|"
                    "2024-06-05 00:00:00+00|<NULL>|{}",
                CV5 "|" A1 "|onboarding|{}|2024-06-06 00:00:00+00|2024-06-06 00:00:00+00|"
                    "<NULL>|<NULL>|{}",
            }));
  // Sequence by (created_at, id): M4 was written last but is the earliest; M2 and M3 share a
  // created_at. e5 unknown role, e6 and e9 missing parent, e7 metadata not an object.
  EXPECT_EQ(rows("SELECT id, session_id, role, content, sequence, tool_calls, latency_ms, "
                 "metadata FROM dualwrite_expected.chat_messages ORDER BY session_id, sequence"),
            (Rows{
                M4 "|" CV1 "|system|be nice|1|<NULL>|<NULL>|{}",
                M1 "|" CV1 "|user|hi|2|<NULL>|<NULL>|{}",
                M2 "|" CV1 "|assistant|hello|3|[{\"name\": \"search\"}]|120|{\"model\": \"gpt\"}",
                M3 "|" CV1 "|assistant|more|4|<NULL>|<NULL>|{\"latency_ms\": 12.5}",
                M8 "|" CV2 "|tool|result|1|null|<NULL>|{\"latency_ms\": 99999999999}",
            }));
  EXPECT_EQ(rows("SELECT * FROM dualwrite_expected.chat_summaries"),
            (Rows{CV1 "|planning Lisbon|2024-06-02 00:00:00+00"}));
}

TEST_F(ExpectedState, DiffFindsExactlyWhatChanged) {
  fill_targets_from_views(db_);
  EXPECT_EQ(rows("SELECT * FROM dualwrite_expected.diff_all()"), Rows{});
  EXPECT_EQ(rows("SELECT table_name FROM dualwrite_expected.counts() WHERE expected <> actual"),
            Rows{});
  EXPECT_EQ(rows("SELECT expected, actual FROM dualwrite_expected.counts() "
                 "WHERE table_name = 'activity_interactions'"),
            (Rows{"9|9"}));

  const std::string gone = v5("activity_feedback:9");
  const std::string extra_session = "00000000-0000-4000-8000-0000000000ff";
  const std::string linked_extra_account = "00000000-0000-4000-8000-0000000000cf";
  const std::string extra_link = "00000000-0000-4000-8000-0000000000bf";
  db_.exec("UPDATE public.chat_messages SET content = 'edited' WHERE id = '" M1 "'");
  db_.exec(
      "UPDATE public.account_settings SET feature_flags = '{\"beta\": false}' "
      "WHERE account_id = '" A1 "'");
  db_.exec("DELETE FROM public.activity_interactions WHERE id = '" + gone + "'");
  db_.exec("INSERT INTO public.chat_sessions (id, account_id, session_type) VALUES ('" +
           extra_session + "', '" A1 "', 'support')");
  db_.exec("INSERT INTO public.accounts (id) VALUES ('" + linked_extra_account + "')");
  db_.exec("INSERT INTO public.account_user_links (id, account_id, supabase_user_id) VALUES ('" +
           extra_link + "', '" + linked_extra_account + "', gen_random_uuid())");
  // Tolerated (compare.sql): an account nobody links to, sources the bridge never deletes or
  // that the app made, a source's created_at, and a gap in a session's sequence.
  db_.exec("INSERT INTO public.accounts (id) VALUES ('00000000-0000-4000-8000-0000000000ce')");
  db_.exec("INSERT INTO public.interaction_sources (source_type) VALUES ('quiz')");
  db_.exec("UPDATE public.interaction_sources SET created_at = '2000-01-01'");
  db_.exec("UPDATE public.chat_messages SET sequence = 40 WHERE id = '" M3 "'");
  db_.exec("UPDATE public.chat_messages SET sequence = 30 WHERE id = '" M2 "'");

  EXPECT_EQ(rows("SELECT * FROM dualwrite_expected.diff_all() ORDER BY 1, 2"),
            (Rows{
                "account_settings|" A1 "|different",
                "account_user_links|" + extra_link + "|extra",
                "accounts|" + linked_extra_account + "|extra",
                "activity_interactions|" + gone + "|missing",
                "chat_messages|" M1 "|different",
                "chat_sessions|" + extra_session + "|extra",
            }));
  // Reordering messages is not tolerated: M3 before M2 changes both ranks.
  db_.exec("UPDATE public.chat_messages SET sequence = 20 WHERE id = '" M3 "'");
  EXPECT_EQ(rows("SELECT key, problem FROM dualwrite_expected.diff('chat_messages') ORDER BY 1"),
            (Rows{M1 "|different", M2 "|different", M3 "|different"}));
  EXPECT_EQ(rows("SELECT * FROM dualwrite_expected.diff('chat_messages', 1)").size(), 1u);
  EXPECT_THROW(db_.exec("SELECT * FROM dualwrite_expected.diff('no_such_table')"),
               std::runtime_error);
}

// The views on the synthetic legacy corpus (sql/fixture/synthetic_data.sql at scale 0.05, which
// holds < 1 % of every value the bridge dead-letters): they execute, a backfill from them
// satisfies every target constraint, the diff is then empty, and the timings are printed.
TEST(ExpectedStateSynthetic, RunsOnSyntheticData) {
  TestDatabase db("expected_synth");
  ASSERT_STRNE(DUALWRITE_PSQL, "") << "psql not found at configure time";
  const std::string cmd = std::string("'") + DUALWRITE_PSQL +
                          "' -X -q -v ON_ERROR_STOP=1 -v scale=0.05 -f '" DUALWRITE_SQL_DIR
                          "/fixture/synthetic_data.sql' \"" +
                          db.conninfo() + "\" >/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  load_verify_sql(db);

  using Clock = std::chrono::steady_clock;
  auto ms = [](Clock::time_point since) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - since).count();
  };
  auto t0 = Clock::now();
  const Rows counts = db.rows("SELECT * FROM dualwrite_expected.counts()");
  const auto counts_ms = ms(t0);
  ASSERT_EQ(counts.size(), 12u);
  for (const auto& c : counts) EXPECT_EQ(c.find("|0|"), std::string::npos) << c;  // none empty
  // Dead letters and merges are left out.
  EXPECT_LT(std::stoll(db.scalar("SELECT count(*) FROM dualwrite_expected.activity_interactions")),
            std::stoll(db.scalar("SELECT count(*) FROM public.activity_feedback")));

  t0 = Clock::now();
  fill_targets_from_views(db);
  const auto fill_ms = ms(t0);
  t0 = Clock::now();
  EXPECT_EQ(db.rows("SELECT * FROM dualwrite_expected.diff_all()"), Rows{});
  const auto diff_ms = ms(t0);
  EXPECT_EQ(db.rows("SELECT table_name FROM dualwrite_expected.counts() WHERE expected <> actual"),
            Rows{});

  std::cout << "[ timing ] synthetic scale 0.05: counts() " << counts_ms << " ms, backfill of "
            << "the twelve tables from the views " << fill_ms << " ms, diff_all() " << diff_ms
            << " ms\n";
  for (const auto& c : counts) std::cout << "[ counts ] " << c << '\n';
}

}  // namespace
