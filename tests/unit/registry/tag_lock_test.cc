// TagLock: one writer per registry tag at a time on this host, across threads and processes.
#include "registry/tag_lock.h"

#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "tests/support/temp_dir.h"

using namespace promote;
using namespace promote::registry;
using std::chrono::milliseconds;

namespace {

// A private runtime dir of our own, so these tests neither see nor leave lock files elsewhere.
struct PrivateRuntimeDir {
  promote::testing::TempDir dir;  // mode 0700, as a runtime directory must be
  std::string path = dir.path();
  PrivateRuntimeDir() { TagLock::UseRuntimeDirectory(path); }
  ~PrivateRuntimeDir() { TagLock::UseRuntimeDirectory(""); }
  size_t LockFiles() const {
    size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(path + "/promote"))
      n += e.path().extension() == ".lock";
    return n;
  }
};

}  // namespace

TEST_CASE("a tag is held by one writer of this process at a time; other tags and repositories are free") {
  PrivateRuntimeDir runtime;
  auto first = TagLock::Acquire("reg:5000", "app", {"v1", "sha-1"}, nullptr);
  REQUIRE(first.ok());
  CHECK(first->across_processes());
  CHECK(runtime.LockFiles() == 2);

  auto same = TagLock::Acquire("reg:5000", "app", {"v2", "v1"}, nullptr, milliseconds(100));
  CHECK(same.status().code() == Code::kUnavailable);
  CHECK(same.status().message().find("reg:5000/app:v1") != std::string::npos);
  CHECK(TagLock::Acquire("reg:5000", "app", {"v2"}, nullptr, milliseconds(100)).ok());
  CHECK(TagLock::Acquire("reg:5000", "other", {"v1"}, nullptr, milliseconds(100)).ok());
  CHECK(TagLock::Acquire("reg:5001", "app", {"v1"}, nullptr, milliseconds(100)).ok());

  CancelToken cancel;
  cancel.Cancel();
  CHECK(TagLock::Acquire("reg:5000", "app", {"v1"}, &cancel).status().code() == Code::kCancelled);

  // A waiter gets the tag once it is released, and releasing removes the lock files.
  Result<TagLock> waiter = Status(Code::kInternal, "not run");
  std::thread t(
      [&] { waiter = TagLock::Acquire("reg:5000", "app", {"v1"}, nullptr, std::chrono::seconds(30)); });
  { TagLock released = std::move(*first); }
  t.join();
  CHECK(waiter.ok());
  { TagLock released = std::move(*waiter); }
  CHECK(runtime.LockFiles() == 0);
  CHECK(TagLock::Acquire("reg:5000", "app", {}, nullptr).ok());  // nothing to hold
}

TEST_CASE("a tag held by another process is not taken until that process releases it") {
  PrivateRuntimeDir runtime;
  int to_child[2], to_parent[2];
  REQUIRE(::pipe(to_child) == 0);
  REQUIRE(::pipe(to_parent) == 0);
  // The child takes the tag (so this process's own table stays empty: only the file keeps us out).
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    auto held = TagLock::Acquire("reg:5000", "app", {"v1"}, nullptr);
    char c = held.ok() && held->across_processes() ? 'y' : 'n';
    if (::write(to_parent[1], &c, 1) != 1) ::_exit(2);
    if (::read(to_child[0], &c, 1) != 1) ::_exit(3);
    ::_exit(0);  // exit releases it (as a killed process would)
  }
  char c = 0;
  REQUIRE(::read(to_parent[0], &c, 1) == 1);
  CHECK(c == 'y');
  auto blocked = TagLock::Acquire("reg:5000", "app", {"v1"}, nullptr, milliseconds(200));
  CHECK(blocked.status().code() == Code::kUnavailable);
  CHECK(TagLock::Acquire("reg:5000", "app", {"v2"}, nullptr, milliseconds(200)).ok());

  REQUIRE(::write(to_child[1], "x", 1) == 1);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  CHECK(WIFEXITED(status));
  auto after = TagLock::Acquire("reg:5000", "app", {"v1"}, nullptr, std::chrono::seconds(10));
  CHECK(after.ok());
  for (int fd : {to_child[0], to_child[1], to_parent[0], to_parent[1]}) ::close(fd);
}

TEST_CASE("the lock directory must be private to this user") {
  PrivateRuntimeDir runtime;
  auto dir = TagLock::Directory();
  REQUIRE(dir.has_value());
  CHECK(*dir == runtime.path + "/promote");
  struct stat st {};
  REQUIRE(::stat(dir->c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  // Opened up to others: not used (the user's /tmp directory instead, and the process-local
  // layer holds whatever happens to the files).
  REQUIRE(::chmod(dir->c_str(), 0777) == 0);
  auto open_dir = TagLock::Directory();
  CHECK((!open_dir.has_value() || *open_dir != *dir));
  auto held = TagLock::Acquire("reg:5000", "app", {"v1"}, nullptr);
  REQUIRE(held.ok());
  CHECK(TagLock::Acquire("reg:5000", "app", {"v1"}, nullptr, milliseconds(100)).status().code() ==
        Code::kUnavailable);
}

TEST_CASE("the lock directory is the runtime directory given, never read from the environment") {
  PrivateRuntimeDir given;
  REQUIRE(TagLock::Directory() == given.path + "/promote");
  // The process's XDG_RUNTIME_DIR does not count: only what the caller passed in does.
  const promote::testing::TempDir environment_dir;
  ::setenv("XDG_RUNTIME_DIR", environment_dir.path().c_str(), 1);
  TagLock::UseRuntimeDirectory("");
  auto fallback = TagLock::Directory();
  ::unsetenv("XDG_RUNTIME_DIR");
  REQUIRE(fallback.has_value());
  CHECK(*fallback == "/tmp/promote-locks-" + std::to_string(::geteuid()));
  TagLock::UseRuntimeDirectory("relative/dir");  // not absolute: ignored
  CHECK(TagLock::Directory() == fallback);
}
