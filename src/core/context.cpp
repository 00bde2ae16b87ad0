#include "dualwrite/core/context.hpp"

#include <utility>

namespace dualwrite {

namespace {
thread_local std::optional<ChangeContext> current;
}  // namespace

std::string describe(const ChangeContext& context) {
  std::string text = context.table;
  if (!context.operation.empty()) {
    if (!text.empty()) text += ' ';
    text += context.operation;
  }
  auto part = [&text](const std::string& s) {
    if (!text.empty()) text += ", ";
    text += s;
  };
  if (context.xid != 0) part("xid " + std::to_string(context.xid));
  if (context.commit_lsn.is_valid()) part("commit " + context.commit_lsn.to_string());
  return text;
}

const std::optional<ChangeContext>& current_context() {
  return current;
}

void set_current_context(std::optional<ChangeContext> context) {
  current = std::move(context);
}

ContextScope::ContextScope(std::string_view table, std::string_view operation)
    : had_context_(current.has_value()) {
  if (!current) current.emplace();
  saved_table_ = current->table;
  saved_operation_ = current->operation;
  current->table.assign(table);
  current->operation.assign(operation);
}

ContextScope::~ContextScope() {
  if (!had_context_) {
    current.reset();
    return;
  }
  // Assigned, not swapped: the thread's strings keep their capacity for the next change.
  current->table.assign(saved_table_);
  current->operation.assign(saved_operation_);
}

}  // namespace dualwrite
