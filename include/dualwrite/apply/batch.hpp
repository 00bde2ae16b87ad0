// The batch: the ops of one target transaction, grouped into as few set-based statements as
// their dependencies allow.
//
// For: deciding which ops share a statement. The applier used to send one statement per run of
// consecutive ops of one kind; interleaved small transactions made 1–2-row statements, each
// paying planning on partitioned tables. Here each kind has one buffer per *phase*, and an op
// goes to the earliest phase in which it cannot be seen to have overtaken anything:
//   - statements run phase by phase, and inside a phase in a fixed order of kinds (parents
//     first: links, account metadata, profiles, sessions, suggestions, feedback, offline likes,
//     messages, summaries; then deletes, children before parents);
//   - every op names the keys it touches (translate/ops.hpp). Two ops keep their stream order
//     when they share a key and one of them writes it: the later one is placed at a position
//     (phase, kind order) strictly after the earlier one. Ops sharing no such key commute, so
//     their order inside the target transaction, which no reader can see, does not matter;
//   - an ordered write (the sequence of a chat session's messages) may share a statement with
//     earlier ops of its own kind writing the same key: the statement applies its rows in
//     stream order (`ord`);
//   - a write of KeySpace::everything is a barrier: placed after everything before it, and
//     everything after it is placed after it.
// A dead letter of a change the translator refused is a statement too (kLetterSlot, first in a
// phase), keyed by the change's row, so that a later DELETE of that row supersedes it and an
// earlier one does not.
// Key tracking keeps a 64-bit hash of each key: a collision can only order two ops that did not
// need it, never reorder two that did.
// Not for: SQL or I/O (the applier sends the statements), or deciding what an op's keys are
// (translate does).
// Thread-safety: one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "dualwrite/translate/ops.hpp"

namespace dualwrite::apply {

// The statements a batch can hold: one per op kind (the slot is the OpKind's value), and the
// dead letters of refused changes.
inline constexpr std::size_t kLetterSlot = translate::kOpKindCount;
inline constexpr std::size_t kSlotCount = translate::kOpKindCount + 1;
inline constexpr std::uint64_t kNoRecord = UINT64_MAX;

inline constexpr std::size_t slot_of(translate::OpKind kind) {
  return static_cast<std::size_t>(kind);
}

// The slots in the order a phase runs them.
std::span<const std::size_t> execution_order();
// The position of `slot` in execution_order().
std::size_t rank_of(std::size_t slot);
// A slot's name, for logs and errors ("feedback_insert", "dead_letter").
std::string_view slot_name(std::size_t slot);

// The rows of one statement. They are kept in the binary COPY format of the stage table
// (sql/migrations/20261205000200_apply_stage.sql: per row its `ord`, then one text field per
// parameter), so that a large statement goes by COPY as it is; a small one takes them as one
// PostgreSQL array literal per parameter (finish()).
struct SlotBuffer {
  std::size_t slot = 0;
  std::size_t rows = 0;
  std::size_t bytes = 0;
  std::size_t columns = 0;  // parameters of the statement
  // The rows as binary COPY tuples (pg/copy.hpp), without the stream's header and trailer.
  std::string tuples;
  // Per row: what the applier needs to turn the row into a dead letter (kNoRecord: nothing).
  std::vector<std::uint64_t> records;
  // Per row: the hash of its row key (the first key the op wrote).
  std::vector<std::uint64_t> row_keys;
  // Ids whose arrival may unblock dead letters (users linked, sessions created), as given.
  std::vector<std::string> unblocking;

  // The rows as statement parameters: one array literal per parameter, valid until the buffer
  // is next changed.
  std::vector<const char*> finish();
  // finish()'s literals (filled by it).
  std::vector<std::string> arrays;
  bool finished = false;
};

class Batch {
 public:
  struct Limits {
    std::size_t max_rows = 8000;                    // rows buffered over all statements
    std::size_t max_bytes = std::size_t{16} << 20;  // parameter bytes buffered
    std::size_t max_phases = 32;                    // phases before the batch is executed
    std::size_t max_statement_rows = 4000;          // rows of one statement
  };
  explicit Batch(Limits limits);
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;
  ~Batch();

  // Places one op (params as the slot's statement takes them). Returns false, having placed
  // nothing, when the op does not fit (a limit above): the caller executes and clears the
  // batch and adds it again. An empty batch takes any op.
  bool add(std::size_t slot, std::span<const translate::Param> params,
           std::span<const translate::OpKey> keys, std::uint64_t record,
           std::string_view unblocks = {});

  bool empty() const { return rows_ == 0; }
  std::size_t rows() const { return rows_; }
  std::size_t bytes() const { return bytes_; }
  std::size_t phase_count() const { return phases_.size(); }

  // The non-empty statements of phase `phase`, in execution order.
  std::vector<SlotBuffer*> statements(std::size_t phase);

  // Forgets every op and key; buffers keep their capacity unless it grew large (a large value
  // passed through), which is released.
  void clear();

  // The hash a key is tracked by (exposed for tests and for the applier's letter bookkeeping).
  static std::uint64_t hash(const translate::OpKey& key);

 private:
  struct KeyState {
    std::uint32_t write_pos = 0;  // position + 1 of the last write; 0: none
    std::uint32_t read_pos = 0;   // position + 1 of the latest read; 0: none
    std::uint8_t write_slot = 0;
    bool write_ordered = false;
  };
  struct Phase {
    std::array<std::unique_ptr<SlotBuffer>, kSlotCount> slots;
  };
  // The earliest phase at which `slot` may run given `keys`.
  std::size_t place(std::size_t slot, std::span<const translate::OpKey> keys) const;
  void record_keys(std::size_t slot, std::size_t phase, std::span<const translate::OpKey> keys);
  SlotBuffer& buffer(std::size_t phase, std::size_t slot, std::size_t params);

  Limits limits_;
  std::vector<Phase> phases_;
  std::vector<Phase> spare_;  // cleared phases, kept for their buffers' capacity
  std::unordered_map<std::uint64_t, KeyState> keys_;
  std::uint32_t barrier_pos_ = 0;  // position + 1 of the last barrier; 0: none
  std::uint32_t max_pos_ = 0;      // position + 1 of the latest op placed
  std::size_t rows_ = 0;
  std::size_t bytes_ = 0;
};

}  // namespace dualwrite::apply
