// The relation cache: pgoutput Relation messages -> legacy tables and column positions.
//
// For: turning Insert/Update/Delete/Truncate messages into `Change`s keyed by the fixed column
// order of legacy_schema.hpp, whatever order or extra columns the source table has. A relation
// that is not a legacy table is ignored (its changes yield nothing); a legacy table that lacks a
// column the mapping needs is an error (the source schema is not the one we translate).
// Not for: owning tuple bytes: a Change views the message it was built from.
// Thread-safety: one thread.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

#include "dualwrite/core/error.hpp"
#include "dualwrite/decode/pgoutput.hpp"
#include "dualwrite/translate/change.hpp"

namespace dualwrite::translate {

class RelationCache {
 public:
  Status remember(const decode::Relation& relation);

  // The change an Insert/Update/Delete carries; nullopt when its relation is not a legacy table.
  // An unknown relation id is an error (pgoutput always sends Relation first).
  Result<std::optional<Change>> change_of(const decode::Insert& m) const;
  Result<std::optional<Change>> change_of(const decode::Update& m) const;
  Result<std::optional<Change>> change_of(const decode::Delete& m) const;
  // The legacy tables a Truncate names (others are skipped).
  Result<std::vector<LegacyTable>> tables_of(const decode::Truncate& m) const;

  std::optional<LegacyTable> table_of(decode::Oid relation_id) const;

 private:
  struct Mapping {
    std::optional<LegacyTable> table;
    std::vector<std::int8_t> position_of_wire_column;  // -1: a column the mapping does not use
  };
  Result<const Mapping*> find(decode::Oid relation_id) const;
  Status fill(const Mapping& m, const decode::TupleData& tuple, Row& row) const;

  std::unordered_map<decode::Oid, Mapping> mappings_;
};

}  // namespace dualwrite::translate
