// Promotion history from the registries alone: for a commit (its immutable tag in each
// environment) or a digest, where it has been promoted, when, by which run, and whether each
// record verifies with the agent's key. Also the list of digests an environment has received,
// which rollback chooses from.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/promote_config.h"
#include "promotion/promotion_record.h"
#include "registry/registry_pool.h"
#include "sigstore/ec_key.h"
#include "util/status.h"

namespace promote::promotion {

struct EnvironmentHistory {
  std::string env;
  std::string reference;  // registry/repo:tag or @digest looked at
  std::string digest;     // "" when the image is not in this environment (or it could not be read)
  std::vector<CheckedRecord> records;  // records of promotions into this environment
  // Why this environment could not be read (credentials missing or refused, registry down);
  // ok when it was. An unreadable environment says nothing about the image being there.
  Status error;
};

struct History {
  std::string sha;
  std::string digest;
  std::vector<EnvironmentHistory> environments;
  // A release set's history by commit: one history per image (each with its `image` name), and
  // no environments of its own.
  std::string image;
  std::vector<History> images;
  nlohmann::json ToJson() const;
  // The names of the environments that could not be read, in config order.
  std::vector<std::string> Unreadable() const;
};

// History of the commit `sha` across every environment of `config` (for a release set, of each
// image: History::images; each record names the set's members). One environment that cannot
// be read does not hide the others: it is listed with its error (EnvironmentHistory::error), and
// only a bad `sha` or a cancellation fails the whole history.
Result<History> HistoryForSha(const policy::PromoteConfig& config, registry::RegistryPool& registries,
                              const sigstore::PublicKey& key, const std::string& sha);

// History of `digest` across every environment of `config` (where that digest is present), with
// unreadable environments listed as for HistoryForSha.
Result<History> HistoryForDigest(const policy::PromoteConfig& config, registry::RegistryPool& registries,
                                 const sigstore::PublicKey& key, const oci::Digest& digest);

// One valid promotion into an environment.
struct Promotion {
  oci::Digest digest;
  PromotionRecord record;
};

// Every digest promoted into `env` (found through its immutable tags), with its newest valid
// record, oldest first.
Result<std::vector<Promotion>> PromotionsInto(const policy::PromoteConfig& config,
                                              const policy::Environment& env,
                                              registry::RegistryPool& registries,
                                              const sigstore::PublicKey& key);

}  // namespace promote::promotion
