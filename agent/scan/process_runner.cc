#include "scan/process_runner.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

namespace promote::scan {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Close();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read, write;
};

Result<Pipe> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Internal(std::string("pipe: ") + std::strerror(errno));
  return Pipe{Fd(fds[0]), Fd(fds[1])};
}

// Owns a started child: until it has been reaped, destruction kills its process group and reaps
// it, so no early return can leave a scanner running.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (!reaped_) {
      KillGroup(SIGKILL);
      int status;
      while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
      }
    }
  }
  void KillGroup(int sig) const { ::kill(-pid_, sig); }
  // Non-blocking; true once the child has exited (status stored).
  bool Poll() {
    if (reaped_) return true;
    int status;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      status_ = status;
    }
    return reaped_;
  }
  void Wait() {
    while (!reaped_) {
      int status;
      pid_t r = ::waitpid(pid_, &status, 0);
      if (r == pid_) {
        reaped_ = true;
        status_ = status;
      } else if (r < 0 && errno != EINTR) {
        reaped_ = true;  // ECHILD: someone else reaped it; nothing more to wait for
      }
    }
  }
  bool reaped() const { return reaped_; }
  int status() const { return status_; }

 private:
  pid_t pid_;
  bool reaped_ = false;
  int status_ = 0;
};

void Nap(milliseconds d) {
  timespec ts{static_cast<time_t>(d.count() / 1000), static_cast<long>((d.count() % 1000) * 1000000)};
  while (::nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

std::optional<std::string> FindExecutable(const std::string& name, const std::vector<std::string>& env) {
  auto executable = [](const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (executable(name)) return name;
    return std::nullopt;
  }
  std::string path = kDefaultPath;
  for (const std::string& e : env) {
    if (e.rfind("PATH=", 0) == 0) path = e.substr(5);
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (executable(candidate)) return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::vector<char*> CStrings(const std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// In the child between fork and exec: async-signal-safe calls only.
[[noreturn]] void ExecChild(const char* path, char* const* argv, char* const* envp, const char* workdir,
                            int devnull, int out, int err, int report_fd) {
  ::setpgid(0, 0);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD}) ::signal(sig, SIG_DFL);
  if (::dup2(devnull, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err, 2) < 0) {
    int e = errno;
    (void)!::write(report_fd, &e, sizeof e);
    ::_exit(127);
  }
  // Descriptors the agent opened elsewhere without O_CLOEXEC must not reach the scanner.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (workdir && ::chdir(workdir) != 0) {
    int e = errno;
    (void)!::write(report_fd, &e, sizeof e);
    ::_exit(127);
  }
  ::execve(path, argv, envp);
  int e = errno;
  (void)!::write(report_fd, &e, sizeof e);
  ::_exit(127);
}

// Reads what is available; false at EOF or error.
bool Drain(Fd& fd, std::string& into) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf) return true;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    fd.Close();
    return false;
  }
}

void Stop(Child& child, milliseconds grace) {
  child.KillGroup(SIGTERM);
  const auto until = Clock::now() + grace;
  while (!child.Poll() && Clock::now() < until) Nap(milliseconds(10));
  // Whatever is left of the group (the child itself, or what it started) is killed outright.
  child.KillGroup(SIGKILL);
  child.Wait();
}

}  // namespace

