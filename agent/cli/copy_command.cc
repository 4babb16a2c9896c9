#include <memory>

#include "cli/commands.h"
#include "cli/dispatch.h"
#include "cli/registry_flags.h"
#include "oci/reference.h"

namespace promote::cli {
namespace {

struct CopyFlags {
  std::vector<std::string> refs;
  std::vector<std::string> tags;
  std::vector<std::string> platforms;
  bool force = false;
  bool no_attachments = false;
  int jobs = 8;
  int64_t chunk_size = 0;
  RegistryFlags registry;
};

// The registry host of a reference, for attaching --src/--dst credentials; unparsable references
// are left to the service, which names them in its error.
// "registry/repository" of each reference: --src-username and --dst-username apply to exactly
// those repositories, so a copy between two repositories of one registry may use two accounts.
std::vector<std::string> Repositories(const std::vector<std::string>& refs) {
  std::vector<std::string> out;
  for (const auto& r : refs) {
    if (auto ref = oci::ParseReference(r); ref.ok()) out.push_back(ref->registry + "/" + ref->repository);
  }
  return out;
}

}  // namespace

CommandRunner RegisterCopyCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<CopyFlags>();
  CLI::App* cmd = app->add_subcommand("copy", "Copy images by digest: promote copy SRC DST [SRC DST]...");
  cmd->add_option("refs", flags->refs, "Source and target pairs: SRC is a reference, DST a repository[:tag]")
      ->required();
  cmd->add_option("-t,--tag", flags->tags, "Tag to write at the target (repeatable)")->allow_extra_args(false);
  cmd->add_option("--platform", flags->platforms,
                  "Copy only this platform of an index, os/arch[/variant] (repeatable, or comma-separated); "
                  "the target gets a new index listing just these, with its own digest")
      ->allow_extra_args(false);
  cmd->add_flag("--force", flags->force, "Move target tags that already name another digest");
  cmd->add_flag("--no-attachments", flags->no_attachments,
                "Leave signatures, attestations, SBOMs and referrers (sha256-<hex>.sig/.att/.sbom) behind");
  cmd->add_option("-j,--jobs", flags->jobs, "Concurrent blob transfers")->check(CLI::Range(1, 256));
  cmd->add_option("--chunk-size", flags->chunk_size, "Upload blobs in PATCH chunks of this many bytes")
      ->check(CLI::Range(int64_t{1024}, int64_t{1} << 34));
  flags->registry.Register(cmd, RegistryFlags::CredentialFlags::kSourceAndTarget);

  return [flags, global]() -> int {
    if (flags->refs.size() % 2 != 0) {
      return PrintFailure(*global, "copy",
                          InvalidArgument("copy takes SRC DST pairs; got " + std::to_string(flags->refs.size()) +
                                          " references"));
    }
    v1::CopyRequest request;
    std::vector<std::string> sources, targets;
    for (size_t i = 0; i < flags->refs.size(); i += 2) {
      auto* pair = request.add_images();
      pair->set_source(flags->refs[i]);
      pair->set_target(flags->refs[i + 1]);
      sources.push_back(flags->refs[i]);
      targets.push_back(flags->refs[i + 1]);
    }
    for (const auto& t : flags->tags) request.add_tags(t);
    for (const auto& p : flags->platforms) request.add_platforms(p);
    request.set_force(flags->force);
    request.set_no_attachments(flags->no_attachments);
    request.set_jobs(flags->jobs);
    request.set_chunk_size(flags->chunk_size);
    auto access = flags->registry.Access(Repositories(sources), Repositories(targets));
    if (!access.ok()) return PrintFailure(*global, "copy", access.status());
    *request.mutable_access() = std::move(*access);
    return Dispatch(*global, "copy", request, &service::PromoteService::Copy, &flags->registry,
                    &v1::Promote::Stub::Copy);
  };
}

}  // namespace promote::cli
