#include "dualwrite/translate/translator.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace dualwrite::translate {
namespace {

// Records each op as "kind: p1 | p2 | …" (NULL shown as ∅).
class RecordingSink : public OpSink {
 public:
  void op(OpKind kind, std::span<const Param> params, std::span<const OpKey> op_keys) override {
    EXPECT_EQ(params.size(), info(kind).param_count) << info(kind).name;
    std::string line(info(kind).name);
    line += ":";
    for (const auto& p : params) {
      line += " ";
      line += p.is_null ? "∅" : std::string(p.text);
      line += " |";
    }
    lines.push_back(line);
    std::string key_list;
    for (const auto& k : op_keys) {
      if (!key_list.empty()) key_list += ' ';
      key_list += std::to_string(static_cast<int>(k.space)) + "/" +
                  std::to_string(static_cast<int>(k.access)) + ":" + std::string(k.text);
    }
    keys.push_back(key_list);
  }
  std::vector<std::string> lines;
  std::vector<std::string> keys;
};

constexpr const char* kUnchanged = "\x01unchanged";

struct Cell {
  std::uint8_t column;
  const char* text;  // nullptr: NULL; kUnchanged: unchanged TOAST
};

Row row_of(std::initializer_list<Cell> cells) {
  Row row;
  for (const auto& c : cells) {
    Value& v = row[c.column];
    if (c.text == nullptr) {
      v.state = Value::State::null;
    } else if (c.text == kUnchanged) {
      v.state = Value::State::unchanged;
    } else {
      v = {Value::State::text, c.text};
    }
  }
  return row;
}

Change insert(LegacyTable t, Row r) {
  return Change{t, Operation::insert, {}, r, false};
}
Change update(LegacyTable t, Row r) {
  return Change{t, Operation::update, {}, r, false};
}
Change remove(LegacyTable t, Row key) {
  return Change{t, Operation::delete_, key, {}, true};
}

const char* kUser = "11111111-1111-1111-1111-111111111111";
const char* kAccount = "22222222-2222-2222-2222-222222222222";
const char* kRun = "0d3e7a2c-5b8f-4f0e-9a51-2c7d1e3b4a60";

namespace fb = col::activity_feedback;

Row feedback(const char* type, const char* suggestion = nullptr, const char* metadata = "{}") {
  return row_of({{fb::id, "1"},
                 {fb::user_id, kUser},
                 {fb::account_id, kAccount},
                 {fb::activity_slug, "surf-lesson"},
                 {fb::feedback_type, type},
                 {fb::suggestion_id, suggestion},
                 {fb::score, "0.500"},
                 {fb::metadata, metadata},
                 {fb::created_at, "2026-01-02 03:04:05+00"}});
}

TEST(Translator, FeedbackBecomesAnInteractionWithADerivedId) {
  Translator t;
  RecordingSink sink;
  ASSERT_FALSE(t.translate(insert(LegacyTable::activity_feedback, feedback("like")), sink));
  ASSERT_EQ(sink.lines.size(), 1u);
  EXPECT_EQ(sink.lines[0],
            "feedback_insert: 369f20a0-35e7-53ce-8348-7fd91b9e9391 | " + std::string(kUser) +
                " | " + kAccount +
                " | surf-lesson | like | ∅ | ∅ | 0.500 | {} | 2026-01-02 03:04:05+00 | like |");
  // Its row (written), and the account it names (read: it must exist).
  EXPECT_EQ(sink.keys[0], "3/1:369f20a0-35e7-53ce-8348-7fd91b9e9391 11/0:" + std::string(kAccount));
}

TEST(Translator, FeedbackTypesMapToInteractionTypes) {
  const std::pair<const char*, const char*> cases[] = {
      {"like", "like"},     {"dislike", "skip"}, {"skip", "skip"},   {"view", "view"},
      {"save", "bookmark"}, {"booked", "book"},  {"shared", "share"}};
  for (const auto& [legacy, target] : cases) {
    Translator t;
    RecordingSink sink;
    ASSERT_FALSE(t.translate(insert(LegacyTable::activity_feedback, feedback(legacy)), sink));
    EXPECT_NE(sink.lines[0].find(std::string("| ") + target + " |"), std::string::npos)
        << legacy << " -> " << sink.lines[0];
  }
}

TEST(Translator, DislikeRecordsTheLegacyTypeInMetadata) {
  Translator t;
  RecordingSink sink;
  ASSERT_FALSE(
      t.translate(insert(LegacyTable::activity_feedback,
                         feedback("dislike", nullptr, R"({"device": "ios", "n": [1, 2]})")),
                  sink));
  EXPECT_NE(sink.lines[0].find(R"({"device":"ios","n":[1, 2],"legacy_feedback_type":"dislike"})"),
            std::string::npos)
      << sink.lines[0];
}

TEST(Translator, SuggestionLinksASharedSourceAndTheOutcome) {
  Translator t;
  RecordingSink sink;
  ASSERT_FALSE(t.translate(insert(LegacyTable::activity_feedback, feedback("view", kRun)), sink));
  const std::string source =
      std::string(view(mapping_uuid(std::string("interaction_sources:recommendation:") + kRun)));
  EXPECT_NE(sink.lines[0].find("| view | " + source + " | " + kRun + " |"), std::string::npos)
      << sink.lines[0];
  EXPECT_NE(sink.lines[0].find("+00 | view |"), std::string::npos) << "outcome is the legacy type";
}

TEST(Translator, UnknownFeedbackTypeIsAnEnumDeadLetter) {
  Translator t;
  RecordingSink sink;
  const auto r = t.translate(insert(LegacyTable::activity_feedback, feedback("poke")), sink);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reason, DeadLetterReason::unknown_enum_value);
  EXPECT_EQ(r->detail.rfind("feedback_type 'poke' is not one of like, dislike", 0), 0u)
      << r->detail;
  EXPECT_TRUE(sink.lines.empty()) << "a rejected change must emit nothing";
}

