#include "dualwrite/translate/relation_cache.hpp"

#include <gtest/gtest.h>

namespace dualwrite::translate {
namespace {

constexpr decode::Oid kText = 25, kUuid = 2950, kTimestamptz = 1184, kJsonb = 3802, kInt4 = 23,
                      kNumeric = 1700, kBool = 16, kVarchar = 1043;

// A Relation of (name, type) columns; the first `keys` of them are the replica identity.
decode::Relation relation(decode::Oid id, const char* schema, const char* name,
                          std::vector<std::pair<const char*, decode::Oid>> columns,
                          std::size_t keys = 1) {
  decode::Relation r;
  r.relation_id = id;
  r.namespace_name = schema;
  r.relation_name = name;
  for (const auto& [c, type] : columns) {
    const std::uint8_t flags = r.columns.size() < keys ? decode::RelationColumn::kFlagKey : 0;
    r.columns.push_back({flags, c, type, -1});
  }
  return r;
}

// conversation_context as the legacy schema has it.
decode::Relation context(decode::Oid id = 7) {
  return relation(id, "public", "conversation_context",
                  {{"conversation_id", kUuid}, {"summary", kText}, {"updated_at", kTimestamptz}});
}

decode::TupleValue text(std::string_view s) {
  return {decode::TupleValue::Kind::text, s};
}
decode::TupleValue null() {
  return {decode::TupleValue::Kind::null, {}};
}
decode::TupleValue unchanged() {
  return {decode::TupleValue::Kind::unchanged_toast, {}};
}

decode::Insert insert(decode::Oid id, std::vector<decode::TupleValue> values) {
  decode::Insert ins;
  ins.relation_id = id;
  ins.new_tuple.columns = std::move(values);
  return ins;
}

TEST(RelationCache, MapsWireColumnsByNameWhateverTheirOrder) {
  RelationCache cache;
  // A source table with the columns in another order and one extra column (added columns are
  // fine: the mapping does not read them).
  EXPECT_FALSE(cache.remember(relation(7, "public", "conversation_context",
                                       {{"updated_at", kTimestamptz},
                                        {"extra", kInt4},
                                        {"summary", kText},
                                        {"conversation_id", kUuid}})));
  auto mapped = cache.map(insert(7, {text("2026-01-01"), text("1"), text("hello"), text("c1")}));
  ASSERT_TRUE(mapped.ok());
  const auto* change = std::get_if<Change>(&*mapped);
  ASSERT_NE(change, nullptr);
  const auto& row = change->new_row;
  namespace k = col::conversation_context;
  EXPECT_EQ(row[k::conversation_id].text, "c1");
  EXPECT_EQ(row[k::summary].text, "hello");
  EXPECT_EQ(row[k::updated_at].text, "2026-01-01");
}

TEST(RelationCache, UnknownRelationIdsAreErrors) {
  RelationCache cache;
  EXPECT_FALSE(cache.map(insert(9, {text("a")})).ok());
}

TEST(RelationCache, ARenamedColumnMakesSchemaMismatchLettersWithTheWholeRowUntilItIsBack) {
  RelationCache cache;
  ASSERT_FALSE(cache.remember(context()));  // a matching legacy table: nothing to say

  // RENAME COLUMN summary TO body.
  auto renamed =
      relation(7, "public", "conversation_context",
               {{"conversation_id", kUuid}, {"body", kText}, {"updated_at", kTimestamptz}});
  auto notice = cache.remember(renamed);
  ASSERT_TRUE(notice);
  EXPECT_TRUE(notice->warning);
  EXPECT_NE(notice->text.find("public.conversation_context"), std::string::npos) << notice->text;
  EXPECT_NE(notice->text.find("has no column summary"), std::string::npos) << notice->text;
  EXPECT_NE(notice->text.find("schema_mismatch"), std::string::npos) << notice->text;
  // The same version again (pgoutput resends it): said once, not again.
  EXPECT_FALSE(cache.remember(renamed));

  auto mapped = cache.map(insert(7, {text("c1"), text("he said \"hi\""), text("2026-01-01")}));
  ASSERT_TRUE(mapped.ok());
  const auto* letter = std::get_if<Unmapped>(&*mapped);
  ASSERT_NE(letter, nullptr);
  EXPECT_EQ(letter->source_table, "conversation_context");
  EXPECT_EQ(letter->table, LegacyTable::conversation_context);
  EXPECT_EQ(letter->op, Operation::insert);
  EXPECT_EQ(letter->new_row_json,
            R"({"conversation_id":"c1","body":"he said \"hi\"","updated_at":"2026-01-01"})");
  EXPECT_TRUE(letter->old_key_json.empty());
  EXPECT_NE(letter->detail.find("has no column summary"), std::string::npos) << letter->detail;
  ASSERT_EQ(letter->key.size(), 1u);
  EXPECT_EQ(letter->key[0], (std::pair<std::string, std::string>{"conversation_id", "c1"}));

