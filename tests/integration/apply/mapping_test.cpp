// One test per mapping rule and per dead-letter reason (mapping.md), each against a real
// PostgreSQL, each replayed a second time under a fresh origin to prove it idempotent.
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <mutex>

#include "bridge_harness.hpp"
#include "dualwrite/core/context.hpp"

namespace dualwrite::testing {
namespace {

constexpr const char* kU1 = "a0000000-0000-4000-8000-000000000001";
constexpr const char* kU2 = "a0000000-0000-4000-8000-000000000002";
constexpr const char* kA1 = "b0000000-0000-4000-8000-000000000001";
constexpr const char* kA2 = "b0000000-0000-4000-8000-000000000002";
constexpr const char* kL1 = "c0000000-0000-4000-8000-000000000001";
constexpr const char* kL2 = "c0000000-0000-4000-8000-000000000002";
constexpr const char* kRun = "d0000000-0000-4000-8000-000000000001";
constexpr const char* kConv = "e0000000-0000-4000-8000-000000000001";

std::string s(const char* text) {
  return text;
}

class Mapping : public ::testing::Test {
 protected:
  Mapping() : db_("apply_mapping"), bridge_(db_) {
    db_.exec("INSERT INTO auth.users (id, email) VALUES ('" + s(kU1) + "', 'u1@x'), ('" + s(kU2) +
             "', 'u2@x')");
    db_.exec(
        "INSERT INTO public.activities (slug, title, is_published) VALUES "
        "('surf', 'Surf', true), ('hike', 'Hike', true)");
  }
  void link(const char* link, const char* user, const char* account) {
    db_.exec("INSERT INTO public.account_linkages (id, user_id, account_id, created_at) VALUES ('" +
             s(link) + "', '" + user + "', '" + account + "', '2026-01-01 00:00:00+00')");
  }
  // Pumps, then replays everything under a fresh origin and checks nothing moved.
  void pump_and_replay() {
    bridge_.pump();
    const auto before = bridge_.target_snapshot();
    bridge_.replay();
    EXPECT_EQ(bridge_.target_snapshot(), before) << "a replay changed the target";
  }
  std::string q(const std::string& sql) { return db_.scalar(sql); }

  TestDatabase db_;
  Bridge bridge_;
};

TEST_F(Mapping, LinkageCreatesAccountAndLink) {
  link(kL1, kU1, kA1);
  pump_and_replay();
  EXPECT_EQ(q("SELECT status || ' ' || created_at::text || ' ' || onboarding_state::text FROM "
              "accounts WHERE id = '" +
              s(kA1) + "'"),
            "active 2026-01-01 00:00:00+00 {}");
  EXPECT_EQ(q("SELECT account_id || ' ' || supabase_user_id || ' ' || is_primary FROM "
              "account_user_links WHERE id = '" +
              s(kL1) + "'"),
            s(kA1) + " " + kU1 + " true");
  // UPDATE: the link follows; DELETE: the link goes, the account stays.
  db_.exec("UPDATE account_linkages SET account_id = '" + s(kA2) + "' WHERE id = '" + s(kL1) + "'");
  pump_and_replay();
  EXPECT_EQ(q("SELECT account_id FROM account_user_links WHERE id = '" + s(kL1) + "'"), kA2);
  db_.exec("DELETE FROM account_linkages WHERE id = '" + s(kL1) + "'");
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) FROM account_user_links"), "0");
  EXPECT_EQ(q("SELECT count(*) FROM accounts"), "2");
}

TEST_F(Mapping, AccountMetadataSetsStatusAndUnknownStatusIsDeadLettered) {
  link(kL1, kU1, kA1);
  db_.exec(
      "INSERT INTO account_metadata (account_id, status, onboarding_state, updated_at) VALUES ('" +
      s(kA1) + "', 'suspended', '{\"step\": 3}', '2026-02-01 00:00:00+00'), ('" + s(kA2) +
      "', 'frozen', '{}', '2026-02-01 00:00:00+00')");
  pump_and_replay();
  EXPECT_EQ(q("SELECT status || ' ' || onboarding_state::text || ' ' || updated_at::text FROM "
              "accounts WHERE id = '" +
              s(kA1) + "'"),
            "suspended {\"step\": 3} 2026-02-01 00:00:00+00");
  EXPECT_EQ(q("SELECT reason || ' ' || source_table || ' ' || (new_row->>'status') FROM "
              "dualwrite.dead_letters"),
            "unknown_enum_value account_metadata frozen");
  EXPECT_EQ(q("SELECT count(*) FROM accounts WHERE id = '" + s(kA2) + "'"), "0")
      << "nothing applied partially";
  db_.exec("DELETE FROM account_metadata");
  pump_and_replay();
  EXPECT_EQ(q("SELECT status FROM accounts WHERE id = '" + s(kA1) + "'"), "suspended")
      << "DELETE does nothing";
}

TEST_F(Mapping, AccountTimestampsDoNotDependOnArrivalOrder) {
  // account_metadata creates the account before its linkage arrives: the linkage still moves
  // updated_at forward (and created_at back), as it would have had it come first.
  db_.exec("INSERT INTO account_metadata (account_id, status, updated_at) VALUES ('" + s(kA1) +
           "', 'active', '2026-02-01 00:00:00+00')");
  bridge_.pump();
  db_.exec("INSERT INTO account_linkages (id, user_id, account_id, created_at) VALUES ('" + s(kL1) +
           "', '" + s(kU1) + "', '" + s(kA1) + "', '2026-03-01 00:00:00+00')");
  pump_and_replay();
  EXPECT_EQ(q("SELECT created_at::date || ' ' || updated_at::date FROM accounts"),
            "2026-02-01 2026-03-01");
}

TEST_F(Mapping, UserAttributesBecomeProfileAndSettings) {
  link(kL1, kU1, kA1);
  db_.exec(
      "INSERT INTO user_attributes (user_id, display_name, locale, timezone, country, age_range, "
      "travel_style, preferences, updated_at) "
      "VALUES ('" +
      s(kU1) +
      "', 'Ana', 'pt-PT', 'Europe/Lisbon', 'PT', '25-34', 'backpacker', "
      "'{\"notifications\": {\"email\": true}, \"theme\": \"dark\"}', '2026-03-01 00:00:00+00')");
  pump_and_replay();
  EXPECT_EQ(q("SELECT display_name || ' ' || age_range || ' ' || travel_style FROM "
              "account_profiles WHERE account_id = '" +
              s(kA1) + "'"),
            "Ana 25-34 backpacker");
  EXPECT_EQ(q("SELECT notifications::text || ' ' || feature_flags::text || ' ' || "
              "preferences::text FROM account_settings WHERE account_id = '" +
              s(kA1) + "'"),
            "{\"email\": true} {} {\"theme\": \"dark\"}");
  db_.exec("UPDATE user_attributes SET age_range = '99+' WHERE user_id = '" + s(kU1) + "'");
  db_.exec("INSERT INTO user_attributes (user_id, preferences) VALUES ('" + s(kU2) +
           "', '{\"feature_flags\": [1]}')");
  pump_and_replay();
  EXPECT_EQ(q("SELECT string_agg(reason, ',' ORDER BY id) FROM dualwrite.dead_letters"),
            "unknown_enum_value,invalid_payload");
  db_.exec("DELETE FROM user_attributes WHERE user_id = '" + s(kU1) + "'");
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) FROM account_profiles") + q("SELECT count(*) FROM account_settings"),
            "00");
}

