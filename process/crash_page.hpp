// A small memory page shared between the supervisor and the serving process, where
// each serving thread notes the request it is running in a handler. When a library
// crashes the serving process, the supervisor reads the page and can say what was
// running and which thread took the fatal signal.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace flexilib::process {

class CrashPage {
public:
  static constexpr size_t max_threads = 64; // threads beyond this share slots

  // Maps a new shared anonymous page; call before fork() so both processes see it.
  static CrashPage *create();

  // The serving thread `thread` enters / leaves a handler.
  void enter(unsigned thread, std::string_view method, std::string_view target,
             std::string_view route, std::string_view library, uint64_t generation);
  void leave(unsigned thread);

  // Installs handlers for fatal signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT)
  // that note the crashing thread here, then let the signal kill the process.
  void catch_fatal_signals();
  // Which serving thread is this one (for the fatal signal handler); -1: not one.
  static void set_current_thread(int thread);

  // The supervisor's account of a dead serving process, e.g.
  // "thread 1 was running GET /crash (route /, library lib.so generation 2)".
  std::string describe() const;
  void clear();

private:
  struct Slot {
    std::atomic<uint32_t> active;
    uint64_t generation;
    char method[16];
    char target[256];
    char route[128];
    char library[256];
  };
  std::atomic<int> crashed_thread_;
  Slot slots_[max_threads];
};

} // namespace flexilib::process
