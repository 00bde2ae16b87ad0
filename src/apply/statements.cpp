#include "dualwrite/apply/statements.hpp"

#include <array>

#include "dualwrite/apply/batch.hpp"
#include "dualwrite/sql/apply.hpp"

namespace dualwrite::apply {

namespace {

namespace files = sql::apply;
using translate::OpKind;

// Slots in OpKind order, then the dead letters (batch.hpp).
constexpr std::array<Statement, kSlotCount> kSlots{{
    {"dw_link_put", files::link_put},
    {"dw_link_delete", files::link_delete},
    {"dw_account_metadata_put", files::account_metadata_put},
    {"dw_profile_put", files::profile_put},
    {"dw_profile_delete", files::profile_delete},
    {"dw_feedback_insert", files::feedback_insert},
    {"dw_feedback_update", files::feedback_update},
    {"dw_feedback_delete", files::feedback_delete},
    {"dw_suggestion_put", files::suggestion_put},
    {"dw_suggestion_delete", files::suggestion_delete},
    {"dw_offline_put", files::offline_put},
    {"dw_offline_delete", files::offline_delete},
    {"dw_session_put", files::session_put},
    {"dw_session_delete", files::session_delete},
    {"dw_message_put", files::message_put},
    {"dw_message_delete", files::message_delete},
    {"dw_summary_put", files::summary_put},
    {"dw_summary_delete", files::summary_delete},
    {"dw_activity_put", files::activity_put},
    {"dw_dead_letters_insert", files::dead_letters_insert},
}};
static_assert(static_cast<std::size_t>(OpKind::activity_put) + 1 == kLetterSlot);

}  // namespace

namespace statement {
const Statement dead_letters_insert = kSlots[kLetterSlot];
const Statement unlinked_letters_of_users{"dw_unlinked_letters_of_users",
                                          files::unlinked_letters_of_users};
const Statement orphan_letters_of_sessions{"dw_orphan_letters_of_sessions",
                                           files::orphan_letters_of_sessions};
const Statement supersede_letters{"dw_supersede_letters", files::supersede_letters};
const Statement resolve_dead_letters{"dw_resolve_dead_letters", files::resolve_dead_letters};
const Statement retry_failed{"dw_retry_failed", files::retry_failed};
const Statement recompute_outcomes{"dw_recompute_outcomes", files::recompute_outcomes};
const Statement origin_xact_setup{"dw_origin_xact_setup", files::origin_xact_setup};
const Statement forget_deleted_links{"dw_forget_deleted_links", files::forget_deleted_links};
}  // namespace statement

const Statement& slot_statement(std::size_t slot) {
  return kSlots[slot];
}

std::string_view session_setup_sql() {
  return files::session_setup;
}

std::span<const Statement* const> all_statements() {
  static const auto all = [] {
    std::array<const Statement*, kSlotCount + 8> a{};
    std::size_t n = 0;
    for (const auto& s : kSlots) a[n++] = &s;
    for (const auto* s :
         {&statement::unlinked_letters_of_users, &statement::orphan_letters_of_sessions,
          &statement::supersede_letters, &statement::resolve_dead_letters, &statement::retry_failed,
          &statement::recompute_outcomes, &statement::origin_xact_setup,
          &statement::forget_deleted_links}) {
      a[n++] = s;
    }
    return a;
  }();
  return all;
}

}  // namespace dualwrite::apply