TEST(Translator, FeedbackDeleteUsesTheOldKeyAlone) {
  Translator t;
  RecordingSink sink;
  ASSERT_FALSE(t.translate(remove(LegacyTable::activity_feedback, row_of({{fb::id, "1"}})), sink));
  EXPECT_EQ(sink.lines[0], "feedback_delete: 369f20a0-35e7-53ce-8348-7fd91b9e9391 |");
}

TEST(Translator, FeedbackUpdateWithUnchangedMetadataKeepsIt) {
  Translator t;
  RecordingSink sink;
  ASSERT_FALSE(t.translate(
      update(LegacyTable::activity_feedback, feedback("like", nullptr, kUnchanged)), sink));
  EXPECT_EQ(sink.lines[0].rfind("feedback_update:", 0), 0u);
  EXPECT_NE(sink.lines[0].find("| 0.500 | ∅ | 2026"), std::string::npos) << sink.lines[0];
}

namespace ai = col::ai_suggestions;

Row suggestion(const char* suggestions, const char* source = "quiz",
               const char* status = "completed") {
  return row_of({{ai::id, kRun},
                 {ai::user_id, kUser},
                 {ai::account_id, nullptr},
                 {ai::source, source},
                 {ai::prompt, R"({"q": 1})"},
                 {ai::model, "gpt-4o-mini"},
                 {ai::model_params, "{}"},
                 {ai::suggestions, suggestions},
                 {ai::status, status},
                 {ai::created_at, "2026-01-02 03:04:05+00"}});
}

TEST(Translator, SuggestionsBecomeARunAndPositionedItems) {
  Translator t;
  RecordingSink sink;
  ASSERT_FALSE(t.translate(
      insert(
          LegacyTable::ai_suggestions,
          suggestion(
              R"([{"slug": "a", "score": 0.9, "reason": "near", "features": {"x": 1}}, {"slug": "b"}])")),
      sink));
  ASSERT_EQ(sink.lines.size(), 1u);
  const std::string item1 =
      std::string(view(mapping_uuid(std::string("ai_suggestions:") + kRun + ":1")));
  const std::string item2 =
      std::string(view(mapping_uuid(std::string("ai_suggestions:") + kRun + ":2")));
  EXPECT_NE(sink.lines[0].find("| quiz_result |"), std::string::npos) << sink.lines[0];
  EXPECT_NE(
      sink.lines[0].find(
          R"([{"id":")" + item1 +
          R"(","position":1,"activity_slug":"a","ranking_features":{"x":1,"score":0.9,"reason":"near"}},{"id":")" +
          item2 + R"(","position":2,"activity_slug":"b","ranking_features":{}}] | 2 | false |)"),
      std::string::npos)
      << sink.lines[0];
}

