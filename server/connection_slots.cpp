// Connections by slot and generation, and the word that hands one from thread to thread.
#include "server/connection_slots.hpp"

namespace flexilib::server {

namespace {

constexpr uint64_t flag_bits = 2;

uint32_t index_of(Ticket ticket) {
  return uint32_t(ticket >> 32);
}
uint32_t generation_of_ticket(Ticket ticket) {
  return uint32_t(ticket);
}
uint32_t generation_of_word(uint64_t word) {
  return uint32_t(word >> flag_bits);
}

} // namespace

ConnectionSlots::ConnectionSlots(size_t capacity)
    : capacity_(capacity), chunks_((capacity + slots_per_chunk - 1) / slots_per_chunk) {}

ConnectionSlots::~ConnectionSlots() {
  clear();
  for (std::atomic<Slot *> &chunk : chunks_)
    delete[] chunk.load(std::memory_order_relaxed);
}

ConnectionSlots::Slot *ConnectionSlots::slot_at(uint32_t index) const {
  Slot *chunk = chunks_[index / slots_per_chunk].load(std::memory_order_acquire);
  return chunk == nullptr ? nullptr : &chunk[index % slots_per_chunk];
}

ConnectionSlots::Slot &ConnectionSlots::slot_for_new_connection(uint32_t &index) {
  if (!free_.empty()) {
    index = free_.back();
    free_.pop_back();
    return *slot_at(index);
  }
  index = next_unused_++;
  std::atomic<Slot *> &chunk = chunks_[index / slots_per_chunk];
  if (chunk.load(std::memory_order_relaxed) == nullptr)
    chunk.store(new Slot[slots_per_chunk], std::memory_order_release);
  return *slot_at(index);
}

Connection *ConnectionSlots::add(std::unique_ptr<Connection> connection) {
  std::lock_guard lock(mutex_);
  if (size_ >= capacity_) return nullptr;
  uint32_t index = 0;
  Slot &slot = slot_for_new_connection(index);
  const uint64_t word = slot.word.load(std::memory_order_relaxed);
  connection->ticket = Ticket(index) << 32 | generation_of_word(word);
  slot.connection = std::move(connection);
  ++size_;
  // Publishes the connection to whichever thread claims its ticket (the acquire in claim()).
  slot.word.store(word & ~(Slot::owned | Slot::pending), std::memory_order_release);
  return slot.connection.get();
}

Connection *ConnectionSlots::claim(Ticket ticket) {
  const uint32_t index = index_of(ticket);
  if (index >= chunks_.size() * slots_per_chunk) return nullptr;
  Slot *slot = slot_at(index);
  if (slot == nullptr) return nullptr;
  uint64_t word = slot->word.load(std::memory_order_acquire);
  for (;;) {
    if (generation_of_word(word) != generation_of_ticket(ticket)) return nullptr; // closed
    const bool owned = (word & Slot::owned) != 0;
    const uint64_t next = word | (owned ? Slot::pending : Slot::owned);
    if (next == word) return nullptr; // owned, and the owner already has a note
    // acq_rel: taking it sees everything its last owner did (the release in release()).
    if (slot->word.compare_exchange_weak(word, next, std::memory_order_acq_rel,
                                         std::memory_order_acquire))
      return owned ? nullptr : slot->connection.get();
  }
}

bool ConnectionSlots::release(Connection &connection) {
  Slot &slot = *slot_at(index_of(connection.ticket));
  uint64_t word = slot.word.load(std::memory_order_relaxed);
  for (;;) {
    if ((word & Slot::pending) != 0) {
      // An event came while this thread owned it: the note is consumed, and the
      // caller keeps the connection to serve again.
      if (slot.word.compare_exchange_weak(word, word & ~Slot::pending, std::memory_order_acquire,
                                          std::memory_order_relaxed))
        return false;
      continue;
    }
    // After this store the connection may already be another thread's: the caller
    // touches nothing of it past this point.
    if (slot.word.compare_exchange_weak(word, word & ~Slot::owned, std::memory_order_release,
                                        std::memory_order_relaxed))
      return true;
  }
}

// mutex_ held. A new generation first, so that no ticket of the old one is honoured.
void ConnectionSlots::free_slot(Slot &slot, uint32_t index) {
  const uint64_t word = slot.word.load(std::memory_order_relaxed);
  const uint64_t next_generation = uint64_t(generation_of_word(word) + 1u);
  slot.word.store(next_generation << flag_bits | Slot::owned, std::memory_order_release);
  slot.connection.reset(); // closes the socket, which leaves the epoll set
  free_.push_back(index);
  --size_;
}

size_t ConnectionSlots::close(Connection &connection) {
  const uint32_t index = index_of(connection.ticket);
  std::lock_guard lock(mutex_);
  free_slot(*slot_at(index), index);
  return size_;
}

void ConnectionSlots::clear() {
  close_unless([](Connection &) { return false; });
}

size_t ConnectionSlots::size() const {
  std::lock_guard lock(mutex_);
  return size_;
}

} // namespace flexilib::server
