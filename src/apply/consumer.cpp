#include "dualwrite/apply/consumer.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace dualwrite::apply {

namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// The source transaction a Begin or Stream Commit opens, for errors, logs and letters.
ChangeContext transaction_context(Lsn commit_lsn, decode::TransactionId xid) {
  return ChangeContext{"", "", commit_lsn, xid};
}

// A change that cannot be read: the transaction it came in goes with the error.
Error with_context(Error error) {
  if (!error.context) error.context = current_context();
  return error;
}

bool is_change(const decode::Message& message) {
  return std::holds_alternative<decode::Insert>(message) ||
         std::holds_alternative<decode::Update>(message) ||
         std::holds_alternative<decode::Delete>(message) ||
         std::holds_alternative<decode::Truncate>(message);
}

Error spool_error(const char* what) {
  return make_error(ErrorDomain::internal,
                    std::string("spool file: ") + what + ": " + std::strerror(errno));
}

}  // namespace

// The raw messages of one streamed transaction, in an unlinked temporary file: records of
// (u32 length, bytes). `first_offset_of` keeps where each subtransaction's first change starts,
// so that aborting it truncates the file there (its changes, and those of any later
// subtransaction nested in it, come after that point).
struct Consumer::Spool {
  std::FILE* file = nullptr;
  std::map<decode::TransactionId, long> first_offset_of;
  ~Spool() {
    if (file != nullptr) std::fclose(file);
  }
};

Consumer::Consumer(Applier& applier) : applier_(applier) {}
Consumer::~Consumer() = default;

void Consumer::reset() {
  decoder_ = decode::Decoder{};
  spools_.clear();
  live_candidate_.reset();
  if (live_ != nullptr) live_->reset();
  in_txn_ = false;
  skipping_ = false;
  set_current_context(std::nullopt);
}

Result<Consumer::Event> Consumer::feed(std::span<const std::byte> bytes) {
  decode::Message message;
  const bool in_stream = decoder_.in_streamed_block();
  const auto stream_xid = decoder_.stream_xid();
  if (auto s = decoder_.decode_into(bytes, message); !s) return s.error();

  // Inside a streamed block, everything but the block markers goes to that transaction's spool.
  if (in_stream && !std::holds_alternative<decode::StreamStop>(message) && stream_xid) {
    if (const auto* rel = std::get_if<decode::Relation>(&message)) remember(*rel, true);
    auto& spool = spools_[*stream_xid];
    if (!spool) {
      spool = std::make_unique<Spool>();
      spool->file = std::tmpfile();
      if (spool->file == nullptr) return spool_error("cannot create");
    }
    std::optional<decode::TransactionId> sub;
    std::visit(
        [&](const auto& m) {
          if constexpr (requires { m.xid; }) {
            if constexpr (std::is_same_v<std::decay_t<decltype(m.xid)>,
                                         std::optional<decode::TransactionId>>) {
              sub = m.xid;
            }
          }
        },
        message);
    if (sub && *sub != *stream_xid && !spool->first_offset_of.count(*sub)) {
      spool->first_offset_of[*sub] = std::ftell(spool->file);
    }
    const auto length = static_cast<std::uint32_t>(bytes.size());
    if (std::fwrite(&length, sizeof length, 1, spool->file) != 1 ||
        std::fwrite(bytes.data(), 1, bytes.size(), spool->file) != bytes.size()) {
      return spool_error("cannot write");
    }
    if (live_ != nullptr && live_candidate_ == *stream_xid && is_change(message)) {
      live_candidate_.reset();
      if (!live_->fell_back(*stream_xid)) {
        main_idle();
        live_->start(*stream_xid);
      }
    }
    if (live_ != nullptr && live_->is_live(*stream_xid)) {
      if (auto s = apply_live(message, *stream_xid, sub); !s) return s.error();
    }
    return Event::none;
  }
  if (in_stream && stream_xid && live_ != nullptr && live_->is_live(*stream_xid)) {
    live_->end_block();  // a Stream Stop: the block's statements finished, the transaction idle
  }
  return dispatch(message, false);
}

