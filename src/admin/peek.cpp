#include "dualwrite/admin/peek.hpp"

#include <climits>
#include <variant>

#include "dualwrite/translate/relation_cache.hpp"

namespace dualwrite::admin {

namespace {

using translate::Change;
using translate::Operation;

// Keeps what peek shows of each op; the parameters point into the translator's buffers and are
// copied at once.
class CollectingSink : public translate::OpSink {
 public:
  explicit CollectingSink(std::vector<PeekedWrite>& out) : out_(out) {}
  void op(translate::OpKind kind, std::span<const translate::Param> params,
          std::span<const translate::OpKey>) override {
    const bool known = !params.empty() && !params[0].is_null;
    out_.push_back({kind, known ? std::string(params[0].text) : std::string("NULL")});
  }

 private:
  std::vector<PeekedWrite>& out_;
};

std::vector<std::pair<std::string, std::string>> key_of(const Change& c) {
  std::vector<std::pair<std::string, std::string>> key;
  const auto& table = translate::info(c.table);
  const translate::Row& row = c.has_old_key || c.op == Operation::delete_ ? c.old_key : c.new_row;
  for (std::size_t i = 0; i < table.columns.size(); ++i) {
    if (!table.columns[i].key) continue;
    const auto& v = row[i];
    key.emplace_back(std::string(table.columns[i].name),
                     v.is_text() ? std::string(v.text) : std::string(v.is_null() ? "NULL" : "?"));
  }
  return key;
}

PeekedChange peeked(const Change& c, translate::Translator& translator) {
  PeekedChange p;
  p.table = c.table;
  p.source_table = std::string(translate::name_of(c.table));
  p.op = c.op;
  if (c.op != Operation::truncate) p.key = key_of(c);
  CollectingSink sink(p.writes);
  p.dead_letter = translator.translate(c, sink);
  if (p.dead_letter) p.writes.clear();  // a refused change emits nothing
  return p;
}

// A change the relation cache could not map: the schema_mismatch letter it will be.
PeekedChange peeked(const translate::Unmapped& u) {
  PeekedChange p;
  p.table = u.table.value_or(translate::LegacyTable::account_linkages);
  p.source_table = u.source_table;
  p.op = u.op;
  p.key = u.key;
  p.dead_letter = translate::Rejection{translate::DeadLetterReason::schema_mismatch, u.detail};
  return p;
}

// What peek shows of a mapped change; nullopt for one that is deliberately not translated.
std::optional<PeekedChange> peeked(const translate::Mapped& m, translate::Translator& translator) {
  if (const auto* c = std::get_if<Change>(&m)) return peeked(*c, translator);
  if (const auto* u = std::get_if<translate::Unmapped>(&m)) return peeked(*u);
  return std::nullopt;
}

// Maps one change (a row change or a TRUNCATE) and adds what peek shows of it to `txn`.
Status add_change(const decode::Message& message, translate::RelationCache& relations,
                  translate::Translator& translator, PeekedTransaction& txn, PeekSummary& summary) {
  auto add = [&](const translate::Mapped& m) {
    // nullopt: deliberately not translated (a switched table)
    if (auto p = peeked(m, translator)) {
      txn.changes.push_back(std::move(*p));
      ++summary.changes;
    }
  };
  if (const auto* t = std::get_if<decode::Truncate>(&message)) {
    auto mapped = relations.map(*t);
    if (!mapped) return mapped.error();
    for (const auto& m : *mapped) add(m);
    return Ok{};
  }
  Result<translate::Mapped> mapped = std::visit(
      [&](const auto& m) -> Result<translate::Mapped> {
        if constexpr (std::is_same_v<std::decay_t<decltype(m)>, decode::Insert> ||
                      std::is_same_v<std::decay_t<decltype(m)>, decode::Update> ||
                      std::is_same_v<std::decay_t<decltype(m)>, decode::Delete>) {
          return relations.map(m);
        } else {
          return translate::Mapped{};
        }
      },
      message);
  if (!mapped) return mapped.error();
  add(*mapped);
  return Ok{};
}

// The first read decodes about this many rows: a change costs at most three (Begin, the
// change, Commit) plus the Relation messages of a new session.
std::int64_t first_row_budget(std::uint64_t limit) {
  const std::uint64_t rows = limit > (INT_MAX - 64) / 3 ? INT_MAX : 3 * limit + 64;
  return static_cast<std::int64_t>(rows);
}

}  // namespace

Result<PeekSummary> peek(apply::Connection& source, const SlotReaderOptions& slot,
                         const PeekOptions& options,
                         const std::function<void(const PeekedTransaction&)>& emit) {
  PeekSummary summary;
  std::int64_t budget = first_row_budget(options.limit);
  std::uint64_t done_before = 0;  // transactions fully read by earlier passes
  bool limit_reached = options.limit == 0;

  for (;;) {
    ++summary.passes;
    SlotReaderOptions o = slot;
    o.upto_rows = budget >= INT_MAX ? 0 : budget;
    SlotReader reader(source, o);
    decode::Decoder decoder;
    translate::RelationCache relations;
    translate::Translator translator;
    decode::Message message;
    std::optional<PeekedTransaction> txn;
    std::uint64_t begun = 0;
    bool skipping = false;

    for (;;) {
      auto row = reader.next();
      if (!row) return row.error();
      if (!*row) break;
      if (auto s = decoder.decode_into((*row)->data, message); !s) {
        return make_error(ErrorDomain::decode, "decoding the change at " + (*row)->lsn.to_string() +
                                                   ": " + s.error().message);
      }
      if (const auto* rel = std::get_if<decode::Relation>(&message)) {
        relations.remember(*rel);  // what it means shows on each change it concerns
        continue;
      }
      if (const auto* begin = std::get_if<decode::Begin>(&message)) {
        ++begun;
        skipping = begun <= done_before;
        if (skipping) continue;
        const bool applied = options.applied.is_valid() && begin->final_lsn < options.applied;
        if (applied && !options.include_applied) {
          ++summary.applied_skipped;
          skipping = true;
          continue;
        }
        txn.emplace();
        txn->xid = begin->xid;
        txn->commit_lsn = begin->final_lsn;
        txn->commit_time = begin->commit_time;
        txn->applied = applied;
        continue;
      }
      if (const auto* commit = std::get_if<decode::Commit>(&message)) {
        if (txn) {
          txn->end_lsn = commit->end_lsn;
          if (!txn->changes.empty()) {
            emit(*txn);
            ++summary.transactions;
          }
          txn.reset();
        }
        skipping = false;
        continue;
      }
      const bool is_change = std::holds_alternative<decode::Insert>(message) ||
                             std::holds_alternative<decode::Update>(message) ||
                             std::holds_alternative<decode::Delete>(message) ||
                             std::holds_alternative<decode::Truncate>(message);
      if (!is_change || skipping || !txn) continue;
      if (limit_reached) {
        // One more pending change exists: say so and stop reading.
        summary.more = true;
        if (!txn->changes.empty()) {
          txn->cut = true;
          emit(*txn);
          ++summary.transactions;
        }
        return summary;
      }
      if (auto added = add_change(message, relations, translator, *txn, summary); !added) {
        return added.error();
      }
      if (summary.changes >= options.limit) limit_reached = true;
    }
    // A result shorter than the budget is everything the slot holds.
    if (o.upto_rows == 0 || reader.rows_read() < static_cast<std::uint64_t>(o.upto_rows)) break;
    done_before = begun;
    budget = budget > INT_MAX / 4 ? INT_MAX : budget * 4;
  }
  return summary;
}

}  // namespace dualwrite::admin
