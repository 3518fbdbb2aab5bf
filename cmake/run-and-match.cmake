# Runs a program and passes only if it exits with 0 AND its output matches a regular expression.
# (CTest's PASS_REGULAR_EXPRESSION alone ignores the exit code, so a program that printed the
# expected line and then crashed, or tripped a sanitizer, would pass.)
#
#   cmake -DPROGRAM=<path> -DPASS_REGEX=<regex> -P run-and-match.cmake
if(NOT DEFINED PROGRAM OR NOT DEFINED PASS_REGEX)
  message(FATAL_ERROR "usage: cmake -DPROGRAM=<path> -DPASS_REGEX=<regex> -P run-and-match.cmake")
endif()

execute_process(
  COMMAND "${PROGRAM}"
  RESULT_VARIABLE result
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output)
message("${output}")

if(NOT result EQUAL 0)
  message(FATAL_ERROR "${PROGRAM} exited with '${result}' (expected 0)")
endif()
if(NOT output MATCHES "${PASS_REGEX}")
  message(FATAL_ERROR "the output of ${PROGRAM} does not match the regular expression '${PASS_REGEX}'")
endif()
