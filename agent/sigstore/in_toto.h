// in-toto Statements: the payload of a cosign attestation's DSSE envelope, naming the image by
// digest (subject) and carrying a typed predicate (provenance, SBOM, scan result, promotion record).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace promote::sigstore {

inline constexpr std::string_view kInTotoStatementV01 = "https://in-toto.io/Statement/v0.1";
inline constexpr std::string_view kInTotoStatementV1 = "https://in-toto.io/Statement/v1";

struct InTotoSubject {
  std::string name;
  std::map<std::string, std::string> digest;  // algorithm -> hex, e.g. {"sha256": "5aaf..."}
};

struct InTotoStatement {
  std::string type;            // kInTotoStatementV01 or kInTotoStatementV1
  std::string predicate_type;  // e.g. "https://slsa.dev/provenance/v1"
  std::vector<InTotoSubject> subjects;
  nlohmann::json predicate;
};

// Builds the statement cosign `attest` writes, compact with Go escaping:
// {"_type":"https://in-toto.io/Statement/v0.1","predicateType":P,
//  "subject":[{"name":N,"digest":{"sha256":H}}],"predicate":<predicate>}
// `subject_digest` is "sha256:<hex>". `statement_type` may be kInTotoStatementV1 for predicates
// whose specification shows that one (the SLSA verification summary). kInvalidArgument for a
// malformed digest, empty predicate type or unknown statement type.
Result<std::string> BuildInTotoStatement(std::string_view predicate_type, std::string_view subject_name,
                                         std::string_view subject_digest, const nlohmann::json& predicate,
                                         std::string_view statement_type = kInTotoStatementV01);

// Parses a v0.1 or v1 statement (key order and whitespace free, duplicate keys refused). Requires
// _type, a string predicateType and a non-empty subject array whose entries have a string name
// and a digest object of strings. kInvalidArgument starting "in-toto statement: ".
Result<InTotoStatement> ParseInTotoStatement(std::string_view json_text);

// OK when some subject's sha256 equals the hex of `digest` ("sha256:<hex>"); otherwise
// kGateRefused naming the digest.
Status CheckSubjectDigest(const InTotoStatement& statement, std::string_view digest);

}  // namespace promote::sigstore
