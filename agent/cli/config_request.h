// The start every promote.yaml command's request shares (run, approve, history, rollback, scan):
// promote.yaml read into it, the registry flags' access, the conventional credentials
// (PROMOTE_<ENV>_USERNAME / _PASSWORD), the files promote.yaml names attached, and, for a
// request to an agent, promote.yaml's own credential and signing-key references resolved here
// (cli/request_files.h says why the client does that).
#pragma once

#include <google/protobuf/repeated_ptr_field.h>

#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "promote/v1/promote.pb.h"
#include "util/status.h"

namespace promote::cli {

// What to read, and where in the command's request each part goes.
struct ConfigRequest {
  std::string config_path;       // promote.yaml
  bool config_optional = false;  // an empty config_path then means none (scan without --config)
  // The scopes the --src-* credential flags apply to (RegistryFlags::Access); none for commands
  // that take credentials only from promote.yaml and the docker config.
  std::vector<std::string> source_scopes;

  v1::File* config = nullptr;
  v1::RegistryAccess* access = nullptr;
  // Where the files promote.yaml names are attached; null: the command attaches none.
  google::protobuf::RepeatedPtrField<v1::File>* files = nullptr;
  // For an agent: whether promote.yaml's credentials are resolved into `access` and its signing
  // key into `signing` (null: the key is not needed). approve with its own --key resolves neither.
  bool agent_secrets = true;
  v1::SigningKey* signing = nullptr;
};

// Fills the parts `request` points at; the first failure, ready for PrintFailure. A promote.yaml
// that cannot be read is kInvalidArgument saying to pass --config (when it is not optional).
Status FillConfigRequest(const GlobalFlags& global, const RegistryFlags& registry, const ConfigRequest& request);

}  // namespace promote::cli