Result<Consumer::Event> Consumer::dispatch(const decode::Message& message, bool replaying) {
  return std::visit(
      Overloaded{[&](const decode::Begin& m) -> Result<Event> {
                   in_txn_ = true;
                   position_ = {m.final_lsn, Lsn{}, m.xid, m.commit_time.micros_since_2000};
                   set_current_context(transaction_context(m.final_lsn, m.xid));
                   // Already applied: the origin holds the end of a commit at or after this one.
                   skipping_ = m.final_lsn < applier_.origin_progress();
                   if (!skipping_) applier_.begin(position_);
                   return Event::none;
                 },
                 [&](const decode::Commit& m) -> Result<Event> {
                   position_.commit_lsn = m.commit_lsn;
                   position_.end_lsn = m.end_lsn;
                   position_.commit_time_micros = m.commit_time.micros_since_2000;
                   if (skipping_) {
                     ++skipped_;
                   } else {
                     applier_.end(position_);
                   }
                   in_txn_ = false;
                   skipping_ = false;
                   set_current_context(std::nullopt);
                   last_end_ = m.end_lsn;
                   last_commit_time_ = m.commit_time.micros_since_2000;
                   return Event::committed;
                 },
                 [&](const decode::Relation& m) -> Result<Event> {
                   remember(m, true);
                   return Event::none;
                 },
                 [&](const decode::Insert&) -> Result<Event> {
                   if (auto s = change(message, applier_); !s) return s.error();
                   return Event::none;
                 },
                 [&](const decode::Update&) -> Result<Event> {
                   if (auto s = change(message, applier_); !s) return s.error();
                   return Event::none;
                 },
                 [&](const decode::Delete&) -> Result<Event> {
                   if (auto s = change(message, applier_); !s) return s.error();
                   return Event::none;
                 },
                 [&](const decode::Truncate& m) -> Result<Event> {
                   if (auto s = truncate(m, applier_); !s) return s.error();
                   return Event::none;
                 },
                 [&](const decode::StreamStart& m) -> Result<Event> {
                   stream_start(m);
                   return Event::none;
                 },
                 [&](const decode::StreamCommit& m) -> Result<Event> {
                   auto it = spools_.find(m.xid);
                   std::unique_ptr<Spool> spool;
                   if (it != spools_.end()) {
                     spool = std::move(it->second);
                     spools_.erase(it);
                   }
                   last_end_ = m.end_lsn;
                   last_commit_time_ = m.commit_time.micros_since_2000;
                   const bool live = live_ != nullptr && live_->is_live(m.xid);
                   if (m.commit_lsn < applier_.origin_progress()) {
                     if (live) live_->abort();
                     if (live_ != nullptr) live_->forget(m.xid);
                     ++skipped_;
                     return Event::committed;
                   }
                   position_ = {m.commit_lsn, m.end_lsn, m.xid, m.commit_time.micros_since_2000};
                   set_current_context(transaction_context(m.commit_lsn, m.xid));
                   if (live && commit_live(m)) {
                     set_current_context(std::nullopt);
                     return Event::committed;
                   }
                   if (live_ != nullptr) live_->forget(m.xid);
                   applier_.begin(position_);
                   if (spool) {
                     if (auto s = replay(*spool, m); !s) return s.error();
                   }
                   applier_.end(position_);
                   set_current_context(std::nullopt);
                   return Event::committed;
                 },
                 [&](const decode::StreamAbort& m) -> Result<Event> {
                   if (live_ != nullptr) {
                     if (m.subxid == m.xid) {
                       if (live_->is_live(m.xid)) live_->abort();
                       live_->forget(m.xid);
                     } else if (live_->is_live(m.xid)) {
                       main_idle();
                       live_->abort_subtransaction(m.subxid);
                     }
                   }
                   auto it = spools_.find(m.xid);
                   if (it == spools_.end()) return Event::none;
                   if (m.subxid == m.xid) {
                     spools_.erase(it);
                     return Event::none;
                   }
                   Spool& spool = *it->second;
                   auto sub = spool.first_offset_of.find(m.subxid);
                   if (sub == spool.first_offset_of.end()) return Event::none;  // it wrote nothing
                   const long offset = sub->second;
                   std::fflush(spool.file);
                   if (ftruncate(fileno(spool.file), offset) != 0)
                     return spool_error("cannot truncate");
                   std::fseek(spool.file, offset, SEEK_SET);
                   // Later subtransactions started after this one; their changes are gone too.
                   for (auto j = spool.first_offset_of.begin(); j != spool.first_offset_of.end();) {
                     j = j->second >= offset ? spool.first_offset_of.erase(j) : std::next(j);
                   }
                   return Event::none;
                 },
                 [&](const auto&) -> Result<Event> {
                   // Origin, Type, logical messages and the stream block markers change nothing
                   // here.
                   (void)replaying;
                   return Event::none;
                 }},
      message);
}

