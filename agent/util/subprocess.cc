#include "util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace promote {
namespace {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  int get() const { return fd_; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

bool MakePipe(Fd* r, Fd* w) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  r->Reset(fds[0]);
  w->Reset(fds[1]);
  return true;
}

}  // namespace

Result<ProcessResult> RunProcess(const ProcessOptions& options) {
  if (options.argv.empty()) return InvalidArgument("no program to run");
  Fd in_r, in_w, out_r, out_w, err_r, err_w, exec_r, exec_w;
  if (!MakePipe(&in_r, &in_w) || !MakePipe(&out_r, &out_w) || !MakePipe(&err_r, &err_w) ||
      !MakePipe(&exec_r, &exec_w)) {
    return Internal(std::string("pipe: ") + std::strerror(errno));
  }
  std::vector<char*> argv;
  for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  std::vector<char*> envp;
  if (options.env) {
    for (const auto& [k, v] : *options.env) env_storage.push_back(k + "=" + v);
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);
  }

  pid_t pid = ::fork();
  if (pid < 0) return Internal(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    // Child: own process group so a timeout can kill everything it started.
    ::setpgid(0, 0);
    ::dup2(in_r.get(), 0);
    ::dup2(out_w.get(), 1);
    ::dup2(err_w.get(), 2);
    if (!options.workdir.empty() && ::chdir(options.workdir.c_str()) != 0) {
      int e = errno;
      (void)!::write(exec_w.get(), &e, sizeof e);
      ::_exit(127);
    }
    char** env = options.env ? envp.data() : environ;
    if (options.argv[0].find('/') != std::string::npos) {
      ::execve(argv[0], argv.data(), env);
    } else {
      ::execvpe(argv[0], argv.data(), env);
    }
    int e = errno;
    (void)!::write(exec_w.get(), &e, sizeof e);
    ::_exit(127);
  }
  in_r.Close();
  out_w.Close();
  err_w.Close();
  exec_w.Close();

  int exec_errno = 0;
  if (::read(exec_r.get(), &exec_errno, sizeof exec_errno) == sizeof exec_errno) {
    ::waitpid(pid, nullptr, 0);
    return NotFound("cannot run '" + options.argv[0] + "': " + std::strerror(exec_errno));
  }

  ProcessResult result;
  // Feed stdin and drain both outputs with poll so no pipe can fill up and deadlock.
  size_t in_off = 0;
  if (options.stdin_data.empty()) in_w.Close();
  auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool killed = false;
  while (out_r.get() >= 0 || err_r.get() >= 0) {
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      result.timed_out = true;
      break;
    }
    std::vector<pollfd> fds;
    if (in_w.get() >= 0) fds.push_back({in_w.get(), POLLOUT, 0});
    if (out_r.get() >= 0) fds.push_back({out_r.get(), POLLIN, 0});
    if (err_r.get() >= 0) fds.push_back({err_r.get(), POLLIN, 0});
    int wait_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count()) + 1;
    int n = ::poll(fds.data(), fds.size(), wait_ms);
    if (n < 0 && errno != EINTR) break;
    for (const auto& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == in_w.get()) {
        ssize_t w = ::write(in_w.get(), options.stdin_data.data() + in_off, options.stdin_data.size() - in_off);
        if (w > 0) in_off += static_cast<size_t>(w);
        if (w < 0 || in_off >= options.stdin_data.size()) in_w.Close();
        continue;
      }
      Fd& src = p.fd == out_r.get() ? out_r : err_r;
      std::string& dst = p.fd == out_r.get() ? result.stdout_data : result.stderr_data;
      char buf[65536];
      ssize_t r = ::read(src.get(), buf, sizeof buf);
      if (r <= 0) {
        src.Close();
        continue;
      }
      if (dst.size() + static_cast<size_t>(r) > options.max_output_bytes) {
        result.output_truncated = true;
        killed = true;
        break;
      }
      dst.append(buf, static_cast<size_t>(r));
    }
    if (killed) break;
  }
  if (result.timed_out || killed) {
    ::kill(-pid, SIGTERM);
    // Give it a moment to exit on SIGTERM, then make sure.
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid, nullptr, WNOHANG) == pid) {
        ::kill(-pid, SIGKILL);
        result.signal = SIGTERM;
        return result;
      }
      ::usleep(10'000);
    }
    ::kill(-pid, SIGKILL);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  return result;
}

}  // namespace promote