TEST_F(Mapping, FeedbackBecomesInteractionsWithMergedLikes) {
  link(kL1, kU1, kA1);
  db_.exec(
      "INSERT INTO activity_feedback (user_id, activity_slug, feedback_type, score, metadata) "
      "VALUES "
      "('" +
      s(kU1) +
      "', 'surf', 'like', 1.5, '{}'), "
      "('" +
      s(kU1) +
      "', 'surf', 'like', 1.5, '{}'), "
      "('" +
      s(kU1) +
      "', 'gone', 'dislike', NULL, '{\"why\": \"far\"}'), "
      "('" +
      s(kU1) +
      "', 'hike', 'save', NULL, '{}'), "
      "('" +
      s(kU1) + "', 'hike', 'poke', NULL, '{}')");
  pump_and_replay();
  EXPECT_EQ(
      q("SELECT string_agg(interaction_type || ':' || activity_slug || ':' || (activity_id IS NOT "
        "NULL), ',' ORDER BY activity_slug, interaction_type) FROM activity_interactions"),
      "skip:gone:false,bookmark:hike:true,like:surf:true");
  EXPECT_EQ(q("SELECT metadata::text FROM activity_interactions WHERE activity_slug = 'gone'"),
            "{\"why\": \"far\", \"legacy_feedback_type\": \"dislike\"}");
  EXPECT_EQ(
      q("SELECT id FROM activity_interactions WHERE activity_slug = 'surf'"),
      q("SELECT uuid_generate_v5('b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45', 'activity_feedback:' || "
        "min(id)) FROM activity_feedback WHERE activity_slug = 'surf'"));
  EXPECT_GE(
      bridge_.stats().merged[static_cast<int>(translate::LegacyTable::activity_feedback)].load(),
      1u);
  EXPECT_EQ(q("SELECT count(*) FROM dualwrite.merged_interactions"), "1");
  EXPECT_EQ(q("SELECT reason FROM dualwrite.dead_letters"), "unknown_enum_value");
  // DELETE is an unlike.
  db_.exec("DELETE FROM activity_feedback WHERE activity_slug = 'gone'");
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) FROM activity_interactions WHERE activity_slug = 'gone'"), "0");
}

TEST_F(Mapping, TheEarliestLikeIsKeptWhateverTheArrivalOrderAndAnUnlikePromotesTheNext) {
  link(kL1, kU1, kA1);
  db_.exec(
      "INSERT INTO activity_feedback (user_id, activity_slug, feedback_type, created_at) VALUES "
      "('" +
      s(kU1) + "', 'surf', 'like', '2026-02-01 00:00:00+00')");
  bridge_.pump();
  // An older like arrives later (as a late-linked user's dead letter would): it is kept.
  db_.exec(
      "INSERT INTO activity_feedback (user_id, activity_slug, feedback_type, created_at) VALUES "
      "('" +
      s(kU1) +
      "', 'surf', 'like', '2026-01-01 00:00:00+00'), "
      "('" +
      s(kU1) + "', 'surf', 'like', '2026-03-01 00:00:00+00')");
  pump_and_replay();
  EXPECT_EQ(q("SELECT created_at::date::text FROM activity_interactions"), "2026-01-01");
  EXPECT_EQ(q("SELECT string_agg(created_at::date::text, ',' ORDER BY created_at) FROM "
              "dualwrite.merged_interactions"),
            "2026-02-01,2026-03-01");
  // Unlike the kept one: the next earliest takes its place.
  db_.exec("DELETE FROM activity_feedback WHERE created_at = '2026-01-01 00:00:00+00'");
  pump_and_replay();
  EXPECT_EQ(q("SELECT created_at::date::text FROM activity_interactions"), "2026-02-01");
  EXPECT_EQ(q("SELECT count(*) FROM dualwrite.merged_interactions"), "1");
}

