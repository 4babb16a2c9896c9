// promote.yaml (policy::ParsePromoteConfig) and standalone scan policies (policy::ParseScanPolicy)
// from the same input. Invariants of an accepted config: environments are non-empty, uniquely
// named, name valid repositories and have valid mutable tags; every `from` chain ends; branch
// rules name existing environments; a scan gate names only defined scanners.
#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "fuzz_check.h"
#include "oci/reference.h"
#include "policy/branch_rules.h"
#include "policy/promote_config.h"

namespace {

using namespace promote::policy;

void CheckGate(const ScanGateConfig& gate, const std::map<std::string, promote::scan::HookConfig>& scanners) {
  FUZZ_CHECK(!gate.scanners.empty());
  for (const auto& s : gate.scanners) FUZZ_CHECK(scanners.count(s) == 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);

  auto config = ParsePromoteConfig(text, "promote.yaml");
  if (config.ok()) {
    FUZZ_CHECK(!config->environments.empty());
    std::set<std::string> names;
    for (const auto& env : config->environments) {
      FUZZ_CHECK(names.insert(env.name).second);
      auto repo = promote::oci::ParseRepository(env.Name());
      FUZZ_CHECK(repo.ok() && repo->registry == env.registry && repo->repository == env.repository);
      for (const auto& tag : env.mutable_tags) FUZZ_CHECK(promote::oci::ValidateTag(tag).ok());
      size_t steps = 0;
      for (const Environment* e = config->SourceOf(env); e != nullptr; e = config->SourceOf(*e)) {
        FUZZ_CHECK(++steps < config->environments.size());
      }
      if (env.scan) CheckGate(*env.scan, config->scanners);
      if (env.sign) FUZZ_CHECK(!config->signing.empty());
    }
    for (const auto& rule : config->branches) {
      FUZZ_CHECK(ValidateBranchPattern(rule.pattern).ok());
      for (const auto& to : rule.to) FUZZ_CHECK(config->FindEnvironment(to) != nullptr);
    }
    for (const char* branch : {"develop", "main", "release/v1.2.0", "hotfix/x-sha-2b2e927"}) {
      (void)AllowedEnvironments(*config, branch);
    }
    FUZZ_CHECK(promote::oci::ValidateTag(RenderImmutableTag(config->immutable_tag, std::string(40, 'a'))).ok());
  }

  auto policy = ParseScanPolicy(text, "policy.yaml");
  if (policy.ok()) CheckGate(policy->gate, policy->scanners);
  return 0;
}
