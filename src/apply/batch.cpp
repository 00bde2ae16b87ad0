#include "dualwrite/apply/batch.hpp"

#include <algorithm>
#include <optional>
#include <string_view>

#include "dualwrite/apply/pg.hpp"
#include "dualwrite/pg/copy.hpp"

namespace dualwrite::apply {

using translate::Access;
using translate::KeySpace;
using translate::OpKey;
using translate::OpKind;
using translate::Param;

namespace {

constexpr std::array<std::size_t, kSlotCount> kExecutionOrder{
    kLetterSlot,
    slot_of(OpKind::link_delete),  // before link_put: a user relinked in one phase
    slot_of(OpKind::link_put),
    slot_of(OpKind::account_metadata_put),
    slot_of(OpKind::profile_put),
    slot_of(OpKind::session_put),
    slot_of(OpKind::suggestion_put),
    slot_of(OpKind::feedback_insert),
    slot_of(OpKind::feedback_update),
    slot_of(OpKind::offline_put),
    slot_of(OpKind::message_put),
    slot_of(OpKind::summary_put),
    slot_of(OpKind::summary_delete),
    slot_of(OpKind::message_delete),
    slot_of(OpKind::offline_delete),
    slot_of(OpKind::feedback_delete),
    slot_of(OpKind::suggestion_delete),
    slot_of(OpKind::session_delete),
    slot_of(OpKind::profile_delete),
    // Last: it reads the catalog and the rows the phase wrote (it commutes with every op, so
    // any position is correct; this one heals rows of the same phase in this statement rather
    // than leaving them to the join of their own).
    slot_of(OpKind::activity_put),
};

constexpr std::array<std::size_t, kSlotCount> ranks() {
  std::array<std::size_t, kSlotCount> r{};
  for (std::size_t i = 0; i < kExecutionOrder.size(); ++i) r[kExecutionOrder[i]] = i;
  return r;
}
constexpr std::array<std::size_t, kSlotCount> kRank = ranks();

constexpr bool order_is_a_permutation() {
  std::array<bool, kSlotCount> seen{};
  for (auto s : kExecutionOrder) {
    if (s >= kSlotCount || seen[s]) return false;
    seen[s] = true;
  }
  return true;
}
static_assert(order_is_a_permutation());

// Positions are phase * kSlotCount + rank: comparing two is comparing (phase, rank).
std::uint32_t position(std::size_t phase, std::size_t rank) {
  return static_cast<std::uint32_t>(phase * kSlotCount + rank);
}

// The least phase at which an op of rank `rank` lies strictly after position `pos`.
std::size_t phase_after(std::uint32_t pos, std::size_t rank) {
  return pos < rank ? 0 : (pos - rank) / kSlotCount + 1;
}
// The least phase at which it lies at or after `pos`.
std::size_t phase_from(std::uint32_t pos, std::size_t rank) {
  return pos <= rank ? 0 : (pos - rank + kSlotCount - 1) / kSlotCount;
}

// FNV-1a over the key space and text.
std::uint64_t fnv1a(std::uint8_t space, std::string_view text) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  h = (h ^ space) * 0x100000001b3ULL;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ULL;
  return h;
}

constexpr std::size_t kKeepCapacity = std::size_t{1} << 20;

// Reads back the tuples a SlotBuffer wrote (they are ours: no bounds to distrust).
class TupleReader {
 public:
  explicit TupleReader(std::string_view tuples) : data_(tuples) {}
  // Past the field count and the `ord` field.
  void skip_row_start() { pos_ += 2 + 4 + 8; }
  // The next field; nullopt for NULL.
  std::optional<std::string_view> field() {
    std::uint32_t length = 0;
    for (int i = 0; i < 4; ++i) {
      length =
          (length << 8) | static_cast<unsigned char>(data_[pos_ + static_cast<std::size_t>(i)]);
    }
    pos_ += 4;
    if (length == 0xffffffffU) return std::nullopt;
    const auto value = data_.substr(pos_, length);
    pos_ += length;
    return value;
  }

 private:
  std::string_view data_;
  std::size_t pos_ = 0;
};

}  // namespace

std::span<const std::size_t> execution_order() {
  return kExecutionOrder;
}

std::size_t rank_of(std::size_t slot) {
  return kRank[slot];
}

std::string_view slot_name(std::size_t slot) {
  return slot == kLetterSlot ? std::string_view("dead_letter")
                             : translate::info(static_cast<OpKind>(slot)).name;
}

std::vector<const char*> SlotBuffer::finish() {
  if (!finished) {
    arrays.resize(columns);
    for (auto& a : arrays) a.assign(1, '{');
    TupleReader reader(tuples);
    for (std::size_t row = 0; row < rows; ++row) {
      reader.skip_row_start();
      for (auto& literal : arrays) {
        if (row > 0) literal += ',';
        const auto field = reader.field();
        if (field) {
          append_array_element(literal, *field);
        } else {
          literal += "NULL";
        }
      }
    }
    for (auto& a : arrays) a += '}';
    finished = true;
  }
  std::vector<const char*> values;
  values.reserve(arrays.size());
  for (const auto& a : arrays) values.push_back(a.c_str());
  return values;
}

Batch::Batch(Limits limits) : limits_(limits) {}
Batch::~Batch() = default;

