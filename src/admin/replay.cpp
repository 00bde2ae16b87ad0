#include "dualwrite/admin/replay.hpp"

#include <algorithm>
#include <cstdlib>

#include "dualwrite/apply/consumer.hpp"
#include "dualwrite/pg/attempt.hpp"

namespace dualwrite::admin {

namespace {

struct Totals {
  std::uint64_t changes = 0;
  std::uint64_t rows_written = 0;
  std::uint64_t dead_letters = 0;
};

Totals totals_of(const apply::ApplyStats& s) {
  Totals t;
  for (const auto& table : s.changes) {
    for (const auto& n : table) t.changes += n.load();
  }
  for (const auto& n : s.rows_written) t.rows_written += n.load();
  for (const auto& table : s.dead_letters) {
    for (const auto& n : table) t.dead_letters += n.load();
  }
  return t;
}

std::uint64_t count_letters(apply::Connection& target) {
  return std::strtoull(target.scalar("SELECT count(*) FROM dualwrite.dead_letters").c_str(),
                       nullptr, 10);
}

// A database error of the target (from pg::attempt), with what to do when the cause is known.
Error target_error(const Error& e) {
  std::string message = "target: " + e.message;
  if (e.sqlstate == "42P01" || e.sqlstate == "3F000") {
    message += " (the target needs the bridge's migrations: scripts/migrate)";
  }
  Error error = make_error(ErrorDomain::target, message);
  error.context = e.context;
  return error;
}

}  // namespace

Result<ReplayRange> check_replay_range(const ReplayRequest& request, Lsn oldest_held, Lsn applied) {
  if (request.from < oldest_held) {
    return make_error(ErrorDomain::usage,
                      "--from " + request.from.to_string() +
                          " is older than what the slot still holds: the oldest replayable "
                          "position is " +
                          oldest_held.to_string() +
                          " (keep more applied history with [progress] replay_window)");
  }
  ReplayRange range{request.from, request.to.value_or(applied)};
  if (!request.to && !applied.is_valid()) {
    return make_error(ErrorDomain::usage,
                      "no applied position is known (no origin, no slot progress): give --to");
  }
  if (range.to < range.from) {
    return make_error(
        ErrorDomain::usage,
        request.to
            ? "--to " + range.to.to_string() + " is before --from " + range.from.to_string()
            : "--from " + range.from.to_string() + " is past the applied position " +
                  applied.to_string() + " (the default --to): nothing has been applied there");
  }
  if (!request.rehearsal && range.to > applied) {
    return make_error(ErrorDomain::usage,
                      "--to " + range.to.to_string() + " is past the applied position " +
                          applied.to_string() +
                          ": what follows is not applied yet (dualwrite run applies it, "
                          "dualwrite peek shows it; --target may rehearse it elsewhere)");
  }
  return range;
}

namespace {

// What the passes over a range share: the report, how far the target has committed, and up to
// where transactions go change by change.
struct ReplayState {
  ReplayReport report;
  Lsn committed_through;  // commit_lsn of the last source transaction the target committed
  Lsn careful_until;      // transactions whose commit_lsn is at or below it go change by change
};

// One pass over the range: an applier of its own, fed the range's transactions the target has
// not committed yet, committed in batches of the replay's limits.
class ReplayPass {
 public:
  ReplayPass(ReplayState& state, const apply::ApplyOptions& options)
      : state_(state), applier_(options, stats_) {}

  // True once the range is applied, false to go again change by change from the first
  // transaction the target did not commit; database errors are thrown (pg::attempt's to catch).
  Result<bool> run(apply::Connection& source, const SlotReaderOptions& slot,
                   const ReplayRange& range, const TransactionSpan& span,
                   const ReplayLimits& limits) {
    try {
      applier_.connect();
      apply::Consumer consumer(applier_);
      SlotReaderOptions o = slot;
      o.upto_lsn = span.last_end;
      SlotReader reader(source, o);
      bool taking = false;
      for (;;) {
        auto row = reader.next();
        if (!row) return row.error();
        if (!*row) break;
        const auto& data = (*row)->data;
        if (data.empty()) continue;
        const char tag = static_cast<char>(data[0]);
        if (tag == 'B') {
          auto begin = decode::decode(data);
          if (!begin) return begin.error();
          const Lsn commit = std::get<decode::Begin>(*begin).final_lsn;
          if (commit > span.last_commit) break;
          taking = take(commit, span);
          if (!taking) continue;
        } else if (!taking && tag != 'R') {
          continue;  // a transaction outside the range; only its Relation messages matter
        }
        auto event = consumer.feed(data);
        if (!event) return event.error();
        if (*event != apply::Consumer::Event::committed || !taking) continue;
        taking = false;
        if (auto fed = fed_through(consumer.last_end_lsn(), range, limits); !fed) {
          return fed.error();
        }
      }
      commit_batch();
      return true;
    } catch (const apply::ApplyRejected& e) {
      if (batch_careful_ || applier_.careful()) {
        Error rejected =
            make_error(ErrorDomain::target,
                       std::string("target: rejected even change by change: ") + e.what());
        rejected.context = e.context;
        return rejected;
      }
      // Again from the first transaction the target did not commit, change by change up to
      // the last one of the rejected batch.
      ++state_.report.careful_batches;
      state_.careful_until = std::max(state_.careful_until, last_fed_);
      return false;
    }
  }

