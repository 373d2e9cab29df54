// What every target that runs a handler library shares: the library's slot (one per
// file, shared by every route naming it), taking a reference to its current
// generation for one request, and the /routes and --check answers about it.
#pragma once

#include "targets/exchange.hpp"
#include "targets/route_target.hpp"

namespace flexilib::targets {

class LibraryTarget : public RouteTarget {
public:
  explicit LibraryTarget(std::shared_ptr<loader::LibrarySlot> slot) : slot_(std::move(slot)) {}

  loader::SlotStatus status() const override { return slot_->status(); }
  std::string check() const override;
  const std::string &name() const override { return slot_->path(); }
  std::shared_ptr<loader::LibrarySlot> library_slot() const override { return slot_; }

protected:
  // The generation to serve this request with, kept in `exchange`; null (and a 502
  // in `response`) when it cannot be loaded or lacks the entry point this kind calls.
  const loader::Library *take_library(Exchange &exchange, server::ResponseMessage &response) const;

  // The entry point this kind calls, when `library` does not export it.
  virtual const char *missing_entry_point(const loader::Library &library) const = 0;

private:
  std::shared_ptr<loader::LibrarySlot> slot_;
};

} // namespace flexilib::targets
