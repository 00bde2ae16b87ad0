# SQL as files, compiled in (the way pgcopydb keeps its queries in sql/*.sql).
#
# dw_embed_sql(<stage>) reads every sql/<stage>/*.sql of the source tree and generates the
# header <dualwrite/sql/<stage>.hpp> under the build tree, with one
#   inline constexpr std::string_view <file stem> = R"dw_sql(<file text>)dw_sql";
# per file in namespace dualwrite::sql::<stage>, plus `all`, the (name, text) pairs of the stage
# (the PREPARE test walks them). It defines the INTERFACE library dw_sql_<stage>, which carries
# the include directory; the stage's library links it.
#
# Every statement stays readable and runnable in psql as it is; a change to a .sql file makes
# CMake regenerate the header (each file is a configure dependency), and the header is only
# rewritten when its text changed.
set(DW_SQL_GENERATED_INCLUDE ${PROJECT_BINARY_DIR}/generated/include)

function(dw_embed_sql stage)
  set(dir ${PROJECT_SOURCE_DIR}/sql/${stage})
  file(GLOB files CONFIGURE_DEPENDS ${dir}/*.sql)
  list(SORT files)
  if(NOT files)
    message(FATAL_ERROR "dw_embed_sql(${stage}): no .sql files in ${dir}")
  endif()
  set(body "")
  set(index "")
  set(count 0)
  foreach(file IN LISTS files)
    get_filename_component(stem ${file} NAME_WE)
    if(NOT stem MATCHES "^[a-z][a-z0-9_]*$")
      message(FATAL_ERROR "sql/${stage}/${stem}.sql: statement files are named in lower_snake_case")
    endif()
    set_property(DIRECTORY ${PROJECT_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${file})
    file(READ ${file} text)
    string(FIND "${text}" ")dw_sql\"" clash)
    if(NOT clash EQUAL -1)
      message(FATAL_ERROR "sql/${stage}/${stem}.sql contains the raw-string delimiter )dw_sql\"")
    endif()
    string(APPEND body "inline constexpr std::string_view ${stem} = R\"dw_sql(${text})dw_sql\";\n\n")
    string(APPEND index "    {\"${stem}\", ${stem}},\n")
    math(EXPR count "${count} + 1")
  endforeach()
  set(header "// Generated from sql/${stage}/*.sql by cmake/embed_sql.cmake; do not edit.\n")
  string(APPEND header "#pragma once\n\n#include <array>\n#include <string_view>\n#include <utility>\n\n")
  string(APPEND header "namespace dualwrite::sql::${stage} {\n\n${body}")
  string(APPEND header "// Every statement of the stage, by file stem.\n")
  string(APPEND header "inline constexpr std::array<std::pair<std::string_view, std::string_view>, ${count}> all{{\n")
  string(APPEND header "${index}}};\n\n}  // namespace dualwrite::sql::${stage}\n")
  set(out ${DW_SQL_GENERATED_INCLUDE}/dualwrite/sql/${stage}.hpp)
  if(EXISTS ${out})
    file(READ ${out} old)
  else()
    set(old "")
  endif()
  if(NOT old STREQUAL header)
    file(WRITE ${out} "${header}")
  endif()
  add_library(dw_sql_${stage} INTERFACE)
  target_include_directories(dw_sql_${stage} INTERFACE ${DW_SQL_GENERATED_INCLUDE})
  set_property(GLOBAL APPEND PROPERTY DW_SQL_STAGES ${stage})
endfunction()
