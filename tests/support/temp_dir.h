// TempDir: a private directory for one test's files (registry storage, configs, logs, keys),
// created under $TMPDIR (or /tmp) and removed with everything in it when the object goes away.
#pragma once

#include <sys/types.h>

#include <string>

namespace promote::testing {

class TempDir {
 public:
  // Throws std::runtime_error when the directory cannot be created.
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  // Writes `content` to path()/name (creating parent directories inside the temp dir) with the
  // given mode and returns the full path. Overwrites an existing file.
  std::string Write(const std::string& name, const std::string& content, mode_t mode = 0644) const;

  // Creates path()/name (and parents) and returns the full path.
  std::string MakeDir(const std::string& name) const;

 private:
  std::string path_;
};

// Writes `content` to `path` (created with `mode`, truncated if it exists).
void WriteFile(const std::string& path, const std::string& content, mode_t mode = 0644);

// Reads a whole file; throws std::runtime_error naming the path when it cannot.
std::string ReadFile(const std::string& path);

}  // namespace promote::testing