TEST_F(Mapping, SuggestionsBecomeRunsAndItemsAndRecordOutcomes) {
  link(kL1, kU1, kA1);
  db_.exec(
      "INSERT INTO ai_suggestions (id, user_id, source, model, suggestions, status) VALUES ('" +
      s(kRun) + "', '" + s(kU1) +
      "', 'quiz', 'gpt-4o-mini', '[{\"slug\": \"surf\", \"score\": 0.9, \"features\": {\"f\": 1}}, "
      "{\"slug\": \"hike\"}, {\"slug\": \"x\"}]', 'completed')");
  db_.exec(
      "INSERT INTO activity_feedback (user_id, activity_slug, feedback_type, suggestion_id, "
      "created_at) VALUES "
      "('" +
      s(kU1) + "', 'surf', 'view', '" + kRun +
      "', '2026-04-01 00:00:00+00'), "
      "('" +
      s(kU1) + "', 'surf', 'like', '" + kRun +
      "', '2026-04-02 00:00:00+00'), "
      "('" +
      s(kU1) + "', 'hike', 'dislike', '" + kRun + "', '2026-04-03 00:00:00+00')");
  pump_and_replay();
  EXPECT_EQ(
      q("SELECT trigger || ' ' || status || ' ' || model_metadata::text FROM recommendation_runs"),
      "quiz_result completed {\"model\": \"gpt-4o-mini\", \"params\": {}}");
  EXPECT_EQ(q("SELECT string_agg(position || ':' || activity_slug || ':' || ranking_features::text "
              "|| ':' || coalesce(liked::text, '-') || ':' || (presented_at IS NOT NULL) || ':' || "
              "(dismissed_at IS NOT NULL), ' ' ORDER BY position) FROM recommendation_items"),
            "1:surf:{\"f\": 1, \"score\": 0.9}:true:true:false 2:hike:{}:false:false:true "
            "3:x:{}:-:false:false");
  EXPECT_EQ(q("SELECT count(DISTINCT source_session_id) FROM activity_interactions"), "1");
  // The array shrinks: items past n go; an update leaving the TOASTed array alone keeps them.
  db_.exec("UPDATE ai_suggestions SET suggestions = '[{\"slug\": \"surf\"}]'");
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) || ' ' || bool_and(liked) FROM recommendation_items"), "1 true")
      << "outcome columns survive an upsert";
  db_.exec("DELETE FROM ai_suggestions");
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) FROM recommendation_runs") +
                q("SELECT count(*) FROM recommendation_items"),
            "00");
}

TEST_F(Mapping, UnchangedToastedSuggestionsLeaveItemsAlone) {
  link(kL1, kU1, kA1);
  // Incompressible text beyond 2 kB is stored out of line.
  db_.exec("INSERT INTO ai_suggestions (id, user_id, source, suggestions, status) SELECT '" +
           s(kRun) + "', '" + s(kU1) +
           "', 'cron', jsonb_agg(jsonb_build_object('slug', 's' || i, 'reason', md5(i::text) || "
           "md5((i * 7)::text))), 'pending' FROM generate_series(1, 300) i");
  pump_and_replay();
  ASSERT_EQ(q("SELECT count(*) FROM recommendation_items"), "300");
  db_.exec(
      "INSERT INTO activity_feedback (user_id, activity_slug, feedback_type, suggestion_id) VALUES "
      "('" +
      s(kU1) + "', 's1', 'view', '" + kRun + "')");
  db_.exec("UPDATE ai_suggestions SET status = 'completed'");
  pump_and_replay();
  EXPECT_EQ(q("SELECT status FROM recommendation_runs"), "completed");
  EXPECT_EQ(q("SELECT count(*) FROM recommendation_items"), "300");
  EXPECT_EQ(q("SELECT count(*) FROM recommendation_items WHERE presented_at IS NOT NULL"), "1");
}

TEST_F(Mapping, OutcomesFollowTheFeedbackWhateverTheOrder) {
  link(kL1, kU1, kA1);
  // The run exists without items (pending), feedback names it, the items come later.
  db_.exec("INSERT INTO ai_suggestions (id, user_id, source) VALUES ('" + s(kRun) + "', '" +
           s(kU1) + "', 'chat')");
  db_.exec(
      "INSERT INTO activity_feedback (user_id, activity_slug, feedback_type, suggestion_id, "
      "created_at) VALUES "
      "('" +
      s(kU1) + "', 'surf', 'view', '" + kRun +
      "', '2026-04-02 00:00:00+00'), "
      "('" +
      s(kU1) + "', 'surf', 'view', '" + kRun + "', '2026-04-01 00:00:00+00')");
  bridge_.pump();
  db_.exec(
      "UPDATE ai_suggestions SET suggestions = '[{\"slug\": \"surf\"}]', status = 'completed'");
  pump_and_replay();
  EXPECT_EQ(q("SELECT presented_at::date::text FROM recommendation_items"), "2026-04-01")
      << "the earliest view, though it arrived second and before the item existed";
  db_.exec("DELETE FROM activity_feedback WHERE created_at = '2026-04-01 00:00:00+00'");
  pump_and_replay();
  EXPECT_EQ(q("SELECT presented_at::date::text FROM recommendation_items"), "2026-04-02")
      << "a deleted feedback takes its outcome with it";
}

TEST_F(Mapping, InvalidSuggestionsAreDeadLettered) {
  link(kL1, kU1, kA1);
  db_.exec("INSERT INTO ai_suggestions (user_id, source, suggestions) VALUES ('" + s(kU1) +
           "', 'quiz', '[{\"slug\": 5}]'), ('" + s(kU1) + "', 'email', '[]')");
  pump_and_replay();
  EXPECT_EQ(q("SELECT string_agg(reason, ',' ORDER BY id) FROM dualwrite.dead_letters"),
            "invalid_payload,unknown_enum_value");
  EXPECT_EQ(q("SELECT count(*) FROM recommendation_runs"), "0");
}

TEST_F(Mapping, UnlinkedUsersAreDeadLetteredThenAppliedWhenTheLinkArrives) {
  db_.exec("INSERT INTO activity_feedback (user_id, activity_slug, feedback_type) VALUES ('" +
           s(kU2) + "', 'surf', 'like'), ('" + s(kU2) + "', 'hike', 'view')");
  db_.exec("INSERT INTO offline_likes (user_id, activity_slug, payload) VALUES ('" + s(kU2) +
           "', 'surf', '{\"liked\": true}')");
  bridge_.pump();
  EXPECT_EQ(q("SELECT count(*) FROM dualwrite.dead_letters WHERE reason = 'unlinked_user' AND "
              "resolved_at IS NULL"),
            "3");
  EXPECT_EQ(q("SELECT count(*) FROM activity_interactions"), "0");
  link(kL2, kU2, kA2);
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) FROM dualwrite.dead_letters WHERE resolved_at IS NULL"), "0");
  EXPECT_EQ(q("SELECT string_agg(interaction_type || ':' || account_id, ',' ORDER BY "
              "interaction_type) FROM activity_interactions"),
            s("like:") + kA2 + ",view:" + kA2);
  EXPECT_EQ(q("SELECT account_id FROM offline_interactions"), kA2);
  EXPECT_EQ(q("SELECT id FROM offline_interactions"),
            q("SELECT uuid_generate_v5('b8d3c6a2-5f1e-4c07-9e3a-6d2f1a0b7c45', 'offline_likes:" +
              s(kU2) + ":surf')"));
}

