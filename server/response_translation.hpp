// Turning a library's flexilib_response into the ResponseMessage the server writes,
// refusing what must never be sent: an invalid status, a header that is not a token,
// a CR, LF or NUL that would split the response. The server frames the body itself.
#pragma once

#include "executors/flexilib.h"
#include "server/response_message.hpp"

#include <string>

namespace flexilib::server {

// Points `to` at the library's response (its memory lasts until request_deinit, after
// the response is written): nothing is copied. Returns an error text when the
// response is not something we may send; the caller then answers 500.
std::string translate_response(const flexilib_response &from, ResponseMessage &to);

} // namespace flexilib::server
