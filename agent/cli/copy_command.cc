#include <csignal>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/registry_flags.h"
#include "copy/image_copier.h"

namespace promote::cli {
namespace {

struct CopyFlags {
  std::vector<std::string> refs;
  std::vector<std::string> tags;
  bool force = false;
  bool no_attachments = false;
  int jobs = 8;
  int64_t chunk_size = 0;
  RegistryFlags registry;
};

void PrintText(const std::vector<copy::CopyReport>& reports) {
  for (const auto& r : reports) {
    if (!r.status.ok()) {
      std::cerr << "promote: copy " << r.source << " failed: " << r.status.message() << "\n";
      continue;
    }
    std::cout << r.source << " -> " << r.target << "\n"
              << "  blobs: " << r.blobs.copied << " copied, " << r.blobs.mounted << " mounted, " << r.blobs.skipped
              << " skipped (" << HumanBytes(r.blob_bytes.copied) << " moved, " << HumanBytes(r.blob_bytes.mounted)
              << " mounted)\n"
              << "  manifests: " << r.manifests_copied << " written, " << r.manifests_skipped << " present\n";
    if (r.attachments.copied + r.attachments.skipped > 0) {
      std::cout << "  attachments: " << r.attachments.copied << " copied, " << r.attachments.skipped << " present\n";
    }
    if (!r.platforms.empty()) {
      std::cout << "  platforms:";
      for (const auto& p : r.platforms) std::cout << " " << p;
      std::cout << "\n";
    }
    auto list = [](const std::vector<std::string>& v) {
      std::string s;
      for (const auto& t : v) s += (s.empty() ? "" : ", ") + t;
      return s.empty() ? std::string("-") : s;
    };
    std::cout << "  tags: written " << list(r.tags_written) << "; unchanged " << list(r.tags_unchanged) << "; moved "
              << list(r.tags_moved) << "\n"
              << "  time: " << r.duration_ms << " ms\n";
  }
}

}  // namespace

CommandRunner RegisterCopyCommand(CLI::App* app, const GlobalFlags* global) {
  auto flags = std::make_shared<CopyFlags>();
  CLI::App* cmd = app->add_subcommand("copy", "Copy images by digest: promote copy SRC DST [SRC DST]...");
  cmd->add_option("refs", flags->refs, "Source and target pairs: SRC is a reference, DST a repository[:tag]")
      ->required();
  cmd->add_option("-t,--tag", flags->tags, "Tag to write at the target (repeatable)")->allow_extra_args(false);
  cmd->add_flag("--force", flags->force, "Move target tags that already name another digest");
  cmd->add_flag("--no-attachments", flags->no_attachments,
                "Leave signatures, attestations, SBOMs and referrers (sha256-<hex>.sig/.att/.sbom) behind");
  cmd->add_option("-j,--jobs", flags->jobs, "Concurrent blob transfers")->check(CLI::Range(1, 256));
  cmd->add_option("--chunk-size", flags->chunk_size, "Upload blobs in PATCH chunks of this many bytes")
      ->check(CLI::Range(int64_t{1024}, int64_t{1} << 34));
  flags->registry.Register(cmd, true);

  return [flags, global]() -> int {
    if (flags->refs.size() % 2 != 0) {
      return ReportFailure(global->format(), "copy",
                           InvalidArgument("copy takes SRC DST pairs; got " + std::to_string(flags->refs.size()) +
                                           " references"));
    }
    for (const auto& tag : flags->tags) {
      if (Status st = oci::ValidateTag(tag); !st.ok()) return ReportFailure(global->format(), "copy", st);
    }
    std::vector<copy::CopyRequest> requests;
    std::vector<oci::Reference> sources, targets;
    for (size_t i = 0; i < flags->refs.size(); i += 2) {
      auto src = oci::ParseReference(flags->refs[i]);
      auto dst = oci::ParseReference(flags->refs[i + 1]);
      Status st = !src.ok() ? src.status().WithContext("source") : !dst.ok() ? dst.status().WithContext("target")
                                                                              : OkStatus();
      if (st.ok() && dst->digest) st = InvalidArgument("target '" + flags->refs[i + 1] + "' must not name a digest");
      if (!st.ok()) return ReportFailure(global->format(), "copy", st);
      sources.push_back(*src);
      targets.push_back(*dst);
      requests.push_back({*src, *dst});
    }
    auto pool = flags->registry.BuildPool(sources, targets);
    if (!pool.ok()) return ReportFailure(global->format(), "copy", pool.status());

    copy::CopyProgress progress;
    copy::CopyOptions options;
    options.tags = flags->tags;
    options.force = flags->force;
    options.attachments = !flags->no_attachments;
    options.jobs = flags->jobs;
    options.blob.chunk_size = flags->chunk_size;
    options.progress = &progress;
    std::vector<copy::CopyReport> reports;
    {
      ProgressPrinter printer(&progress, global->progress_interval_s > 0,
                              std::chrono::seconds(std::max(global->progress_interval_s, 1)));
      copy::ImageCopier copier(pool->get(), options);
      reports = copier.CopyAll(requests);
    }

    Status first;
    for (const auto& r : reports) {
      if (!r.status.ok() && first.ok()) first = r.status;
    }
    if (global->format() == OutputFormat::kJson) {
      if (reports.size() == 1) {
        PrintJson(reports[0].ToJson());
      } else {
        nlohmann::json results = nlohmann::json::array();
        for (const auto& r : reports) results.push_back(r.ToJson());
        PrintJson(copy::ResultEnvelope("copy", first, {{"results", results}}));
      }
    } else {
      PrintText(reports);
    }
    return ExitCodeFor(first.code());
  };
}

}  // namespace promote::cli
