// The server's one clock, and the forms its times take: ticks (a steady_clock count,
// which fits in an atomic for the housekeeper to read) and milliseconds (what
// settings, logs and figures speak). Every part measures durations with these.
#pragma once

#include <chrono>

namespace flexilib {

using Clock = std::chrono::steady_clock;

inline Clock::rep now_ticks() {
  return Clock::now().time_since_epoch().count();
}

inline Clock::rep ticks_of(std::chrono::milliseconds duration) {
  return std::chrono::duration_cast<Clock::duration>(duration).count();
}

inline double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

inline double ms_since(Clock::time_point start) {
  return ms_between(start, Clock::now());
}

} // namespace flexilib
