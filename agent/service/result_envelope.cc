#include "service/result_envelope.h"

#include "util/error_category.h"

namespace promote::service {

nlohmann::json ResultEnvelope(const std::string& command, const Status& status, nlohmann::json body) {
  nlohmann::json j = nlohmann::json::object();
  j["schema"] = 1;
  j["command"] = command;
  j["ok"] = status.ok();
  if (status.ok()) {
    j["error"] = nullptr;
  } else {
    j["error"] = {{"code", CodeName(status.code())},
                  {"category", CategoryName(status.code())},
                  {"exit_code", ExitCodeFor(status.code())},
                  {"message", status.message()}};
  }
  if (body.is_object()) {
    for (auto& [k, v] : body.items()) j[k] = v;
  }
  return j;
}

}  // namespace promote::service
