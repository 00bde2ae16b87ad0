// Moved to the pg stage (dualwrite/pg/connection.hpp); these names keep the code that still
// says apply::Connection compiling until it is carried over.
#pragma once

#include "dualwrite/pg/connection.hpp"

namespace dualwrite::apply {
using pg::append_array_element;
using pg::Connection;
using pg::DbError;
using pg::ResultDeleter;
using pg::ResultPtr;
}  // namespace dualwrite::apply