TEST_F(Mapping, ChatSessionsMessagesAndSummaries) {
  link(kL1, kU1, kA1);
  db_.exec(
      "INSERT INTO chatbot_conversations (id, user_id, conversation_type, context, created_at, "
      "updated_at) VALUES ('" +
      s(kConv) + "', '" + s(kU1) +
      "', 'support', '{\"s\": 1}', '2026-05-01 00:00:00+00', '2026-05-02 00:00:00+00')");
  db_.exec(
      "INSERT INTO chatbot_messages (conversation_id, role, content, metadata, created_at) VALUES "
      "('" +
      s(kConv) +
      "', 'user', 'olá 👋', '{}', '2026-05-01 00:00:01+00'), "
      "('" +
      s(kConv) +
      "', 'assistant', repeat('long answer ', 5000), '{\"tool_calls\": [{\"n\": 1}], "
      "\"latency_ms\": 42, \"model\": \"m\"}', '2026-05-01 00:00:02+00')");
  db_.exec("INSERT INTO chatbot_messages (conversation_id, role, content) VALUES ('" + s(kConv) +
           "', 'robot', 'beep')");
  db_.exec("INSERT INTO chatbot_messages (conversation_id, role, content) SELECT '" + s(kConv) +
           "', 'user', 'third'");
  db_.exec("INSERT INTO conversation_context (conversation_id, summary) VALUES ('" + s(kConv) +
           "', 'asked for help')");
  pump_and_replay();
  EXPECT_EQ(q("SELECT session_type || ' ' || state::text || ' ' || started_at::text || ' ' || "
              "last_activity_at::text FROM chat_sessions"),
            "support {\"s\": 1} 2026-05-01 00:00:00+00 2026-05-02 00:00:00+00");
  EXPECT_EQ(q("SELECT string_agg(sequence || ':' || role || ':' || length(content) || ':' || "
              "coalesce(tool_calls::text, '-') || ':' || coalesce(latency_ms::text, '-') || ':' || "
              "metadata::text, ' ' ORDER BY sequence) FROM chat_messages"),
            "1:user:5:-:-:{} 2:assistant:60000:[{\"n\": 1}]:42:{\"model\": \"m\"} 3:user:5:-:-:{}");
  EXPECT_EQ(q("SELECT reason FROM dualwrite.dead_letters"), "unknown_enum_value");
  EXPECT_EQ(q("SELECT summary FROM chat_summaries"), "asked for help");
  // An UPDATE leaving the long TOASTed content alone keeps it, and keeps the sequence.
  db_.exec(
      "UPDATE chatbot_messages SET metadata = '{\"latency_ms\": 50}' WHERE role = 'assistant'");
  pump_and_replay();
  EXPECT_EQ(q("SELECT sequence || ':' || length(content) || ':' || latency_ms || ':' || "
              "coalesce(tool_calls::text, '-') FROM chat_messages WHERE role = 'assistant'"),
            "2:60000:50:-");
  db_.exec("DELETE FROM chatbot_conversations");
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) FROM chat_sessions") + q("SELECT count(*) FROM chat_messages") +
                q("SELECT count(*) FROM chat_summaries"),
            "000");
}

TEST_F(Mapping, ChatRowsWithoutTheirSessionAreMissingParent) {
  // A conversation that itself was dead-lettered leaves its messages without a parent.
  db_.exec("INSERT INTO chatbot_conversations (id, user_id, conversation_type) VALUES ('" +
           s(kConv) + "', '" + s(kU1) + "', 'sales')");
  db_.exec("INSERT INTO chatbot_messages (conversation_id, role, content) VALUES ('" + s(kConv) +
           "', 'user', 'hi')");
  db_.exec("INSERT INTO conversation_context (conversation_id, summary) VALUES ('" + s(kConv) +
           "', 'x')");
  pump_and_replay();
  EXPECT_EQ(q("SELECT string_agg(source_table || ':' || reason, ',' ORDER BY id) FROM "
              "dualwrite.dead_letters"),
            "chatbot_conversations:unknown_enum_value,chatbot_messages:missing_parent,conversation_"
            "context:missing_parent");
}

TEST_F(Mapping, ChatRowsBeforeTheirLateSessionAreAppliedWhenItArrives) {
  // The conversation of a not-yet-linked user is dead-lettered (unlinked_user), its message and
  // summary too (missing_parent); the link brings the conversation, which brings them.
  db_.exec("INSERT INTO chatbot_conversations (id, user_id, conversation_type) VALUES ('" +
           s(kConv) + "', '" + s(kU2) + "', 'support')");
  db_.exec("INSERT INTO chatbot_messages (conversation_id, role, content, created_at) VALUES ('" +
           s(kConv) + "', 'user', 'first', '2026-01-01 00:00:00+00'), ('" + s(kConv) +
           "', 'user', 'second', '2026-01-01 00:00:01+00')");
  db_.exec("INSERT INTO conversation_context (conversation_id, summary) VALUES ('" + s(kConv) +
           "', 'x')");
  bridge_.pump();
  ASSERT_EQ(q("SELECT string_agg(reason, ',' ORDER BY id) FROM dualwrite.dead_letters"),
            "unlinked_user,missing_parent,missing_parent,missing_parent");
  link(kL2, kU2, kA2);
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) FROM dualwrite.dead_letters WHERE resolved_at IS NULL"), "0");
  EXPECT_EQ(
      q("SELECT string_agg(sequence || ':' || content, ',' ORDER BY sequence) FROM chat_messages"),
      "1:first,2:second");
  EXPECT_EQ(q("SELECT summary FROM chat_summaries"), "x");
}

