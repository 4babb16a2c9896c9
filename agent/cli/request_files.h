// What the client resolves for a request, where the pipeline runs: the files a promote.yaml or
// scan policy names (ignore files, signature-gate keys) are read and attached, and — for an
// agent only — promote.yaml's credential and signing-key references are resolved and sent as
// values. The service never opens a path or reads a variable a request names (an agent would be
// reading its own secrets), so this is the one place such references are followed for a request.
#pragma once

#include <google/protobuf/repeated_ptr_field.h>

#include <string>

#include "promote/v1/promote.pb.h"
#include "util/environment_variables.h"
#include "util/status.h"

namespace promote::cli {

namespace v1 = ::promote::v1;

// Attaches every file the promote.yaml in `config` names. A config that does not parse attaches
// nothing (the service reports the parse error); a named file that cannot be read is
// kInvalidArgument naming promote.yaml's line.
Status AttachConfigFiles(const v1::File& config, google::protobuf::RepeatedPtrField<v1::File>* files);
// The same for a standalone scan policy (`promote scan --policy`).
Status AttachPolicyFiles(const v1::File& policy, google::protobuf::RepeatedPtrField<v1::File>* files);

// For a request to an agent: promote.yaml's `credentials:` resolved into `access` (each scoped to
// its environment's repository) and its `signing:` key read into `signing`. References that do
// not resolve here are left out; the agent then refuses the request, saying why. `signing` may be
// null (history needs no private key).
void ResolveConfigSecretsForAgent(const v1::File& config, v1::RegistryAccess* access, v1::SigningKey* signing);

// The credentials convention (policy::CredentialVariablesFor), for in-process runs and agents
// alike: for each environment of the promote.yaml in `config` that names no `credentials:`,
// PROMOTE_<ENV>_USERNAME and PROMOTE_<ENV>_PASSWORD, read with `environment` (this process's
// environment), are added to `access` scoped to the environment's repository, and withheld from
// child processes. An agent uses them only where its agent.yaml allows request credentials (it
// refuses the request otherwise). Neither variable set: nothing. kInvalidArgument, naming the
// variables and never a value, when only one is set, the username holds ':', a variable is one
// promote reads for something else, or two such environments share the variables. Variables of
// the convention naming no environment of promote.yaml are named in a warning on stderr.
Status AddConventionalCredentials(const v1::File& config, const EnvironmentVariables& environment,
                                  v1::RegistryAccess* access);

}  // namespace promote::cli
