// Starting build/flexilib for a test and reading what it prints.
#include "test/integration/server_process.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <netinet/in.h>
#include <poll.h>
#include <regex>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

namespace flexilib::test {

namespace {
using Clock = std::chrono::steady_clock;
}

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "flexilib-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

void TempDir::write_file(const std::string &name, const std::string &text) const {
  std::ofstream(file(name), std::ios::binary) << text;
}

std::string build_path(const std::string &relative) {
  return std::string(FLEXILIB_BUILD_DIR) + "/" + relative;
}
std::string source_path(const std::string &relative) {
  return std::string(FLEXILIB_SOURCE_DIR) + "/" + relative;
}

ServerProcess::ServerProcess(ServerOptions options) : options_(std::move(options)) {
  for (const auto &[name, value] :
       {std::pair{"PORT", "0"}, {"SERVER_THREAD_COUNT", "2"}, {"ADMIN_PORT", "off"}})
    options_.env.emplace(name, value);
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0 && !exited_) {
    ::kill(-pid_, SIGKILL); // the supervisor and its serving process
    wait_exit(5s);
  }
  if (stdout_reader_.joinable()) stdout_reader_.join();
  if (stderr_reader_.joinable()) stderr_reader_.join();
}

bool ServerProcess::start(Deadline deadline) {
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    failure_ = "pipe failed";
    return false;
  }
  std::vector<std::string> environment;
  for (char **entry = environ; *entry; ++entry) {
    const std::string text = *entry;
    if (!options_.env.count(text.substr(0, text.find('=')))) environment.push_back(text);
  }
  for (const auto &[name, value] : options_.env)
    environment.push_back(name + "=" + value);
  std::vector<std::string> argv{FLEXILIB_BINARY};
  argv.insert(argv.end(), options_.args.begin(), options_.args.end());

  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0); // its own group, so the destructor can kill the serving child too
    ::dup2(out[1], STDOUT_FILENO);
    ::dup2(err[1], STDERR_FILENO);
    if (::chdir(options_.working_directory.c_str()) != 0) ::_exit(126);
    std::vector<char *> c_argv, c_env;
    for (auto &arg : argv)
      c_argv.push_back(arg.data());
    for (auto &entry : environment)
      c_env.push_back(entry.data());
    c_argv.push_back(nullptr);
    c_env.push_back(nullptr);
    ::execve(c_argv[0], c_argv.data(), c_env.data());
    ::_exit(127);
  }
  ::close(out[1]);
  ::close(err[1]);
  stdout_reader_ = std::thread([this, fd = out[0]] { read_output(fd, stdout_); });
  stderr_reader_ = std::thread([this, fd = err[0]] { read_output(fd, stderr_); });

  static const std::regex listening("listening on (\\S+):(\\d+)$");
  auto line = wait_for_stderr(
      [](const std::string &text) { return std::regex_search(text, listening); }, deadline);
  if (!line) {
    failure_ = "flexilib did not start listening; stderr:\n" + stderr_text();
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
  output.closed = true;
  changed_.notify_all();
}

std::optional<std::string>
ServerProcess::wait_for(const Output &output, const std::function<bool(const std::string &)> &match,
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

std::optional<std::string>
ServerProcess::wait_for_stdout(const std::function<bool(const std::string &)> &match,
                               Deadline deadline) {
  return wait_for(stdout_, match, deadline);
}

std::optional<std::string>
ServerProcess::wait_for_stderr(const std::function<bool(const std::string &)> &match,
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
  if (pid_ > 0 && !exited_) ::kill(pid_, signal);
}

std::optional<int> ServerProcess::wait_exit(Deadline deadline) {
  if (exited_) return exit_status_;
  const bool done = eventually(
      [this] {
        int status = 0;
        if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
        exit_status_ = status;
        return true;
      },
      deadline);
  if (!done) return std::nullopt;
  exited_ = true;
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
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(uint16_t(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0 &&
      ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size())) {
    const auto end = Clock::now() + deadline;
    char buffer[4096];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now());
      pollfd entry{fd, POLLIN, 0};
      if (left.count() <= 0 || ::poll(&entry, 1, int(left.count())) <= 0) break;
      const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
      if (got <= 0) break;
      answer.append(buffer, size_t(got));
    }
  }
  ::close(fd);
  return answer;
}

bool eventually(const std::function<bool()> &condition, Deadline deadline) {
  const auto end = Clock::now() + deadline;
  for (;;) {
    if (condition()) return true;
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(5ms); // a poll interval, not a synchronisation
  }
}

} // namespace flexilib::test
