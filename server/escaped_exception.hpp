// What a listener answers when an exception escapes the code answering a request.
// cpp-httplib 0.11, left to itself, answers 500 with the exception's what() in an
// EXCEPTION_WHAT response header, handing the client whatever the message held
// (a path, a password). Every listener sets this as its exception handler instead.
#pragma once

#include "server/response_message.hpp"

#include <httplib.h>

#include <exception>
#include <string_view>

namespace flexilib::server {

// Logs one line naming `listener`, the request and what(), and replaces whatever
// `response` held with a plain 500 derived from nothing of the exception.
void answer_escaped_exception(std::string_view listener, const httplib::Request &request,
                              httplib::Response &response, std::exception_ptr escaped);
// The same for the serving path, whose responses the server writes itself.
void answer_escaped_exception(std::string_view listener, const httplib::Request &request,
                              ResponseMessage &response, std::exception_ptr escaped);

} // namespace flexilib::server