TEST(Translator, NumbersKeepTheirExactText) {
  // jsonb prints a numeric with its scale: 0.150 re-serialised from a double would be 0.15,
  // and the target row would differ from the legacy one.
  Translator t;
  RecordingSink sink;
  ASSERT_FALSE(t.translate(
      insert(
          LegacyTable::ai_suggestions,
          suggestion(
              R"([{"slug": "a", "score": 0.15000000000000000000, "features": {"w": 1e3, "z": -0.0}}])")),
      sink));
  EXPECT_NE(sink.lines[0].find(
                R"("ranking_features":{"w":1e3,"z":-0.0,"score":0.15000000000000000000}})"),
            std::string::npos)
      << sink.lines[0];
}

TEST(Translator, SuggestionsThatAreNotAnArrayOfSlugsAreInvalidPayload) {
  for (const char* bad : {R"({"slug": "a"})", R"([{"slug": 1}])", R"([{"score": 1}])", R"(["a"])",
                          R"([{"slug": "a", "features": [1]}])", "not json"}) {
    Translator t;
    RecordingSink sink;
    const auto r = t.translate(insert(LegacyTable::ai_suggestions, suggestion(bad)), sink);
    ASSERT_TRUE(r) << bad;
    EXPECT_EQ(r->reason, DeadLetterReason::invalid_payload) << bad;
    EXPECT_TRUE(sink.lines.empty());
  }
}

TEST(Translator, UnknownSourceOrStatusIsAnEnumDeadLetter) {
  Translator t;
  RecordingSink sink;
  EXPECT_EQ(
      t.translate(insert(LegacyTable::ai_suggestions, suggestion("[]", "email")), sink)->reason,
      DeadLetterReason::unknown_enum_value);
  EXPECT_EQ(t.translate(insert(LegacyTable::ai_suggestions, suggestion("[]", "quiz", "lost")), sink)
                ->reason,
            DeadLetterReason::unknown_enum_value);
}

TEST(Translator, UnchangedSuggestionsLeaveItemsAlone) {
  Translator t;
  RecordingSink sink;
  ASSERT_FALSE(t.translate(update(LegacyTable::ai_suggestions, suggestion(kUnchanged)), sink));
  EXPECT_NE(sink.lines[0].find("| ∅ | ∅ | false |"), std::string::npos) << sink.lines[0];
}

namespace ua = col::user_attributes;

Row attributes(const char* preferences, const char* age = "25-34") {
  return row_of({{ua::user_id, kUser},
                 {ua::account_id, kAccount},
                 {ua::display_name, "Ana"},
                 {ua::locale, "pt-PT"},
                 {ua::timezone, "Europe/Lisbon"},
                 {ua::country, "PT"},
                 {ua::age_range, age},
                 {ua::travel_style, "backpacker"},
                 {ua::preferences, preferences},
                 {ua::updated_at, "2026-01-02 03:04:05+00"}});
}

TEST(Translator, PreferencesSplitIntoSettings) {
  Translator t;
  RecordingSink sink;
  ASSERT_FALSE(t.translate(
      insert(
          LegacyTable::user_attributes,
          attributes(
              R"({"notifications": {"email": true}, "theme": "dark", "feature_flags": {"beta": 1}})")),
      sink));
  EXPECT_NE(sink.lines[0].find(R"(| 0 | {"email": true} | {"beta": 1} | {"theme":"dark"} |)"),
            std::string::npos)
      << sink.lines[0];
  sink.lines.clear();
  ASSERT_FALSE(t.translate(insert(LegacyTable::user_attributes, attributes("{}")), sink));
  EXPECT_NE(sink.lines[0].find("| {} | {} | {} |"), std::string::npos) << sink.lines[0];
}

TEST(Translator, NonObjectNotificationsAndBadAgeRangeAreRejected) {
  Translator t;
  RecordingSink sink;
  EXPECT_EQ(
      t.translate(insert(LegacyTable::user_attributes, attributes(R"({"notifications": true})")),
                  sink)
          ->reason,
      DeadLetterReason::invalid_payload);
  EXPECT_EQ(t.translate(insert(LegacyTable::user_attributes, attributes("{}", "17")), sink)->reason,
            DeadLetterReason::unknown_enum_value);
  EXPECT_FALSE(t.translate(insert(LegacyTable::user_attributes, attributes("{}", nullptr)), sink))
      << "a NULL age_range is fine";
}

