// A FlexiLib route: the original ABI. The request becomes a flexilib_request, the
// library's handle_request answers it, and its flexilib_response becomes the HTTP
// response. The Cloudflare profile calls the library the same way (cloudflare_target).
#pragma once

#include "targets/library_target.hpp"

namespace flexilib::targets {

class FlexiLibTarget : public LibraryTarget {
public:
  using LibraryTarget::LibraryTarget;
  void serve(Exchange &exchange, httplib::Response &response) const override;
  std::string_view profile() const override { return "flexilib"; }

protected:
  const char *missing_entry_point(const loader::Library &library) const override;
};

// The C request for `exchange`: it points into cpp-httplib's request and the raw head.
flexilib_request c_request_of(const Exchange &exchange);

// Calls the library's handle_request, handing a library written on FlexiLib's Zig
// interface its allocator over the request arena first (zigInit).
flexilib_response *call_handle_request(const loader::Library &library, Exchange &exchange,
                                       flexilib_request &c_request);

// `c_response` (what handle_request returned) into `response`; a NULL or invalid one
// is logged and answered 500.
void answer_from_c_response(const Exchange &exchange, const flexilib_response *c_response,
                            httplib::Response &response);

} // namespace flexilib::targets