 private:
  // A Begin at `commit`: whether its transaction is one to apply (in the span, not committed by
  // an earlier pass). Careful mode changes only between batches.
  bool take(Lsn commit, const TransactionSpan& span) {
    if (commit < span.first_commit ||
        (state_.committed_through.is_valid() && commit <= state_.committed_through)) {
      return false;
    }
    const bool careful = state_.careful_until.is_valid() && commit <= state_.careful_until;
    if (careful != applier_.careful()) {
      commit_batch();
      applier_.set_careful(careful);
    }
    batch_careful_ = batch_careful_ || careful;
    last_fed_ = commit;
    return true;
  }

  // The applier has taken a whole transaction, ending at `end`: it joins the batch, which is
  // committed once it is as large as the limits allow (or at once in careful mode).
  Status fed_through(Lsn end, const ReplayRange& range, const ReplayLimits& limits) {
    if (end < range.from || end > range.to) {
      return make_error(ErrorDomain::internal,
                        "the transaction that commits at " + last_fed_.to_string() + " ends at " +
                            end.to_string() + ", outside the range " + range.from.to_string() +
                            ".." + range.to.to_string());
    }
    ++batch_transactions_;
    if (!batch_first_end_.is_valid()) batch_first_end_ = end;
    batch_last_end_ = end;
    if (applier_.pending_changes() >= limits.batch_max_changes ||
        applier_.pending_bytes() >= limits.batch_max_bytes || applier_.careful()) {
      commit_batch();
    }
    return Ok{};
  }

  void commit_batch() {
    if (!applier_.in_transaction()) return;
    applier_.commit();
    const Totals now = totals_of(stats_);
    ReplayReport& report = state_.report;
    report.changes += now.changes - at_batch_start_.changes;
    report.rows_written += now.rows_written - at_batch_start_.rows_written;
    report.dead_letters += now.dead_letters - at_batch_start_.dead_letters;
    report.transactions += batch_transactions_;
    report.target_transactions += 1;
    if (!report.first_end.is_valid()) report.first_end = batch_first_end_;
    report.last_end = batch_last_end_;
    at_batch_start_ = now;
    batch_transactions_ = 0;
    batch_first_end_ = Lsn::invalid();
    state_.committed_through = last_fed_;
    batch_careful_ = false;
  }

  ReplayState& state_;
  apply::ApplyStats stats_;
  apply::Applier applier_;
  Totals at_batch_start_;
  Lsn last_fed_;  // commit_lsn of the last source transaction given to the applier
  std::uint64_t batch_transactions_ = 0;
  Lsn batch_first_end_, batch_last_end_;
  bool batch_careful_ = false;
};

}  // namespace

Result<ReplayReport> replay(apply::Connection& source, const SlotReaderOptions& slot,
                            const ReplayRange& range, const TransactionSpan& span,
                            apply::ApplyOptions apply_options, const ReplayLimits& limits) {
  if (span.transactions == 0) return ReplayReport{};
  // No origin session: nothing is skipped as already applied, and the bridge's progress stays.
  apply_options.origin.clear();

  std::uint64_t letters_before = 0;
  apply::Connection counter;
  if (auto counted = pg::attempt(ErrorDomain::target,
                                 [&] {
                                   counter = apply::Connection::open(apply_options.conninfo,
                                                                     apply_options.password);
                                   letters_before = count_letters(counter);
                                 });
      !counted) {
    return target_error(counted.error());
  }

  ReplayState state;
  for (;;) {
    ReplayPass pass(state, apply_options);
    auto done = pg::attempt(ErrorDomain::target,
                            [&] { return pass.run(source, slot, range, span, limits); });
    if (!done) return target_error(done.error());
    if (!*done) return done->error();
    if (**done) break;
  }

  ReplayReport& report = state.report;
  if (report.transactions != span.transactions) {
    return make_error(ErrorDomain::source,
                      "the slot changed during the replay: " + std::to_string(report.transactions) +
                          " of the " + std::to_string(span.transactions) +
                          " transactions were found again (did the daemon start?)");
  }
  auto letters_after = pg::attempt(ErrorDomain::target, [&] { return count_letters(counter); });
  if (!letters_after) return target_error(letters_after.error());
  report.new_dead_letters = *letters_after > letters_before ? *letters_after - letters_before : 0;
  return report;
}

}  // namespace dualwrite::admin
