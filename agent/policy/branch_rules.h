// Git-flow rules: which branch may promote into which environment, the SHA and version a
// release branch name carries ("release/v1.2.0-sha-2b2e927"), and the immutable tag a SHA maps
// to ("sha-{sha7}" -> "sha-2b2e927").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "policy/promote_config.h"
#include "util/status.h"

namespace promote::policy {

// Branch patterns: literal characters, '*' (anything but '/'), '**' (anything). Refuses empty
// patterns, whitespace and control characters, and git-forbidden characters.
Status ValidateBranchPattern(const std::string& pattern);
bool BranchMatches(const std::string& pattern, const std::string& branch);

// Validates a Git branch name (git check-ref-format rules that matter here).
Status ValidateBranchName(const std::string& branch);

// A 7–40 character lowercase hex commit SHA (upper case is accepted and lowered).
Result<std::string> NormaliseSha(const std::string& sha);

// "release/v1.2.0-sha-2b2e927" -> "2b2e927"; nullopt when the branch carries no SHA.
std::optional<std::string> ShaFromBranch(const std::string& branch);
// "release/v1.2.0" or "release/v1.2.0-sha-2b2e927" -> "v1.2.0"; nullopt otherwise.
std::optional<std::string> VersionFromBranch(const std::string& branch);

// Renders {sha7}, {sha} and {sha12} in a tag template.
std::string RenderImmutableTag(const std::string& tmpl, const std::string& sha);

// The environments `branch` may promote into, in config order (empty: none).
std::vector<std::string> AllowedEnvironments(const PromoteConfig& config, const std::string& branch);

}  // namespace promote::policy
