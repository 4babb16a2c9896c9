// The CI run a promotion happens in, read from the environment variables Jenkins and GitHub
// Actions set, so each promotion record says which run made it.
#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace promote::promotion {

struct CiContext {
  std::string system;   // "github-actions", "jenkins" or "" (a person at a terminal)
  std::string run_id;   // GITHUB_RUN_ID(-attempt) or JOB_NAME#BUILD_NUMBER
  std::string run_url;  // link to the run
  std::string actor;    // GITHUB_ACTOR or BUILD_USER_ID when set

  nlohmann::json ToJson() const;
};

// Reads the current process environment.
CiContext CiContextFromEnvironment();

// The Git branch the CI system says it builds (BRANCH_NAME, GITHUB_REF_NAME, GIT_BRANCH without
// "origin/"), or "".
std::string BranchFromCiEnvironment();

// The commit the CI system says it builds (GIT_COMMIT on Jenkins, GITHUB_SHA on GitHub Actions),
// or "". Checked like --sha by the promotion.
std::string ShaFromCiEnvironment();

}  // namespace promote::promotion
