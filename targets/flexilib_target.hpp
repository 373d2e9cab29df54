// A FlexiLib route: the original ABI. The request becomes a flexilib_request, the
// library's handle_request answers it, and its flexilib_response becomes the HTTP
// response. The Cloudflare profile calls the library the same way (cloudflare_target).
#pragma once

#include "targets/library_target.hpp"

namespace flexilib::targets {

class FlexiLibTarget : public LibraryTarget {
public:
  using LibraryTarget::LibraryTarget;
  void serve(Exchange &exchange, server::ResponseMessage &response) const override;
  std::string_view profile() const override { return "flexilib"; }

protected:
  const char *missing_entry_point(const loader::Library &library) const override;
};

// The C request for `exchange`: it points into cpp-httplib's request and the raw head.
flexilib_request c_request_of(const Exchange &exchange);

// What handle_request gave back: its response, or that an exception escaped it (or
// zigInit), which the exception boundary has logged.
struct HandlerResult {
  flexilib_response *response = nullptr;
  bool threw = false;
};

// Calls the library's handle_request, handing a library written on FlexiLib's Zig
// interface its allocator over the request arena first (zigInit), both through the
// exception boundary (loader/entry_point_call).
HandlerResult call_handle_request(const loader::Library &library, Exchange &exchange,
                                  flexilib_request &c_request);

// `result` (what handle_request returned) into `response`; an exception, a NULL or an
// invalid response is answered 500, the last two with a log line of their own.
void answer_from_c_response(const Exchange &exchange, const HandlerResult &result,
                            server::ResponseMessage &response);

} // namespace flexilib::targets
