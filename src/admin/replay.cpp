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

Result<ReplayReport> replay(apply::Connection& source, const SlotReaderOptions& slot,
                            const ReplayRange& range, const TransactionSpan& span,
                            apply::ApplyOptions apply_options, const ReplayLimits& limits) {
  ReplayReport report;
  if (span.transactions == 0) return report;
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

  Lsn committed_through;  // commit_lsn of the last source transaction the target committed
  Lsn careful_until;      // transactions whose commit_lsn is at or below it go change by change
  for (;;) {
    apply::ApplyStats stats;
    apply::Applier applier(apply_options, stats);
    Totals at_batch_start;
    Lsn last_fed;  // commit_lsn of the last source transaction given to the applier
    std::uint64_t batch_transactions = 0;
    Lsn batch_first_end, batch_last_end;
    bool batch_careful = false;

    auto commit_batch = [&] {
      if (!applier.in_transaction()) return;
      applier.commit();
      const Totals now = totals_of(stats);
      report.changes += now.changes - at_batch_start.changes;
      report.rows_written += now.rows_written - at_batch_start.rows_written;
      report.dead_letters += now.dead_letters - at_batch_start.dead_letters;
      report.transactions += batch_transactions;
      report.target_transactions += 1;
      if (!report.first_end.is_valid()) report.first_end = batch_first_end;
      report.last_end = batch_last_end;
      at_batch_start = now;
      batch_transactions = 0;
      batch_first_end = Lsn::invalid();
      committed_through = last_fed;
      batch_careful = false;
    };

    // One pass over the range: true once it is applied, false to go again change by change
    // from the first transaction the target did not commit; database errors are the target's.
    auto pass = pg::attempt(ErrorDomain::target, [&]() -> Result<bool> {
      try {
        applier.connect();
        apply::Consumer consumer(applier);
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
            taking = commit >= span.first_commit &&
                     (!committed_through.is_valid() || commit > committed_through);
            if (!taking) continue;
            const bool careful = careful_until.is_valid() && commit <= careful_until;
            if (careful != applier.careful()) {
              commit_batch();
              applier.set_careful(careful);
            }
            batch_careful = batch_careful || careful;
            last_fed = commit;
          } else if (!taking && tag != 'R') {
            continue;  // a transaction outside the range; only its Relation messages matter
          }
          auto event = consumer.feed(data);
          if (!event) return event.error();
          if (*event != apply::Consumer::Event::committed || !taking) continue;
          taking = false;
          const Lsn end = consumer.last_end_lsn();
          if (end < range.from || end > range.to) {
            return make_error(ErrorDomain::internal,
                              "the transaction that commits at " + last_fed.to_string() +
                                  " ends at " + end.to_string() + ", outside the range " +
                                  range.from.to_string() + ".." + range.to.to_string());
          }
          ++batch_transactions;
          if (!batch_first_end.is_valid()) batch_first_end = end;
          batch_last_end = end;
          if (applier.pending_changes() >= limits.batch_max_changes ||
              applier.pending_bytes() >= limits.batch_max_bytes || applier.careful()) {
            commit_batch();
          }
        }
        commit_batch();
        return true;
      } catch (const apply::ApplyRejected& e) {
        if (batch_careful || applier.careful()) {
          Error rejected =
              make_error(ErrorDomain::target,
                         std::string("target: rejected even change by change: ") + e.what());
          rejected.context = e.context;
          return rejected;
        }
        // Again from the first transaction the target did not commit, change by change up to
        // the last one of the rejected batch.
        ++report.careful_batches;
        careful_until = std::max(careful_until, last_fed);
        return false;
      }
    });
    if (!pass) return target_error(pass.error());
    if (!*pass) return pass->error();
    if (**pass) break;
  }

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
