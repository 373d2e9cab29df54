// An AWS Lambda route ("lambda:lib.so?timeout_ms=1000&memory_mb=256"): the request
// becomes an API Gateway event for the library's lambda_handler, and API Gateway's
// answer, whatever the function did, becomes the response (see faas/).
#pragma once

#include "faas/route_profile.hpp"
#include "targets/library_target.hpp"

namespace flexilib::targets {

class LambdaTarget : public LibraryTarget {
public:
  LambdaTarget(std::shared_ptr<loader::LibrarySlot> slot, faas::RouteProfile profile)
      : LibraryTarget(std::move(slot)), profile_(std::move(profile)) {}
  void serve(Exchange &exchange, server::ResponseMessage &response) const override;
  std::string_view profile() const override { return "lambda"; }
  // Its timeout and memory size, for the Invoke API (faas/lambda_api_server).
  const faas::RouteProfile &settings() const { return profile_; }

protected:
  const char *missing_entry_point(const loader::Library &library) const override {
    return library.lambda_handler() ? nullptr : "lambda_handler";
  }

private:
  faas::RouteProfile profile_;
};

} // namespace flexilib::targets
