#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "copy/copy_report.h"
#include "copy/image_walker.h"

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
  flags->registry.Register(cmd, false);

  return [flags, global]() -> int {
    auto fail = [&](const Status& st) { return ReportFailure(global->format(), "resolve", st); };
    auto ref = oci::ParseReference(flags->ref);
    if (!ref.ok()) return fail(ref.status());
    auto pool = flags->registry.BuildPool({*ref}, {});
    if (!pool.ok()) return fail(pool.status());
    auto client = (*pool)->Get(ref->registry);
    if (!client.ok()) return fail(client.status());
    auto graph = copy::WalkImage(**client, ref->repository, ref->Identifier(),
                                 {registry::RepositoryScope(ref->repository, "pull")}, nullptr);
    if (!graph.ok()) return fail(graph.status());
    if (ref->digest && *ref->digest != graph->root.digest) {
      return fail(DataLoss("reference " + ref->str() + " resolved to " + graph->root.digest.str()));
    }
    nlohmann::json manifests = nlohmann::json::array();
    for (const auto& c : graph->root.children) {
      manifests.push_back({{"digest", c.digest.str()},
                           {"media_type", c.media_type},
                           {"size", c.size},
                           {"platform", c.platform ? nlohmann::json(c.platform->str()) : nlohmann::json(nullptr)}});
    }
    nlohmann::json body = {{"reference", ref->str()},
                           {"digest", graph->root.digest.str()},
                           {"media_type", graph->root.media_type},
                           {"size", graph->root.bytes.size()},
                           {"platforms", graph->platforms},
                           {"manifests", manifests}};
    if (global->format() == OutputFormat::kJson) {
      PrintJson(copy::ResultEnvelope("resolve", OkStatus(), body));
    } else {
      std::cout << graph->root.digest.str() << "\n  media type: " << graph->root.media_type << "\n  platforms:";
      for (const auto& p : graph->platforms) std::cout << " " << p;
      std::cout << "\n";
    }
    return 0;
  };
}

}  // namespace promote::cli
