// Loading a handler library: private image (memfd), dlopen, symbol checks, hooks.
#include "loader/library.hpp"

#include "loader/elf_extent.hpp"
#include "loader/entry_point_call.hpp"
#include "timing/clock.hpp"

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace flexilib::loader {

namespace {

// An owned file descriptor.
class Fd {
public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd &operator=(Fd &&other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

private:
  int fd_;
};

std::string errno_text(const std::string &what) {
  return what + ": " + std::strerror(errno);
}

// The errors that say the process is short of something for now, not that the file
// is wrong.
constexpr int shortage_errors[] = {EMFILE, ENFILE, ENOMEM, EAGAIN, EINTR};

bool is_shortage(int error) {
  for (int shortage : shortage_errors)
    if (error == shortage) return true;
  return false;
}

// dlopen reports no errno, only text: "...: cannot open shared object file: Too many
// open files".
bool names_shortage(const std::string &dlerror_text) {
  for (int shortage : shortage_errors)
    if (dlerror_text.find(std::strerror(shortage)) != std::string::npos) return true;
  return false;
}

// What copy_to_memory() failed on, and whether for want of a resource.
struct CopyError {
  std::string text;
  bool shortage = false;
  void set_from_errno(const std::string &what) {
    shortage = is_shortage(errno);
    text = errno_text(what);
  }
};

// A read-only mapping of a whole file, unmapped on destruction.
class Mapping {
public:
  Mapping(int fd, size_t size)
      : address_(::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0)), size_(size) {}
  ~Mapping() {
    if (address_ != MAP_FAILED) ::munmap(address_, size_);
  }
  Mapping(const Mapping &) = delete;
  Mapping &operator=(const Mapping &) = delete;
  explicit operator bool() const { return address_ != MAP_FAILED; }
  std::string_view bytes() const { return {static_cast<const char *>(address_), size_}; }

private:
  void *address_;
  size_t size_;
};

// A writer at work on the file while it was copied changes its size or times.
bool same_version(const struct stat &before, const struct stat &after) {
  auto same_time = [](const timespec &a, const timespec &b) {
    return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
  };
  return before.st_size == after.st_size && same_time(before.st_mtim, after.st_mtim) &&
         same_time(before.st_ctim, after.st_ctim);
}

std::string base_name(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Copies the library file into a sealed-by-convention memfd and returns it. A file
// that is not ELF is refused here with a plainer message than dlerror() would give.
Fd copy_to_memory(const std::string &path, CopyError &error) {
  Fd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!file) {
    error.set_from_errno("cannot open");
    return Fd();
  }
  struct stat info {};
  if (::fstat(file.get(), &info) != 0) {
    error.set_from_errno("cannot stat");
    return Fd();
  }
  char magic[4] = {};
  if (info.st_size < 4 || ::pread(file.get(), magic, 4, 0) != 4 ||
      std::memcmp(magic,
                  "\x7f"
                  "ELF",
                  4) != 0) {
    error.text = "not a shared library (no ELF header)";
    return Fd();
  }
  Fd image(::memfd_create(("flexilib:" + base_name(path)).c_str(), MFD_CLOEXEC));
  if (!image) {
    error.set_from_errno("memfd_create");
    return Fd();
  }
  off_t offset = 0;
  while (offset < info.st_size) {
    ssize_t sent = ::sendfile(image.get(), file.get(), &offset, size_t(info.st_size - offset));
    if (sent == 0) {
      error.text = "file shrank while being copied";
      return Fd();
    }
    if (sent < 0) {
      error.set_from_errno("copy");
      return Fd();
    }
  }
  // The watcher reloads once a writer is done, but the next writer may already be at
  // it: a copy that may mix two versions is refused (that writer's close reloads).
  struct stat after {};
  if (::fstat(file.get(), &after) != 0 || !same_version(info, after)) {
    error.text = "changed while being read (still being written?)";
    return Fd();
  }
  // A file cut short would be mapped by dlopen and kill the process with SIGBUS.
  const Mapping mapped(image.get(), size_t(info.st_size));
  if (!mapped) {
    error.set_from_errno("mmap");
    return Fd();
  }
  if (std::string truncation = elf_truncation(mapped.bytes()); !truncation.empty()) {
    error.text = std::move(truncation);
    return Fd();
  }
  return image;
}

template <typename Function> Function find_symbol(void *handle, const char *name) {
  return reinterpret_cast<Function>(::dlsym(handle, name));
}

} // namespace

// The dlopen handle and the memory image it was opened from, closed in that order.
struct Library::Handle {
  Fd image;
  void *dl = nullptr;
  ~Handle() {
    if (dl) ::dlclose(dl);
  }
};

Library::Library(Private, std::string path, uint64_t generation, EventSink events)
    : path_(std::move(path)), generation_(generation), events_(std::move(events)),
      handle_(std::make_unique<Handle>()) {}

void Library::retire() {
  retired_at_ns_ = Clock::now().time_since_epoch().count();
}

Library::~Library() {
  const auto start = Clock::now();
  if (on_unload_) call_entry_point({path_, "flexilib_on_unload"}, on_unload_);
  const double unload_ms = ms_since(start);
  handle_.reset(); // dlclose, then the memory image
  if (!events_ || retired_at_ns_ == 0) return;
  const double drained_ms = double(start.time_since_epoch().count() - retired_at_ns_) / 1e6;
  char figures[96];
  std::snprintf(figures, sizeof figures, ": drained in %.3f ms, unload hook %.3f ms", drained_ms,
                unload_ms);
  events_("unloaded " + path_ + " generation " + std::to_string(generation_) + figures);
}

LoadOutcome Library::load(const std::string &path, uint64_t generation, EventSink events) {
  const auto start = Clock::now();
  auto fail = [&](const std::string &why, bool shortage = false) {
    return LoadOutcome{nullptr, path + ": " + why, shortage};
  };

  CopyError error;
  Fd image = copy_to_memory(path, error);
  if (!image) return fail(error.text, error.shortage);

  auto library = std::make_shared<Library>(Private{}, path, generation, std::move(events));
  Handle &handle = *library->handle_;
  handle.image = std::move(image);
  const std::string image_path = "/proc/self/fd/" + std::to_string(handle.image.get());
  handle.dl = ::dlopen(image_path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle.dl == nullptr) {
    // dlerror() names the memfd path; say which file it was instead.
    std::string text = ::dlerror();
    if (auto at = text.find(image_path); at != std::string::npos)
      text.replace(at, image_path.size(), base_name(path));
    return fail("dlopen failed: " + text, names_shortage(text));
  }
  library->handle_request_ =
      find_symbol<decltype(library->handle_request_)>(handle.dl, "handle_request");
  library->lambda_handler_ = find_symbol<flexilib_lambda_handler *>(handle.dl, "lambda_handler");
  if (library->handle_request_ == nullptr && library->lambda_handler_ == nullptr)
    return fail("does not export handle_request");
  if (auto *version = find_symbol<const uint32_t *>(handle.dl, "flexilib_abi_version"))
    library->abi_version_ = *version;
  if (library->abi_version_ > FLEXILIB_ABI_VERSION)
    return fail("built for flexilib ABI version " + std::to_string(library->abi_version_) +
                ", this server knows up to " + std::to_string(FLEXILIB_ABI_VERSION));
  library->request_deinit_ = find_symbol<void (*)()>(handle.dl, "request_deinit");
  library->zig_init_ = find_symbol<void (*)(void *)>(handle.dl, "zigInit");
  library->load_ms_ = ms_since(start);

  if (auto on_load = find_symbol<int (*)()>(handle.dl, "flexilib_on_load")) {
    const auto init_start = Clock::now();
    int status = 0;
    const bool returned = call_entry_point({path, "flexilib_on_load"}, [&] { status = on_load(); });
    library->init_ms_ = ms_since(init_start);
    if (!returned) return fail("flexilib_on_load threw an exception");
    if (status != 0) return fail("flexilib_on_load returned " + std::to_string(status));
  }
  // Only a library whose load hook succeeded gets its unload hook called.
  library->on_unload_ = find_symbol<void (*)()>(handle.dl, "flexilib_on_unload");
  return {std::move(library), {}};
}

} // namespace flexilib::loader
