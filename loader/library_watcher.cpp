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
constexpr uint32_t watched_events = IN_CLOSE_WRITE | IN_MOVED_TO;

std::pair<std::string, std::string> split_path(const std::string &path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {".", path};
  return {slash == 0 ? "/" : path.substr(0, slash), path.substr(slash + 1)};
}
} // namespace

LibraryWatcher::LibraryWatcher(EventSink events, std::chrono::milliseconds settle)
    : events_(std::move(events)), settle_(settle) {
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
  const int descriptor = ::inotify_add_watch(inotify_fd_, directory.c_str(), watched_events);
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
}

void LibraryWatcher::run() {
  ::pthread_setname_np(::pthread_self(), "flexilib-watch");
  for (;;) {
    pollfd fds[2] = {{inotify_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    const int ready = ::poll(fds, 2, next_timeout_ms());
    if (ready < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) return;
    if (fds[0].revents & POLLIN) read_events();
    reload_settled();
  }
}

// Every event on a watched file postpones its reload to `settle` after the event.
void LibraryWatcher::read_events() {
  alignas(inotify_event) char buffer[16 * 1024];
  for (;;) {
    const ssize_t length = ::read(inotify_fd_, buffer, sizeof buffer);
    if (length <= 0) return;
    const auto due = std::chrono::steady_clock::now() + settle_;
    std::lock_guard lock(mutex_);
    for (ssize_t offset = 0; offset < length;) {
      const auto *event = reinterpret_cast<const inotify_event *>(buffer + offset);
      offset += ssize_t(sizeof(inotify_event) + event->len);
      auto directory = directories_.find(event->wd);
      if (directory == directories_.end() || event->len == 0) continue;
      auto file = directory->second.files.find(event->name);
      if (file == directory->second.files.end()) continue;
      for (const auto &weak : file->second)
        if (auto slot = weak.lock()) pending_[slot] = due;
    }
  }
}

void LibraryWatcher::reload_settled() {
  std::vector<std::shared_ptr<LibrarySlot>> due;
  {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    for (auto entry = pending_.begin(); entry != pending_.end();) {
      if (entry->second > now) {
        ++entry;
        continue;
      }
      due.push_back(entry->first);
      entry = pending_.erase(entry);
    }
  }
  for (const auto &slot : due) {
    // A slot nothing has asked for yet stays lazy: its first request loads the new file.
    if (slot->status().generation == 0 && slot->status().last_error.empty()) continue;
    events_("changed on disk: " + slot->path());
    slot->reload();
  }
}

int LibraryWatcher::next_timeout_ms() const {
  std::lock_guard lock(mutex_);
  if (pending_.empty()) return -1;
  auto earliest = pending_.begin()->second;
  for (const auto &[slot, due] : pending_)
    earliest = std::min(earliest, due);
  const auto wait = std::chrono::duration_cast<std::chrono::milliseconds>(
      earliest - std::chrono::steady_clock::now());
  return int(std::max<long>(0, wait.count() + 1));
}

} // namespace flexilib::loader
