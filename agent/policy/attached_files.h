// The files a promote.yaml or scan policy names (.trivyignore files, signature- and provenance-gate
// public keys, approvers' public keys), carried by the request as the client read them. The
// service looks such names up here and never on its own filesystem: an agent that opened a path
// its caller chose would read its own secrets (its keys, /proc/self/environ) back to the caller.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "policy/promote_config.h"
#include "util/status.h"

namespace promote::policy {

// A file a config names: `name` exactly as written there ("./.trivyignore", "env:SIG_KEY"),
// `what` for messages ("promote.yaml:14: environment 'prod' trivyignore").
struct FileReference {
  std::string name;
  std::string what;
  bool is_reference = false;  // env:NAME or file:/path, resolved to a path where the client runs
};

// Every file `config` names, each once, in the order they appear.
std::vector<FileReference> FilesNamedBy(const PromoteConfig& config);
std::vector<FileReference> FilesNamedBy(const ScanPolicy& policy);

// The contents a request carries, by name. Not thread-safe to fill; const lookups are.
class AttachedFiles {
 public:
  // Files over this size are refused by the client and ignored here.
  static constexpr size_t kMaxFileBytes = 1 << 20;

  void Add(const std::string& name, std::string content);
  // The content attached under `name`; kInvalidArgument naming `what` when the request carries
  // none (the client attaches every file promote.yaml names, so only a hand-made request lacks one).
  Result<std::string> Get(const std::string& name, const std::string& what) const;
  size_t size() const { return files_.size(); }

 private:
  std::map<std::string, std::string> files_;
};

}  // namespace promote::policy