TEST_F(Mapping, ADeleteSupersedesTheRowsDeadLetters) {
  // An unlinked user's feedback is dead-lettered, then deleted, then the user is linked: the
  // letter must not bring the deleted row back.
  db_.exec("INSERT INTO activity_feedback (user_id, activity_slug, feedback_type) VALUES ('" +
           s(kU2) + "', 'surf', 'view'), ('" + s(kU2) + "', 'hike', 'view')");
  bridge_.pump();
  db_.exec("DELETE FROM activity_feedback WHERE activity_slug = 'surf'");
  bridge_.pump();
  link(kL2, kU2, kA2);
  pump_and_replay();
  EXPECT_EQ(q("SELECT string_agg(activity_slug, ',') FROM activity_interactions"), "hike");
  EXPECT_EQ(q("SELECT count(*) FROM dualwrite.dead_letters WHERE resolved_at IS NULL"), "0");
  EXPECT_EQ(q("SELECT count(*) FROM dualwrite.dead_letters WHERE detail LIKE '%superseded%'"), "1");
}

TEST_F(Mapping, AnInsertAndItsDeleteInOneBatchLeaveNoLetterToRetry) {
  // The insert's letter (unlinked) is only known from the statement's results, after the delete
  // was sent: it must still be superseded.
  db_.exec(
      "BEGIN; INSERT INTO activity_feedback (id, user_id, activity_slug, feedback_type) VALUES "
      "(900, '" +
      s(kU2) + "', 'surf', 'view'); DELETE FROM activity_feedback WHERE id = 900; COMMIT;");
  bridge_.pump();
  link(kL2, kU2, kA2);
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) FROM activity_interactions"), "0");
  EXPECT_EQ(q("SELECT count(*) FROM dualwrite.dead_letters WHERE resolved_at IS NULL"), "0");
}

TEST_F(Mapping, ALinkInTheSameBatchAsTheUsersEarlierRowsAppliesThem) {
  // No letter exists before this transaction: the feedback's letter is only written once the
  // batch's results are read, and the link right after it must still find and apply it.
  db_.exec(
      "BEGIN; INSERT INTO activity_feedback (user_id, activity_slug, feedback_type) VALUES ('" +
      s(kU2) +
      "', 'surf', 'view'); INSERT INTO account_linkages (id, user_id, account_id) VALUES ('" +
      s(kL2) + "', '" + s(kU2) + "', '" + s(kA2) + "'); COMMIT;");
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) FROM activity_interactions"), "1");
  EXPECT_EQ(q("SELECT count(*) FROM dualwrite.dead_letters WHERE resolved_at IS NULL"), "0");
}

TEST_F(Mapping, RetriesCountEachReasonOnce) {
  // Two unlinked users, each with a conversation and a message; linked one after the other.
  // (A retried session resolving its messages must not use up the count of the other reason.)
  const std::string conv2 = "e0000000-0000-4000-8000-000000000002";
  for (const auto& [conv, user] : {std::pair{s(kConv), s(kU2)}, std::pair{conv2, s(kU1)}}) {
    db_.exec("INSERT INTO chatbot_conversations (id, user_id, conversation_type) VALUES ('" + conv +
             "', '" + user + "', 'support')");
    db_.exec("INSERT INTO chatbot_messages (conversation_id, role, content) VALUES ('" + conv +
             "', 'user', 'hi')");
  }
  bridge_.pump();
  link(kL2, kU2, kA2);
  bridge_.pump();
  link(kL1, kU1, kA1);
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) FROM dualwrite.dead_letters WHERE resolved_at IS NULL"), "0");
  EXPECT_EQ(q("SELECT count(*) FROM chat_messages"), "2");
}

TEST_F(Mapping, NestedRetriesKeepEachOthersValues) {
  // On the link: the conversation letter is retried, then the suggestion letter; flushing the
  // conversation retries its message (missing_parent) while the suggestion's op is being added.
  db_.exec("INSERT INTO chatbot_conversations (id, user_id, conversation_type) VALUES ('" +
           s(kConv) + "', '" + s(kU2) + "', 'support')");
  db_.exec("INSERT INTO chatbot_messages (conversation_id, role, content, metadata) VALUES ('" +
           s(kConv) + "', 'assistant', 'hi', '{\"tool_calls\": [{\"name\": \"x\"}]}')");
  db_.exec("INSERT INTO ai_suggestions (id, user_id, source, suggestions) VALUES ('" + s(kRun) +
           "', '" + s(kU2) +
           "', 'chat', '[{\"slug\": \"surf\", \"reason\": \"near\"}, {\"slug\": \"hike\"}]')");
  bridge_.pump();
  link(kL2, kU2, kA2);
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) FROM dualwrite.dead_letters WHERE resolved_at IS NULL"), "0");
  EXPECT_EQ(q("SELECT string_agg(activity_slug || ':' || ranking_features::text, ',' ORDER BY "
              "position) FROM recommendation_items"),
            "surf:{\"reason\": \"near\"},hike:{}");
  EXPECT_EQ(q("SELECT tool_calls::text FROM chat_messages"), "[{\"name\": \"x\"}]");
}

TEST_F(Mapping, TruncateIsDeadLetteredNeverMirrored) {
  link(kL1, kU1, kA1);
  db_.exec("INSERT INTO offline_likes (user_id, activity_slug) VALUES ('" + s(kU1) + "', 'surf')");
  bridge_.pump();
  db_.exec("TRUNCATE offline_likes");
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) FROM offline_interactions"), "1");
  EXPECT_EQ(
      q("SELECT source_table || ' ' || operation || ' ' || reason FROM dualwrite.dead_letters"),
      "offline_likes truncate truncate");
}

// Keeps each warning with the change context its thread had when it was logged.
class ContextCapture final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::pair<std::string, std::optional<ChangeContext>>> lines;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (msg.level >= spdlog::level::warn) {
      lines.emplace_back(std::string(msg.payload.data(), msg.payload.size()), current_context());
    }
  }
  void flush_() override {}
};

