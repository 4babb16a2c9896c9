// A minimal libcurl client for tests to talk to registries and token servers directly: readiness
// probes, assertions on raw responses. Deliberately independent of the product's registry client.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace promote::testing {

struct HttpRequest {
  std::string method = "GET";
  std::string url{};
  std::vector<std::string> headers{};  // "Name: value"
  std::optional<std::string> body{};   // sent as-is (with Content-Length) when set
  std::string ca_file{};               // trust anchors for https; "" = system default
  bool verify_tls = true;
  std::optional<std::pair<std::string, std::string>> basic_auth{};  // user, password
  std::string bearer_token{};                                       // "" = none
  long timeout_ms = 10000;
};

struct HttpResponse {
  long status = 0;      // 0 when no HTTP response arrived; see error
  std::string error{};  // libcurl's message when the transfer failed
  std::string body{};
  std::multimap<std::string, std::string> headers{};  // names lower-cased

  // First value of a header (name is case-insensitive), or "" when absent.
  std::string Header(const std::string& name) const;
};

// Performs one request. Never throws for network or HTTP errors (see status/error); redirects are
// not followed; proxies from the environment are ignored (everything here is on loopback).
HttpResponse Fetch(const HttpRequest& request);

}  // namespace promote::testing
