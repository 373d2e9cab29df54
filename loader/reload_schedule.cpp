// The reload decisions of the library watcher: at once when the writer is done, after a
// quiet fallback when it never says so.
#include "loader/reload_schedule.hpp"

#include <algorithm>

namespace flexilib::loader {

std::optional<FileChange> file_change_of(uint32_t inotify_mask) {
  // One event may carry several bits only in theory; a finish wins over a write.
  if (inotify_mask & (IN_CLOSE_WRITE | IN_MOVED_TO)) return FileChange::finished;
  if (inotify_mask & (IN_MODIFY | IN_CREATE)) return FileChange::written;
  return std::nullopt;
}

void ReloadSchedule::note(const std::shared_ptr<LibrarySlot> &slot, FileChange change,
                          TimePoint now) {
  due_[slot] = change == FileChange::finished ? now : now + fallback_;
}

std::vector<std::shared_ptr<LibrarySlot>> ReloadSchedule::take_due(TimePoint now) {
  std::vector<std::shared_ptr<LibrarySlot>> due;
  for (auto entry = due_.begin(); entry != due_.end();) {
    if (entry->second > now) {
      ++entry;
      continue;
    }
    due.push_back(entry->first);
    entry = due_.erase(entry);
  }
  return due;
}

std::optional<ReloadSchedule::TimePoint> ReloadSchedule::next_due() const {
  if (due_.empty()) return std::nullopt;
  return std::min_element(due_.begin(), due_.end(),
                          [](const auto &a, const auto &b) { return a.second < b.second; })
      ->second;
}

} // namespace flexilib::loader
