#include "cli/version_info.h"

#include "promote/build_info.h"
#include "service/result_envelope.h"

namespace promote::cli {

BuildInfo CurrentBuild() { return BuildInfo{PROMOTE_VERSION, PROMOTE_BUILD_COMMIT, PROMOTE_BUILD_DATE}; }

std::string VersionText(const BuildInfo& build) {
  std::string commit = build.commit == "unknown" ? build.commit : build.commit.substr(0, 12);
  return "promote " + build.version + " (commit " + commit + ", built " + build.build_date + ")\n";
}

nlohmann::json VersionJson(const BuildInfo& build) {
  return service::ResultEnvelope(
      "version", OkStatus(),
      {{"version", build.version}, {"commit", build.commit}, {"build_date", build.build_date}});
}

}  // namespace promote::cli
