// Starting build/flexilib for a test, reading what it prints, and talking to it over
// raw sockets when a test needs bytes no HTTP client would send.
#include "test/integration/server_process.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <random>
#include <regex>
#include <spawn.h>
#include <stdexcept>
#include <string_view>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utility>

extern char **environ;

namespace flexilib::test {

namespace {

using Clock = std::chrono::steady_clock;

// A file descriptor that closes itself unless released.
class FileDescriptor {
public:
  explicit FileDescriptor(int fd = -1) : fd_(fd) {}
  FileDescriptor(FileDescriptor &&other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  FileDescriptor &operator=(FileDescriptor &&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

private:
  int fd_;
};

struct Pipe {
  FileDescriptor read_end, write_end;
};

// Close-on-exec, so that a server started later does not hold this one's pipes open.
std::optional<Pipe> make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::nullopt;
  return Pipe{FileDescriptor(fds[0]), FileDescriptor(fds[1])};
}

// The test's own environment, with `overrides` replacing or adding variables.
std::vector<std::string> child_environment(const std::map<std::string, std::string> &overrides) {
  std::vector<std::string> environment;
  for (char **entry = environ; *entry != nullptr; ++entry) {
    const std::string_view text = *entry;
    if (!overrides.contains(std::string(text.substr(0, text.find('=')))))
      environment.emplace_back(text);
  }
  for (const auto &[name, value] : overrides)
    environment.push_back(name + "=" + value);
  return environment;
}

// The argv/envp form of `strings`: pointers into them, then a null pointer.
std::vector<char *> null_terminated(std::vector<std::string> &strings) {
  std::vector<char *> pointers;
  for (std::string &text : strings)
    pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

int milliseconds_left(Clock::time_point end) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
  return left.count() > 0 ? int(left.count()) : 0;
}

// Waits until `fd` is ready for `events`; false at the deadline or on an error.
bool wait_ready(int fd, short events, Clock::time_point end) {
  for (;;) {
    pollfd entry{fd, events, 0};
    const int ready = ::poll(&entry, 1, milliseconds_left(end));
    if (ready < 0 && errno == EINTR) continue;
    return ready > 0;
  }
}

// Sends what the server takes before the deadline. A server refusing a request may
// stop reading it, or close the connection, and what it answered still counts.
void send_until_refused(int fd, std::string_view bytes, Clock::time_point end) {
  while (!bytes.empty() && wait_ready(fd, POLLOUT, end)) {
    const ssize_t sent = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (sent < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (sent <= 0) return;
    bytes.remove_prefix(size_t(sent));
  }
}

std::string receive_until_closed(int fd, Clock::time_point end) {
  std::string received;
  char buffer[4096];
  while (wait_ready(fd, POLLIN, end)) {
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, MSG_DONTWAIT);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) break;
    received.append(buffer, size_t(got));
  }
  return received;
}

} // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "flexilib-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error(std::string("mkdtemp: ") + std::strerror(errno));
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void TempDir::write_file(const std::string &name, const std::string &text) const {
  std::ofstream out(file(name), std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file(name));
}

std::string build_path(const std::string &relative) {
  return std::string(FLEXILIB_BUILD_DIR) + "/" + relative;
}

std::string source_path(const std::string &relative) {
  return std::string(FLEXILIB_SOURCE_DIR) + "/" + relative;
}

ServerProcess::ServerProcess(ServerOptions options) : options_(std::move(options)) {
  // A free port, a thread count that does not depend on the machine, and no admin
  // endpoint or Lambda Invoke API competing for ports: tests that want otherwise say so.
  for (const auto &[name, value] : {std::pair{"PORT", "0"},
                                    {"SERVER_THREAD_COUNT", "2"},
                                    {"ADMIN_PORT", "off"},
                                    {"LAMBDA_API_PORT", "off"}})
    options_.env.emplace(name, value);
}

ServerProcess::~ServerProcess() {
  // Open outputs mean some process of the group still runs (a serving process can
  // outlive its supervisor); the readers only finish once all of them are gone.
  if (pid_ > 0 && (!exit_status_ || !closed(stdout_) || !closed(stderr_))) {
    ::kill(-pid_, SIGKILL);
    wait_exit(5s);
  }
  if (stdout_reader_.joinable()) stdout_reader_.join();
  if (stderr_reader_.joinable()) stderr_reader_.join();
}

bool ServerProcess::launch() {
  auto out = make_pipe();
  auto err = make_pipe();
  if (!out || !err) {
    failure_ = std::string("cannot make pipes: ") + std::strerror(errno);
    return false;
  }
  std::vector<std::string> argv = options_.launcher;
  if (open_file_limit_) {
    const std::vector<std::string> shell{"/bin/sh", "-c",
                                         "ulimit -n " + std::to_string(*open_file_limit_) +
                                             " && exec \"$0\" \"$@\""};
    argv.insert(argv.begin(), shell.begin(), shell.end());
  }
  argv.push_back(FLEXILIB_BINARY);
  argv.insert(argv.end(), options_.args.begin(), options_.args.end());
  std::vector<std::string> environment = child_environment(options_.env);

  // posix_spawn rather than fork: this process has threads (the readers of other
  // servers), and a forked child could find their allocator lock held.
  posix_spawn_file_actions_t actions;
  ::posix_spawn_file_actions_init(&actions);
  ::posix_spawn_file_actions_adddup2(&actions, out->write_end.get(), STDOUT_FILENO);
  ::posix_spawn_file_actions_adddup2(&actions, err->write_end.get(), STDERR_FILENO);
  ::posix_spawn_file_actions_addchdir_np(&actions, options_.working_directory.c_str());
  posix_spawnattr_t attributes;
  ::posix_spawnattr_init(&attributes);
  // Its own process group, so that the destructor also reaches the serving process
  // the supervisor forks.
  ::posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  ::posix_spawnattr_setpgroup(&attributes, 0);
  const int error =
      ::posix_spawn(&pid_, argv[0].c_str(), &actions, &attributes, null_terminated(argv).data(),
                    null_terminated(environment).data());
  ::posix_spawnattr_destroy(&attributes);
  ::posix_spawn_file_actions_destroy(&actions);
  if (error != 0) {
    pid_ = -1;
    failure_ = "cannot start " + argv[0] + " in " + options_.working_directory + ": " +
               std::strerror(error);
    return false;
  }
  stdout_reader_ = std::thread([this, fd = out->read_end.release()] { read_output(fd, stdout_); });
  stderr_reader_ = std::thread([this, fd = err->read_end.release()] { read_output(fd, stderr_); });
  return true;
}

bool ServerProcess::start(Deadline deadline) {
  if (pid_ <= 0 && !launch()) return false;
  // Anchored: "flexilib: admin listening on ..." names another port.
  static const std::regex listening(R"(^flexilib: listening on (\S+):(\d+)$)");
  const auto line = wait_for_stderr(
      [](const std::string &text) { return std::regex_search(text, listening); }, deadline);
  if (!line) {
    const std::string what = closed(stderr_) ? "exited"
                                             : "did not start listening within " +
                                                   std::to_string(deadline.count()) + " ms";
    failure_ = "flexilib " + what + "; its stderr:\n" + stderr_text();
    return false;
  }
  std::smatch match;
  std::regex_search(*line, match, listening);
  port_ = std::stoi(match[2]);
  return true;
}

void ServerProcess::read_output(int fd, Output &output) {
  char buffer[4096];
  for (;;) {
    const ssize_t got = ::read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    std::lock_guard lock(mutex_);
    output.partial.append(buffer, size_t(got));
    for (size_t end; (end = output.partial.find('\n')) != std::string::npos;) {
      output.lines.push_back(output.partial.substr(0, end));
      output.partial.erase(0, end + 1);
    }
    changed_.notify_all();
  }
  ::close(fd);
  std::lock_guard lock(mutex_);
  // A last line without a newline, e.g. from a crash, still counts.
  if (!output.partial.empty()) output.lines.push_back(std::exchange(output.partial, {}));
  output.closed = true;
  changed_.notify_all();
}

std::optional<std::string> ServerProcess::wait_for(const Output &output, const LineMatch &match,
                                                   Deadline deadline) {
  std::unique_lock lock(mutex_);
  std::optional<std::string> found;
  changed_.wait_for(lock, deadline, [&] {
    for (const std::string &line : output.lines)
      if (match(line)) {
        found = line;
        return true;
      }
    return output.closed;
  });
  return found;
}

bool ServerProcess::closed(const Output &output) const {
  std::lock_guard lock(mutex_);
  return output.closed;
}

std::optional<std::string> ServerProcess::wait_for_stdout(const LineMatch &match,
                                                          Deadline deadline) {
  return wait_for(stdout_, match, deadline);
}

int ServerProcess::announced_port(const std::string &listener, Deadline deadline) {
  const std::string marker = listener + " listening on ";
  const auto line = wait_for_stderr(
      [&](const std::string &text) { return text.find(marker) != std::string::npos; }, deadline);
  if (!line) throw std::runtime_error("no " + listener + " listening; stderr:\n" + stderr_text());
  return std::stoi(line->substr(line->rfind(':') + 1));
}

std::optional<std::string> ServerProcess::wait_for_stderr(const LineMatch &match,
                                                          Deadline deadline) {
  return wait_for(stderr_, match, deadline);
}

std::vector<std::string> ServerProcess::stdout_lines() const {
  std::lock_guard lock(mutex_);
  return stdout_.lines;
}

std::vector<std::string> ServerProcess::stderr_lines() const {
  std::lock_guard lock(mutex_);
  return stderr_.lines;
}

std::string ServerProcess::stderr_text() const {
  std::string text;
  for (const std::string &line : stderr_lines())
    text += line + "\n";
  return text;
}

void ServerProcess::send_signal(int signal) {
  if (pid_ > 0 && !exit_status_) ::kill(pid_, signal);
}

std::optional<int> ServerProcess::wait_exit(Deadline deadline) {
  if (pid_ <= 0 || exit_status_) return exit_status_;
  const auto end = Clock::now() + deadline;
  eventually(
      [this] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
        exit_status_ = status;
        return true;
      },
      deadline);
  // Everything the process wrote is read once its outputs close: a test that reads
  // stderr after the exit must see all of it, not what the readers had got so far.
  std::unique_lock lock(mutex_);
  changed_.wait_until(lock, end, [this] { return stdout_.closed && stderr_.closed; });
  return exit_status_;
}

