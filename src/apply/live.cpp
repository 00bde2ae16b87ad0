#include "dualwrite/apply/live.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace dualwrite::apply {

namespace {

ApplyOptions live_options(ApplyOptions options) {
  options.hold_origin = false;
  return options;
}

std::string savepoint_name(std::uint32_t subxid) {
  return "dw_live_" + std::to_string(subxid);
}

}  // namespace

LiveApply::LiveApply(ApplyOptions options, ApplyStats& stats, Applier& main,
                     std::chrono::milliseconds lock_timeout)
    : stats_(stats),
      main_(main),
      lock_timeout_(lock_timeout),
      applier_(live_options(std::move(options)), stats) {
  // Both stay installed; they record nothing while no transaction is live.
  applier_.observe_keys([this](std::size_t slot, std::span<const translate::OpKey> keys) {
    if (xid_ && !record(live_keys_, main_keys_, slot, keys)) conflict_ = true;
  });
  main_.observe_keys([this](std::size_t slot, std::span<const translate::OpKey> keys) {
    // The main side's op runs first: the live transaction gives way before its statement is
    // sent (so it never waits for the live one's locks).
    if (xid_ && !record(main_keys_, live_keys_, slot, keys)) {
      fall_back("a transaction committed before it touches the same rows");
    }
  });
}

LiveApply::~LiveApply() {
  // The connection closes with the applier: no one may end a wait on its socket after.
  if (socket_listener_) socket_listener_(-1);
}

void LiveApply::on_socket(std::function<void(int socket)> listener) {
  socket_listener_ = std::move(listener);
  report_socket();
}

void LiveApply::report_socket() {
  if (socket_listener_) socket_listener_(applier_.connected() ? applier_.socket() : -1);
}

namespace {

bool touches_everything(std::size_t slot, std::span<const translate::OpKey> keys) {
  if (static_cast<translate::OpKind>(slot) == translate::OpKind::activity_put) return true;
  return std::any_of(keys.begin(), keys.end(), [](const translate::OpKey& k) {
    return k.space == translate::KeySpace::everything;
  });
}

}  // namespace

std::uint64_t LiveApply::KeyFilter::probe(std::uint64_t hash, int i) {
  // Double hashing; the second hash is the first mixed (splitmix64's finaliser), odd.
  std::uint64_t h2 = hash;
  h2 = (h2 ^ (h2 >> 30)) * 0xbf58476d1ce4e5b9ULL;
  h2 = (h2 ^ (h2 >> 27)) * 0x94d049bb133111ebULL;
  h2 = (h2 ^ (h2 >> 31)) | 1;
  return (hash + static_cast<std::uint64_t>(i) * h2) & (kBits - 1);
}

void LiveApply::KeyFilter::add(std::uint64_t hash) {
  if (bits_.empty()) bits_.assign(kWords, 0);
  for (int i = 0; i < kProbes; ++i) {
    const std::uint64_t bit = probe(hash, i);
    bits_[bit >> 6] |= std::uint64_t{1} << (bit & 63);
  }
}

bool LiveApply::KeyFilter::may_contain(std::uint64_t hash) const {
  if (bits_.empty()) return false;
  for (int i = 0; i < kProbes; ++i) {
    const std::uint64_t bit = probe(hash, i);
    if ((bits_[bit >> 6] & (std::uint64_t{1} << (bit & 63))) == 0) return false;
  }
  return true;
}

void LiveApply::KeyFilter::clear() {
  bits_.clear();
  bits_.shrink_to_fit();  // 8 MiB each: given back between live transactions
}

template <class Mine, class Other>
bool LiveApply::record(Touched<Mine>& mine, const Touched<Other>& other, std::size_t slot,
                       std::span<const translate::OpKey> keys) {
  bool ok = !other.everything;
  mine.any = true;
  if (touches_everything(slot, keys)) {
    mine.everything = true;
    ok = ok && !other.any;
  }
  for (const auto& key : keys) {
    if (key.space == translate::KeySpace::everything) continue;
    const std::uint64_t h = Batch::hash(key);
    // Two ops conflict when they share a key and one of them writes it.
    ok = ok && !other.writes.may_contain(h);
    if (key.access == translate::Access::read) {
      mine.reads.add(h);
    } else {
      mine.writes.add(h);
      ok = ok && !other.reads.may_contain(h);
    }
  }
  return ok;
}

