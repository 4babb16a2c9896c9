// The SLSA verification summary v1 specification (https://slsa.dev/spec/v1.0/verification_summary
// and v1.1), field by field, as doctest checks on a statement: what the spec requires, the types
// it gives each field, and that any other predicate field is an extension named by a URI.
#pragma once

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>

namespace promote::testing {

inline bool IsUri(const std::string& s) {
  return std::regex_match(s, std::regex("[a-z][a-z0-9+.-]*://[^ ]+"));
}

inline bool IsDigestSet(const nlohmann::json& d) {
  if (!d.is_object() || d.empty()) return false;
  for (const auto& item : d.items()) {
    if (!item.value().is_string() || item.value().get<std::string>().empty() || item.key().empty())
      return false;
  }
  return true;
}

inline void CheckVerificationSummaryAgainstSpec(const nlohmann::json& statement) {
  // Standard statement fields.
  CHECK(statement["_type"] == "https://in-toto.io/Statement/v1");
  CHECK(statement["predicateType"] == "https://slsa.dev/verification_summary/v1");
  REQUIRE(statement["subject"].is_array());
  REQUIRE_FALSE(statement["subject"].empty());
  for (const auto& s : statement["subject"]) {
    CHECK(s["name"].is_string());
    CHECK(IsDigestSet(s["digest"]));
  }
  const nlohmann::json& p = statement["predicate"];
  REQUIRE(p.is_object());
  // verifier: object, required; verifier.id: TypeURI, required.
  REQUIRE(p["verifier"].is_object());
  REQUIRE(p["verifier"]["id"].is_string());
  CHECK(IsUri(p["verifier"]["id"].get<std::string>()));
  // timeVerified: Timestamp (RFC 3339 in UTC), required.
  REQUIRE(p["timeVerified"].is_string());
  CHECK(std::regex_match(p["timeVerified"].get<std::string>(),
                         std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)")));
  // resourceUri: ResourceURI, required.
  REQUIRE(p["resourceUri"].is_string());
  CHECK_FALSE(p["resourceUri"].get<std::string>().empty());
  // policy: ResourceDescriptor, required; it MUST contain a uri.
  REQUIRE(p["policy"].is_object());
  REQUIRE(p["policy"]["uri"].is_string());
  CHECK_FALSE(p["policy"]["uri"].get<std::string>().empty());
  if (p["policy"].contains("digest")) CHECK(IsDigestSet(p["policy"]["digest"]));
  // inputAttestations: optional array of ResourceDescriptors; each MUST have a digest, SHOULD a uri.
  if (p.contains("inputAttestations")) {
    REQUIRE(p["inputAttestations"].is_array());
    for (const auto& a : p["inputAttestations"]) {
      CHECK(IsDigestSet(a["digest"]));
      CHECK(a["uri"].is_string());
    }
  }
  // verificationResult: "PASSED" or "FAILED", required.
  REQUIRE(p["verificationResult"].is_string());
  CHECK((p["verificationResult"] == "PASSED" || p["verificationResult"] == "FAILED"));
  // verifiedLevels: array of SlsaResult, required; no more than one level per track; values
  // starting SLSA_ only from the spec's list.
  REQUIRE(p["verifiedLevels"].is_array());
  const std::set<std::string> known = {"SLSA_BUILD_LEVEL_0", "SLSA_BUILD_LEVEL_1", "SLSA_BUILD_LEVEL_2",
                                       "SLSA_BUILD_LEVEL_3"};
  int build_track = 0;
  for (const auto& level : p["verifiedLevels"]) {
    REQUIRE(level.is_string());
    const std::string l = level.get<std::string>();
    if (l.rfind("SLSA_", 0) == 0) CHECK(known.count(l) == 1);
    if (l.rfind("SLSA_BUILD_LEVEL_", 0) == 0) ++build_track;
  }
  CHECK(build_track <= 1);
  // dependencyLevels: optional map of SlsaResult to integer.
  if (p.contains("dependencyLevels")) {
    REQUIRE(p["dependencyLevels"].is_object());
    for (const auto& item : p["dependencyLevels"].items()) CHECK(item.value().is_number_integer());
  }
  // slsaVersion: optional "<MAJOR>.<MINOR>".
  if (p.contains("slsaVersion")) {
    CHECK(std::regex_match(p["slsaVersion"].get<std::string>(), std::regex(R"(\d+\.\d+)")));
  }
  // Anything else is an extension, whose name must be a URI.
  const std::set<std::string> fields = {"verifier",       "timeVerified",      "resourceUri",
                                        "policy",         "inputAttestations", "verificationResult",
                                        "verifiedLevels", "dependencyLevels",  "slsaVersion"};
  for (const auto& item : p.items()) {
    const std::string name = item.key();
    if (fields.count(name) == 0) CHECK_MESSAGE(IsUri(name), "extension field " << name << " is not a URI");
  }
}

}  // namespace promote::testing
