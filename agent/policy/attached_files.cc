#include "policy/attached_files.h"

#include <algorithm>

namespace promote::policy {
namespace {

bool IsReference(const std::string& name) { return name.rfind("env:", 0) == 0 || name.rfind("file:", 0) == 0; }

void AddOnce(std::vector<FileReference>* out, const std::string& name, std::string what) {
  if (name.empty()) return;
  bool seen = std::any_of(out->begin(), out->end(), [&](const FileReference& f) { return f.name == name; });
  if (!seen) out->push_back({name, std::move(what), IsReference(name)});
}

}  // namespace

std::vector<FileReference> FilesNamedBy(const PromoteConfig& config) {
  std::vector<FileReference> out;
  for (const auto& env : config.environments) {
    std::string where = config.origin + ":" + std::to_string(env.line) + ": environment '" + env.name + "'";
    if (env.scan) AddOnce(&out, env.scan->trivyignore, where + " trivyignore");
    if (env.verify) AddOnce(&out, env.verify->public_key, where + " signature gate key");
    if (env.verify) AddOnce(&out, env.verify->trusted_root, where + " signature gate trusted root");
    if (env.provenance) AddOnce(&out, env.provenance->public_key, where + " provenance gate key");
    if (env.approval) {
      for (const auto& a : env.approval->approvers) {
        AddOnce(&out, a.key, where + " approval gate key of '" + a.identity + "'");
      }
    }
  }
  return out;
}

std::vector<FileReference> FilesNamedBy(const ScanPolicy& policy) {
  std::vector<FileReference> out;
  AddOnce(&out, policy.gate.trivyignore, policy.origin + ": trivyignore");
  return out;
}

void AttachedFiles::Add(const std::string& name, std::string content) {
  if (content.size() > kMaxFileBytes) return;
  files_[name] = std::move(content);
}

Result<std::string> AttachedFiles::Get(const std::string& name, const std::string& what) const {
  auto it = files_.find(name);
  if (it == files_.end()) {
    return InvalidArgument(what + ": the request does not carry '" + name +
                           "' (the client sends the files promote.yaml names; the agent never opens a path a "
                           "request names)");
  }
  return it->second;
}

}  // namespace promote::policy
