#include "dualwrite/translate/vocabulary.hpp"

namespace dualwrite::translate::vocabulary {

std::string_view interaction_type_of(std::string_view feedback_type) {
  if (feedback_type == "like") return "like";
  if (feedback_type == "dislike" || feedback_type == "skip") return "skip";
  if (feedback_type == "view") return "view";
  if (feedback_type == "save") return "bookmark";
  if (feedback_type == "booked") return "book";
  return "share";  // "shared": the translator checked the value against kFeedbackType first
}

std::string_view trigger_of(std::string_view source) {
  if (source == "quiz") return "quiz_result";
  if (source == "chat") return "chat_prompt";
  return source;  // manual, cron
}

}  // namespace dualwrite::translate::vocabulary
