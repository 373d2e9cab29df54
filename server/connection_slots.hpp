// The open connections, each in a numbered slot whose one atomic word says which
// generation of connection holds it and whether a serving thread owns it. The epoll
// set and the ready queue name a connection by its Ticket (slot and generation), never
// by pointer: with edge-triggered events shared by every thread, an event for a
// connection may still be in one thread's hands when another has closed it, and its
// ticket then names an old generation, which claim() refuses.
//
// Ownership: claim() gives the connection to the thread that got an event for it when
// no thread owns it; otherwise it notes the event (pending) for the owner, who finds
// the note when it tries to release() and serves again. So one thread at a time reads
// and writes a connection, and no event is lost while one does.
#pragma once

#include "server/connection.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace flexilib::server {

class ConnectionSlots {
public:
  explicit ConnectionSlots(size_t capacity);
  ~ConnectionSlots();
  ConnectionSlots(const ConnectionSlots &) = delete;
  ConnectionSlots &operator=(const ConnectionSlots &) = delete;

  // Gives the connection a slot and its ticket (also in connection.ticket), owned by
  // no thread; null when every slot is taken.
  Connection *add(std::unique_ptr<Connection> connection);
  // An event for `ticket`: the connection, now owned by the caller, when no thread
  // owned it; null when another thread does (it will serve again) or it has closed.
  Connection *claim(Ticket ticket);
  // The owner is done with it for now. False when an event came while it was owned:
  // the caller still owns it and must serve it again.
  bool release(Connection &connection);
  // The owner closes it: its socket closes and its slot is free for another. Returns
  // how many connections remain.
  size_t close(Connection &connection);
  // Closes every connection; no thread may own one.
  void clear();

  size_t size() const;
  // Calls `visit` with each connection no thread owns, holding the lock that close()
  // takes, so none closes meanwhile (a thread may still claim one and start serving).
  template <typename Visit> void for_each_unowned(Visit visit);
  // Calls `keep` with each connection (no thread may own one, as after the threads
  // have stopped); closes those for which it returns false.
  template <typename Keep> void close_unless(Keep keep);

private:
  struct Slot;
  static constexpr size_t slots_per_chunk = 256;
  Slot *slot_at(uint32_t index) const;
  Slot &slot_for_new_connection(uint32_t &index); // mutex_ held
  void free_slot(Slot &slot, uint32_t index);     // mutex_ held

  const size_t capacity_;
  // Slots come in chunks allocated as connections first need them and kept until the
  // pool ends, so a slot never moves and an idle server holds few.
  std::vector<std::atomic<Slot *>> chunks_;
  mutable std::mutex mutex_; // add, close and the sweeps
  std::vector<uint32_t> free_;
  uint32_t next_unused_ = 0;
  size_t size_ = 0;
};

struct ConnectionSlots::Slot {
  // generation << 2 | pending << 1 | owned
  std::atomic<uint64_t> word{0};
  std::unique_ptr<Connection> connection;
  static constexpr uint64_t owned = 1, pending = 2;
  bool is_owned() const { return (word.load(std::memory_order_acquire) & owned) != 0; }
};

template <typename Visit> void ConnectionSlots::for_each_unowned(Visit visit) {
  std::lock_guard lock(mutex_);
  for (uint32_t index = 0; index < next_unused_; ++index) {
    Slot &slot = *slot_at(index);
    if (slot.connection && !slot.is_owned()) visit(*slot.connection);
  }
}

template <typename Keep> void ConnectionSlots::close_unless(Keep keep) {
  std::lock_guard lock(mutex_);
  for (uint32_t index = 0; index < next_unused_; ++index) {
    Slot &slot = *slot_at(index);
    if (slot.connection && !keep(*slot.connection)) free_slot(slot, index);
  }
}

} // namespace flexilib::server
