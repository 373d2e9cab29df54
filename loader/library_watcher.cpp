// The inotify thread behind library hot reload.
#include "loader/library_watcher.hpp"

#include <cerrno>
#include <cstring>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

namespace flexilib::loader {

namespace {
using Clock = std::chrono::steady_clock;

std::pair<std::string, std::string> split_path(const std::string &path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}
} // namespace

LibraryWatcher::LibraryWatcher(EventSink events, std::chrono::milliseconds fallback)
    : events_(std::move(events)), schedule_(fallback) {
  inotify_fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  stop_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (inotify_fd_ < 0) {
    events_(std::string("inotify unavailable, libraries will not reload on change: ") +
            std::strerror(errno));
    return;
  }
  thread_ = std::thread([this] { run(); });
}

LibraryWatcher::~LibraryWatcher() {
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t ignored = ::write(stop_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  if (inotify_fd_ >= 0) ::close(inotify_fd_);
  ::close(stop_fd_);
}

void LibraryWatcher::watch(const std::shared_ptr<LibrarySlot> &slot) {
  if (inotify_fd_ < 0) return;
  auto [directory, file] = split_path(slot->path());
  const int descriptor =
      ::inotify_add_watch(inotify_fd_, directory.c_str(), directory_change_events);
  if (descriptor < 0) {
    events_("cannot watch " + directory + " for changes to " + file + ": " + std::strerror(errno));
    return;
  }
  std::lock_guard lock(mutex_);
  Directory &entry = directories_[descriptor]; // the same directory gives the same descriptor
  entry.path = directory;
  auto &slots = entry.files[file];
  std::erase_if(slots, [](const std::weak_ptr<LibrarySlot> &known) { return known.expired(); });
  for (const auto &known : slots)
    if (known.lock() == slot) return;
  slots.push_back(slot);
  watch_file_locked(slot->path(), slots);
}

// A watch follows the file, not its name: it is made again for each file created or
// moved under the library's name, and the kernel drops the old one (IN_IGNORED) when
// the replaced file is gone. A missing file has none until it appears.
void LibraryWatcher::watch_file_locked(const std::string &path, const Slots &slots) {
  const int descriptor = ::inotify_add_watch(inotify_fd_, path.c_str(), file_change_events);
  if (descriptor >= 0) files_[descriptor] = slots;
}

void LibraryWatcher::run() {
  ::pthread_setname_np(::pthread_self(), "flexilib-watch");
  for (;;) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    const int ready = ::poll(fds, 2, next_timeout_ms());
    if (ready < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) return;
    if (fds[0].revents & POLLIN) read_events();
    reload_due();
  }
}

// One read per wake-up, not until the queue is empty: a file written without pause in
// a library's directory (a log) must not keep a due reload waiting.
void LibraryWatcher::read_events() {
  alignas(inotify_event) char buffer[16 * 1024];
  const ssize_t length = ::read(inotify_fd_, buffer, sizeof buffer);
  const auto now = Clock::now();
  for (ssize_t offset = 0; offset < length;) {
    const auto *event = reinterpret_cast<const inotify_event *>(buffer + offset);
    offset += ssize_t(sizeof(inotify_event) + event->len);
    if (event->mask & IN_Q_OVERFLOW)
      note_lost_events(now);
    else
      note_event(*event, now);
  }
}

void LibraryWatcher::note_event(const inotify_event &event, ReloadSchedule::TimePoint now) {
  std::lock_guard lock(mutex_);
  const Slots *slots = nullptr;
  if (event.len == 0) { // on a library file itself
    auto file = files_.find(event.wd);
    if (file == files_.end()) return;
    if (event.mask & IN_IGNORED) {
      files_.erase(file);
      return;
    }
    slots = &file->second;
  } else { // on a name in a library's directory
    auto directory = directories_.find(event.wd);
    if (directory == directories_.end()) return;
    auto file = directory->second.files.find(event.name);
    if (file == directory->second.files.end()) return;
    slots = &file->second;
    if (event.mask & (IN_CREATE | IN_MOVED_TO))
      watch_file_locked(directory->second.path + "/" + event.name, *slots);
  }
  const std::optional<FileChange> change = file_change_of(event.mask);
  if (!change) return;
  for (const auto &weak : *slots)
    if (auto slot = weak.lock()) schedule_.note(slot, *change, now);
}

// The kernel's queue overflowed: any file may have changed, and whether its writer is
// done is unknown, so every library is reloaded after the fallback.
void LibraryWatcher::note_lost_events(ReloadSchedule::TimePoint now) {
  events_("inotify queue overflowed: every library is reloaded in " +
          std::to_string(schedule_.fallback().count()) + " ms");
  std::lock_guard lock(mutex_);
  for (const auto &[descriptor, directory] : directories_)
    for (const auto &[name, slots] : directory.files)
      for (const auto &weak : slots)
        if (auto slot = weak.lock()) schedule_.note(slot, FileChange::written, now);
}

void LibraryWatcher::reload_due() {
  for (const auto &slot : schedule_.take_due(Clock::now())) {
    // A slot nothing has asked for yet stays lazy: its first request loads the new file.
    if (slot->status().generation == 0 && slot->status().last_error.empty()) continue;
    events_("changed on disk: " + slot->path());
    slot->reload();
  }
}

int LibraryWatcher::next_timeout_ms() const {
  const std::optional<ReloadSchedule::TimePoint> due = schedule_.next_due();
  if (!due) return -1;
  // Rounded up: waking before the reload is due would only loop back here.
  const auto wait = std::chrono::ceil<std::chrono::milliseconds>(*due - Clock::now());
  return int(std::max<long>(0, wait.count()));
}

} // namespace flexilib::loader