TEST(Translator, UnchangedTextColumnsSetTheKeepMask) {
  Translator t;
  RecordingSink sink;
  Row r = attributes(kUnchanged);
  r[ua::display_name].state = Value::State::unchanged;
  r[ua::travel_style].state = Value::State::unchanged;
  ASSERT_FALSE(t.translate(update(LegacyTable::user_attributes, r), sink));
  EXPECT_NE(sink.lines[0].find("| 33 | ∅ | ∅ | ∅ |"), std::string::npos) << sink.lines[0];
}

namespace al = col::account_linkages;

TEST(Translator, LinksAndProfilesAreDeletedByTheirOldKeys) {
  Translator t;
  RecordingSink sink;
  ASSERT_FALSE(t.translate(remove(LegacyTable::account_linkages, row_of({{al::id, "L1"}})), sink));
  ASSERT_FALSE(
      t.translate(remove(LegacyTable::user_attributes, row_of({{ua::user_id, kUser}})), sink));
  ASSERT_EQ(sink.lines.size(), 2u);
  EXPECT_EQ(sink.lines[0], "link_delete: L1 |");
  EXPECT_EQ(sink.lines[1], std::string("profile_delete: ") + kUser + " |");
}

namespace cm = col::chatbot_messages;

TEST(Translator, MessageMetadataSplitsToolCallsAndLatency) {
  Translator t;
  RecordingSink sink;
  ASSERT_FALSE(t.translate(
      insert(LegacyTable::chatbot_messages,
             row_of({{cm::id, "m1"},
                     {cm::conversation_id, "c1"},
                     {cm::role, "assistant"},
                     {cm::content, "olá"},
                     {cm::metadata,
                      R"({"tool_calls": [{"name": "search"}], "latency_ms": 120, "model": "m"})"},
                     {cm::created_at, "2026-01-02 03:04:05+00"}})),
      sink));
  EXPECT_EQ(
      sink.lines[0],
      R"(message_put: m1 | c1 | assistant | olá | [{"name": "search"}] | 120 | {"model":"m"} | 2026-01-02 03:04:05+00 |)");
  sink.lines.clear();
  ASSERT_FALSE(t.translate(
      insert(LegacyTable::chatbot_messages, row_of({{cm::id, "m2"},
                                                    {cm::conversation_id, "c1"},
                                                    {cm::role, "user"},
                                                    {cm::content, "x"},
                                                    {cm::metadata, R"({"latency_ms": 1.5})"},
                                                    {cm::created_at, "2026-01-02 03:04:05+00"}})),
      sink));
  EXPECT_NE(sink.lines[0].find(R"(| ∅ | ∅ | {"latency_ms":1.5} |)"), std::string::npos)
      << "a non-integer latency stays in metadata: " << sink.lines[0];
}

TEST(Translator, UnknownRoleAndSessionTypeAreEnumDeadLetters) {
  Translator t;
  RecordingSink sink;
  EXPECT_EQ(t.translate(insert(LegacyTable::chatbot_messages,
                               row_of({{cm::id, "m"},
                                       {cm::conversation_id, "c"},
                                       {cm::role, "robot"},
                                       {cm::content, "x"},
                                       {cm::metadata, "{}"},
                                       {cm::created_at, "2026-01-02 03:04:05+00"}})),
                        sink)
                ->reason,
            DeadLetterReason::unknown_enum_value);
  namespace cc = col::chatbot_conversations;
  EXPECT_EQ(t.translate(insert(LegacyTable::chatbot_conversations,
                               row_of({{cc::id, "c"},
                                       {cc::user_id, kUser},
                                       {cc::conversation_type, "sales"},
                                       {cc::context, "{}"},
                                       {cc::metadata, "{}"},
                                       {cc::created_at, "2026-01-02 03:04:05+00"},
                                       {cc::updated_at, "2026-01-02 03:04:05+00"}})),
                        sink)
                ->reason,
            DeadLetterReason::unknown_enum_value);
}

