// The relation cache: pgoutput Relation messages -> legacy tables and column positions.
//
// For: turning Insert/Update/Delete/Truncate messages into `Change`s keyed by the fixed column
// order of legacy_schema.hpp, whatever order or extra columns the source table has, by the
// stream's own Relation messages (the latest one for a relation id is the one its changes
// follow, as PostgreSQL's own apply worker does). What a relation's changes become is decided
// once per Relation message (classify_relation):
//  - a legacy table with every column the mapping reads, of its type: `Change`s to translate;
//  - a legacy table lacking such a column (renamed or dropped on the source), or with one of
//    another type (ALTER COLUMN … TYPE), and any relation that is not a table the bridge follows
//    (a renamed legacy table: the publication follows the table, not its name): `Unmapped`
//    changes, which the caller dead-letters with reason schema_mismatch (mapping.md rule 6),
//    keeping the row whole as the stream carried it. A later Relation message with the columns
//    back makes its changes `Change`s again;
//  - a legacy table moved to schema `legacy` by the Phase 2 switch: nothing (deliberately).
// remember() says when a Relation message changes that, so that the caller logs it once per
// relation version, not once per row.
// Not for: owning tuple bytes: a Change views the message it was built from (an Unmapped owns
// its JSON).
// Thread-safety: one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "dualwrite/core/error.hpp"
#include "dualwrite/decode/pgoutput.hpp"
#include "dualwrite/translate/change.hpp"

namespace dualwrite::translate {

// A change the mapping cannot read: the dead letter it becomes (reason schema_mismatch).
struct Unmapped {
  std::string source_table;          // the relation's name as it arrived, without schema
  std::optional<LegacyTable> table;  // the legacy table it is, when it is one
  Operation op = Operation::insert;
  // Rows as JSON objects, every column by its wire name, valued by its wire type (json and
  // jsonb as they are, numbers as numbers, booleans as booleans, the rest as strings); a value
  // the change does not carry (unchanged TOAST) is left out. Empty: no such row.
  std::string old_key_json;
  std::string new_row_json;
  // The replica identity columns (name, value) of the change, for display ("NULL" for NULL).
  std::vector<std::pair<std::string, std::string>> key;
  std::string detail;  // what does not match, for the letter and the operator
};

// What a change message becomes: a Change to translate, an Unmapped one to dead-letter, or
// nothing (a relation whose changes are deliberately not translated: RelationRole::switched).
using Mapped = std::variant<std::monostate, Change, Unmapped>;

// What a Relation message changed, to be logged once: a relation whose changes now become
// schema_mismatch letters (warning), or translation resuming / a switched table (information).
struct RelationNotice {
  bool warning = false;
  std::string text;
};

// The JSON of a tuple by its relation's wire names and types (see Unmapped). Only the replica
// identity columns when `key_only`. Errors: a tuple whose width is not the relation's, binary
// data.
Result<std::string> wire_row_json(const decode::Relation& relation, const decode::TupleData& tuple,
                                  bool key_only);

class RelationCache {
 public:
  // Remembers a Relation message; the changes of its relation follow it from now on. Returns
  // what to log when this version of the relation is a mismatch, or ends one, or is a switched
  // table: nothing when the relation arrives again as it was (pgoutput sends it again after
  // cache invalidations and in each session), nor for a legacy table that matches.
  std::optional<RelationNotice> remember(const decode::Relation& relation);

  // What an Insert/Update/Delete becomes. Errors: an unknown relation id (pgoutput always sends
  // Relation first), a tuple whose width is not its relation's, binary tuple data.
  Result<Mapped> map(const decode::Insert& m) const;
  Result<Mapped> map(const decode::Update& m) const;
  Result<Mapped> map(const decode::Delete& m) const;
  // One entry per relation a Truncate names: a legacy table's is a Change of operation truncate
  // (rule 7: never mirrored, whatever its columns), an unknown relation's an Unmapped, a
  // switched table's nothing.
  Result<std::vector<Mapped>> map(const decode::Truncate& m) const;

  std::optional<LegacyTable> table_of(decode::Oid relation_id) const;

 private:
  struct Mapping {
    decode::Relation relation;  // as it arrived, without the streamed block's xid
    RelationClass kind;
    std::vector<std::int8_t> position_of_wire_column;  // -1: a column the mapping does not use
    std::string mismatch;  // not empty: every change is Unmapped, with this as its detail
  };
  Result<const Mapping*> find(decode::Oid relation_id) const;
  Status fill(const Mapping& m, const decode::TupleData& tuple, Row& row) const;
  Result<Mapped> unmapped(const Mapping& m, Operation op, const decode::TupleData* old_tuple,
                          bool old_is_key, const decode::TupleData* new_tuple) const;

  std::unordered_map<decode::Oid, Mapping> mappings_;
};

}  // namespace dualwrite::translate
