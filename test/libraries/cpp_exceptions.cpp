// A C++ handler that throws and catches inside handle_request, linked against the
// system's libstdc++ while the server carries its own static copy: each request
// throws three ways (a standard exception caught by its base class, one of the
// library's own types, nlohmann's parse error) and answers what it caught.
#include "flexilib.h"

#include <nlohmann/json.hpp>

#include <exception>
#include <stdexcept>
#include <string>

FLEXILIB_EXPORT_ABI_VERSION

namespace {

struct HandlerError : std::logic_error {
  using std::logic_error::logic_error;
};

std::string caught_from(void (*thrower)()) {
  try {
    thrower();
  } catch (const std::exception &caught) {
    return caught.what();
  }
  return "nothing thrown";
}

// Thread-local: the server may call the handler on several threads at once.
thread_local std::string body;
thread_local flexilib_response response;

} // namespace

FLEXILIB_API flexilib_response *handle_request(flexilib_request *) {
  body = caught_from([] { throw std::runtime_error("runtime_error"); });
  body += "; " + caught_from([] { throw HandlerError("HandlerError"); });
  std::exception_ptr saved;
  try {
    const nlohmann::json never = nlohmann::json::parse("{not json");
    body += "; parsed " + never.dump(); // not reached: the parse throws
  } catch (...) {
    saved = std::current_exception();
  }
  try {
    std::rethrow_exception(saved);
  } catch (const nlohmann::json::parse_error &error) {
    body += "; parse_error " + std::to_string(error.id);
  }
  response = {};
  response.ptr = body.data();
  response.len = body.size();
  return &response;
}
