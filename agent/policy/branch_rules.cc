#include "policy/branch_rules.h"

#include <algorithm>
#include <regex>

namespace promote::policy {
namespace {

bool GlobMatch(const char* p, const char* s) {
  for (; *p != '\0'; ++p) {
    if (*p == '*') {
      bool any = p[1] == '*';  // '**' crosses '/'
      const char* rest = any ? p + 2 : p + 1;
      for (const char* t = s;; ++t) {
        if (GlobMatch(rest, t)) return true;
        if (*t == '\0' || (!any && *t == '/')) return false;
      }
    }
    if (*p != *s) return false;
    ++s;
  }
  return *s == '\0';
}

bool HasForbiddenChar(const std::string& s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return true;
    if (std::string_view("~^:?[\\").find(c) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

Status ValidateBranchPattern(const std::string& pattern) {
  if (pattern.empty()) return InvalidArgument("branch pattern is empty");
  if (pattern.size() > 255) return InvalidArgument("branch pattern is longer than 255 characters");
  if (HasForbiddenChar(pattern)) {
    return InvalidArgument("branch pattern '" + pattern + "' has characters a branch cannot contain");
  }
  if (pattern.find("***") != std::string::npos) return InvalidArgument("branch pattern '" + pattern + "': use * or **");
  return OkStatus();
}

bool BranchMatches(const std::string& pattern, const std::string& branch) {
  return GlobMatch(pattern.c_str(), branch.c_str());
}

Status ValidateBranchName(const std::string& branch) {
  if (branch.empty()) return InvalidArgument("branch name is empty");
  if (branch.size() > 255) return InvalidArgument("branch name is longer than 255 characters");
  if (HasForbiddenChar(branch) || branch.find('*') != std::string::npos || branch.find("..") != std::string::npos ||
      branch.front() == '/' || branch.back() == '/' || branch.front() == '-' || branch.find("//") != std::string::npos ||
      branch.find("@{") != std::string::npos || branch.back() == '.') {
    return InvalidArgument("branch name '" + branch + "' is not a valid Git branch name");
  }
  return OkStatus();
}

Result<std::string> NormaliseSha(const std::string& sha) {
  if (sha.size() < 7 || sha.size() > 40) {
    return InvalidArgument("SHA '" + sha.substr(0, 50) + "' must be 7 to 40 hex characters");
  }
  std::string out = sha;
  for (auto& c : out) {
    if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
      return InvalidArgument("SHA '" + sha.substr(0, 50) + "' is not hexadecimal");
    }
  }
  return out;
}

std::optional<std::string> ShaFromBranch(const std::string& branch) {
  static const std::regex kSha(".*-sha-([0-9a-fA-F]{7,40})$");
  std::smatch m;
  if (std::regex_match(branch, m, kSha)) {
    auto s = NormaliseSha(m[1]);
    if (s.ok()) return *s;
  }
  return std::nullopt;
}

std::optional<std::string> VersionFromBranch(const std::string& branch) {
  static const std::regex kVersion("(?:release|hotfix)/(v?[0-9]+(?:\\.[0-9]+)*(?:-[0-9A-Za-z.]+?)?)(?:-sha-[0-9a-fA-F]{7,40})?$");
  std::smatch m;
  if (!std::regex_match(branch, m, kVersion)) return std::nullopt;
  return m[1].str();
}

std::string RenderImmutableTag(const std::string& tmpl, const std::string& sha) {
  std::string out = tmpl;
  auto replace = [&](const std::string& key, const std::string& value) {
    for (size_t pos; (pos = out.find(key)) != std::string::npos;) out.replace(pos, key.size(), value);
  };
  replace("{sha7}", sha.substr(0, 7));
  replace("{sha12}", sha.substr(0, std::min<size_t>(12, sha.size())));
  replace("{sha}", sha);
  return out;
}

std::vector<std::string> AllowedEnvironments(const PromoteConfig& config, const std::string& branch) {
  std::vector<std::string> out;
  for (const auto& env : config.environments) {
    for (const auto& rule : config.branches) {
      if (BranchMatches(rule.pattern, branch) &&
          std::find(rule.to.begin(), rule.to.end(), env.name) != rule.to.end()) {
        out.push_back(env.name);
        break;
      }
    }
  }
  return out;
}

}  // namespace promote::policy
