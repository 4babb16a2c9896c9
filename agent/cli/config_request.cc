#include "cli/config_request.h"

#include "cli/dispatch.h"
#include "cli/process_environment.h"
#include "cli/request_files.h"

namespace promote::cli {

Status FillConfigRequest(const GlobalFlags& global, const RegistryFlags& registry, const ConfigRequest& request) {
  const bool has_config = !request.config_optional || !request.config_path.empty();
  if (has_config) {
    auto config = ReadRequestFile(request.config_path, "config");
    if (!config.ok()) {
      return request.config_optional ? config.status() : config.status().WithContext("pass --config PATH");
    }
    *request.config = std::move(*config);
  }
  PROMOTE_ASSIGN_OR_RETURN(*request.access, registry.Access(request.source_scopes, {}));
  PROMOTE_RETURN_IF_ERROR(AddConventionalCredentials(*request.config, ProcessEnvironment(), request.access));
  if (request.files != nullptr) PROMOTE_RETURN_IF_ERROR(AttachConfigFiles(*request.config, request.files));
  if (!global.agent.empty() && request.agent_secrets && has_config) {
    ResolveConfigSecretsForAgent(*request.config, request.access, request.signing);
  }
  return OkStatus();
}

}  // namespace promote::cli
