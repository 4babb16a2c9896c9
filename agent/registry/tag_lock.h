// TagLock: keeps writers of the same registry tag on this host apart, for the check-write-recheck
// of immutable tags and the read-append-write of cosign attachment tags (.sig/.att). The
// distribution API has no conditional PUT, so without it two writers can both see a tag free and
// both write it; with it, writers on one host (threads of one agent, CLI processes side by side)
// take turns. Writers on different hosts are not kept apart (README: "Two writers, one
// immutable tag").
//
// Two layers, taken in this order: a table of the keys held in this process (the agent serves
// many callers at once), then flock(2) on one file per key in a private runtime directory
// (<runtime dir>/promote, else /tmp/promote-locks-<uid>, mode 0700, owned by this user). When
// that directory cannot be used the process-local layer still holds (logged once); callers keep
// their own recheck either way.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "util/cancel.h"
#include "util/status.h"

namespace promote::registry {

class TagLock {
 public:
  // How long Acquire waits for another writer before giving up with kUnavailable: far longer
  // than a tag write takes, short enough that a wedged writer does not hold a pipeline forever.
  static constexpr std::chrono::seconds kDefaultWait{300};

  // Holds every tag in `tags` of `host`/`repository` (duplicates allowed; none: an empty lock).
  // Waits while another writer on this host holds any of them. kCancelled when `cancel` fires
  // while waiting, kUnavailable after `wait_limit`. Thread-safe.
  static Result<TagLock> Acquire(const std::string& host, const std::string& repository,
                                 const std::vector<std::string>& tags, const CancelToken* cancel,
                                 std::chrono::milliseconds wait_limit = kDefaultWait);

  // Sets the user's runtime directory ($XDG_RUNTIME_DIR: the CLI passes its own, tests their
  // own; "" for none) that the lock directory goes in. Process-wide, like the table of held keys:
  // every writer of a tag on this host must meet in the same directory, so it is chosen once for
  // the process, before locks are taken, not per call. Thread-safe. A relative path is ignored.
  static void UseRuntimeDirectory(std::string runtime_dir);

  // The lock directory for this user, created if needed: <runtime dir>/promote when the runtime
  // directory is set and private, else /tmp/promote-locks-<uid>. nullopt when it is not private
  // to this user (another owner, group/other access, a symlink) or cannot be created.
  static std::optional<std::string> Directory();

  TagLock(TagLock&& other) noexcept;
  TagLock& operator=(TagLock&& other) noexcept;
  TagLock(const TagLock&) = delete;
  TagLock& operator=(const TagLock&) = delete;
  ~TagLock();  // releases both layers

  // Whether the cross-process layer is held too (false when the directory was unusable).
  bool across_processes() const { return across_processes_; }

 private:
  struct HeldFile {
    int fd = -1;
    std::string path;
  };
  TagLock() = default;
  void Release();
  void ReleaseFiles();

  std::vector<std::string> keys_;  // held in this process's table
  std::vector<HeldFile> files_;    // flock'ed, in acquisition order
  bool across_processes_ = false;
};

}  // namespace promote::registry
