// Lazy loading, reloading and the failure memory of one library file.
#include "loader/library_slot.hpp"

#include <algorithm>
#include <cstdio>
#include <sys/stat.h>

namespace flexilib::loader {

namespace {
std::string format_ms(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", ms);
  return text;
}
} // namespace

LibrarySlot::LibrarySlot(std::string path, EventSink events)
    : path_(std::move(path)), events_(std::move(events)) {}

LibrarySlot::~LibrarySlot() {
  if (auto library = current_.load()) library->retire();
}

LibrarySlot::FileVersion LibrarySlot::version_on_disk(const std::string &path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return {};
  return {info.st_dev, info.st_ino, info.st_size,
          int64_t(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec};
}

std::shared_ptr<Library> LibrarySlot::acquire(std::string &error) {
  if (auto library = current_.load(std::memory_order_acquire)) return library;

  std::lock_guard lock(mutex_);
  if (auto library = current_.load(std::memory_order_acquire)) return library; // raced
  const bool remembered = failed_ && version_on_disk(path_) == failed_version_;
  if (remembered || (short_ && std::chrono::steady_clock::now() < retry_at_)) {
    error = last_error_;
    return nullptr;
  }
  ReloadOutcome outcome = load_locked();
  if (!outcome.loaded) error = outcome.error;
  return current_.load(std::memory_order_acquire);
}

ReloadOutcome LibrarySlot::reload() {
  std::lock_guard lock(mutex_);
  return load_locked();
}

ReloadOutcome LibrarySlot::load_locked() {
  const FileVersion version = version_on_disk(path_);
  LoadOutcome outcome = Library::load(path_, last_generation_ + 1, events_);
  auto previous = current_.load(std::memory_order_acquire);
  const uint64_t serving = previous ? previous->generation() : 0;
  if (!outcome.library) {
    failed_ = !outcome.shortage;
    failed_version_ = version;
    short_ = outcome.shortage;
    last_error_ = outcome.error;
    events_("load failed: " + outcome.error +
            (previous ? " (generation " + std::to_string(serving) + " keeps serving)" : "") +
            (short_ ? retry_note() : ""));
    return {false, serving, outcome.error};
  }
  const Library &library = *outcome.library;
  last_generation_ = library.generation();
  failed_ = short_ = false;
  retry_delay_ = {};
  last_error_.clear();
  current_.store(std::move(outcome.library), std::memory_order_release);
  if (previous) previous->retire(); // it closes when its last request ends
  events_("loaded " + path_ + " generation " + std::to_string(library.generation()) + " in " +
          format_ms(library.load_ms()) + " ms (init " + format_ms(library.init_ms()) + " ms)");
  return {true, last_generation_, {}};
}

std::string LibrarySlot::retry_note() {
  retry_delay_ =
      retry_delay_.count() == 0 ? first_retry_delay : std::min(retry_delay_ * 2, max_retry_delay);
  retry_at_ = std::chrono::steady_clock::now() + retry_delay_;
  return "; a shortage, not the file: a request tries again in " +
         std::to_string(retry_delay_.count()) + " ms";
}

SlotStatus LibrarySlot::status() const {
  std::lock_guard lock(mutex_);
  SlotStatus status{path_, 0, 0, 0, last_error_};
  if (auto library = current_.load(std::memory_order_acquire)) {
    status.generation = library->generation();
    status.load_ms = library->load_ms();
    status.init_ms = library->init_ms();
  }
  return status;
}

} // namespace flexilib::loader