void Consumer::remember(const decode::Relation& relation, bool log) {
  auto notice = relations_.remember(relation);
  if (!notice || !log) return;
  // Once per relation version: the letters themselves are counted, not logged one by one.
  if (notice->warning) {
    spdlog::warn("{}", notice->text);
  } else {
    spdlog::info("{}", notice->text);
  }
}

void Consumer::deliver(const translate::Mapped& mapped, Applier& target) {
  if (const auto* c = std::get_if<translate::Change>(&mapped)) {
    const ContextScope scope(translate::name_of(c->table), translate::name_of(c->op));
    if (c->op == translate::Operation::truncate) {
      target.truncate(c->table);
    } else {
      target.apply(*c);
    }
  } else if (const auto* u = std::get_if<translate::Unmapped>(&mapped)) {
    const ContextScope scope(u->source_table, translate::name_of(u->op));
    target.dead_letter(*u);
  }
}

Status Consumer::change(const decode::Message& message, Applier& target) {
  if (skipping_) return Ok{};
  Result<translate::Mapped> mapped = std::visit(
      Overloaded{[&](const decode::Insert& m) { return relations_.map(m); },
                 [&](const decode::Update& m) { return relations_.map(m); },
                 [&](const decode::Delete& m) { return relations_.map(m); },
                 [&](const auto&) -> Result<translate::Mapped> { return translate::Mapped{}; }},
      message);
  if (!mapped) return with_context(mapped.error());
  deliver(*mapped, target);
  return Ok{};
}

Status Consumer::truncate(const decode::Truncate& message, Applier& target) {
  if (skipping_) return Ok{};
  auto mapped = relations_.map(message);
  if (!mapped) return with_context(mapped.error());
  for (const auto& m : *mapped) deliver(m, target);
  return Ok{};
}

void Consumer::main_idle() {
  if (applier_.in_transaction() && commit_main_) commit_main_();
}

void Consumer::stream_start(const decode::StreamStart& start) {
  if (live_ == nullptr) return;
  if (live_->is_live(start.xid)) {
    main_idle();  // the main connection may have begun a batch since the last block
    return;
  }
  // Live from its first change on: a transaction that streams no change of the publication (the
  // bridge's own large target transaction, in a same-database deployment) never goes live.
  if (start.first_segment && !live_->xid()) live_candidate_ = start.xid;
}

Status Consumer::apply_live(const decode::Message& message, decode::TransactionId xid,
                            std::optional<decode::TransactionId> sub) {
  if (!is_change(message)) return Ok{};
  const auto* truncation = std::get_if<decode::Truncate>(&message);
  // Errors and letters name the transaction; its commit LSN is not known yet.
  set_current_context(transaction_context(Lsn{}, xid));
  Status status = Ok{};
  live_->apply(sub.value_or(xid), [&](Applier& live) {
    status = truncation != nullptr ? truncate(*truncation, live) : change(message, live);
  });
  set_current_context(std::nullopt);
  return status;
}

bool Consumer::commit_live(const decode::StreamCommit& commit) {
  main_idle();
  const bool committed = live_->commit(position_);
  live_->forget(commit.xid);
  return committed;
}

Status Consumer::replay(Spool& spool, const decode::StreamCommit& commit) {
  (void)commit;
  std::fflush(spool.file);
  std::rewind(spool.file);
  std::vector<std::byte> buffer;
  decode::DecodeContext context;
  context.in_streamed_block = true;
  for (;;) {
    std::uint32_t length = 0;
    if (std::fread(&length, sizeof length, 1, spool.file) != 1) break;
    buffer.resize(length);
    if (std::fread(buffer.data(), 1, length, spool.file) != length) {
      return spool_error("truncated record");
    }
    decode::Message message;
    if (auto s = decode::decode_into(buffer, context, message); !s) return s.error();
    if (const auto* rel = std::get_if<decode::Relation>(&message)) {
      // Logged on arrival; remembered again so that each spooled change is read by the
      // Relation it was sent with (a transaction may alter a table between its changes).
      remember(*rel, false);
      continue;
    }
    if (auto s = change(message, applier_); !s) return s.error();
    if (const auto* t = std::get_if<decode::Truncate>(&message)) {
      if (auto s = truncate(*t, applier_); !s) return s.error();
    }
  }
  return Ok{};
}

}  // namespace dualwrite::apply
