// The integration tests' view of a running flexilib: starts build/flexilib as a child
// process on a free port, captures its stdout (the request log) and stderr
// (diagnostics) line by line, and offers waits with deadlines instead of sleeps.
#pragma once

#include <httplib.h>
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace flexilib::test {

using namespace std::chrono_literals;
using Deadline = std::chrono::milliseconds;
using LineMatch = std::function<bool(const std::string &)>;

// A temporary directory, removed with everything in it when this goes away.
class TempDir {
public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;

  const std::string &path() const { return path_; }
  std::string file(const std::string &name) const { return path_ + "/" + name; }
  void write_file(const std::string &name, const std::string &text) const;

private:
  std::string path_;
};

// Paths of what the build produced, and of the sources.
std::string build_path(const std::string &relative);
std::string source_path(const std::string &relative);

struct ServerOptions {
  std::string working_directory = ".";
  std::vector<std::string> args;
  // Added to the environment, overriding what the test runs with. PORT=0,
  // SERVER_THREAD_COUNT=2, ADMIN_PORT=off and LAMBDA_API_PORT=off unless given here.
  std::map<std::string, std::string> env;
  // A command that runs flexilib in its place (it must exec it, as
  // systemd-socket-activate does): the absolute path and its arguments; flexilib's
  // path and args follow. Empty: flexilib is started directly.
  std::vector<std::string> launcher = {};
};

class ServerProcess {
public:
  explicit ServerProcess(ServerOptions options);
  ~ServerProcess(); // SIGKILL to the whole process group if still running
  ServerProcess(const ServerProcess &) = delete;
  ServerProcess &operator=(const ServerProcess &) = delete;

  // Before launch(): the server runs under `ulimit -n limit`, soft and hard
  // RLIMIT_NOFILE set in the child (by /bin/sh, which then execs the server).
  void limit_open_files(int limit) { open_file_limit_ = limit; }

  // Starts the process without waiting for anything: for runs that never listen
  // (--help, --check). False, with the reason in failure(), when it cannot start.
  bool launch();
  // launch(), then waits for "flexilib: listening on ADDRESS:PORT" on stderr; false
  // (with the reason and all of stderr in failure()) when the process exits first or
  // the deadline passes.
  bool start(Deadline deadline = 10s);
  const std::string &failure() const { return failure_; }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::vector<std::string> stdout_lines() const;
  std::vector<std::string> stderr_lines() const;
  std::string stderr_text() const;

  // The first line (of all so far) that matches; waits for one until the deadline,
  // or until the process closes that output.
  std::optional<std::string> wait_for_stdout(const LineMatch &match, Deadline deadline = 5s);
  std::optional<std::string> wait_for_stderr(const LineMatch &match, Deadline deadline = 5s);
  // The port a side listener ("admin", "lambda api") announced on stderr with
  // "LISTENER listening on ADDRESS:PORT"; throws, with the server's stderr, when it
  // announced none by the deadline.
  int announced_port(const std::string &listener, Deadline deadline = 5s);

  // To the server's main process only, as a service manager would send it.
  void send_signal(int signal);
  // The status as waitpid gives it (WIFEXITED...), or nullopt when still running at
  // the deadline. Once it has exited, all its output has been read (within the deadline).
  std::optional<int> wait_exit(Deadline deadline = 5s);

private:
  struct Output {
    std::vector<std::string> lines;
    std::string partial;
    bool closed = false; // the process closed it: nothing more will come
  };
  void read_output(int fd, Output &output);
  std::optional<std::string> wait_for(const Output &output, const LineMatch &match,
                                      Deadline deadline);
  bool closed(const Output &output) const;

  ServerOptions options_;
  std::optional<int> open_file_limit_;
  pid_t pid_ = -1;
  int port_ = 0;
  std::string failure_;
  std::optional<int> exit_status_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  Output stdout_, stderr_;
  std::thread stdout_reader_, stderr_reader_;
};

// Writes `config` as proxy.ini into `dir` and starts flexilib there; throws (failing
// the test with flexilib's stderr) when it does not start listening.
std::unique_ptr<ServerProcess> start_server(const TempDir &dir, const std::string &config,
                                            std::map<std::string, std::string> env = {});

// The absolute path of a test library, e.g. test_library("returns-null").
std::string test_library(const std::string &name);

// A cpp-httplib client for the server on 127.0.0.1, with 5-second timeouts.
httplib::Client client_for(const ServerProcess &server);

// Sends `bytes` exactly as they are on a new connection and returns everything the
// server answers until it closes the connection or `deadline` passes.
std::string raw_request(int port, const std::string &bytes, Deadline deadline = 5s);

// A port free a moment ago, for a tool or a setting that wants a number rather than 0
// (systemd-socket-activate, an admin port that must stay the same across restarts).
// Chosen below the kernel's ephemeral range (32768 and up), where the other tests'
// port-0 binds and outgoing connections take theirs, so none of them can take it
// before the test uses it.
int fixed_free_port();

// Polls `condition` every few milliseconds until it holds or the deadline passes.
bool eventually(const std::function<bool()> &condition, Deadline deadline = 5s);

} // namespace flexilib::test