TEST(Translator, OfflineLikeIdsComeFromUserAndSlug) {
  namespace ol = col::offline_likes;
  Translator t;
  RecordingSink sink;
  ASSERT_FALSE(t.translate(remove(LegacyTable::offline_likes,
                                  row_of({{ol::user_id, "11111111-2222-3333-4444-555555555555"},
                                          {ol::activity_slug, "café-lisboa"}})),
                           sink));
  EXPECT_EQ(sink.lines[0], "offline_delete: 65e458df-8d9f-5a10-9a97-609abbbf3b14 |");
}

TEST(Translator, TruncateIsAlwaysADeadLetter) {
  Translator t;
  RecordingSink sink;
  const auto r =
      t.translate(Change{LegacyTable::offline_likes, Operation::truncate, {}, {}, false}, sink);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->reason, DeadLetterReason::truncate);
}

TEST(Translator, AccountMetadataStatusIsChecked) {
  namespace am = col::account_metadata;
  Translator t;
  RecordingSink sink;
  auto row = row_of({{am::account_id, kAccount},
                     {am::status, "banned"},
                     {am::onboarding_state, "{}"},
                     {am::metadata, "{}"},
                     {am::updated_at, "2026-01-02 03:04:05+00"}});
  EXPECT_EQ(t.translate(insert(LegacyTable::account_metadata, row), sink)->reason,
            DeadLetterReason::unknown_enum_value);
  row[am::status].text = "suspended";
  EXPECT_FALSE(t.translate(insert(LegacyTable::account_metadata, row), sink));
  EXPECT_FALSE(t.translate(
      remove(LegacyTable::account_metadata, row_of({{am::account_id, kAccount}})), sink));
  EXPECT_EQ(sink.lines.size(), 1u) << "an account_metadata DELETE writes nothing";
}

// The keys of ops (ops.hpp) decide what the grouped apply may reorder: these are the ones whose
// loss would reorder what must not be (apply/batch.hpp).
TEST(TranslatorKeys, ARowWithoutAccountReadsItsUsersLinkAndALinkWritesIt) {
  Translator t;
  RecordingSink sink;
  auto unlinked = feedback("view");
  unlinked[fb::account_id] = Value{Value::State::null, {}};
  ASSERT_FALSE(t.translate(insert(LegacyTable::activity_feedback, unlinked), sink));
  EXPECT_EQ(sink.keys[0], "3/1:369f20a0-35e7-53ce-8348-7fd91b9e9391 10/0:" + std::string(kUser));
  const auto link = row_of({{al::id, "L1"},
                            {al::user_id, kUser},
                            {al::account_id, kAccount},
                            {al::created_at, "2026-01-02 03:04:05+00"}});
  ASSERT_FALSE(t.translate(insert(LegacyTable::account_linkages, link), sink));
  EXPECT_EQ(sink.keys[1], "0/1:L1 10/1:" + std::string(kUser) + " 11/1:" + kAccount);
}

TEST(TranslatorKeys, WhatTheStreamDoesNotNameOrdersEverything) {
  // A link UPDATE or DELETE carries only the link's id: the user it leaves is unknown.
  Translator t;
  RecordingSink sink;
  const auto link = row_of({{al::id, "L1"},
                            {al::user_id, kUser},
                            {al::account_id, kAccount},
                            {al::created_at, "2026-01-02 03:04:05+00"}});
  ASSERT_FALSE(t.translate(update(LegacyTable::account_linkages, link), sink));
  ASSERT_FALSE(t.translate(remove(LegacyTable::account_linkages, row_of({{al::id, "L1"}})), sink));
  EXPECT_NE(sink.keys[0].find(" 13/1:"), std::string::npos) << sink.keys[0];
  EXPECT_EQ(sink.keys[1], "0/1:L1 13/1:");
}