TEST_F(Mapping, TargetErrorsBecomeApplyErrorDeadLettersAlone) {
  auto capture = std::make_shared<ContextCapture>();
  const auto previous = spdlog::default_logger();
  spdlog::set_default_logger(std::make_shared<spdlog::logger>("capture", capture));
  link(kL1, kU1, kA1);
  // A constraint of the target that the mapping knows nothing of refuses one change.
  db_.exec(
      "ALTER TABLE public.activity_interactions ADD CONSTRAINT no_hiking "
      "CHECK (activity_slug <> 'hike')");
  db_.exec(
      "INSERT INTO activity_feedback (user_id, account_id, activity_slug, feedback_type) VALUES "
      "('" +
      s(kU1) + "', NULL, 'surf', 'like'), ('" + s(kU1) + "', NULL, 'hike', 'like')");
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) FROM activity_interactions"), "1")
      << "the good change of the same transaction applies";
  EXPECT_EQ(q("SELECT reason || ' ' || (detail LIKE '%no_hiking%') FROM dualwrite.dead_letters"),
            "apply_error true");
  EXPECT_GT(bridge_.stats().careful_retries.load(), 0u) << "the batch was refused, then retried";

  // The refusal's log line is about the same change as its letter: one context for both.
  spdlog::set_default_logger(previous);
  std::optional<ChangeContext> logged;
  for (const auto& [line, context] : capture->lines) {
    if (line.find("target refused a change") != std::string::npos) logged = context;
  }
  ASSERT_TRUE(logged.has_value()) << "no refusal logged, or logged without its change";
  EXPECT_EQ(describe(*logged),
            q("SELECT source_table || ' ' || operation || ', xid ' || xid || ', commit ' || lsn "
              "FROM dualwrite.dead_letters"));
}

// An account_id that names no account: the foreign key's check refuses the row, made by the
// statement itself (the session runs with session_replication_role = replica, where the key
// checks nothing: migration 20261206000100). The batch is re-applied in careful mode, where
// such a row becomes its letter alone.
TEST_F(Mapping, ARowWhoseAccountDoesNotExistIsAnApplyErrorAlone) {
  link(kL1, kU1, kA1);
  db_.exec(
      "INSERT INTO activity_feedback (user_id, account_id, activity_slug, feedback_type) VALUES "
      "('" +
      s(kU1) + "', NULL, 'surf', 'like'), ('" + s(kU1) + "', '" + s(kA2) + "', 'hike', 'like')");
  db_.exec("INSERT INTO offline_likes (user_id, account_id, activity_slug) VALUES ('" + s(kU1) +
           "', '" + s(kA2) + "', 'surf')");
  db_.exec(
      "INSERT INTO chatbot_conversations (id, user_id, account_id, conversation_type) "
      "VALUES ('" +
      s(kConv) + "', '" + s(kU1) + "', '" + s(kA2) + "', 'support')");
  pump_and_replay();
  EXPECT_TRUE(bridge_.replica_role_seen());
  EXPECT_EQ(q("SELECT count(*) FROM activity_interactions"), "1")
      << "the good change of the same transaction applies";
  EXPECT_EQ(q("SELECT (SELECT count(*) FROM offline_interactions) + "
              "(SELECT count(*) FROM chat_sessions)"),
            "0");
  EXPECT_EQ(q("SELECT string_agg(source_table || ' ' || reason || ' ' || (detail LIKE "
              "'%foreign key%'), ', ' ORDER BY id) FROM dualwrite.dead_letters"),
            "activity_feedback apply_error true, offline_likes apply_error true, "
            "chatbot_conversations apply_error true");
}

// The children the target's foreign keys cascade to go with a deleted chat session or
// recommendation run, those the application writes included: the statements delete them
// (the cascades do not run under session_replication_role = replica).
TEST_F(Mapping, ADeletedSessionOrRunTakesItsChildrenWithIt) {
  link(kL1, kU1, kA1);
  db_.exec("INSERT INTO chatbot_conversations (id, user_id, conversation_type) VALUES ('" +
           s(kConv) + "', '" + s(kU1) + "', 'support')");
  db_.exec("INSERT INTO chatbot_messages (conversation_id, role, content) VALUES ('" + s(kConv) +
           "', 'user', 'hi')");
  db_.exec("INSERT INTO conversation_context (conversation_id, summary) VALUES ('" + s(kConv) +
           "', 'x')");
  db_.exec("INSERT INTO ai_suggestions (id, user_id, source, suggestions, status) VALUES ('" +
           s(kRun) + "', '" + s(kU1) + "', 'chat', '[{\"slug\": \"surf\"}]', 'completed')");
  bridge_.pump();
  // What the application writes beside the bridge.
  db_.exec("INSERT INTO public.chat_session_metrics (session_id) VALUES ('" + s(kConv) + "')");
  db_.exec(
      "INSERT INTO public.recommendation_feedback (run_id, account_id, feedback_type) "
      "VALUES ('" +
      s(kRun) + "', '" + s(kA1) + "', 'helpful')");
  const std::string children =
      "SELECT (SELECT count(*) FROM chat_messages) || ' ' || (SELECT count(*) FROM "
      "chat_summaries) || ' ' || (SELECT count(*) FROM chat_session_metrics) || ' ' || (SELECT "
      "count(*) FROM recommendation_items) || ' ' || (SELECT count(*) FROM "
      "recommendation_feedback)";
  ASSERT_EQ(q(children), "1 1 1 1 1");
  // Only the parents: the legacy foreign keys would delete the legacy children first.
  db_.exec(
      "SET session_replication_role = replica; "
      "DELETE FROM chatbot_conversations; DELETE FROM ai_suggestions; "
      "RESET session_replication_role");
  pump_and_replay();
  EXPECT_TRUE(bridge_.replica_role_seen());
  EXPECT_EQ(q("SELECT (SELECT count(*) FROM chat_sessions) + (SELECT count(*) FROM "
              "recommendation_runs)"),
            "0");
  EXPECT_EQ(q(children), "0 0 0 0 0");
}

TEST_F(Mapping, ADeletedUsersCascadeFindsItsAccountWhateverTheOrder) {
  link(kL1, kU1, kA1);
  db_.exec("INSERT INTO user_attributes (user_id, display_name) VALUES ('" + s(kU1) + "', 'Ana')");
  bridge_.pump();
  ASSERT_EQ(q("SELECT count(*) FROM account_profiles"), "1");
  // The link goes first, then the attributes: rule 4.
  db_.exec("BEGIN; DELETE FROM account_linkages; DELETE FROM user_attributes; COMMIT;");
  pump_and_replay();
  EXPECT_EQ(q("SELECT count(*) FROM account_profiles"), "0");
  EXPECT_EQ(q("SELECT count(*) FROM dualwrite.dead_letters"), "0");
}

