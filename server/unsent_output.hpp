// Response bytes the socket would not take yet, for a client that reads slower than
// the server writes: kept with the connection, which waits in epoll to become writable,
// so that no thread waits for the client. In memory while CLIENT_BUFFERS_MB lasts;
// past it in an unnamed file on disk (O_TMPFILE in TMPDIR, /tmp by default) sent with
// sendfile() as the client reads, as nginx buffers to temporary files, while
// CLIENT_SPILL_MB lasts. Bytes leave in the order they came: once some are in the
// file, all later ones go there too.
#pragma once

#include "server/memory_budget.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/types.h>

namespace flexilib::server {

enum class SendProgress { done, blocked, failed };

class UnsentOutput {
public:
  UnsentOutput() = default;
  ~UnsentOutput();
  UnsentOutput(const UnsentOutput &) = delete;
  UnsentOutput &operator=(const UnsentOutput &) = delete;

  bool empty() const { return memory_begin_ == memory_.size() && file_sent_ == file_size_; }
  // Every byte sent so far: it grows when the client reads.
  uint64_t sent() const { return sent_; }

  // Keeps bytes after those already kept; false when neither memory nor disk can take
  // them (nothing is kept then).
  bool keep(const char *data, size_t size, MemoryBudget &memory, MemoryBudget &disk);

  // Sends what the socket takes now, without waiting. Once all is sent, the memory and
  // the file are given back.
  SendProgress send_to(int socket);

private:
  bool keep_in_file(const char *data, size_t size, MemoryBudget &disk);
  SendProgress send_memory(int socket);
  SendProgress send_file(int socket);
  void clear();

  std::string memory_;
  size_t memory_begin_ = 0; // how much of memory_ has gone out
  MemoryBudget::Reservation budget_;
  int file_ = -1;
  off_t file_size_ = 0, file_sent_ = 0;
  MemoryBudget::Reservation file_budget_; // a failed write's share is kept until clear()
  uint64_t sent_ = 0;
};

} // namespace flexilib::server
