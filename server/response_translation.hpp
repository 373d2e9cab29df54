// Turning a library's flexilib_response into cpp-httplib's Response, refusing what
// must never be sent: an invalid status, a header that is not a token, a CR, LF or NUL
// that would split the response. The server frames the body itself.
#pragma once

#include "executors/flexilib.h"
#include "server/connection_stream.hpp"

#include <httplib.h>
#include <string>

namespace flexilib::server {

// Copies the library's response into `to` (and its reason phrase into the stream).
// Returns an error text when the response is not something we may send; the caller
// then answers 500.
std::string translate_response(const flexilib_response &from, httplib::Response &to,
                               ConnectionStream &stream);

} // namespace flexilib::server
