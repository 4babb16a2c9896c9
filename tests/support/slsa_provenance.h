// SLSA provenance predicates shaped as the generators write them, for tests of the provenance
// gate: v1 as GitHub's workflow build type (actions/buildtypes workflow/v1, as
// attest-build-provenance writes it) and v0.2 as slsa-github-generator's container generator.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace promote::testing {

inline constexpr const char* kGeneratorBuilder =
    "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
    "generator_container_slsa3.yml@refs/tags/v1.9.0";

// https://slsa.dev/provenance/v1: the commit is resolvedDependencies[0].digest.gitCommit.
inline nlohmann::json SlsaV1Predicate(const std::string& commit,
                                      const std::string& builder_id = kGeneratorBuilder) {
  return {
      {"buildDefinition",
       {{"buildType", "https://actions.github.io/buildtypes/workflow/v1"},
        {"externalParameters",
         {{"workflow",
           {{"ref", "refs/heads/main"},
            {"repository", "https://github.com/shop/payment-svc"},
            {"path", ".github/workflows/build.yml"}}}}},
        {"internalParameters", {{"github", {{"event_name", "push"}, {"repository_id", "1296269"}}}}},
        {"resolvedDependencies",
         {{{"uri", "git+https://github.com/shop/payment-svc@refs/heads/main"},
           {"digest", {{"gitCommit", commit}}}}}}}},
      {"runDetails",
       {{"builder", {{"id", builder_id}}},
        {"metadata", {{"invocationId", "https://github.com/shop/payment-svc/actions/runs/1/attempts/1"}}}}}};
}

// https://slsa.dev/provenance/v0.2: the commit is materials[].digest.sha1 and
// invocation.configSource.digest.sha1.
inline nlohmann::json SlsaV02Predicate(const std::string& commit,
                                       const std::string& builder_id = kGeneratorBuilder) {
  const std::string uri = "git+https://github.com/shop/payment-svc@refs/heads/main";
  return {{"builder", {{"id", builder_id}}},
          {"buildType", "https://github.com/slsa-framework/slsa-github-generator/container@v1"},
          {"invocation",
           {{"configSource",
             {{"uri", uri}, {"digest", {{"sha1", commit}}}, {"entryPoint", ".github/workflows/build.yml"}}},
            {"parameters", nlohmann::json::object()},
            {"environment", {{"github_event_name", "push"}, {"github_sha1", commit}}}}},
          {"metadata",
           {{"buildInvocationID", "1-1"},
            {"completeness", {{"parameters", true}, {"environment", false}, {"materials", false}}},
            {"reproducible", false}}},
          {"materials", {{{"uri", uri}, {"digest", {{"sha1", commit}}}}}}};
}

}  // namespace promote::testing
