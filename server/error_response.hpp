// The one shape of a response the server makes itself rather than a handler: a
// status and one line of plain text saying what went wrong (details go to the log).
#pragma once

#include "server/response_message.hpp"

#include <string>

namespace flexilib::server {

inline void respond_with_error(ResponseMessage &response, int status, const std::string &text) {
  response.clear();
  response.status = status;
  response.set_owned_body(text + "\n");
}

} // namespace flexilib::server
