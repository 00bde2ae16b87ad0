// Live apply: a streamed (protocol 2) source transaction applied while the source still writes
// it, on a second target connection, committed at its Stream Commit.
//
// For: the state of the one transaction applied live and of those that gave way. The consumer
// (apply/consumer.hpp) still spools every streamed transaction; this applies the live one's
// changes as they arrive, with the same translation and grouped statements as the main path
// (a second Applier, which takes the replication origin only for its COMMIT: PostgreSQL 15 lets
// one session hold an origin at a time). Source subtransactions become savepoints; a Stream
// Abort rolls back to one, or the whole transaction. At Stream Commit the main connection has
// committed everything that committed before (the consumer sees to it), gives the origin back,
// and this commits with the origin at the transaction's end; the main connection takes the
// origin again and reads its progress (which also settles a commit whose answer was lost).
//
// Falling back: anything the live connection cannot do (a refused statement, a lost
// connection, a failed commit) rolls the live transaction back and marks its xid: its changes
// keep being spooled and are applied at its commit by the main path, as without live apply
// (careful mode included). The one conflict no database sees: the live transaction holds row
// locks that a transaction committed before it needs on the main connection, which would wait
// for a commit that waits for it. The main connection's transactions run with a short
// lock_timeout while a transaction is live; a lock timeout there is that conflict (the caller
// falls back and re-streams, see daemon/runner.cpp).
//
// Commuting: applying the live transaction's ops before the main connection's ops of the
// transactions that commit before it is a reordering, safe where the batch's own reordering is
// (apply/batch.hpp): when no op of one shares a key with an op of the other that writes it. The
// keys of every op of the live transaction are kept in two Bloom filters (reads, writes: 8 MiB
// each, so a 1M-row transaction stays in bounds), those of the main connection's ops while a
// transaction is live exactly; an op that shares a key with the other side gives way (a false
// positive of the filter costs a fallback, never a wrong result). The catalog rule
// (activity_put) reads the target as it is when applied, which another connection's open
// transaction hides: it counts as touching everything. Row locks remain the second line: the
// like/bookmark merge's unique index makes a main-connection like wait for a live one of the same
// (account, activity, kind), which is the lock conflict below.
//
// Invariants: the live connection never sends a statement while the main connection has an
// open transaction (so the live one never waits for the main one); at the end of each streamed
// block every live statement has finished (the live transaction is idle until the next block);
// nothing of a live transaction is visible or confirmed before its Stream Commit.
// Not for: reading the stream or spooling (the consumer), batching the main path (the runner).
// Thread-safety: one thread (the apply thread).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <unordered_set>
#include <vector>

#include "dualwrite/apply/applier.hpp"

namespace dualwrite::apply {

class LiveApply {
 public:
  // `options`: the main applier's (the same target and origin; the origin is held only at
  // commit). `main`: the applier of everything else, which outlives this. `lock_timeout`: the
  // main connection's while a transaction is live.
  LiveApply(ApplyOptions options, ApplyStats& stats, Applier& main,
            std::chrono::milliseconds lock_timeout);
  ~LiveApply();
  LiveApply(const LiveApply&) = delete;
  LiveApply& operator=(const LiveApply&) = delete;

  // Told the live connection's socket whenever it may have changed (-1: none), so that a
  // supervisor can end a wait on it (daemon/supervisor.hpp): the apply thread waits on this
  // connection too.
  void on_socket(std::function<void(int socket)> listener);

  // The transaction applied live, if any.
  std::optional<std::uint32_t> xid() const { return xid_; }
  bool is_live(std::uint32_t xid) const { return xid_ && *xid_ == xid; }
  // Whether `xid` gave way (spooled only until it ends).
  bool fell_back(std::uint32_t xid) const { return fallen_back_.count(xid) != 0; }

  // The first streamed block of `xid`: true when it goes live (none is live, it has not given
  // way, the main applier is not in careful mode). The main applier must have no open
  // transaction. Connects the live applier on first use, and again when its idle connection
  // turns out to be gone (a target restart, an ended wait); a failure to connect is a
  // fallback, not an error.
  bool start(std::uint32_t xid);
  // Runs `deliver` (which feeds the live applier one change) for the live transaction; a
  // failure falls back. `subxid`: the (sub)transaction the change belongs to: its first change
  // opens a savepoint.
  void apply(std::uint32_t subxid, const std::function<void(Applier&)>& deliver);
  // Stream Stop: every statement of the block sent and finished.
  void end_block();
  // Stream Abort of a subtransaction of the live transaction, or of the whole of it.
  void abort_subtransaction(std::uint32_t subxid);
  void abort();
  // Stream Commit of the live transaction: the main applier has no open transaction. True when
  // it committed here (and the main applier holds the origin at its end again); false when it fell
  // back (the caller applies its spool on the main applier). Throws DbError when that one cannot
  // take the origin back.
  bool commit(const translate::SourcePosition& position);
  // The live transaction gives way: rolled back, its xid remembered until it ends.
  void fall_back(const std::string& why);
  // A transaction ended (committed or aborted): forgets that it gave way.
  void forget(std::uint32_t xid) { fallen_back_.erase(xid); }
  // The stream starts again (a new attempt): the open live transaction is rolled back; the
  // xids that gave way stay so (their transactions are streamed again from the start).
  void reset();

 private:
  void stop_live();
  // Opens the live target transaction of `xid`, on a connection that answers.
  void open_transaction(std::uint32_t xid);
  void report_socket();
  // A Bloom filter of key hashes: the live side's keys (a 1M-row transaction's would not fit
  // an exact set in the daemon's memory bound).
  class KeyFilter {
   public:
    void add(std::uint64_t hash);
    bool may_contain(std::uint64_t hash) const;
    void clear();

   private:
    static constexpr std::uint64_t kBits = std::uint64_t{1} << 26;  // 8 MiB
    static constexpr std::size_t kWords = kBits / 64;
    static constexpr int kProbes = 4;
    static std::uint64_t probe(std::uint64_t hash, int i);
    std::vector<std::uint64_t> bits_;  // allocated at the first add
  };
  // An exact set of key hashes: the main side's keys while a transaction is live (few).
  class KeySet {
   public:
    void add(std::uint64_t hash) { hashes_.insert(hash); }
    bool may_contain(std::uint64_t hash) const { return hashes_.count(hash) != 0; }
    void clear() { hashes_.clear(); }

   private:
    std::unordered_set<std::uint64_t> hashes_;
  };
  // What one side's ops touched since the transaction went live.
  template <class Set>
  struct Touched {
    Set reads, writes;
    bool any = false;
    bool everything = false;  // an op that touches every key
    void clear() {
      reads.clear();
      writes.clear();
      any = everything = false;
    }
  };
  // Records an op's keys on `mine`: false when one of them conflicts with `other`'s.
  template <class Mine, class Other>
  static bool record(Touched<Mine>& mine, const Touched<Other>& other, std::size_t slot,
                     std::span<const translate::OpKey> keys);

  ApplyStats& stats_;
  Applier& main_;
  std::chrono::milliseconds lock_timeout_;
  Applier applier_;
  std::function<void(int)> socket_listener_;
  std::optional<std::uint32_t> xid_;
  std::vector<std::uint32_t> savepoints_;  // subtransactions with a savepoint, oldest first
  std::set<std::uint32_t> fallen_back_;
  Touched<KeyFilter> live_keys_;
  Touched<KeySet> main_keys_;
  bool conflict_ = false;  // the live side met a key of the main side
};

}  // namespace dualwrite::apply
