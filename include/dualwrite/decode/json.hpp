// JSON rendering of decoded pgoutput messages, for `dualwrite decode` and for debugging.
//
// For: turning one Message into one compact JSON object (no newline): the tag, the message's
// fields under their PostgreSQL names, LSNs as "X/X", timestamps as ISO 8601 UTC, and for row
// messages the relation's namespace, name and a column-name -> value object when the relation
// has been seen (a RelationMap kept by the caller). Not for: the relation cache of the
// translate stage, or any machine contract beyond "valid JSON, stable keys".
//
// Values: text -> JSON string, NULL -> null, unchanged TOAST -> {"unchanged_toast":true},
// binary -> {"binary":"<hex>"}. When the relation is unknown, or its column count does not
// match the tuple's, a tuple is an array of values instead of an object. Strings are escaped
// per RFC 8259: '"', '\\' and control characters are escaped, valid UTF-8 passes through, and
// each byte that is not part of valid UTF-8 becomes U+FFFD, so the output is always valid JSON.
//
// Thread-safety: RelationMap is a plain container (no internal locking); the functions are pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>

#include "dualwrite/core/text.hpp"
#include "dualwrite/decode/pgoutput.hpp"

namespace dualwrite::decode {

// relation_id -> the last Relation message seen for it (owned copies).
class RelationMap {
 public:
  // Stores (or replaces) the schema of `relation.relation_id`.
  void remember(const Relation& relation);
  // Remembers the message if it is a Relation; does nothing otherwise.
  void observe(const Message& message);
  const Relation* find(Oid relation_id) const;
  std::size_t size() const { return relations_.size(); }

 private:
  std::unordered_map<Oid, Relation> relations_;
};

// Appends the JSON object of `message` to `out`.
void append_json(const Message& message, const RelationMap& relations, std::string& out);
std::string to_json(const Message& message, const RelationMap& relations);

// Appends `text` as a quoted, escaped JSON string (core/text.hpp, shared with the JSON logs).
using dualwrite::append_json_string;

}  // namespace dualwrite::decode
