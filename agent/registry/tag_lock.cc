#include "registry/tag_lock.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

#include "util/sha256.h"

namespace promote::registry {
namespace {

using Clock = std::chrono::steady_clock;

// The keys held by this process. Process-wide on purpose: the resource it guards (a tag at a
// registry) is global, and two tables in one process would let two of its callers both write
// a tag. Everything else about a lock is owned by the TagLock that holds it.
struct ProcessTable {
  std::mutex mu;
  std::condition_variable released;
  std::set<std::string> held;
};

ProcessTable& Table() {
  static ProcessTable table;
  return table;
}

std::string Describe(const std::vector<std::string>& keys) {
  return keys.size() == 1 ? "tag " + keys.front()
                          : std::to_string(keys.size()) + " tags (" + keys.front() + ", ...)";
}

// Whether `path` is a directory of ours that nobody else may enter.
bool IsPrivateDirectory(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return false;
  return S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 077) == 0;
}

std::optional<std::string> PrivateDirectory(const std::string& path) {
  if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return std::nullopt;
  if (!IsPrivateDirectory(path)) return std::nullopt;
  return path;
}

// The runtime directory UseRuntimeDirectory set; see there for why it is process-wide.
struct RuntimeDirectory {
  std::mutex mu;
  std::string path;
};
RuntimeDirectory& TheRuntimeDirectory() {
  static RuntimeDirectory dir;
  return dir;
}

void WarnOnce(const std::string& message) {
  static std::atomic<bool> warned{false};
  if (!warned.exchange(true)) spdlog::warn("{}", message);
}

// One key a tag: "<host>/<repository>:<tag>", sorted (the order every process takes them in) and
// without duplicates.
std::vector<std::string> LockKeys(const std::string& host, const std::string& repository,
                                  const std::vector<std::string>& tags) {
  std::vector<std::string> keys;
  for (const auto& tag : tags) keys.push_back(host + "/" + repository + ":" + tag);
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

Status CancelledWaiting(const std::vector<std::string>& keys) {
  return Status(Code::kCancelled, "cancelled waiting for " + Describe(keys));
}

Status WaitedTooLong(const std::vector<std::string>& keys, std::chrono::milliseconds wait_limit) {
  return Status(Code::kUnavailable, "another writer on this host has held " + Describe(keys) + " for over " +
                                        std::to_string(wait_limit.count() / 1000) + " s; try again later");
}

// Enters `keys` in this process's table once none of them is held, all at once, so two callers
// never each hold part of what the other needs.
Status HoldInProcess(const std::vector<std::string>& keys, const CancelToken* cancel,
                     Clock::time_point deadline, std::chrono::milliseconds wait_limit) {
  ProcessTable& table = Table();
  std::unique_lock<std::mutex> guard(table.mu);
  for (;;) {
    bool free =
        std::none_of(keys.begin(), keys.end(), [&](const auto& k) { return table.held.count(k) != 0; });
    if (free) break;
    if (cancel != nullptr && cancel->cancelled()) return CancelledWaiting(keys);
    if (Clock::now() >= deadline) return WaitedTooLong(keys, wait_limit);
    // Woken by a release; the timeout only bounds how late a cancellation is noticed.
    table.released.wait_for(guard, std::chrono::milliseconds(50));
  }
  table.held.insert(keys.begin(), keys.end());
  return OkStatus();
}

std::string LockFilePath(const std::string& dir, const std::string& key) {
  Sha256 h;
  h.Update(key);
  return dir + "/" + h.FinishHex() + ".lock";
}

// Whether `fd` is still the file at `path`.
bool StillAtPath(int fd, const std::string& path) {
  struct stat by_fd {
  }, by_path{};
  return ::fstat(fd, &by_fd) == 0 && ::stat(path.c_str(), &by_path) == 0 && by_fd.st_ino == by_path.st_ino &&
         by_fd.st_dev == by_path.st_dev;
}

// Opens the lock file at `path` and flocks it, waiting while another process holds it: the
// locked descriptor. nullopt when the file cannot be opened or locked (warned once: writers on
// this host then do not take turns across processes); kCancelled or kUnavailable when `cancel`
// fires or the deadline passes first.
Result<std::optional<int>> LockFile(const std::string& path, const std::vector<std::string>& keys,
                                    const CancelToken* cancel, Clock::time_point deadline,
                                    std::chrono::milliseconds wait_limit) {
  auto backoff = std::chrono::milliseconds(1);
  for (;;) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
      WarnOnce("cannot open lock file " + path + ": " + std::strerror(errno) +
               "; promote processes on this host do not take turns at writing a tag");
      return std::optional<int>();
    }
    // Non-blocking and polled: a blocked flock(2) could not notice a cancellation.
    while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      if (errno != EWOULDBLOCK && errno != EINTR) {
        WarnOnce("cannot lock " + path + ": " + std::strerror(errno) +
                 "; promote processes on this host do not take turns at writing a tag");
        ::close(fd);
        return std::optional<int>();
      }
      if ((cancel != nullptr && cancel->cancelled()) || Clock::now() >= deadline) {
        ::close(fd);
        if (cancel != nullptr && cancel->cancelled()) return CancelledWaiting(keys);
        return WaitedTooLong(keys, wait_limit);
      }
      SleepUnlessCancelled(backoff, cancel);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(20));
    }
    // The holder before us removes the file when it is done: a lock on a file no longer at
    // `path` guards nothing, so open the new one.
    if (StillAtPath(fd, path)) return std::optional<int>(fd);
    ::close(fd);
  }
}

}  // namespace

