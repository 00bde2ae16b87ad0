// The legacy vocabularies the translator accepts, and how they become the new schema's enum
// labels (mapping.md: feedback types, suggestion sources).
//
// For: the translator's enum checks (a value outside a list is an unknown_enum_value letter) and
// the test that holds these lists to the enum types of sql/migrations/…_phase0_enums.sql, the
// one source of the new vocabularies (tests/integration/sql: TranslatorVocabulariesAreTheEnums).
// Not for: the expected-state views, which derive the same mapping independently on purpose:
// verify compares two implementations, not one with itself.
// Thread-safety: constants and pure functions.
#pragma once

#include <array>
#include <string_view>

namespace dualwrite::translate::vocabulary {

// Legacy values that pass through unchanged: each list is its enum type's labels, in order.
inline constexpr std::array<std::string_view, 3> kAccountStatus{"active", "suspended", "deleted"};
inline constexpr std::array<std::string_view, 6> kAgeRange{"18-24", "25-34", "35-44",
                                                           "45-54", "55-64", "65+"};
inline constexpr std::array<std::string_view, 3> kRunStatus{"pending", "completed", "failed"};
inline constexpr std::array<std::string_view, 3> kSessionType{"trip_planning", "support",
                                                              "onboarding"};
inline constexpr std::array<std::string_view, 4> kRole{"user", "assistant", "system", "tool"};

// Legacy values that are renamed: activity_feedback.feedback_type -> interaction_type, and
// ai_suggestions.source -> recommendation_trigger.
inline constexpr std::array<std::string_view, 7> kFeedbackType{"like", "dislike", "skip",  "view",
                                                               "save", "booked",  "shared"};
inline constexpr std::array<std::string_view, 4> kSource{"quiz", "chat", "manual", "cron"};

// A value of kFeedbackType as its interaction_type label.
std::string_view interaction_type_of(std::string_view feedback_type);
// A value of kSource as its recommendation_trigger label.
std::string_view trigger_of(std::string_view source);

}  // namespace dualwrite::translate::vocabulary
