// Formatting Lambda's per-invocation log lines.
#include "faas/lambda_report.hpp"

#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>

namespace flexilib::faas {

int64_t billed_duration_ms(double duration_ms) {
  return std::max<int64_t>(1, int64_t(std::ceil(duration_ms)));
}

std::string start_line(std::string_view request_id) {
  return "START RequestId: " + std::string(request_id) + " Version: $LATEST";
}

std::string end_line(std::string_view request_id) {
  return "END RequestId: " + std::string(request_id);
}

std::string report_line(const InvocationReport &report) {
  char figures[256];
  std::snprintf(figures, sizeof figures,
                "\tDuration: %.2f ms\tBilled Duration: %lld ms\tMemory Size: %d MB\t"
                "Max Memory Used: %d MB\t",
                report.duration_ms, static_cast<long long>(billed_duration_ms(report.duration_ms)),
                report.memory_size_mb, report.max_memory_used_mb);
  std::string line = "REPORT RequestId: " + std::string(report.request_id) + figures;
  if (report.init_duration_ms) {
    char init[64];
    std::snprintf(init, sizeof init, "Init Duration: %.2f ms\t", *report.init_duration_ms);
    line += init;
  }
  if (report.timed_out) line += "Status: timeout";
  return line;
}

std::string timeout_line(int64_t epoch_ms, std::string_view request_id, int timeout_ms) {
  const std::time_t seconds = std::time_t(epoch_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[40];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  char line[160];
  std::snprintf(line, sizeof line, "%s.%03dZ %.*s Task timed out after %.2f seconds", stamp,
                int(epoch_ms % 1000), int(request_id.size()), request_id.data(),
                timeout_ms / 1000.0);
  return line;
}

std::string random_request_id() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  const uint64_t high = random(), low = random();
  char id[40];
  std::snprintf(id, sizeof id, "%08x-%04x-4%03x-%04x-%012llx", unsigned(high >> 32),
                unsigned(high >> 16 & 0xffff), unsigned(high & 0xfff),
                unsigned(0x8000 | (low >> 48 & 0x3fff)),
                static_cast<unsigned long long>(low & 0xffffffffffffULL));
  return id;
}

} // namespace flexilib::faas