void TagLock::UseRuntimeDirectory(std::string runtime_dir) {
  RuntimeDirectory& dir = TheRuntimeDirectory();
  std::lock_guard<std::mutex> lock(dir.mu);
  dir.path = std::move(runtime_dir);
}

std::optional<std::string> TagLock::Directory() {
  std::string runtime;
  {
    RuntimeDirectory& dir = TheRuntimeDirectory();
    std::lock_guard<std::mutex> lock(dir.mu);
    runtime = dir.path;
  }
  if (!runtime.empty() && runtime[0] == '/' && IsPrivateDirectory(runtime)) {
    if (auto dir = PrivateDirectory(runtime + "/promote")) return dir;
  }
  return PrivateDirectory("/tmp/promote-locks-" + std::to_string(::geteuid()));
}

Result<TagLock> TagLock::Acquire(const std::string& host, const std::string& repository,
                                 const std::vector<std::string>& tags, const CancelToken* cancel,
                                 std::chrono::milliseconds wait_limit) {
  TagLock lock;
  if (tags.empty()) return lock;
  const std::vector<std::string> keys = LockKeys(host, repository, tags);
  const auto deadline = Clock::now() + wait_limit;

  // 1. This process: all keys at once, so two callers never each hold part of what the other needs.
  PROMOTE_RETURN_IF_ERROR(HoldInProcess(keys, cancel, deadline, wait_limit));
  lock.keys_ = keys;

  // 2. Other processes: one file per key, in sorted order (every process takes them in the same
  // order, so none waits for a file while holding one another needs first).
  std::optional<std::string> dir = Directory();
  if (!dir) {
    WarnOnce("no private lock directory ($XDG_RUNTIME_DIR/promote or /tmp/promote-locks-" +
             std::to_string(::geteuid()) +
             "): promote processes on this host do not take turns at writing a tag; each still rechecks "
             "after writing");
    return lock;
  }
  for (const auto& key : keys) {
    const std::string path = LockFilePath(*dir, key);
    Result<std::optional<int>> fd = LockFile(path, keys, cancel, deadline, wait_limit);
    if (!fd.ok()) {
      lock.Release();
      return fd.status();
    }
    if (!*fd) {
      lock.ReleaseFiles();  // the process layer stays
      return lock;
    }
    lock.files_.push_back({**fd, path});
  }
  lock.across_processes_ = true;
  return lock;
}

TagLock::TagLock(TagLock&& other) noexcept
    : keys_(std::move(other.keys_)),
      files_(std::move(other.files_)),
      across_processes_(other.across_processes_) {
  other.keys_.clear();
  other.files_.clear();
}

TagLock& TagLock::operator=(TagLock&& other) noexcept {
  if (this != &other) {
    Release();
    keys_ = std::move(other.keys_);
    files_ = std::move(other.files_);
    across_processes_ = other.across_processes_;
    other.keys_.clear();
    other.files_.clear();
  }
  return *this;
}

TagLock::~TagLock() { Release(); }

void TagLock::Release() {
  ReleaseFiles();
  if (!keys_.empty()) {
    ProcessTable& table = Table();
    {
      std::lock_guard<std::mutex> guard(table.mu);
      for (const auto& k : keys_) table.held.erase(k);
    }
    table.released.notify_all();
    keys_.clear();
  }
}

void TagLock::ReleaseFiles() {
  // Newest first, newest first: remove while still holding, so the next holder (who checks the
  // file is still at its path) never shares a lock with a writer that opened the file later.
  for (auto it = files_.rbegin(); it != files_.rend(); ++it) {
    ::unlink(it->path.c_str());
    ::close(it->fd);
  }
  files_.clear();
  across_processes_ = false;
}

}  // namespace promote::registry
