#include "promotion/ci_context.h"

#include <cstdlib>

namespace promote::promotion {
namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? std::string() : std::string(v);
}

}  // namespace

nlohmann::json CiContext::ToJson() const {
  return {{"system", system}, {"run_id", run_id}, {"run_url", run_url}, {"actor", actor}};
}

CiContext CiContextFromEnvironment() {
  CiContext ci;
  if (Env("GITHUB_ACTIONS") == "true" || !Env("GITHUB_RUN_ID").empty()) {
    ci.system = "github-actions";
    ci.run_id = Env("GITHUB_RUN_ID");
    if (!Env("GITHUB_RUN_ATTEMPT").empty()) ci.run_id += "-" + Env("GITHUB_RUN_ATTEMPT");
    if (!Env("GITHUB_SERVER_URL").empty() && !Env("GITHUB_REPOSITORY").empty()) {
      ci.run_url = Env("GITHUB_SERVER_URL") + "/" + Env("GITHUB_REPOSITORY") + "/actions/runs/" + Env("GITHUB_RUN_ID");
    }
    ci.actor = Env("GITHUB_ACTOR");
  } else if (!Env("JENKINS_URL").empty() || !Env("BUILD_URL").empty()) {
    ci.system = "jenkins";
    ci.run_id = Env("JOB_NAME") + "#" + Env("BUILD_NUMBER");
    ci.run_url = Env("BUILD_URL");
    ci.actor = Env("BUILD_USER_ID");
  }
  return ci;
}

std::string BranchFromCiEnvironment() {
  for (const char* name : {"BRANCH_NAME", "GITHUB_REF_NAME", "GIT_BRANCH"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') {
      std::string b = v;
      if (b.rfind("origin/", 0) == 0) b = b.substr(7);
      return b;
    }
  }
  return "";
}

std::string ShaFromCiEnvironment() {
  for (const char* name : {"GIT_COMMIT", "GITHUB_SHA"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return v;
  }
  return "";
}

}  // namespace promote::promotion