Result<ProcessOutcome> RunProcess(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) return InvalidArgument("no program to run: argv is empty");
  std::optional<std::string> path = FindExecutable(spec.argv[0], spec.env);
  if (!path) {
    return NotFound(spec.argv[0] +
                    ": no such executable (looked in the PATH given to it); install it or "
                    "give its full path");
  }
  PROMOTE_ASSIGN_OR_RETURN(Pipe out, MakePipe());
  PROMOTE_ASSIGN_OR_RETURN(Pipe err, MakePipe());
  PROMOTE_ASSIGN_OR_RETURN(Pipe exec_report, MakePipe());
  Fd devnull(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  if (!devnull.open()) return Internal(std::string("open /dev/null: ") + std::strerror(errno));

  // Everything the child needs is built before fork: after it only async-signal-safe calls run.
  std::vector<char*> argv = CStrings(spec.argv);
  std::vector<char*> envp = CStrings(spec.env);
  const char* workdir = spec.workdir.empty() ? nullptr : spec.workdir.c_str();

  const auto start = Clock::now();
  pid_t pid = ::fork();
  if (pid < 0) return Internal(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ExecChild(path->c_str(), argv.data(), envp.data(), workdir, devnull.get(), out.write.get(),
              err.write.get(), exec_report.write.get());
  }
  ::setpgid(pid, pid);  // also done by the child; whichever runs first wins the race harmlessly
  Child child(pid);
  out.write.Close();
  err.write.Close();
  exec_report.write.Close();

  int exec_errno = 0;
  ssize_t n;
  while ((n = ::read(exec_report.read.get(), &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  if (n == sizeof exec_errno) {
    child.Wait();
    if (workdir && exec_errno == ENOENT) {
      return Internal(spec.argv[0] + ": cannot start in " + spec.workdir +
                      " or exec: " + std::strerror(exec_errno));
    }
    return Internal(spec.argv[0] + ": cannot start: " + std::strerror(exec_errno));
  }

  ::fcntl(out.read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(err.read.get(), F_SETFL, O_NONBLOCK);
  ProcessOutcome outcome;
  const auto deadline = start + spec.timeout;
  std::optional<Clock::time_point> exited_at;
  bool timed_out = false, too_large = false;

  for (;;) {
    if (child.Poll() && !exited_at) exited_at = Clock::now();
    if (!out.read.open() && !err.read.open() && child.reaped()) break;
    const auto now = Clock::now();
    if (now >= deadline) {
      timed_out = true;
      break;
    }
    // The child is gone but something it started still holds the pipes: stop waiting for them.
    if (exited_at && now - *exited_at > milliseconds(500)) {
      child.KillGroup(SIGKILL);
      break;
    }
    auto wait = std::min(std::chrono::duration_cast<milliseconds>(deadline - now), milliseconds(50));
    pollfd fds[2];
    nfds_t nfds = 0;
    if (out.read.open()) fds[nfds++] = {out.read.get(), POLLIN, 0};
    if (err.read.open()) fds[nfds++] = {err.read.get(), POLLIN, 0};
    int ready = ::poll(nfds ? fds : nullptr, nfds, static_cast<int>(wait.count()) + 1);
    if (ready < 0 && errno != EINTR) return Internal(std::string("poll: ") + std::strerror(errno));
    if (out.read.open()) Drain(out.read, outcome.stdout_bytes);
    if (err.read.open()) Drain(err.read, outcome.stderr_bytes);
    if (outcome.stdout_bytes.size() > spec.max_output_bytes ||
        outcome.stderr_bytes.size() > spec.max_output_bytes) {
      too_large = true;
      break;
    }
  }

  if (timed_out || too_large) {
    // Closing our ends first turns a writer blocked on a full pipe into an EPIPE.
    out.read.Close();
    err.read.Close();
    if (!child.reaped()) {
      Stop(child, spec.kill_grace);
    } else {
      child.KillGroup(SIGKILL);  // the child is gone; what it started is not
    }
    outcome.ending = timed_out ? ProcessOutcome::Ending::kTimedOut : ProcessOutcome::Ending::kOutputTooLarge;
  } else {
    child.Wait();
    const int status = child.status();
    if (WIFSIGNALED(status)) {
      outcome.ending = ProcessOutcome::Ending::kSignalled;
      outcome.signal = WTERMSIG(status);
    } else {
      outcome.ending = ProcessOutcome::Ending::kExited;
      outcome.exit_code = WEXITSTATUS(status);
    }
  }
  outcome.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  return outcome;
}

}  // namespace promote::scan
