// Unit tests of when a changed library is reloaded: the decisions from inotify events
// on a fake clock, and the events real writers produce (written in place and closed,
// renamed into place, still open) read from the kernel and fed to those decisions.
#include "loader/reload_schedule.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fcntl.h>
#include <filesystem>
#include <string>
#include <unistd.h>

using namespace flexilib::loader;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const ReloadSchedule::TimePoint start{std::chrono::seconds(1000)};

std::shared_ptr<LibrarySlot> slot_for(const std::string &path) {
  return std::make_shared<LibrarySlot>(path, EventSink());
}

// A temporary directory under an inotify watch for the events a library watcher asks
// for; changes() gives the FileChange of each event since the last call, in order.
class WatchedDirectory {
public:
  WatchedDirectory() {
    std::string pattern = fs::temp_directory_path() / "flexilib-schedule-XXXXXX";
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
    inotify_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    REQUIRE(inotify_ >= 0);
    REQUIRE(::inotify_add_watch(inotify_, path_.c_str(), directory_change_events) >= 0);
  }
  // Watches an existing file for writes, as the library watcher does.
  void watch_file(const std::string &name) {
    file_watch_ = ::inotify_add_watch(inotify_, file(name).c_str(), file_change_events);
    REQUIRE(file_watch_ >= 0);
  }
  ~WatchedDirectory() {
    ::close(inotify_);
    fs::remove_all(path_);
  }
  std::string file(const std::string &name) const { return path_ / name; }

  // The changes reported for `name`, in order (events are queued by the time the
  // system call that caused them returns, so nothing here waits).
  std::vector<FileChange> changes(const std::string &name) {
    std::vector<FileChange> seen;
    alignas(inotify_event) char buffer[4096];
    ssize_t length;
    while ((length = ::read(inotify_, buffer, sizeof buffer)) > 0) {
      for (ssize_t offset = 0; offset < length;) {
        const auto *event = reinterpret_cast<const inotify_event *>(buffer + offset);
        offset += ssize_t(sizeof(inotify_event) + event->len);
        const bool on_file = event->len == 0 && event->wd == file_watch_;
        if (!on_file && (event->len == 0 || name != event->name)) continue;
        if (auto change = file_change_of(event->mask)) seen.push_back(*change);
      }
    }
    return seen;
  }

private:
  fs::path path_;
  int inotify_ = -1;
  int file_watch_ = -1;
};

void write_all(int fd, const std::string &bytes) {
  REQUIRE(::write(fd, bytes.data(), bytes.size()) == ssize_t(bytes.size()));
}

// The schedule after feeding it `changes` of `slot`, all seen at `start`.
ReloadSchedule schedule_after(const std::vector<FileChange> &changes,
                              const std::shared_ptr<LibrarySlot> &slot) {
  ReloadSchedule schedule(500ms);
  for (FileChange change : changes)
    schedule.note(slot, change, start);
  return schedule;
}

} // namespace

TEST_CASE("inotify events map to a finished file or a writer at work", "[reload-schedule]") {
  CHECK(file_change_of(IN_CLOSE_WRITE) == FileChange::finished);
  CHECK(file_change_of(IN_MOVED_TO) == FileChange::finished);
  CHECK(file_change_of(IN_MODIFY) == FileChange::written);
  CHECK(file_change_of(IN_CREATE) == FileChange::written);
  CHECK(file_change_of(IN_MODIFY | IN_CLOSE_WRITE) == FileChange::finished);
  CHECK_FALSE(file_change_of(IN_ATTRIB));
  CHECK_FALSE(file_change_of(IN_DELETE));
  CHECK_FALSE(file_change_of(IN_MOVED_FROM));
  CHECK_FALSE(file_change_of(IN_CLOSE_NOWRITE));
}

TEST_CASE("a finished file is due at once, with no settle time", "[reload-schedule]") {
  const auto slot = slot_for("/srv/lib.so");
  ReloadSchedule schedule(500ms);
  CHECK_FALSE(schedule.next_due());
  schedule.note(slot, FileChange::finished, start);
  CHECK(schedule.next_due() == start);
  CHECK(schedule.take_due(start) == std::vector{slot});
  CHECK(schedule.take_due(start + 1h).empty()); // taken: not reloaded twice
  CHECK_FALSE(schedule.next_due());
}