// The catalog rule (mapping.md, "activities (the catalog)"): activity_id ends up as the catalog
// id of the row's slug whatever the order, for interactions, merged likes promoted later and
// recommendation items.
class Catalog : public Mapping {
 protected:
  // Rows whose activity_id is not the catalog id of their slug, over both tables; "0 0" holds
  // the rule.
  std::string out_of_line() {
    return q("SELECT count(*) FROM activity_interactions x WHERE activity_id IS DISTINCT FROM "
             "(SELECT a.id FROM activities a WHERE a.slug = x.activity_slug)") +
           " " +
           q("SELECT count(*) FROM recommendation_items x WHERE activity_id IS DISTINCT FROM "
             "(SELECT a.id FROM activities a WHERE a.slug = x.activity_slug)");
  }
  std::string ids_of(const std::string& slug) {
    return q(
        "SELECT coalesce(string_agg(DISTINCT coalesce(a.slug, 'NULL'), ','), '-') FROM ("
        "SELECT activity_id FROM activity_interactions WHERE activity_slug = '" +
        slug + "' UNION ALL SELECT activity_id FROM recommendation_items WHERE activity_slug = '" +
        slug + "') x LEFT JOIN activities a ON a.id = x.activity_id");
  }
  void feedback(const char* slug, const char* type, const char* at) {
    db_.exec(
        "INSERT INTO activity_feedback (user_id, activity_slug, feedback_type, suggestion_id, "
        "created_at) VALUES ('" +
        s(kU1) + "', '" + slug + "', '" + type + "', '" + kRun + "', '" + at + "')");
  }
  void suggest(const char* slugs_json) {
    db_.exec("INSERT INTO ai_suggestions (id, user_id, source, suggestions, status) VALUES ('" +
             s(kRun) + "', '" + s(kU1) + "', 'quiz', '" + slugs_json + "', 'completed')");
  }
};

TEST_F(Catalog, RowsWrittenBeforeTheirSlugGetItsIdWhenItEntersTheCatalog) {
  link(kL1, kU1, kA1);
  suggest(R"([{"slug": "kayak"}, {"slug": "surf"}])");
  feedback("kayak", "view", "2026-05-01 00:00:00+00");
  feedback("kayak", "like", "2026-05-02 00:00:00+00");
  feedback("kayak", "like", "2026-05-03 00:00:00+00");  // merged into the first
  pump_and_replay();
  EXPECT_EQ(ids_of("kayak"), "NULL") << "not in the catalog yet";
  EXPECT_EQ(out_of_line(), "0 0");
  db_.exec("INSERT INTO activities (slug, title) VALUES ('kayak', 'Kayak')");
  pump_and_replay();
  EXPECT_EQ(ids_of("kayak"), "kayak") << "interactions and the item got the new id";
  EXPECT_EQ(out_of_line(), "0 0");
  // The merged like was parked before the slug existed: promoted by an unlike, it takes the
  // catalog id as it is now.
  db_.exec("DELETE FROM activity_feedback WHERE created_at = '2026-05-02 00:00:00+00'");
  pump_and_replay();
  EXPECT_EQ(q("SELECT created_at::date || ' ' || (activity_id IS NOT NULL) FROM "
              "activity_interactions WHERE interaction_type = 'like'"),
            "2026-05-03 true");
  EXPECT_EQ(out_of_line(), "0 0");
  EXPECT_EQ(q("SELECT count(*) FROM dualwrite.dead_letters"), "0");
}

TEST_F(Catalog, TheSlugAndItsRowsInOneTargetTransactionInEitherOrder) {
  link(kL1, kU1, kA1);
  suggest(R"([{"slug": "kayak"}, {"slug": "dive"}])");
  // kayak: rows, then the catalog; dive: the catalog, then rows; one source transaction each,
  // applied in target transactions of several.
  feedback("kayak", "like", "2026-05-01 00:00:00+00");
  db_.exec("INSERT INTO activities (slug, title) VALUES ('kayak', 'Kayak')");
  db_.exec("INSERT INTO activities (slug, title) VALUES ('dive', 'Dive')");
  feedback("dive", "like", "2026-05-01 00:00:00+00");
  db_.exec(
      "BEGIN; INSERT INTO activity_feedback (user_id, activity_slug, feedback_type, "
      "created_at) VALUES ('" +
      s(kU1) +
      "', 'snorkel', 'view', now()); "
      "INSERT INTO activities (slug, title) VALUES ('snorkel', 'Snorkel'); COMMIT;");
  bridge_.pump_grouped(7, 8);
  EXPECT_EQ(ids_of("kayak") + " " + ids_of("dive") + " " + ids_of("snorkel"), "kayak dive snorkel");
  EXPECT_EQ(out_of_line(), "0 0");
}

TEST_F(Catalog, ARenameMovesTheLinkToTheRowsOfTheNewSlug) {
  link(kL1, kU1, kA1);
  suggest(R"([{"slug": "surf"}, {"slug": "surfing"}])");
  feedback("surf", "like", "2026-05-01 00:00:00+00");
  feedback("surfing", "view", "2026-05-02 00:00:00+00");
  pump_and_replay();
  ASSERT_EQ(ids_of("surf") + " " + ids_of("surfing"), "surf NULL");
  // The activity behind "surf" is renamed: rows naming "surfing" get its id; rows naming "surf"
  // name a slug that left the catalog (what ON DELETE SET NULL does for a deleted one).
  db_.exec("UPDATE activities SET slug = 'surfing' WHERE slug = 'surf'");
  pump_and_replay();
  EXPECT_EQ(ids_of("surf") + " " + ids_of("surfing"), "NULL surfing");
  EXPECT_EQ(out_of_line(), "0 0");
  // A new activity takes the old slug; then two activities swap slugs in one transaction.
  db_.exec("INSERT INTO activities (slug, title) VALUES ('surf', 'Surf again')");
  pump_and_replay();
  EXPECT_EQ(ids_of("surf") + " " + ids_of("surfing"), "surf surfing");
  const std::string surf_id = q("SELECT id FROM activities WHERE slug = 'surf'");
  db_.exec(
      "BEGIN; UPDATE activities SET slug = 'tmp' WHERE slug = 'surf'; "
      "UPDATE activities SET slug = 'surf' WHERE slug = 'surfing'; "
      "UPDATE activities SET slug = 'surfing' WHERE slug = 'tmp'; COMMIT;");
  pump_and_replay();
  EXPECT_EQ(out_of_line(), "0 0");
  EXPECT_EQ(q("SELECT activity_id FROM activity_interactions WHERE activity_slug = 'surfing'"),
            surf_id);
  // An update that renames nothing changes nothing; a deleted activity's rows are the foreign
  // key's (SET NULL).
  db_.exec("UPDATE activities SET title = 'Waves' WHERE slug = 'surf'");
  db_.exec("DELETE FROM activities WHERE slug = 'surfing'");
  pump_and_replay();
  EXPECT_EQ(ids_of("surf") + " " + ids_of("surfing"), "surf NULL");
  EXPECT_EQ(out_of_line(), "0 0");
  EXPECT_EQ(q("SELECT count(*) FROM dualwrite.dead_letters"), "0");
}

