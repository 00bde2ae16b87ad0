// The consumer: pgoutput messages in, source transactions applied through the Applier.
//
// For: the protocol-level assembly of source transactions: Begin/Commit (skipping those the
// target's origin already holds: commit LSN below the origin's progress, as pgcopydb's
// "commitLSN <= previousLSN: already applied"), the relation cache, and protocol 2 streamed
// transactions, which are spooled to an unlinked temporary file per transaction (so memory stays
// bounded whatever their size) and applied at Stream Commit, with the changes of aborted
// subtransactions cut off at Stream Abort, as PostgreSQL's own worker.c does. Relation messages
// are remembered as they arrive (and logged there, once per relation version, when they mean
// schema_mismatch letters), and again as a spool is replayed. With live apply on
// (set_live, apply/live.hpp), one streamed transaction at a time is also applied as it
// streams, and at its Stream Commit committed by the live applier instead of replayed.
// Not for: batching decisions (the caller commits the Applier) or I/O with the source.
// Thread-safety: one thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "dualwrite/apply/applier.hpp"
#include "dualwrite/apply/live.hpp"
#include "dualwrite/core/error.hpp"
#include "dualwrite/decode/pgoutput.hpp"
#include "dualwrite/translate/relation_cache.hpp"

namespace dualwrite::apply {

class Consumer {
 public:
  explicit Consumer(Applier& applier);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  enum class Event : std::uint8_t {
    none,       // inside a transaction, or a message with no effect on transactions
    committed,  // a source transaction ended (applied, or skipped as already applied)
  };
  // Feeds one pgoutput message. Errors: malformed input (decode); target errors are thrown by
  // the Applier. A change whose relation does not match the legacy schema is not an error: it
  // becomes a schema_mismatch dead letter (relation_cache.hpp), and the Relation message that
  // made it so is logged once.
  Result<Event> feed(std::span<const std::byte> message);

  // Applies streamed transactions live through `live` (nullptr: spooled only). `commit_main`
  // commits the main applier's open target transaction (the caller's commit, which also moves
  // its positions): the consumer calls it before the live connection sends anything, and
  // before a live transaction commits (the transactions committed before it go first).
  void set_live(LiveApply* live, std::function<void()> commit_main) {
    live_ = live;
    commit_main_ = std::move(commit_main);
  }

  // Forgets partial state (the stream restarts from the origin): the open source transaction
  // and spooled streamed transactions, which the server will send again.
  void reset();

  bool in_transaction() const { return in_txn_; }
  // Neither inside a transaction nor holding a streamed one that has not committed: what was
  // fed so far leaves nothing to finish (e.g. a non-transactional logical message).
  bool between_transactions() const { return !in_txn_ && spools_.empty(); }
  // End LSN of the last source transaction that ended (applied or skipped).
  Lsn last_end_lsn() const { return last_end_; }
  // The commit time of the last transaction that ended, microseconds since 2000-01-01.
  std::int64_t last_commit_time() const { return last_commit_time_; }
  std::uint64_t skipped_transactions() const { return skipped_; }

 private:
  struct Spool;
  Result<Event> dispatch(const decode::Message& message, bool replaying);
  // Maps a change and gives it to `target` (the main applier, or the live one).
  Status change(const decode::Message& message, Applier& target);
  Status truncate(const decode::Truncate& message, Applier& target);
  void deliver(const translate::Mapped& mapped, Applier& target);
  // Remembers a Relation message, logging what it changed when `log` (the daemon's journal).
  void remember(const decode::Relation& relation, bool log);
  Status replay(Spool& spool, const decode::StreamCommit& commit);
  // Live apply (apply/live.hpp): the main applier's open transaction committed first.
  void main_idle();
  void stream_start(const decode::StreamStart& start);
  Status apply_live(const decode::Message& message, decode::TransactionId xid,
                    std::optional<decode::TransactionId> sub);
  // Stream Commit of the live transaction: true when the live applier committed it.
  bool commit_live(const decode::StreamCommit& commit);

  Applier& applier_;
  LiveApply* live_ = nullptr;
  // A transaction whose first streamed block arrived while none was live: it goes live at its
  // first change.
  std::optional<decode::TransactionId> live_candidate_;
  std::function<void()> commit_main_;
  decode::Decoder decoder_;
  translate::RelationCache relations_;
  std::map<decode::TransactionId, std::unique_ptr<Spool>> spools_;
  bool in_txn_ = false;
  bool skipping_ = false;
  Lsn last_end_;
  std::int64_t last_commit_time_ = 0;
  std::uint64_t skipped_ = 0;
  translate::SourcePosition position_;
};

}  // namespace dualwrite::apply
