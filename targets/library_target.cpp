// Taking a library generation for a request; checking that a library loads.
#include "targets/library_target.hpp"

#include "diagnostics/diagnostic_log.hpp"
#include "server/error_response.hpp"

namespace flexilib::targets {

const loader::Library *LibraryTarget::take_library(Exchange &exchange,
                                                   server::ResponseMessage &response) const {
  std::string error; // the slot has logged it already
  exchange.library = slot_->acquire(error);
  if (!exchange.library) {
    server::respond_with_error(response, 502,
                               "502 Bad Gateway: the handler library for this route cannot "
                               "be loaded (the server log says why)");
    return nullptr;
  }
  exchange.cold = exchange.library->take_cold_start() ? 1 : 0;
  if (const char *missing = missing_entry_point(*exchange.library)) {
    diagnostics::write_diagnostic(exchange.library->path() + ": does not export " + missing +
                                  ", which its " + std::string(profile()) + " route needs");
    server::respond_with_error(response, 502,
                               "502 Bad Gateway: the handler library does not fit this route");
    return nullptr;
  }
  return exchange.library.get();
}

// A private load, as generation 1 of nothing: --check runs no server and keeps nothing.
std::string LibraryTarget::check() const {
  const loader::LoadOutcome outcome = loader::Library::load(slot_->path(), 1);
  return outcome.library ? std::string() : outcome.error;
}

} // namespace flexilib::targets
