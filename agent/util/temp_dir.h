// A private temporary directory (mode 0700) that is removed with everything in it when the
// owner goes out of scope. Scanner runs live in one, so nothing they write outlives them;
// secrets written for a child process go in one made in memory.
#pragma once

#include <string>

#include "util/environment_variables.h"
#include "util/status.h"

namespace promote {

class TempDir {
 public:
  // Creates "<TMPDIR of `environment`, or /tmp>/<prefix>XXXXXX".
  static Result<TempDir> Create(const std::string& prefix, const EnvironmentVariables& environment);
  // For secrets: creates "<base>/<prefix>XXXXXX" in memory-backed storage, so a password written
  // there never reaches a disk: base is the XDG_RUNTIME_DIR of `environment` when it is an
  // absolute, writable directory (a per-user tmpfs under systemd), else /dev/shm, else its TMPDIR
  // as a last resort.
  static Result<TempDir> CreateInMemory(const std::string& prefix, const EnvironmentVariables& environment);

  TempDir(TempDir&& other) noexcept : path_(std::move(other.path_)) { other.path_.clear(); }
  TempDir& operator=(TempDir&& other) noexcept;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir();

  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  void Remove();
  std::string path_;
};

}  // namespace promote
