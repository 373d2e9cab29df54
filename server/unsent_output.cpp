// Unsent response bytes: memory first, then an unnamed file, sent in order.
#include "server/unsent_output.hpp"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

namespace flexilib::server {

namespace {

// An unnamed file: it has no name to clean up, and disappears with its descriptor.
int open_unnamed_file() {
  const char *directory = std::getenv("TMPDIR");
  return ::open(directory != nullptr && *directory != '\0' ? directory : "/tmp",
                O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
}

bool write_all(int fd, const char *data, size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= size_t(n);
  }
  return true;
}

SendProgress progress_after_error() {
  return errno == EAGAIN ? SendProgress::blocked : SendProgress::failed;
}

} // namespace

UnsentOutput::~UnsentOutput() {
  if (file_ >= 0) ::close(file_);
}

bool UnsentOutput::keep(const char *data, size_t size, MemoryBudget &memory, MemoryBudget &disk) {
  const bool in_file = file_sent_ != file_size_;
  if (!in_file && memory.add_to(budget_, size)) {
    memory_.append(data, size);
    return true;
  }
  return keep_in_file(data, size, disk);
}

bool UnsentOutput::keep_in_file(const char *data, size_t size, MemoryBudget &disk) {
  if (!disk.add_to(file_budget_, size)) return false;
  if (file_ < 0 && (file_ = open_unnamed_file()) < 0) return false;
  // Appended at its end: sendfile() reads at its own offset, not the file's.
  if (::lseek(file_, file_size_, SEEK_SET) != file_size_ || !write_all(file_, data, size)) {
    [[maybe_unused]] const int ignored = ::ftruncate(file_, file_size_); // no partial write
    return false;
  }
  file_size_ += off_t(size);
  return true;
}

SendProgress UnsentOutput::send_to(int socket) {
  SendProgress progress = send_memory(socket);
  if (progress == SendProgress::done) progress = send_file(socket);
  if (progress == SendProgress::done) clear();
  return progress;
}

SendProgress UnsentOutput::send_memory(int socket) {
  while (memory_begin_ < memory_.size()) {
    const ssize_t n = ::send(socket, memory_.data() + memory_begin_, memory_.size() - memory_begin_,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      memory_begin_ += size_t(n);
      sent_ += uint64_t(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return progress_after_error();
    }
  }
  return SendProgress::done;
}

// The socket is non-blocking, so sendfile() takes what fits and says EAGAIN after.
SendProgress UnsentOutput::send_file(int socket) {
  while (file_sent_ < file_size_) {
    const ssize_t n = ::sendfile(socket, file_, &file_sent_, size_t(file_size_ - file_sent_));
    if (n > 0) {
      sent_ += uint64_t(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return n == 0 ? SendProgress::failed : progress_after_error();
    }
  }
  return SendProgress::done;
}

// A big response's memory and file are not kept for the next one.
void UnsentOutput::clear() {
  std::string().swap(memory_);
  memory_begin_ = 0;
  budget_.release();
  file_budget_.release();
  if (file_ >= 0) ::close(file_);
  file_ = -1;
  file_size_ = file_sent_ = 0;
}

} // namespace flexilib::server
