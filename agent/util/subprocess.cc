#include "util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

extern char** environ;

namespace promote {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr const char* kDefaultPath = "/usr/local/bin:/usr/bin:/bin";
// A cancelled child gets at most this long between SIGTERM and SIGKILL: a cancel must free the
// caller within a second.
constexpr milliseconds kCancelGrace{500};

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
  int Release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
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
// it, so no early return can leave a child running.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (!reaped_) {
      KillGroup(SIGKILL);
      Wait();
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
    } else if (r < 0 && errno == ECHILD) {
      reaped_ = true;
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

std::optional<std::string> FindExecutable(const std::string& name, const std::string& path_list) {
  auto executable = [](const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) {
    if (executable(name)) return name;
    return std::nullopt;
  }
  size_t start = 0;
  while (start <= path_list.size()) {
    size_t end = path_list.find(':', start);
    if (end == std::string::npos) end = path_list.size();
    std::string dir = path_list.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/" + name;
      if (executable(candidate)) return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

std::string SearchPath(const ProcessOptions& options) {
  // Without an environment of its own the child inherits ours, but the search does not read our
  // PATH: the library consults no environment variable it was not given (util/environment_variables.h).
  if (!options.env) return kDefaultPath;
  auto it = options.env->find("PATH");
  return it != options.env->end() ? it->second : kDefaultPath;
}

std::vector<char*> CStrings(std::vector<std::string>& v) {
  std::vector<char*> out;
  out.reserve(v.size() + 1);
  for (std::string& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// What a child does between fork and exec. Everything is prepared before fork: in the child only
// async-signal-safe calls run (another thread may have held the allocator's lock at fork).
struct ChildSetup {
  const char* path = nullptr;
  char* const* argv = nullptr;
  char* const* envp = nullptr;
  const char* workdir = nullptr;
  int stdin_fd = -1, stdout_fd = -1, stderr_fd = -1;
  int report_fd = -1;  // errno goes here when exec fails
  pid_t parent = 0;
  // A scanner or helper dies with us; the watchdog must outlive us and ignore terminal signals.
  bool die_with_parent = true;
  bool ignore_terminal_signals = false;
};

[[noreturn]] void FailInChild(int report_fd) {
  int e = errno;
  (void)!::write(report_fd, &e, sizeof e);
  ::_exit(127);
}

[[noreturn]] void ExecChild(const ChildSetup& s) {
  if (s.die_with_parent) {
    ::setpgid(0, 0);
    // SIGKILL when the thread that forked us ends: that thread waits for us, so this fires only
    // when promote itself dies. Exec keeps it.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != s.parent) ::_exit(127);  // the parent died before prctl took effect
  } else {
    ::setsid();  // no controlling terminal: Ctrl-C and a closed terminal do not reach it
  }
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD}) ::signal(sig, SIG_DFL);
  if (s.ignore_terminal_signals) {
    for (int sig : {SIGTERM, SIGINT, SIGHUP, SIGPIPE}) ::signal(sig, SIG_IGN);
  }
  if (::dup2(s.stdin_fd, 0) < 0 || ::dup2(s.stdout_fd, 1) < 0 || ::dup2(s.stderr_fd, 2) < 0) {
    FailInChild(s.report_fd);
  }
  // Descriptors opened elsewhere without O_CLOEXEC (other threads' sockets) must not reach it.
  ::close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
  if (s.workdir != nullptr && ::chdir(s.workdir) != 0) FailInChild(s.report_fd);
  ::execve(s.path, s.argv, s.envp);
  FailInChild(s.report_fd);
}

// Forks and execs; returns the pid once exec succeeded, or the errno the child reported.
Result<pid_t> Spawn(ChildSetup setup, const std::string& name) {
  PROMOTE_ASSIGN_OR_RETURN(Pipe exec_report, MakePipe());
  setup.report_fd = exec_report.write.get();
  setup.parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) return Internal(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) ExecChild(setup);
  // Also done by the child; whichever runs first wins the race harmlessly.
  if (setup.die_with_parent) ::setpgid(pid, pid);
  exec_report.write.Close();
  int exec_errno = 0;
  ssize_t n;
  while ((n = ::read(exec_report.read.get(), &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  if (n == sizeof exec_errno) {
    Child failed(pid);
    failed.Wait();
    if (setup.workdir != nullptr && exec_errno == ENOENT) {
      return Internal(name + ": cannot start in " + setup.workdir + " or exec: " + std::strerror(exec_errno));
    }
    return Internal(name + ": cannot start: " + std::strerror(exec_errno));
  }
  return pid;
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

// Removes the paths and kills the watched group once its stdin reaches EOF without "done": the
// process that started it died. "group N" names the group, "ended" forgets it.
constexpr const char* kWatchdogScript = R"sh(pgid=
while IFS= read -r line; do
  case "$line" in
    done) exit 0 ;;
    ended) pgid= ;;
    "group "*) pgid=${line#group } ;;
  esac
done
if [ -n "$pgid" ]; then kill -s KILL -- "-$pgid" 2>/dev/null; fi
for p in "$@"; do
  chmod -R u+rwx -- "$p" 2>/dev/null
  rm -rf -- "$p"
done
)sh";

// The three standard streams of a child, both ends of each. Without stdin data the child reads
// /dev/null and there is no write end.
struct ChildPipes {
  Pipe in, out, err;
};

Result<ChildPipes> OpenChildPipes(bool feed_stdin) {
  ChildPipes pipes;
  PROMOTE_ASSIGN_OR_RETURN(pipes.out, MakePipe());
  PROMOTE_ASSIGN_OR_RETURN(pipes.err, MakePipe());
  if (feed_stdin) {
    PROMOTE_ASSIGN_OR_RETURN(pipes.in, MakePipe());
  } else {
    pipes.in.read = Fd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    if (!pipes.in.read.open()) return Internal(std::string("open /dev/null: ") + std::strerror(errno));
  }
  return pipes;
}

// Once the child runs: closes its ends of the pipes (so its exit is seen as EOF) and makes ours
// non-blocking.
void KeepParentEnds(ChildPipes& pipes) {
  pipes.in.read.Close();
  pipes.out.write.Close();
  pipes.err.write.Close();
  ::fcntl(pipes.out.read.get(), F_SETFL, O_NONBLOCK);
  ::fcntl(pipes.err.read.get(), F_SETFL, O_NONBLOCK);
  if (pipes.in.write.open()) ::fcntl(pipes.in.write.get(), F_SETFL, O_NONBLOCK);
}

// The argv and environment of a child as execve takes them: null-terminated arrays pointing into
// strings held here, so this must outlive the exec. Neither copied nor moved, so the pointers hold.
class ExecArgs {
 public:
  explicit ExecArgs(const ProcessOptions& options)
      : argv_storage_(options.argv), argv_(CStrings(argv_storage_)) {
    if (options.env) {
      for (const auto& [k, v] : *options.env) env_storage_.push_back(k + "=" + v);
      envp_ = CStrings(env_storage_);
    }
    inherit_env_ = !options.env;
  }
  ExecArgs(const ExecArgs&) = delete;
  ExecArgs& operator=(const ExecArgs&) = delete;

  char* const* argv() { return argv_.data(); }
  char* const* envp() { return inherit_env_ ? environ : envp_.data(); }

 private:
  std::vector<std::string> argv_storage_;
  std::vector<char*> argv_;
  std::vector<std::string> env_storage_;
  std::vector<char*> envp_;
  bool inherit_env_ = true;
};

// Waits up to about `wait` for the child's stdin to take bytes or its stdout/stderr to have some.
// Returns poll's count (negative after EINTR).
Result<int> PollPipes(const ChildPipes& pipes, milliseconds wait) {
  pollfd fds[3];
  nfds_t nfds = 0;
  if (pipes.in.write.open()) fds[nfds++] = {pipes.in.write.get(), POLLOUT, 0};
  if (pipes.out.read.open()) fds[nfds++] = {pipes.out.read.get(), POLLIN, 0};
  if (pipes.err.read.open()) fds[nfds++] = {pipes.err.read.get(), POLLIN, 0};
  int ready = ::poll(nfds ? fds : nullptr, nfds, static_cast<int>(wait.count()) + 1);
  if (ready < 0 && errno != EINTR) return Internal(std::string("poll: ") + std::strerror(errno));
  return ready;
}

// Writes what the child's stdin takes of `data` from `offset` on; closes it once all is written
// or the write failed.
void FeedStdin(Fd& in, const std::string& data, size_t& offset) {
  ssize_t w = ::write(in.get(), data.data() + offset, data.size() - offset);
  if (w > 0) offset += static_cast<size_t>(w);
  if ((w < 0 && errno != EAGAIN && errno != EINTR) || offset >= data.size()) in.Close();
}

// Feeds the child its stdin and collects its output until it has ended and closed both, or is to
// be stopped early: a cancel, the deadline or the output bound (each marked in `result`).
Status ExchangeWithChild(const ProcessOptions& options, Child& child, ChildPipes& pipes,
                         Clock::time_point deadline, ProcessResult& result) {
  std::optional<Clock::time_point> exited_at;
  size_t in_off = 0;
  for (;;) {
    if (child.Poll() && !exited_at) exited_at = Clock::now();
    if (!pipes.out.read.open() && !pipes.err.read.open() && child.reaped()) break;
    const auto now = Clock::now();
    if (options.cancel != nullptr && options.cancel->cancelled()) {
      result.cancelled = true;
      break;
    }
    if (now >= deadline) {
      result.timed_out = true;
      break;
    }
    // The child is gone but something it started still holds the pipes: stop waiting for them.
    if (exited_at && now - *exited_at > milliseconds(500)) break;
    // Short waits: a cancel is a flag, checked between them.
    auto wait = std::min(std::chrono::duration_cast<milliseconds>(deadline - now), milliseconds(50));
    PROMOTE_ASSIGN_OR_RETURN(int ready, PollPipes(pipes, wait));
    if (pipes.in.write.open() && ready > 0) FeedStdin(pipes.in.write, options.stdin_data, in_off);
    if (pipes.out.read.open()) Drain(pipes.out.read, result.stdout_data);
    if (pipes.err.read.open()) Drain(pipes.err.read, result.stderr_data);
    if (result.stdout_data.size() > options.max_output_bytes ||
        result.stderr_data.size() > options.max_output_bytes) {
      result.output_truncated = true;
      break;
    }
  }
  return OkStatus();
}

// After the exchange: a child that finished is reaped for its exit code or signal, one stopped
// early is stopped (SIGTERM, then SIGKILL after the grace period).
void EndChild(const ProcessOptions& options, Child& child, ChildPipes& pipes, ProcessResult& result) {
  // Closing our ends first turns a writer blocked on a full pipe into an EPIPE.
  pipes.in.write.Close();
  pipes.out.read.Close();
  pipes.err.read.Close();
  if (!result.finished()) {
    if (!child.reaped()) {
      Stop(child, result.cancelled ? std::min(options.kill_grace, kCancelGrace) : options.kill_grace);
      result.signal = SIGTERM;
    }
  } else {
    child.Wait();
    const int status = child.status();
    if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
    if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  }
  // Whatever the child started and left behind in its group goes with it.
  child.KillGroup(SIGKILL);
}

}  // namespace

Result<ProcessResult> RunProcess(const ProcessOptions& options) {
  if (options.argv.empty() || options.argv[0].empty())
    return InvalidArgument("no program to run: argv is empty");
  std::optional<std::string> path = FindExecutable(options.argv[0], SearchPath(options));
  if (!path) {
    return NotFound(options.argv[0] +
                    ": no such executable (looked in the PATH given to it); install it or "
                    "give its full path");
  }
  PROMOTE_ASSIGN_OR_RETURN(ChildPipes pipes, OpenChildPipes(!options.stdin_data.empty()));
  ExecArgs exec_args(options);
  ChildSetup setup;
  setup.path = path->c_str();
  setup.argv = exec_args.argv();
  setup.envp = exec_args.envp();
  setup.workdir = options.workdir.empty() ? nullptr : options.workdir.c_str();
  setup.stdin_fd = pipes.in.read.get();
  setup.stdout_fd = pipes.out.write.get();
  setup.stderr_fd = pipes.err.write.get();

  const auto start = Clock::now();
  PROMOTE_ASSIGN_OR_RETURN(pid_t pid, Spawn(setup, options.argv[0]));
  Child child(pid);
  if (options.watchdog != nullptr) options.watchdog->WatchGroup(pid);
  KeepParentEnds(pipes);

  ProcessResult result;
  PROMOTE_RETURN_IF_ERROR(ExchangeWithChild(options, child, pipes, start + options.timeout, result));
  EndChild(options, child, pipes, result);
  if (options.watchdog != nullptr) options.watchdog->ForgetGroup();
  result.elapsed = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
  return result;
}

Result<OrphanWatchdog> OrphanWatchdog::Start(const std::vector<std::string>& paths) {
  PROMOTE_ASSIGN_OR_RETURN(Pipe control, MakePipe());
  Fd devnull(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  if (!devnull.open()) return Internal(std::string("open /dev/null: ") + std::strerror(errno));
  std::vector<std::string> argv_storage = {"/bin/sh", "-c", kWatchdogScript, "promote-watchdog"};
  argv_storage.insert(argv_storage.end(), paths.begin(), paths.end());
  std::vector<char*> argv = CStrings(argv_storage);
  std::vector<std::string> env_storage = {std::string("PATH=") + kDefaultPath};
  std::vector<char*> envp = CStrings(env_storage);
  ChildSetup setup;
  setup.path = "/bin/sh";
  setup.argv = argv.data();
  setup.envp = envp.data();
  setup.workdir = "/";
  setup.stdin_fd = control.read.get();
  setup.stdout_fd = devnull.get();
  setup.stderr_fd = devnull.get();
  setup.die_with_parent = false;
  setup.ignore_terminal_signals = true;
  PROMOTE_ASSIGN_OR_RETURN(pid_t pid, Spawn(setup, "watchdog /bin/sh"));
  // Only we hold the write end (O_CLOEXEC keeps it out of every exec'd child): when we die, the
  // watchdog reads EOF.
  return OrphanWatchdog(pid, control.write.Release());
}

OrphanWatchdog::OrphanWatchdog(OrphanWatchdog&& other) noexcept
    : pid_(other.pid_), write_fd_(other.write_fd_) {
  other.pid_ = -1;
  other.write_fd_ = -1;
}

OrphanWatchdog::~OrphanWatchdog() {
  if (write_fd_ >= 0) {
    Send("done");
    ::close(write_fd_);
  }
  if (pid_ > 0) {
    int status;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

void OrphanWatchdog::WatchGroup(pid_t pgid) { Send("group " + std::to_string(pgid)); }

void OrphanWatchdog::ForgetGroup() { Send("ended"); }

void OrphanWatchdog::Send(const std::string& line) {
  if (write_fd_ < 0) return;
  std::string text = line + "\n";
  // A few bytes into a pipe the watchdog keeps empty: one write, never blocks. A watchdog that
  // is gone (someone killed it) must not take us with it: SIGPIPE is blocked for this write and
  // a pending one consumed.
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  ::pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  if (::write(write_fd_, text.data(), text.size()) < 0 && errno == EPIPE) {
    const timespec zero{0, 0};
    ::sigtimedwait(&pipe_set, nullptr, &zero);
  }
  ::pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
}

}  // namespace promote
