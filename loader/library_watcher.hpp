// Watches the files of every library that has been loaded (or failed to load) and
// reloads a library as soon as its new file is complete. One thread, one inotify
// descriptor watching the libraries' directories: a directory watch sees a file
// written in place (IN_CLOSE_WRITE when the writer closes it) and one renamed or
// moved into place (IN_MOVED_TO), which is how cp, install, mv, compilers, linkers and
// build systems replace outputs; either reloads at once. A file modified by a writer
// that does not close it is reloaded after a quiet fallback (loader/reload_schedule).
#pragma once

#include "loader/library_slot.hpp"
#include "loader/reload_schedule.hpp"

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
  // Long enough that a linker writing through a mapping of its output (gold: create,
  // size, write, close) is done before it; the common writers close or rename and
  // never wait for it.
  static constexpr std::chrono::milliseconds default_fallback{500};

  explicit LibraryWatcher(EventSink events, std::chrono::milliseconds fallback = default_fallback);
  ~LibraryWatcher();
  LibraryWatcher(const LibraryWatcher &) = delete;
  LibraryWatcher &operator=(const LibraryWatcher &) = delete;

  // Starts watching the file of `slot` (idempotent). The watcher holds the slot
  // weakly: a slot no configuration uses any more is simply forgotten.
  void watch(const std::shared_ptr<LibrarySlot> &slot);

private:
  using Slots = std::vector<std::weak_ptr<LibrarySlot>>;
  struct Directory {
    std::string path;
    std::map<std::string, Slots> files; // by file name
  };

  void run();
  void read_events();
  void note_event(const struct inotify_event &event, ReloadSchedule::TimePoint now);
  void note_lost_events(ReloadSchedule::TimePoint now);
  void watch_file_locked(const std::string &path, const Slots &slots); // mutex_ held
  void reload_due();
  int next_timeout_ms() const;

  const EventSink events_;
  int inotify_fd_ = -1;
  int stop_fd_ = -1;         // eventfd: readable when the destructor wants the thread gone
  mutable std::mutex mutex_; // guards the maps below (watch() runs on a reloading thread)
  std::map<int, Directory> directories_; // by watch descriptor
  std::map<int, Slots> files_;           // watches on the library files, for writes
  ReloadSchedule schedule_;              // the watcher thread's alone
  std::thread thread_;
};

} // namespace flexilib::loader