TEST(TranslatorKeys, MessagesNeedTheirSessionAndKeepTheirSessionsOrder) {
  Translator t;
  RecordingSink sink;
  ASSERT_FALSE(t.translate(
      insert(LegacyTable::chatbot_messages, row_of({{cm::id, "m1"},
                                                    {cm::conversation_id, "c1"},
                                                    {cm::role, "user"},
                                                    {cm::content, "x"},
                                                    {cm::metadata, "{}"},
                                                    {cm::created_at, "2026-01-02 03:04:05+00"}})),
      sink));
  ASSERT_FALSE(
      t.translate(remove(LegacyTable::chatbot_messages, row_of({{cm::id, "m1"}})), sink));
  // row, session (read), the session's order (ordered write), every session's order (read)
  EXPECT_EQ(sink.keys[0], "7/1:m1 6/0:c1 12/2:c1 12/0:");
  // a delete changes the next sequence of a session the stream does not name: all of them
  EXPECT_EQ(sink.keys[1], "7/1:m1 12/1:");
}

TEST(TranslatorKeys, ARefusedChangeIsKeyedAsItsOpsWouldHaveBeen) {
  // A dead letter sits where the change's ops would have (apply/batch.hpp): its row keys are
  // the ones the translator gives the ops of the same row.
  Translator t;
  RecordingSink sink;
  const Change insert_like = insert(LegacyTable::activity_feedback, feedback("like"));
  ASSERT_FALSE(t.translate(insert_like, sink));
  const RowKeys keys(insert_like);
  ASSERT_EQ(keys.keys().size(), 1u);
  EXPECT_EQ("3/1:" + std::string(keys.keys()[0].text), sink.keys[0].substr(0, sink.keys[0].find(' ')));
  namespace ol = col::offline_likes;
  const Change like_offline =
      remove(LegacyTable::offline_likes, row_of({{ol::user_id, "11111111-2222-3333-4444-555555555555"},
                                                 {ol::activity_slug, "café-lisboa"}}));
  ASSERT_FALSE(t.translate(like_offline, sink));
  const RowKeys offline_keys(like_offline);
  ASSERT_EQ(offline_keys.keys().size(), 1u);
  EXPECT_EQ("5/1:" + std::string(offline_keys.keys()[0].text), sink.keys[1]);
}

TEST(Translator, ACatalogInsertOrUpdateHealsByIdAndADeleteIsTheForeignKeys) {
  namespace a = col::activities;
  const char* id = "8c1f0d52-7a43-4c55-9d3e-0b6a2f9e1c77";
  Translator t;
  RecordingSink sink;
  ASSERT_FALSE(t.translate(insert(LegacyTable::activities,
                                  row_of({{a::id, id}, {a::slug, "surf-lesson"}})),
                           sink));
  // An UPDATE whatever it changed (the old slug is not in the stream: the statement finds the
  // rows linked under it by id), even one whose slug is unchanged TOAST.
  ASSERT_FALSE(t.translate(update(LegacyTable::activities,
                                  row_of({{a::id, id}, {a::slug, kUnchanged}})),
                           sink));
  ASSERT_EQ(sink.lines.size(), 2u);
  EXPECT_EQ(sink.lines[0], "activity_put: " + std::string(id) + " |");
  EXPECT_EQ(sink.lines[1], sink.lines[0]);
  // Keyed by its row only: it reads the catalog when it runs, so it commutes with every op.
  EXPECT_EQ(sink.keys[0], "9/1:" + std::string(id));
  // DELETE: ON DELETE SET NULL did it in the same transaction as the delete; nothing to write.
  ASSERT_FALSE(t.translate(remove(LegacyTable::activities, row_of({{a::id, id}})), sink));
  EXPECT_EQ(sink.lines.size(), 2u);
  // An activity without its id cannot be applied: a letter, like any legacy row.
  auto rejected =
      t.translate(insert(LegacyTable::activities, row_of({{a::id, nullptr}, {a::slug, "x"}})), sink);
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->reason, DeadLetterReason::invalid_payload);
}

TEST(RowToJson, RendersTypesAndSkipsUnchangedColumns) {
  Row r = feedback("like", nullptr, R"({"a": [1]})");
  r[fb::suggestion_id].state = Value::State::null;
  r[fb::score].state = Value::State::unchanged;
  EXPECT_EQ(
      row_to_json(LegacyTable::activity_feedback, r),
      std::string(R"({"id":1,"user_id":")") + kUser + R"(","account_id":")" + kAccount +
          R"(","activity_slug":"surf-lesson","feedback_type":"like","suggestion_id":null,"metadata":{"a": [1]},"created_at":"2026-01-02 03:04:05+00"})");
}

}  // namespace
}  // namespace dualwrite::translate
