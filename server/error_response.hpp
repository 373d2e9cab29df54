// The one shape of a response the server makes itself rather than a handler: a
// status and one line of plain text saying what went wrong (details go to the log).
#pragma once

#include <httplib.h>

#include <string>

namespace flexilib::server {

inline void respond_with_error(httplib::Response &response, int status, const std::string &text) {
  response.status = status;
  response.set_content(text + "\n", "text/plain");
}

} // namespace flexilib::server
