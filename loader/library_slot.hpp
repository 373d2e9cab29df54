// A library file named by proxy.ini and the generation of it that serves requests.
// Requests take a reference to the current generation without a lock; loading and
// reloading are serialised by a mutex that the request path never waits on once a
// generation is loaded. A failed load never replaces a working generation.
#pragma once

#include "loader/library.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace flexilib::loader {

struct SlotStatus {
  std::string path;
  uint64_t generation = 0; // 0: nothing loaded yet
  double load_ms = 0;
  double init_ms = 0;
  std::string last_error; // of the most recent failed load, cleared by a good one
};

struct ReloadOutcome {
  bool loaded = false;     // a new generation now serves
  uint64_t generation = 0; // the generation serving after the attempt (0: none)
  std::string error;       // why the attempt failed
};

class LibrarySlot {
public:
  LibrarySlot(std::string path, EventSink events);
  ~LibrarySlot(); // retires the current generation: it closes once drained
  LibrarySlot(const LibrarySlot &) = delete;
  LibrarySlot &operator=(const LibrarySlot &) = delete;

  // The generation to serve this request, loading the library on first use (exactly
  // once, however many threads race). Null when it cannot be loaded; `error` then
  // says why. A file that failed to load is tried again only once it has changed on
  // disk; a load that failed for want of descriptors or memory is tried again by a
  // request after a backoff (first_retry_delay, doubling up to max_retry_delay).
  std::shared_ptr<Library> acquire(std::string &error);
  static constexpr std::chrono::milliseconds first_retry_delay{100};
  static constexpr std::chrono::milliseconds max_retry_delay{3200};

  // Loads the file again as a new generation. On success new requests get it at
  // once and the old generation closes when its last request ends.
  ReloadOutcome reload();

  const std::string &path() const { return path_; }
  SlotStatus status() const;

private:
  // What identifies one version of the file on disk.
  struct FileVersion {
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = -1;
    int64_t mtime_ns = 0;
    bool operator==(const FileVersion &) const = default;
  };
  static FileVersion version_on_disk(const std::string &path);

  ReloadOutcome load_locked(); // mutex_ held
  std::string retry_note();    // mutex_ held: after a shortage, schedules the next try

  const std::string path_;
  const EventSink events_;
  std::atomic<std::shared_ptr<Library>> current_;

  mutable std::mutex mutex_; // guards everything below
  uint64_t last_generation_ = 0;
  std::string last_error_;
  bool failed_ = false; // the file itself failed: remembered until it changes
  FileVersion failed_version_;
  // The last load failed for want of a resource: the next is tried at retry_at_.
  bool short_ = false;
  std::chrono::steady_clock::time_point retry_at_{};
  std::chrono::milliseconds retry_delay_{0};
};

} // namespace flexilib::loader
