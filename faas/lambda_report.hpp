// The lines AWS Lambda writes to a function's log for every invocation (START, END,
// REPORT, and "Task timed out" on a timeout), in Lambda's exact format, and how
// Lambda bills a duration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace flexilib::faas {

struct InvocationReport {
  std::string_view request_id;
  double duration_ms = 0;
  int memory_size_mb = 128;
  int max_memory_used_mb = 0;
  std::optional<double> init_duration_ms; // only on a cold start
  bool timed_out = false;
};

// Lambda bills every invocation rounded up to the next millisecond, at least 1 ms.
int64_t billed_duration_ms(double duration_ms);

// "START RequestId: <id> Version: $LATEST"
std::string start_line(std::string_view request_id);
// "END RequestId: <id>"
std::string end_line(std::string_view request_id);
// "REPORT RequestId: <id>\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\t
// Max Memory Used: 35 MB\t[Init Duration: 4.56 ms\t][Status: timeout]"
std::string report_line(const InvocationReport &report);
// "2026-03-12T19:03:58.123Z <id> Task timed out after 3.00 seconds"
std::string timeout_line(int64_t epoch_ms, std::string_view request_id, int timeout_ms);

// A random version 4 UUID, the form of Lambda's request ids.
std::string random_request_id();

} // namespace flexilib::faas
