// A byte budget shared by many owners: a reservation takes its share when granted and
// gives it back when destroyed, whatever path the owner leaves by.
#pragma once

#include <atomic>
#include <cstddef>
#include <utility>

namespace flexilib::server {

class MemoryBudget {
public:
  explicit MemoryBudget(size_t bytes) : limit_(bytes) {}
  MemoryBudget(const MemoryBudget &) = delete;
  MemoryBudget &operator=(const MemoryBudget &) = delete;

  class Reservation {
  public:
    Reservation() = default;
    Reservation(Reservation &&other) noexcept
        : budget_(std::exchange(other.budget_, nullptr)), bytes_(other.bytes_) {}
    Reservation &operator=(Reservation &&other) noexcept {
      release();
      budget_ = std::exchange(other.budget_, nullptr);
      bytes_ = other.bytes_;
      return *this;
    }
    ~Reservation() { release(); }

    explicit operator bool() const { return budget_ != nullptr; }
    size_t bytes() const { return budget_ != nullptr ? bytes_ : 0; }
    // Takes `more` bytes from the same budget; false, changing nothing, when it lacks them.
    bool grow(size_t more) {
      if (budget_ == nullptr || !budget_->take(more)) return false;
      bytes_ += more;
      return true;
    }
    void release() {
      if (budget_ != nullptr) std::exchange(budget_, nullptr)->used_ -= bytes_;
    }

  private:
    friend class MemoryBudget;
    Reservation(MemoryBudget *budget, size_t bytes) : budget_(budget), bytes_(bytes) {}
    MemoryBudget *budget_ = nullptr;
    size_t bytes_ = 0;
  };

  // A reservation of `bytes`, or an empty one when that would overspend the budget.
  Reservation reserve(size_t bytes) {
    if (!take(bytes)) return {};
    return {this, bytes};
  }

  // Adds `bytes` to a reservation, empty or not; false, changing nothing, when the
  // budget lacks them.
  bool add_to(Reservation &reservation, size_t bytes) {
    if (reservation) return reservation.grow(bytes);
    reservation = reserve(bytes);
    return bool(reservation);
  }

  size_t used() const { return used_.load(); }

private:
  bool take(size_t bytes) {
    size_t used = used_.load();
    do {
      if (bytes > limit_ || used > limit_ - bytes) return false;
    } while (!used_.compare_exchange_weak(used, used + bytes));
    return true;
  }

  const size_t limit_;
  std::atomic<size_t> used_{0};
};

} // namespace flexilib::server
