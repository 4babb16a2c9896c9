#include "tests/support/child_process.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <stdexcept>

extern char** environ;

namespace promote::testing {
namespace {

// Writing to the pipe of a child that has already exited must be an error (EPIPE), not a signal
// that kills the test binary. Children get the default disposition back before exec.
void IgnoreSigpipeOnce() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

std::string Join(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& a : argv) {
    if (!out.empty()) out += ' ';
    out += a;
  }
  return out;
}

// argv/envp as NUL-terminated pointer arrays, built before fork() so the child only calls
// async-signal-safe functions.
struct ExecArgs {
  std::string path;
  std::vector<std::string> argv_storage;
  std::vector<std::string> env_storage;
  std::vector<char*> argv;
  std::vector<char*> envp;

  ExecArgs(const std::vector<std::string>& args, const std::vector<std::string>& extra_env) {
    if (args.empty()) throw std::runtime_error("RunCommand: empty argv");
    path = FindExecutable(args[0]);
    argv_storage = args;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      std::string entry(*e);
      if (entry.rfind("REGISTRY_", 0) == 0) continue;
      std::string name = entry.substr(0, entry.find('='));
      bool overridden = false;
      for (const auto& x : extra_env) overridden |= x.substr(0, x.find('=')) == name;
      if (!overridden) env_storage.push_back(std::move(entry));
    }
    for (const auto& x : extra_env) env_storage.push_back(x);
    for (auto& s : argv_storage) argv.push_back(s.data());
    argv.push_back(nullptr);
    for (auto& s : env_storage) envp.push_back(s.data());
    envp.push_back(nullptr);
  }
};

// Runs in the child between fork() and execve(): async-signal-safe calls only.
[[noreturn]] void ExecChild(const ExecArgs& args, pid_t parent, int stdin_fd, int stdout_fd, int stderr_fd,
                            bool own_group) {
  if (own_group) ::setpgid(0, 0);
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(126);  // the parent died before prctl took effect
  ::signal(SIGPIPE, SIG_DFL);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::dup2(stdin_fd, 0) < 0 || ::dup2(stdout_fd, 1) < 0 || ::dup2(stderr_fd, 2) < 0) ::_exit(126);
  ::close_range(3, ~0U, 0);
  ::execve(args.path.c_str(), args.argv.data(), args.envp.data());
  static const char kMsg[] = "execve failed\n";
  ssize_t ignored = ::write(2, kMsg, sizeof kMsg - 1);
  (void)ignored;
  ::_exit(127);
}

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

void MakePipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe2 failed: ") + std::strerror(errno));
  read_end.Reset(fds[0]);
  write_end.Reset(fds[1]);
}

std::string DescribeWaitStatus(int status) {
  if (WIFEXITED(status)) return "exited with " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status));
  return "stopped (wait status " + std::to_string(status) + ")";
}

}  // namespace

std::string FindExecutable(const std::string& program) {
  if (program.find('/') != std::string::npos) {
    if (::access(program.c_str(), X_OK) == 0) return program;
    throw std::runtime_error("program " + program + " is not executable");
  }
  const char* path_env = std::getenv("PATH");
  std::string path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (dir.empty()) dir = ".";
    std::string candidate = dir + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  throw std::runtime_error("program '" + program + "' not found in PATH (" + path +
                           "); install it (see DESIGN.md, test-time dependencies)");
}

std::string CommandResult::Describe(const std::vector<std::string>& argv) const {
  std::string status = exit_code >= 0 ? "exited with " + std::to_string(exit_code)
                                      : "was killed by signal " + std::to_string(term_signal);
  return "`" + Join(argv) + "` " + status + "; stdout: " + out + "; stderr: " + err;
}

CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& stdin_data,
                         const std::vector<std::string>& extra_env) {
  IgnoreSigpipeOnce();
  ExecArgs args(argv, extra_env);
  Fd in_r, in_w, out_r, out_w, err_r, err_w;
  MakePipe(in_r, in_w);
  MakePipe(out_r, out_w);
  MakePipe(err_r, err_w);
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) ExecChild(args, parent, in_r.get(), out_w.get(), err_w.get(), /*own_group=*/false);
  in_r.Reset();
  out_w.Reset();
  err_w.Reset();

  CommandResult result;
  size_t written = 0;
  if (stdin_data.empty()) in_w.Reset();
  bool out_open = true, err_open = true;
  char buf[8192];
  while (out_open || err_open || in_w.get() >= 0) {
    std::vector<pollfd> fds;
    if (in_w.get() >= 0) fds.push_back({in_w.get(), POLLOUT, 0});
    if (out_open) fds.push_back({out_r.get(), POLLIN, 0});
    if (err_open) fds.push_back({err_r.get(), POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (const auto& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in_w.get()) {
        ssize_t n = ::write(p.fd, stdin_data.data() + written, stdin_data.size() - written);
        if (n > 0) written += static_cast<size_t>(n);
        if (n < 0 && errno != EINTR && errno != EAGAIN) in_w.Reset();  // EPIPE: the child stopped reading
        if (written == stdin_data.size()) in_w.Reset();
      } else {
        ssize_t n = ::read(p.fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        bool is_out = p.fd == out_r.get();
        if (n <= 0) {
          (is_out ? out_open : err_open) = false;
        } else {
          (is_out ? result.out : result.err).append(buf, static_cast<size_t>(n));
        }
      }
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) {
    result.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    result.term_signal = WTERMSIG(status);
  }
  return result;
}

CommandResult RunCommandOrThrow(const std::vector<std::string>& argv, const std::string& stdin_data,
                                const std::vector<std::string>& extra_env) {
  CommandResult r = RunCommand(argv, stdin_data, extra_env);
  if (!r.ok()) throw std::runtime_error(r.Describe(argv));
  return r;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& log_path) {
  IgnoreSigpipeOnce();
  ExecArgs args(argv, {});
  Fd log(::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600));
  if (log.get() < 0) throw std::runtime_error("cannot open log " + log_path + ": " + std::strerror(errno));
  Fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (devnull.get() < 0)
    throw std::runtime_error(std::string("cannot open /dev/null: ") + std::strerror(errno));
  pid_t parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
  if (pid == 0) ExecChild(args, parent, devnull.get(), log.get(), log.get(), /*own_group=*/true);
  // Also set from the parent so a kill(-pid) right after the constructor cannot miss the group.
  ::setpgid(pid, pid);
  pid_ = pid;
}

ChildProcess::~ChildProcess() { Kill(); }

bool ChildProcess::Running() {
  if (wait_status_) return false;
  // Look without reaping first: while the leader is unreaped its pid (the group id) cannot be
  // reused, so the group kill below cannot hit an unrelated process.
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0 ||
      info.si_pid != pid_) {
    return true;
  }
  ::kill(-pid_, SIGKILL);  // the leader is gone; anything else it started in its group goes too
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  wait_status_ = status;
  return false;
}

std::string ChildProcess::DescribeExit() {
  if (Running()) return "";
  return DescribeWaitStatus(*wait_status_);
}

void ChildProcess::Kill() {
  if (pid_ < 0 || wait_status_) return;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  pid_t r;
  do {
    r = ::waitpid(pid_, &status, 0);
  } while (r < 0 && errno == EINTR);
  wait_status_ = status;
}

int PickFreeLoopbackPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket failed: ") + std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    int err = errno;
    ::close(fd);
    throw std::runtime_error(std::string("cannot bind 127.0.0.1:0: ") + std::strerror(err));
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace promote::testing

namespace promote::testing {

bool ProcessGroupRunning(pid_t pgid) {
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return ::kill(-pgid, 0) == 0;
  bool running = false;
  while (dirent* e = ::readdir(proc)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so parse after the last ')'.
    const size_t close = text.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(text.substr(close + 1));
    char state = 0;
    long ppid = 0, pgrp = 0;
    if (!(fields >> state >> ppid >> pgrp)) continue;
    if (pgrp == pgid && state != 'Z' && state != 'X') {
      running = true;
      break;
    }
  }
  ::closedir(proc);
  return running;
}

}  // namespace promote::testing