  // Renamed back: translation resumes, and that is said once.
  notice = cache.remember(context());
  ASSERT_TRUE(notice);
  EXPECT_FALSE(notice->warning);
  EXPECT_NE(notice->text.find("translation resumes"), std::string::npos) << notice->text;
  mapped = cache.map(insert(7, {text("c1"), text("back"), text("2026-01-02")}));
  ASSERT_TRUE(mapped.ok());
  ASSERT_NE(std::get_if<Change>(&*mapped), nullptr);
  EXPECT_FALSE(cache.remember(context()));
}

TEST(RelationCache, AColumnOfAnotherTypeIsASchemaMismatch) {
  RelationCache cache;
  auto retyped =
      relation(7, "public", "conversation_context",
               {{"conversation_id", kUuid}, {"summary", kVarchar}, {"updated_at", kTimestamptz}});
  auto notice = cache.remember(retyped);
  ASSERT_TRUE(notice);
  EXPECT_NE(notice->text.find(
                "conversation_context.summary has type character varying, the mapping reads text"),
            std::string::npos)
      << notice->text;
  decode::Delete del;
  del.relation_id = 7;
  del.old_kind = decode::OldTupleKind::key;
  del.old_tuple.columns = {text("c1"), null(), null()};
  auto mapped = cache.map(del);
  ASSERT_TRUE(mapped.ok());
  const auto* letter = std::get_if<Unmapped>(&*mapped);
  ASSERT_NE(letter, nullptr);
  EXPECT_EQ(letter->op, Operation::delete_);
  EXPECT_EQ(letter->old_key_json, R"({"conversation_id":"c1"})");  // the key the stream carried
  EXPECT_TRUE(letter->new_row_json.empty());
}

TEST(RelationCache, AColumnTheMappingDoesNotReadMayGoOrChange) {
  RelationCache cache;
  // account_metadata.metadata is only carried into letters: dropped, nothing changes.
  EXPECT_FALSE(cache.remember(relation(5, "public", "account_metadata",
                                       {{"account_id", kUuid},
                                        {"status", kText},
                                        {"onboarding_state", kJsonb},
                                        {"updated_at", kTimestamptz}})));
  auto mapped = cache.map(insert(5, {text("a1"), text("active"), text("{}"), text("2026-01-01")}));
  ASSERT_TRUE(mapped.ok());
  EXPECT_NE(std::get_if<Change>(&*mapped), nullptr);
  // Retyped: still translated; its value is left out (its text may not be JSON any more).
  EXPECT_FALSE(cache.remember(relation(5, "public", "account_metadata",
                                       {{"account_id", kUuid},
                                        {"status", kText},
                                        {"onboarding_state", kJsonb},
                                        {"metadata", kText},
                                        {"updated_at", kTimestamptz}})));
  mapped = cache.map(
      insert(5, {text("a1"), text("active"), text("{}"), text("not json"), text("2026-01-01")}));
  ASSERT_TRUE(mapped.ok());
  const auto* change = std::get_if<Change>(&*mapped);
  ASSERT_NE(change, nullptr);
  EXPECT_EQ(change->new_row[col::account_metadata::metadata].state, Value::State::absent);
}

TEST(RelationCache, ARelationThatIsNoFollowedTableIsASchemaMismatchNamedAsItArrived) {
  RelationCache cache;
  // ALTER TABLE offline_likes RENAME TO offline_likes_old: same OID, another name.
  auto renamed = relation(11, "public", "offline_likes_old",
                          {{"user_id", kUuid},
                           {"activity_slug", kText},
                           {"account_id", kUuid},
                           {"payload", kJsonb},
                           {"updated_at", kTimestamptz}},
                          2);
  auto notice = cache.remember(renamed);
  ASSERT_TRUE(notice);
  EXPECT_TRUE(notice->warning);
  EXPECT_NE(notice->text.find("public.offline_likes_old"), std::string::npos) << notice->text;
  EXPECT_NE(notice->text.find("not a table dualwrite follows"), std::string::npos) << notice->text;
  EXPECT_FALSE(cache.remember(renamed));

  decode::Update upd;
  upd.relation_id = 11;
  upd.new_tuple.columns = {text("u1"), text("surf"), null(), unchanged(), text("2026-01-01")};
  auto mapped = cache.map(upd);
  ASSERT_TRUE(mapped.ok());
  const auto* letter = std::get_if<Unmapped>(&*mapped);
  ASSERT_NE(letter, nullptr);
  EXPECT_EQ(letter->source_table, "offline_likes_old");
  EXPECT_FALSE(letter->table);
  EXPECT_EQ(letter->op, Operation::update);
  // The unchanged TOASTed payload is not in the row: the stream did not carry it.
  EXPECT_EQ(
      letter->new_row_json,
      R"({"user_id":"u1","activity_slug":"surf","account_id":null,"updated_at":"2026-01-01"})");
  ASSERT_EQ(letter->key.size(), 2u);
  EXPECT_EQ(letter->key[1].second, "surf");

  // Its TRUNCATE is a schema_mismatch letter too; a legacy table's stays a truncate.
  ASSERT_FALSE(cache.remember(context(7)));
  decode::Truncate t;
  t.relation_ids = {11, 7};
  auto truncated = cache.map(t);
  ASSERT_TRUE(truncated.ok());
  ASSERT_EQ(truncated->size(), 2u);
  ASSERT_NE(std::get_if<Unmapped>(&(*truncated)[0]), nullptr);
  EXPECT_EQ(std::get<Unmapped>((*truncated)[0]).op, Operation::truncate);
  ASSERT_NE(std::get_if<Change>(&(*truncated)[1]), nullptr);
  EXPECT_EQ(std::get<Change>((*truncated)[1]).op, Operation::truncate);
}

TEST(RelationCache, TheCatalogIsFollowedByIdAndSlugWhateverItsOtherColumns) {
  // public.activities carries title, city, the Phase 0 columns …: only id and slug are read.
  RelationCache cache;
  EXPECT_FALSE(cache.remember(relation(
      8, "public", "activities",
      {{"title", kText}, {"slug", kText}, {"id", kUuid}, {"is_published", 16}})));
  auto mapped = cache.map(insert(8, {text("Surf"), text("surf-lesson"), text("a1"), text("t")}));
  ASSERT_TRUE(mapped.ok());
  const auto* change = std::get_if<Change>(&*mapped);
  ASSERT_NE(change, nullptr);
  EXPECT_EQ(change->table, LegacyTable::activities);
  EXPECT_EQ(change->new_row[col::activities::id].text, "a1");
  EXPECT_EQ(change->new_row[col::activities::slug].text, "surf-lesson");
  // Without its slug, the catalog's changes are schema_mismatch letters like a legacy table's.
  ASSERT_TRUE(cache.remember(relation(8, "public", "activities", {{"id", kUuid}, {"name", kText}})));
  auto letter = cache.map(insert(8, {text("a1"), text("surf-lesson")}));
  ASSERT_TRUE(letter.ok());
  EXPECT_NE(std::get_if<Unmapped>(&*letter), nullptr);
}

TEST(RelationCache, LegacyTablesMovedAsideByThePhase2SwitchAreNotTranslated) {
  RelationCache cache;
  auto moved =
      relation(7, "legacy", "conversation_context",
               {{"conversation_id", kUuid}, {"summary", kText}, {"updated_at", kTimestamptz}});
  auto notice = cache.remember(moved);
  ASSERT_TRUE(notice);  // said once, as information
  EXPECT_FALSE(notice->warning);
  EXPECT_NE(notice->text.find("Phase 2 switch"), std::string::npos) << notice->text;
  EXPECT_FALSE(cache.remember(moved));
  auto mapped = cache.map(insert(7, {text("c1"), text("s"), text("2026-01-01")}));
  ASSERT_TRUE(mapped.ok());
  EXPECT_TRUE(std::holds_alternative<std::monostate>(*mapped));
  decode::Truncate t;
  t.relation_ids = {7};
  auto truncated = cache.map(t);
  ASSERT_TRUE(truncated.ok());
  EXPECT_TRUE(truncated->empty());
}

TEST(RelationCache, WireRowsAreJsonByTheirWireTypes) {
  auto r = relation(3, "public", "x",
                    {{"j", kJsonb},
                     {"n", kNumeric},
                     {"nan", kNumeric},
                     {"i", kInt4},
                     {"b", kBool},
                     {"t", kText},
                     {"z", kText}});
  decode::TupleData tuple;
  tuple.columns = {text(R"({"a": [1, 2]})"), text("0.150"), text("NaN"), text("-42"), text("t"),
                   text("line\nbreak"),      null()};
  auto json = wire_row_json(r, tuple, false);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(
      *json,
      R"({"j":{"a": [1, 2]},"n":0.150,"nan":"NaN","i":-42,"b":true,"t":"line\nbreak","z":null})");
  EXPECT_EQ(*wire_row_json(r, tuple, true), R"({"j":{"a": [1, 2]}})");
  tuple.columns.pop_back();
  EXPECT_FALSE(wire_row_json(r, tuple, false).ok());
}

TEST(RelationCache, TupleWidthMustMatchTheRelation) {
  RelationCache cache;
  ASSERT_FALSE(cache.remember(context()));
  decode::Delete del;
  del.relation_id = 7;
  del.old_tuple.columns = {text("c1")};
  EXPECT_FALSE(cache.map(del).ok());
  // A mismatched relation's letters are held to the same rule.
  cache.remember(relation(7, "public", "conversation_context", {{"conversation_id", kUuid}}));
  del.old_tuple.columns = {text("c1"), text("extra")};
  EXPECT_FALSE(cache.map(del).ok());
}

}  // namespace
}  // namespace dualwrite::translate
