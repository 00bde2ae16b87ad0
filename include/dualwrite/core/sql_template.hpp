// Statement files that are templates: psql variables the program fills.
//
// For: a file under sql/<stage>/ that serves several tables, or takes a condition the program
// builds, and still runs in psql as it is (psql -v name=value -f file), since what it leaves open
// are psql's own variable references:
//   :"name"  an identifier: with_identifier() puts quote_identifier(value) there;
//   :'name'  a literal: with_literal() puts quote_literal(value) there. Only where the statement
//            cannot take $n parameters (the replication connection: simple query protocol only);
//   :name    SQL text: with_sql() puts the text there as it is. Only for SQL the program or a
//            migration wrote (a chunk's key range of the program's own bounds, compare_spec's
//            expressions), never for a value from outside: values go in as $n parameters.
// As in psql, nothing is filled inside a comment or a quoted literal or identifier, and `::` is
// a cast, not a variable.
// Not for: building statements out of pieces (a statement is a file; a template fills one or
// two holes of it).
// Thread-safety: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace dualwrite {

// `sql` with every :"variable" replaced by quote_identifier(value).
std::string with_identifier(std::string_view sql, std::string_view variable,
                            std::string_view value);

// `sql` with every :'variable' replaced by quote_literal(value).
std::string with_literal(std::string_view sql, std::string_view variable, std::string_view value);

// `sql` with every :variable replaced by `text`, verbatim.
std::string with_sql(std::string_view sql, std::string_view variable, std::string_view text);

// Whether `sql` still holds a psql variable (:name, :"name" or :'name') outside comments and
// quotes.
bool is_template(std::string_view sql);

}  // namespace dualwrite