std::unique_ptr<ServerProcess> start_server(const TempDir &dir, const std::string &config,
                                            std::map<std::string, std::string> env) {
  dir.write_file("proxy.ini", config);
  auto server = std::make_unique<ServerProcess>(ServerOptions{dir.path(), {}, std::move(env)});
  if (!server->start()) throw std::runtime_error(server->failure());
  return server;
}

std::string test_library(const std::string &name) {
  return build_path("test/libraries/lib" + name + ".so");
}

httplib::Client client_for(const ServerProcess &server) {
  httplib::Client client("127.0.0.1", server.port());
  client.set_connection_timeout(5);
  client.set_read_timeout(5);
  client.set_write_timeout(5);
  return client;
}

std::string raw_request(int port, const std::string &bytes, Deadline deadline) {
  const auto end = Clock::now() + deadline;
  const FileDescriptor connection(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(uint16_t(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connection.get() < 0 ||
      ::connect(connection.get(), reinterpret_cast<sockaddr *>(&address), sizeof address) != 0)
    return {};
  send_until_refused(connection.get(), bytes, end);
  return receive_until_closed(connection.get(), end);
}

bool eventually(const std::function<bool()> &condition, Deadline deadline) {
  const auto end = Clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(5ms); // a poll interval, not a synchronisation
  }
}

int fixed_free_port() {
  static std::mt19937 random(std::random_device{}());
  for (;;) {
    const int port = std::uniform_int_distribution(20000, 32000)(random);
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(uint16_t(port));
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
    ::close(fd);
    if (bound) return port;
  }
}

} // namespace flexilib::test