TEST_F(Mapping, OriginAdvancesWithEveryCommitAndSkipsWhatWasApplied) {
  link(kL1, kU1, kA1);
  EXPECT_EQ(bridge_.pump(), 2) << "the fixture's catalog insert (the bridge follows it), the link";
  EXPECT_EQ(bridge_.pump(), 0) << "a second pump finds everything applied";
  EXPECT_NE(q("SELECT remote_lsn FROM pg_replication_origin_status s JOIN pg_replication_origin o "
              "ON o.roident = s.local_id WHERE o.roname = '" +
              db_.name() + "_dualwrite'"),
            "0/0");
}

// A target transaction that changes no row has no xid, and PostgreSQL records the origin only
// with a commit record: such a source transaction (a catalog insert nobody named, an update of
// a row the target does not hold) must still move the origin, or the origin lags the position
// the daemon confirms to the slot and `verify --wait` waits for it in vain.
TEST_F(Mapping, ATransactionThatChangesNoTargetRowStillMovesTheOrigin) {
  link(kL1, kU1, kA1);
  bridge_.pump();
  const std::string origin = "'" + db_.name() + "_dualwrite'";
  const std::string before = q("SELECT pg_current_wal_insert_lsn()");
  db_.exec("INSERT INTO activities (slug, title) VALUES ('nobody-names-it', 'Lone')");
  ASSERT_EQ(bridge_.pump(), 1);
  EXPECT_EQ(
      q("SELECT pg_replication_origin_progress(" + origin + ", false) > '" + before + "'::pg_lsn"),
      "t")
      << "origin at " << q("SELECT pg_replication_origin_progress(" + origin + ", false)")
      << ", the transaction committed after " << before;
}

TEST(MappingStreamed, ALargeStreamedTransactionIsSpooledAndAppliedWhole) {
  TestDatabase db("apply_streamed");
  Bridge bridge(db, "2");
  db.exec("INSERT INTO auth.users (id) VALUES ('" + s(kU1) + "')");
  db.exec("INSERT INTO account_linkages (id, user_id, account_id) VALUES ('" + s(kL1) + "', '" +
          s(kU1) + "', '" + s(kA1) + "')");
  db.exec("SET logical_decoding_work_mem = '64kB'");
  db.exec(
      "BEGIN; INSERT INTO activity_feedback (user_id, activity_slug, feedback_type) SELECT '" +
      s(kU1) +
      "', 'a' || i, 'view' FROM generate_series(1, 20000) i; SAVEPOINT s1; "
      "INSERT INTO activity_feedback (user_id, activity_slug, feedback_type) SELECT '" +
      s(kU1) +
      "', 'rolled-back' || i, 'view' FROM generate_series(1, 5000) i; ROLLBACK TO SAVEPOINT s1; "
      "INSERT INTO offline_likes (user_id, activity_slug) VALUES ('" +
      s(kU1) + "', 'after'); COMMIT;");
  bridge.pump();
  EXPECT_EQ(db.scalar("SELECT count(*) FROM activity_interactions"), "20000");
  EXPECT_EQ(
      db.scalar(
          "SELECT count(*) FROM activity_interactions WHERE activity_slug LIKE 'rolled-back%'"),
      "0");
  EXPECT_EQ(db.scalar("SELECT count(*) FROM offline_interactions"), "1");
}

// A streamed transaction that renames a column between its changes: each spooled change is read
// by the Relation message it was sent with, so the rows before the rename are applied and only
// the one after it is a schema_mismatch letter (the latest Relation would make them all letters).
TEST(MappingStreamed, ARenameInsideAStreamedTransactionSplitsItsChangesAtTheRename) {
  TestDatabase db("apply_streamed_ddl");
  Bridge bridge(db, "2");
  db.exec("INSERT INTO auth.users (id) VALUES ('" + s(kU1) + "')");
  db.exec("INSERT INTO account_linkages (id, user_id, account_id) VALUES ('" + s(kL1) + "', '" +
          s(kU1) + "', '" + s(kA1) + "')");
  db.exec("INSERT INTO chatbot_conversations (id, user_id, conversation_type) VALUES ('" +
          s(kConv) + "', '" + s(kU1) + "', 'support')");
  db.exec("SET logical_decoding_work_mem = '64kB'");
  db.exec(
      "BEGIN; INSERT INTO chatbot_messages (conversation_id, role, content, created_at) SELECT '" +
      s(kConv) +
      "', 'user', 'before ' || i, now() + i * interval '1 ms' FROM generate_series(1, 3000) i; "
      "ALTER TABLE chatbot_messages RENAME COLUMN content TO body; "
      "INSERT INTO chatbot_messages (conversation_id, role, body) VALUES ('" +
      s(kConv) + "', 'user', 'after'); COMMIT;");
  bridge.pump();
  EXPECT_EQ(db.scalar("SELECT count(*) FROM chat_messages WHERE content LIKE 'before %'"), "3000");
  EXPECT_EQ(db.scalar("SELECT count(*) || ' ' || max(new_row ->> 'body') FROM "
                      "dualwrite.dead_letters WHERE reason = 'schema_mismatch'"),
            "1 after");
}

}  // namespace
}  // namespace dualwrite::testing
