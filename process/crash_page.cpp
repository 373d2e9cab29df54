// Noting running requests for post-mortem reports, and catching fatal signals.
#include "process/crash_page.hpp"

#include <csignal>
#include <cstring>
#include <new>
#include <sys/mman.h>

namespace flexilib::process {

namespace {

CrashPage *page_for_signals = nullptr;
thread_local int current_thread = -1;

void copy_text(char *to, size_t capacity, std::string_view text) {
  const size_t length = std::min(text.size(), capacity - 1);
  std::memcpy(to, text.data(), length);
  to[length] = '\0';
}

} // namespace

CrashPage *CrashPage::create() {
  void *memory =
      ::mmap(nullptr, sizeof(CrashPage), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return nullptr;
  auto *page = new (memory) CrashPage(); // placement into the shared mapping: lives until exit
  page->clear();
  return page;
}

void CrashPage::enter(unsigned thread, std::string_view method, std::string_view target,
                      std::string_view route, std::string_view library, uint64_t generation) {
  current_thread = int(thread);
  Slot &slot = slots_[thread % max_threads];
  copy_text(slot.method, sizeof slot.method, method);
  copy_text(slot.target, sizeof slot.target, target);
  copy_text(slot.route, sizeof slot.route, route);
  copy_text(slot.library, sizeof slot.library, library);
  slot.generation = generation;
  slot.active.store(1, std::memory_order_release);
}

void CrashPage::leave(unsigned thread) {
  slots_[thread % max_threads].active.store(0, std::memory_order_release);
}

void CrashPage::set_current_thread(int thread) {
  current_thread = thread;
}

void CrashPage::catch_fatal_signals() {
  page_for_signals = this;
  struct sigaction action {};
  // Runs in the dying process: only async-signal-safe work, then the default action.
  action.sa_handler = [](int signal) {
    if (page_for_signals) page_for_signals->crashed_thread_.store(current_thread);
    std::signal(signal, SIG_DFL);
    ::raise(signal);
  };
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESETHAND | SA_ONSTACK;
  for (int signal : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
    ::sigaction(signal, &action, nullptr);
}

std::string CrashPage::describe() const {
  std::string text;
  const int crashed = crashed_thread_.load();
  for (size_t i = 0; i < max_threads; ++i) {
    const Slot &slot = slots_[i];
    if (slot.active.load(std::memory_order_acquire) == 0) continue;
    if (!text.empty()) text += "; ";
    text += "thread " + std::to_string(i) + (int(i) == crashed ? " (took the signal)" : "") +
            " was running " + slot.method + " " + slot.target + " (route " + slot.route +
            ", library " + slot.library + " generation " + std::to_string(slot.generation) + ")";
  }
  if (text.empty()) text = "no request was in a handler";
  return text;
}

void CrashPage::clear() {
  crashed_thread_.store(-1);
  for (Slot &slot : slots_)
    slot.active.store(0);
}

} // namespace flexilib::process
