#include "util/temp_dir.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

namespace promote {

namespace {

bool UsableDirectory(const std::string& path) {
  struct stat st;
  return !path.empty() && path[0] == '/' && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) &&
         ::access(path.c_str(), W_OK | X_OK) == 0;
}

Result<std::string> MakeTempDir(const std::string& base, const std::string& prefix) {
  std::string pattern = base + "/" + prefix + "XXXXXX";
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  if (mkdtemp(buf.data()) == nullptr) {
    return Internal("cannot create a temporary directory " + pattern + ": " + std::strerror(errno));
  }
  return std::string(buf.data());  // mkdtemp makes it 0700
}

std::string TmpBase(const EnvironmentVariables& environment) { return environment.GetOr("TMPDIR", "/tmp"); }

}  // namespace

Result<TempDir> TempDir::Create(const std::string& prefix, const EnvironmentVariables& environment) {
  PROMOTE_ASSIGN_OR_RETURN(std::string path, MakeTempDir(TmpBase(environment), prefix));
  return TempDir(std::move(path));
}

Result<TempDir> TempDir::CreateInMemory(const std::string& prefix, const EnvironmentVariables& environment) {
  const std::string runtime = environment.Get("XDG_RUNTIME_DIR").value_or("");
  std::string base = UsableDirectory(runtime)      ? runtime
                     : UsableDirectory("/dev/shm") ? "/dev/shm"
                                                   : TmpBase(environment);
  PROMOTE_ASSIGN_OR_RETURN(std::string path, MakeTempDir(base, prefix));
  return TempDir(std::move(path));
}

TempDir& TempDir::operator=(TempDir&& other) noexcept {
  if (this != &other) {
    Remove();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

TempDir::~TempDir() { Remove(); }

void TempDir::Remove() {
  if (path_.empty()) return;
  std::error_code ec;
  // A scanner may leave read-only files or directories behind (Go module caches do); make them
  // writable first so removal does not stop half way.
  for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      std::filesystem::permissions(it->path(), std::filesystem::perms::owner_all,
                                   std::filesystem::perm_options::add, ec);
    }
  }
  std::filesystem::remove_all(path_, ec);
  path_.clear();
}

}  // namespace promote
