#include "oci/cosign_attachment_config.h"

#include <nlohmann/json.hpp>

namespace promote::oci {

std::string CosignAttachmentConfig(const std::vector<std::string>& diff_ids) {
  using ojson = nlohmann::ordered_json;
  // go-containerregistry's empty image plus one history entry per appended layer.
  constexpr const char* kZeroTime = "0001-01-01T00:00:00Z";
  ojson history = ojson::array();
  for (size_t i = 0; i < diff_ids.size(); ++i) history.push_back({{"created", kZeroTime}});
  ojson config = {{"architecture", ""},
                  {"created", kZeroTime},
                  {"history", history},
                  {"os", ""},
                  {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
                  {"config", ojson::object()}};
  return config.dump();
}

}  // namespace promote::oci