std::uint64_t Batch::hash(const OpKey& key) {
  return fnv1a(static_cast<std::uint8_t>(key.space), key.text);
}

std::size_t Batch::place(std::size_t slot, std::span<const OpKey> keys) const {
  const std::size_t rank = kRank[slot];
  std::size_t phase = 0;
  if (barrier_pos_ != 0) phase = std::max(phase, phase_after(barrier_pos_ - 1, rank));
  for (const auto& key : keys) {
    if (key.space == KeySpace::everything) {
      if (max_pos_ != 0) phase = std::max(phase, phase_after(max_pos_ - 1, rank));
      continue;
    }
    const auto it = keys_.find(hash(key));
    if (it == keys_.end()) continue;
    const KeyState& k = it->second;
    if (k.write_pos != 0) {
      const bool shares_statement =
          key.access == Access::ordered_write && k.write_ordered && k.write_slot == slot;
      phase = std::max(phase, shares_statement ? phase_from(k.write_pos - 1, rank)
                                               : phase_after(k.write_pos - 1, rank));
    }
    if (key.access != Access::read && k.read_pos != 0) {
      phase = std::max(phase, phase_after(k.read_pos - 1, rank));
    }
  }
  return phase;
}

void Batch::record_keys(std::size_t slot, std::size_t phase, std::span<const OpKey> keys) {
  const std::uint32_t pos = position(phase, kRank[slot]) + 1;
  max_pos_ = std::max(max_pos_, pos);
  for (const auto& key : keys) {
    if (key.space == KeySpace::everything) {
      barrier_pos_ = pos;
      continue;
    }
    KeyState& k = keys_[hash(key)];
    if (key.access == Access::read) {
      k.read_pos = std::max(k.read_pos, pos);
    } else {
      k.write_pos = pos;
      k.write_slot = static_cast<std::uint8_t>(slot);
      k.write_ordered = key.access == Access::ordered_write;
    }
  }
}

SlotBuffer& Batch::buffer(std::size_t phase, std::size_t slot, std::size_t params) {
  while (phases_.size() <= phase) {
    if (!spare_.empty()) {
      phases_.push_back(std::move(spare_.back()));
      spare_.pop_back();
    } else {
      phases_.emplace_back();
    }
  }
  auto& b = phases_[phase].slots[slot];
  if (!b) b = std::make_unique<SlotBuffer>();
  if (b->rows == 0) {
    b->slot = slot;
    b->finished = false;
    b->columns = params;
    b->tuples.clear();
  }
  return *b;
}

bool Batch::add(std::size_t slot, std::span<const Param> params, std::span<const OpKey> keys,
                std::uint64_t record, std::string_view unblocks) {
  std::size_t size = 0;
  for (const auto& p : params) size += p.is_null ? 0 : p.text.size();
  const std::size_t phase = place(slot, keys);
  if (!empty()) {
    if (phase >= limits_.max_phases || rows_ >= limits_.max_rows ||
        bytes_ + size > limits_.max_bytes) {
      return false;
    }
    if (phase < phases_.size()) {
      const auto& existing = phases_[phase].slots[slot];
      if (existing && existing->rows >= limits_.max_statement_rows) return false;
    }
  }
  SlotBuffer& b = buffer(phase, slot, params.size());
  namespace copy = pg::copy_binary;
  copy::append_tuple_start(b.tuples, static_cast<std::uint16_t>(params.size() + 1));
  copy::append_int8(b.tuples, static_cast<std::int64_t>(b.rows + 1));
  for (const auto& p : params) {
    if (p.is_null) {
      copy::append_null(b.tuples);
    } else {
      copy::append_field(b.tuples, p.text);
    }
  }
  b.finished = false;
  b.records.push_back(record);
  std::uint64_t row_key = 0;
  for (const auto& key : keys) {
    if (key.access != Access::read && key.space != KeySpace::everything) {
      row_key = hash(key);
      break;
    }
  }
  b.row_keys.push_back(row_key);
  if (!unblocks.empty()) b.unblocking.emplace_back(unblocks);
  ++b.rows;
  b.bytes += size;
  ++rows_;
  bytes_ += size;
  record_keys(slot, phase, keys);
  return true;
}

std::vector<SlotBuffer*> Batch::statements(std::size_t phase) {
  std::vector<SlotBuffer*> out;
  if (phase >= phases_.size()) return out;
  for (auto slot : kExecutionOrder) {
    auto& b = phases_[phase].slots[slot];
    if (b && b->rows > 0) out.push_back(b.get());
  }
  return out;
}

void Batch::clear() {
  for (auto& phase : phases_) {
    for (auto& b : phase.slots) {
      if (!b) continue;
      std::size_t capacity = b->tuples.capacity();
      for (const auto& a : b->arrays) capacity += a.capacity();
      if (capacity > kKeepCapacity) {
        b.reset();  // a large value passed: give its memory back
        continue;
      }
      b->rows = b->bytes = 0;
      b->tuples.clear();
      b->records.clear();
      b->row_keys.clear();
      b->unblocking.clear();
      b->finished = false;
    }
    spare_.push_back(std::move(phase));
  }
  phases_.clear();
  keys_.clear();
  barrier_pos_ = max_pos_ = 0;
  rows_ = bytes_ = 0;
}

}  // namespace dualwrite::apply
