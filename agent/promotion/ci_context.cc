#include "promotion/ci_context.h"

namespace promote::promotion {
namespace {

// The value of `name`, "" when unset: every variable read here is optional.
std::string CiVariable(const EnvironmentVariables& environment, const char* name) {
  return environment.Get(name).value_or("");
}

}  // namespace

nlohmann::json CiContext::ToJson() const {
  return {{"system", system}, {"run_id", run_id}, {"run_url", run_url}, {"actor", actor}};
}

CiContext CiContextFromEnvironment(const EnvironmentVariables& environment) {
  auto env = [&](const char* name) { return CiVariable(environment, name); };
  CiContext ci;
  if (env("GITHUB_ACTIONS") == "true" || !env("GITHUB_RUN_ID").empty()) {
    ci.system = "github-actions";
    ci.run_id = env("GITHUB_RUN_ID");
    if (!env("GITHUB_RUN_ATTEMPT").empty()) ci.run_id += "-" + env("GITHUB_RUN_ATTEMPT");
    if (!env("GITHUB_SERVER_URL").empty() && !env("GITHUB_REPOSITORY").empty()) {
      ci.run_url = env("GITHUB_SERVER_URL") + "/" + env("GITHUB_REPOSITORY") + "/actions/runs/" + env("GITHUB_RUN_ID");
    }
    ci.actor = env("GITHUB_ACTOR");
  } else if (!env("JENKINS_URL").empty() || !env("BUILD_URL").empty()) {
    ci.system = "jenkins";
    ci.run_id = env("JOB_NAME") + "#" + env("BUILD_NUMBER");
    ci.run_url = env("BUILD_URL");
    ci.actor = env("BUILD_USER_ID");
  }
  return ci;
}

std::string BranchFromCiEnvironment(const EnvironmentVariables& environment) {
  for (const char* name : {"BRANCH_NAME", "GITHUB_REF_NAME", "GIT_BRANCH"}) {
    std::string b = CiVariable(environment, name);
    if (b.empty()) continue;
    if (b.rfind("origin/", 0) == 0) b = b.substr(7);
    return b;
  }
  return "";
}

std::string ShaFromCiEnvironment(const EnvironmentVariables& environment) {
  for (const char* name : {"GIT_COMMIT", "GITHUB_SHA"}) {
    std::string v = CiVariable(environment, name);
    if (!v.empty()) return v;
  }
  return "";
}

}  // namespace promote::promotion