TEST_CASE("a file modified but not closed is due after the fallback from its last write",
          "[reload-schedule]") {
  const auto slot = slot_for("/srv/lib.so");
  ReloadSchedule schedule(500ms);
  schedule.note(slot, FileChange::written, start);
  CHECK(schedule.take_due(start).empty());
  schedule.note(slot, FileChange::written, start + 400ms); // still writing: wait again
  CHECK(schedule.take_due(start + 800ms).empty());
  CHECK(schedule.next_due() == start + 900ms);
  CHECK(schedule.take_due(start + 900ms) == std::vector{slot});
}

TEST_CASE("the latest change decides: a close ends the wait, a new write restarts it",
          "[reload-schedule]") {
  const auto slot = slot_for("/srv/lib.so");
  ReloadSchedule schedule(500ms);
  schedule.note(slot, FileChange::written, start);
  schedule.note(slot, FileChange::finished, start + 3ms);
  CHECK(schedule.take_due(start + 3ms) == std::vector{slot});

  schedule.note(slot, FileChange::finished, start + 10ms);
  schedule.note(slot, FileChange::written, start + 10ms); // the next writer began
  CHECK(schedule.take_due(start + 10ms).empty());
  CHECK(schedule.take_due(start + 510ms) == std::vector{slot});
}

TEST_CASE("each library is scheduled on its own", "[reload-schedule]") {
  const auto a = slot_for("/srv/a.so");
  const auto b = slot_for("/srv/b.so");
  ReloadSchedule schedule(500ms);
  schedule.note(a, FileChange::written, start);
  schedule.note(b, FileChange::finished, start + 1ms);
  CHECK(schedule.next_due() == start + 1ms);
  CHECK(schedule.take_due(start + 1ms) == std::vector{b});
  CHECK(schedule.next_due() == start + 500ms);
  CHECK(schedule.take_due(start + 500ms) == std::vector{a});
}

TEST_CASE("real writers: a file written in place is due the moment its writer closes it",
          "[reload-schedule]") {
  WatchedDirectory directory;
  const std::string path = directory.file("lib.so");
  const auto slot = slot_for(path);
  const int existing = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(existing >= 0);
  write_all(existing, "version 1");
  ::close(existing);
  directory.watch_file("lib.so");
  directory.changes("lib.so");

  // As cp does over an existing file: open with O_TRUNC, write, and (later) close.
  const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC);
  REQUIRE(fd >= 0);
  write_all(fd, "version 2, first half");
  const std::vector<FileChange> writing = directory.changes("lib.so");
  CHECK_FALSE(writing.empty()); // the truncation and the write, seen on the file itself
  CHECK(std::count(writing.begin(), writing.end(), FileChange::finished) == 0);
  CHECK(schedule_after(writing, slot).take_due(start).empty());
  write_all(fd, " and second half");
  ::close(fd);
  const std::vector<FileChange> changes = directory.changes("lib.so");
  REQUIRE_FALSE(changes.empty());
  CHECK(changes.back() == FileChange::finished);
  CHECK(schedule_after(changes, slot).take_due(start) == std::vector{slot});
}

TEST_CASE("real writers: a file renamed into place is due at once, its staging name is not "
          "watched",
          "[reload-schedule]") {
  WatchedDirectory directory;
  const std::string path = directory.file("lib.so");
  const std::string staging = directory.file("lib.so.tmp");
  const auto slot = slot_for(path);
  const int fd = ::open(staging.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  write_all(fd, "the new library");
  ::close(fd);
  CHECK(directory.changes("lib.so").empty()); // the staging file's events are its own
  REQUIRE(std::rename(staging.c_str(), path.c_str()) == 0);
  const std::vector<FileChange> changes = directory.changes("lib.so");
  CHECK(changes == std::vector{FileChange::finished});
  CHECK(schedule_after(changes, slot).take_due(start) == std::vector{slot});
}

TEST_CASE("real writers: a file still open for writing waits for the fallback",
          "[reload-schedule]") {
  WatchedDirectory directory;
  const std::string path = directory.file("lib.so");
  const auto slot = slot_for(path);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  REQUIRE(fd >= 0);
  write_all(fd, "being written");
  ReloadSchedule schedule = schedule_after(directory.changes("lib.so"), slot);
  ::close(fd);
  CHECK(schedule.take_due(start + 499ms).empty());
  CHECK(schedule.take_due(start + 500ms) == std::vector{slot});
}
