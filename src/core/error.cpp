#include "dualwrite/core/error.hpp"

namespace dualwrite {

int exit_code(ErrorDomain domain) {
  return static_cast<int>(domain);
}

const char* to_string(ErrorDomain domain) {
  switch (domain) {
    case ErrorDomain::internal:
      return "internal";
    case ErrorDomain::usage:
      return "usage";
    case ErrorDomain::decode:
      return "decode";
    case ErrorDomain::source:
      return "source";
    case ErrorDomain::target:
      return "target";
    case ErrorDomain::slot_lost:
      return "slot_lost";
    case ErrorDomain::translate:
      return "translate";
    case ErrorDomain::verify_drift:
      return "verify_drift";
  }
  return "unknown";
}

std::string describe(const Error& error) {
  if (!error.context || error.context->empty()) return error.message;
  return error.message + " (" + describe(*error.context) + ")";
}

}  // namespace dualwrite
