// Watches the files of every library that has been loaded (or failed to load) and
// reloads a library shortly after its file changes. One thread, one inotify
// descriptor watching the libraries' directories: a directory watch sees both a
// file written in place (IN_CLOSE_WRITE) and one renamed or moved into place
// (IN_MOVED_TO), which is how compilers, cp, install, mv and build systems replace
// outputs. A change is acted on after a settle time with no further events, so a
// file still being written is never loaded half-done.
#pragma once

#include "loader/library_slot.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace flexilib::loader {

class LibraryWatcher {
public:
  explicit LibraryWatcher(EventSink events,
                          std::chrono::milliseconds settle = std::chrono::milliseconds(50));
  ~LibraryWatcher();
  LibraryWatcher(const LibraryWatcher &) = delete;
  LibraryWatcher &operator=(const LibraryWatcher &) = delete;

  // Starts watching the file of `slot` (idempotent). The watcher holds the slot
  // weakly: a slot no configuration uses any more is simply forgotten.
  void watch(const std::shared_ptr<LibrarySlot> &slot);

private:
  struct Directory {
    std::string path;
    std::map<std::string, std::vector<std::weak_ptr<LibrarySlot>>> files; // by file name
  };
  using TimePoint = std::chrono::steady_clock::time_point;

  void run();
  void read_events();
  void reload_settled();
  int next_timeout_ms() const;

  const EventSink events_;
  const std::chrono::milliseconds settle_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;         // eventfd: readable when the destructor wants the thread gone
  mutable std::mutex mutex_; // guards directories_ and pending_
  std::map<int, Directory> directories_;                      // by watch descriptor
  std::map<std::shared_ptr<LibrarySlot>, TimePoint> pending_; // reload due at
  std::thread thread_;
};

} // namespace flexilib::loader