bool LiveApply::start(std::uint32_t xid) {
  if (xid_ || fell_back(xid) || main_.careful()) return false;
  try {
    open_transaction(xid);
  } catch (const std::exception& e) {
    spdlog::warn("live apply: transaction {} is spooled instead: {}", xid, e.what());
    fallen_back_.insert(xid);
    stats_.live_fallbacks.fetch_add(1, std::memory_order_relaxed);
    applier_.rollback();
    report_socket();
    return false;
  }
  xid_ = xid;
  savepoints_.clear();
  // From now on a lock wait of the main connection may be a wait for this transaction.
  main_.set_transaction_lock_timeout(lock_timeout_);
  spdlog::info("live apply: transaction {} is applied as it streams", xid);
  return true;
}

void LiveApply::open_transaction(std::uint32_t xid) {
  bool answers = false;
  if (applier_.connected()) {
    // The connection waited idle since the last live transaction: the server may have ended
    // it meanwhile (a restart, idle_session_timeout, a wait the supervisor ended), which
    // shows only now. Such a connection is replaced, not a reason to give way.
    try {
      applier_.refresh_letter_counts();
      answers = true;
    } catch (const std::exception& e) {
      spdlog::info("live apply: replacing the live connection: {}", e.what());
    }
  }
  if (!answers) {
    applier_.connect();  // closes the old session first
    report_socket();
  }
  applier_.begin(translate::SourcePosition{Lsn{}, Lsn{}, xid, 0});
}

void LiveApply::apply(std::uint32_t subxid, const std::function<void(Applier&)>& deliver) {
  if (!xid_) return;
  try {
    if (subxid != *xid_ &&
        std::find(savepoints_.begin(), savepoints_.end(), subxid) == savepoints_.end()) {
      applier_.savepoint(savepoint_name(subxid));
      savepoints_.push_back(subxid);
    }
    deliver(applier_);
  } catch (const std::exception& e) {
    fall_back(e.what());
    return;
  }
  if (conflict_) fall_back("it touches rows of a transaction committed before it");
}

void LiveApply::end_block() {
  if (!xid_) return;
  try {
    applier_.flush();
  } catch (const std::exception& e) {
    fall_back(e.what());
  }
}

void LiveApply::abort_subtransaction(std::uint32_t subxid) {
  if (!xid_) return;
  const auto it = std::find(savepoints_.begin(), savepoints_.end(), subxid);
  if (it == savepoints_.end()) return;  // it changed nothing here
  try {
    applier_.rollback_to_savepoint(savepoint_name(subxid));
    // Savepoints taken after it are gone with it, as its changes are.
    savepoints_.erase(it, savepoints_.end());
  } catch (const std::exception& e) {
    fall_back(e.what());
  }
}

void LiveApply::abort() {
  if (!xid_) return;
  applier_.rollback();
  stop_live();
}

bool LiveApply::commit(const translate::SourcePosition& position) {
  if (!xid_) return false;
  applier_.end(position);
  main_.release_origin();
  std::optional<std::string> failure;
  try {
    applier_.commit();
  } catch (const std::exception& e) {
    failure = e.what();
    applier_.rollback();
  }
  stop_live();
  // Taking the origin back reads its progress: it also tells whether a commit whose answer was
  // lost went through.
  main_.acquire_origin();
  if (main_.origin_progress() >= position.end_lsn) {
    // Its letters are the main connection's business from now on (a link of a later
    // transaction applies them).
    main_.refresh_letter_counts();
    stats_.live_transactions.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("live apply: transaction {} committed live at {}", position.xid,
                 position.end_lsn.to_string());
    return true;
  }
  spdlog::warn("live apply: transaction {} is applied from its spool: {}", position.xid,
               failure.value_or("its commit did not move the origin"));
  fallen_back_.insert(position.xid);
  stats_.live_fallbacks.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void LiveApply::fall_back(const std::string& why) {
  if (!xid_) return;
  spdlog::warn("live apply: transaction {} gives way and is applied at its commit: {}", *xid_, why);
  fallen_back_.insert(*xid_);
  stats_.live_fallbacks.fetch_add(1, std::memory_order_relaxed);
  applier_.rollback();
  stop_live();
}

void LiveApply::reset() {
  if (!xid_) return;
  applier_.rollback();
  stop_live();
}

void LiveApply::stop_live() {
  // A rollback or commit that failed dropped the connection.
  report_socket();
  xid_.reset();
  savepoints_.clear();
  live_keys_.clear();
  main_keys_.clear();
  conflict_ = false;
  main_.set_transaction_lock_timeout(std::nullopt);
}

}  // namespace dualwrite::apply
