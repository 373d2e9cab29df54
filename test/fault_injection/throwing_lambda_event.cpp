// Linked into test/flexilib-with-faults, a copy of the server for the exception-boundary
// test: ld's --wrap sends the server's calls to faas::build_lambda_event here first,
// and a request carrying "X-Fault: throw" gets an exception thrown from the server's
// own request path, with no handler library on the stack. The server itself
// (build/flexilib, the release) has none of this.
//
// Why a fault is injected: the server's own request path has no exception left that a
// request can cause (the last, nlohmann::json refusing a header that is not UTF-8, is
// fixed), but the boundary that turns one into a plain 500 must still be proven.
#include "faas/lambda_event.hpp"

#include <stdexcept>

using flexilib::faas::EventStamp;
using flexilib::faas::HttpRequestView;

// build_lambda_event's symbol, _ZN8flexilib4faas18build_lambda_eventB5cxx11ERK..., with
// ld's __real_ and __wrap_ prefixes: declared by those names, hence extern "C".
extern "C" std::string
__real__ZN8flexilib4faas18build_lambda_eventB5cxx11ERKNS0_15HttpRequestViewERKNS0_10EventStampE(
    const HttpRequestView &request, const EventStamp &stamp);

extern "C" std::string
__wrap__ZN8flexilib4faas18build_lambda_eventB5cxx11ERKNS0_15HttpRequestViewERKNS0_10EventStampE(
    const HttpRequestView &request, const EventStamp &stamp) {
  for (const auto &[name, value] : request.headers)
    if (name == "X-Fault" && value == "throw")
      throw std::runtime_error("injected fault: json secret sauce");
  return __real__ZN8flexilib4faas18build_lambda_eventB5cxx11ERKNS0_15HttpRequestViewERKNS0_10EventStampE(
      request, stamp);
}
