// When to reload a library whose file changed, decided from the inotify events seen on
// it and a clock the caller passes in (so the decisions can be tested without waiting).
// A writer that is done — the file closed after writing, or a finished file renamed or
// moved over the name — makes the reload due at once; a file modified by a writer that
// has not closed it (one holding it open, an mmap writer) is reloaded only after
// `fallback` passes with no further event, so a file still being written is not read.
#pragma once

#include "loader/library_slot.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <sys/inotify.h>
#include <vector>

namespace flexilib::loader {

// What an inotify event on a library's name says about the file.
enum class FileChange {
  finished, // IN_CLOSE_WRITE, IN_MOVED_TO: a complete file is there now
  written,  // IN_MODIFY, IN_CREATE: a writer is at work and may not be done
};

// The change an inotify event mask reports; none for events that change nothing a
// reload would see (reads, opens, attribute changes, deletions).
std::optional<FileChange> file_change_of(uint32_t inotify_mask);

// The inotify events a watcher asks for on a library's directory (they name the file)
// and on the library file itself. Writes are watched on the file only: a directory
// watch would wake the watcher on every write to any file beside the library (an
// access log written there, say).
inline constexpr uint32_t directory_change_events = IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE;
inline constexpr uint32_t file_change_events = IN_MODIFY;

class ReloadSchedule {
public:
  using TimePoint = std::chrono::steady_clock::time_point;

  explicit ReloadSchedule(std::chrono::milliseconds fallback) : fallback_(fallback) {}

  // Records a change of the slot's file seen at `now`. The latest change decides: a
  // write after a finished file (a new writer) waits again, a finish ends the wait.
  void note(const std::shared_ptr<LibrarySlot> &slot, FileChange change, TimePoint now);

  // The slots whose reload is due at `now`, forgotten by the schedule.
  std::vector<std::shared_ptr<LibrarySlot>> take_due(TimePoint now);

  // When the earliest pending reload is due; none when nothing is pending.
  std::optional<TimePoint> next_due() const;

  std::chrono::milliseconds fallback() const { return fallback_; }

private:
  const std::chrono::milliseconds fallback_;
  std::map<std::shared_ptr<LibrarySlot>, TimePoint> due_;
};

} // namespace flexilib::loader
