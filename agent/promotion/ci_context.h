// The CI run a promotion happens in, read from the environment variables Jenkins and GitHub
// Actions set, so each promotion record says which run made it. The variables' names and
// meaning live here; their values come from the caller (the CLI passes its own environment,
// cli/process_environment.h).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "util/environment_variables.h"

namespace promote::promotion {

struct CiContext {
  std::string system;   // "github-actions", "jenkins" or "" (a person at a terminal)
  std::string run_id;   // GITHUB_RUN_ID(-attempt) or JOB_NAME#BUILD_NUMBER
  std::string run_url;  // link to the run
  std::string actor;    // GITHUB_ACTOR or BUILD_USER_ID when set

  nlohmann::json ToJson() const;
};

// The run the CI variables of `environment` describe (all empty outside CI). Here and below an
// unset variable counts as empty.
CiContext CiContextFromEnvironment(const EnvironmentVariables& environment);

// The Git branch the CI system says it builds (BRANCH_NAME, GITHUB_REF_NAME, GIT_BRANCH without
// "origin/"), or "".
std::string BranchFromCiEnvironment(const EnvironmentVariables& environment);

// The commit the CI system says it builds (GIT_COMMIT on Jenkins, GITHUB_SHA on GitHub Actions),
// or "". Checked like --sha by the promotion.
std::string ShaFromCiEnvironment(const EnvironmentVariables& environment);

}  // namespace promote::promotion
