// Reads Trivy ignore files (.trivyignore, .trivyignore.yaml) into allowlist entries, so teams
// keep the acceptance file they already have. Stricter than Trivy on purpose: a line Trivy
// would silently skip is an error here, because a skipped line silently changes a gate.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "scan/allowlist.h"
#include "util/status.h"

namespace promote::scan {

enum class TrivyIgnoreFormat { kPlain, kYaml };

// kYaml when `path` ends in ".yaml" or ".yml" (any case), as Trivy decides; else kPlain.
TrivyIgnoreFormat TrivyIgnoreFormatFor(std::string_view path);

// Plain format, one entry per line:  ID [exp:YYYY-MM-DD] [# reason]
// Blank lines and lines starting with '#' are skipped. The text after " #" on an entry line is
// the reason; without one the reason is "listed in <name>". Errors (InvalidArgument, naming
// "<name>:<line>"): a malformed or impossible exp: date (Trivy drops such a line with a
// warning), any other extra token.
//
// YAML format: a mapping with optional keys vulnerabilities, misconfigurations, secrets,
// licenses, each a list of {id, paths, purls, expired_at, statement}. Only vulnerabilities
// become entries (the gate sees only vulnerabilities); reason = statement, else
// "listed in <name>". Errors, with line numbers: unknown keys, a missing id, a malformed
// expired_at, and non-empty paths/purls — the gate matches by id only, so honouring such an
// entry would ignore the id everywhere, wider than its author meant; list the id without
// paths/purls to accept it for the whole image.
//
// `name` is how errors and reasons refer to the file.
Result<std::vector<AllowEntry>> ParseTrivyIgnore(std::string_view content, std::string_view name,
                                                 TrivyIgnoreFormat format);

// Reads and parses the file at `path` (format by extension). Unlike Trivy, a missing file is an
// error (NotFound): a configured ignore file that is not there is a mistake worth stopping for.
// Files over 1 MiB are refused.
Result<std::vector<AllowEntry>> ReadTrivyIgnoreFile(const std::string& path);

}  // namespace promote::scan
