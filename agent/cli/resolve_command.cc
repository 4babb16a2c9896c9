#include <memory>

#include "cli/commands.h"
#include "cli/dispatch.h"
#include "cli/registry_flags.h"
#include "oci/reference.h"

namespace promote::cli {
namespace {

struct ResolveFlags {
  std::string ref;
  RegistryFlags registry;
};

}  // namespace

CommandRunner RegisterResolveCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<ResolveFlags>();
  CLI::App* cmd = app->add_subcommand("resolve", "Print the digest, media type and platforms a reference names");
  cmd->add_option("ref", flags->ref, "Image reference")->required();
  flags->registry.Register(cmd, RegistryFlags::CredentialFlags::kSource);

  return [flags, global]() -> int {
    v1::ResolveRequest request;
    request.set_reference(flags->ref);
    auto access = flags->registry.Access(HostOf(flags->ref), {});
    if (!access.ok()) return PrintFailure(*global, "resolve", access.status());
    *request.mutable_access() = std::move(*access);
    return Dispatch(*global, "resolve", request, &service::PromoteService::Resolve, &flags->registry,
                    &v1::Promote::Stub::Resolve);
  };
}

}  // namespace promote::cli
