# Writes OUTPUT, a C++ file whose function NAMESPACE::FUNCTION() returns the bytes of
# INPUT as a std::string_view, so that a file kept readable in the source tree (the
# dashboard page) is compiled into the binary. Run as `cmake -P` by a custom command
# that depends on INPUT, so editing the file rebuilds the binary.
# Arguments (-D): INPUT, OUTPUT, HEADER (to include), NAMESPACE, FUNCTION.
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR byte_count "${hex_length} / 2")
# 0x3c,0x21,... with a line break every 24 bytes keeps the generated file readable.
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){24})" "\\1\n    " bytes "${bytes}")
get_filename_component(input_name "${INPUT}" NAME)
file(WRITE "${OUTPUT}.tmp" "// Generated from ${input_name} by cmake/embed_file.cmake: edit that file instead.
#include \"${HEADER}\"

namespace ${NAMESPACE} {

namespace {
constexpr unsigned char bytes[${byte_count} + 1] = {
    ${bytes}0};
} // namespace

std::string_view ${FUNCTION}() {
  return {reinterpret_cast<const char *>(bytes), ${byte_count}};
}

} // namespace ${NAMESPACE}
")
# Only a changed file is rewritten, so an unchanged page does not recompile anything.
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUTPUT}.tmp")
