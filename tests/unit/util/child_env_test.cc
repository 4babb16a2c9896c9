// util/child_env: what a credential helper or scanner may see of promote's environment.
#include "util/child_env.h"

#include <doctest/doctest.h>

using namespace promote;

TEST_CASE("children get the allow-list of their kind and never one of promote's secrets") {
  WithholdFromChildren("CHILD_ENV_TEST_REGISTRY_PASSWORD");
  WithholdFromChildren("GOOGLE_CHILD_ENV_TEST_PASSWORD");  // a cloud prefix, but a secret of ours
  const std::vector<std::string> parent = {
      "PATH=/usr/bin:/bin",
      "HOME=/home/ci",
      "LANG=C.UTF-8",
      "LC_ALL=C",
      "TZ=UTC",
      "https_proxy=http://proxy:3128",
      "NO_PROXY=localhost",
      "SSL_CERT_FILE=/etc/ssl/ca.pem",
      "XDG_RUNTIME_DIR=/run/user/1000",
      "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1000/bus",
      "AWS_ACCESS_KEY_ID=AKIA",
      "AWS_SECRET_ACCESS_KEY=aws-secret",
      "GOOGLE_APPLICATION_CREDENTIALS=/sa.json",
      "GOOGLE_CHILD_ENV_TEST_PASSWORD=ours",
      "CHILD_ENV_TEST_REGISTRY_PASSWORD=prod-password",
      "PROMOTE_KEY_PASSWORD=passphrase",
      "PROMOTE_AGENT_TOKEN=token",
      "PROMOTE_SRC_PASSWORD=src",
      "COSIGN_PASSWORD=cosign",
      "TRIVY_PASSWORD=trivy",
      "GRYPE_DB_CACHE_DIR=/cache",
      "DOCKER_CONFIG=/home/ci/.docker",
      "GITHUB_TOKEN=gh",
      "CI_JOB_TOKEN=ci",
      "SOME_SECRET=x",
      "RANDOM_VAR=1",
  };
  struct Case {
    ChildKind kind;
    std::vector<std::string> pass;
    std::vector<std::string> expected;
  } cases[] = {
      {ChildKind::kCredentialHelper,
       {},
       {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "DBUS_SESSION_BUS_ADDRESS",
        "GOOGLE_APPLICATION_CREDENTIALS", "HOME", "LANG", "LC_ALL", "NO_PROXY", "PATH", "SSL_CERT_FILE", "TZ",
        "XDG_RUNTIME_DIR", "https_proxy"}},
      {ChildKind::kScanner, {}, {"LANG", "LC_ALL", "NO_PROXY", "PATH", "SSL_CERT_FILE", "TZ", "https_proxy"}},
      // An operator's pass-through adds names, but never one of promote's secrets.
      {ChildKind::kScanner,
       {"GRYPE_DB_CACHE_DIR", "PROMOTE_KEY_PASSWORD", "CHILD_ENV_TEST_REGISTRY_PASSWORD", "COSIGN_PASSWORD"},
       {"GRYPE_DB_CACHE_DIR", "LANG", "LC_ALL", "NO_PROXY", "PATH", "SSL_CERT_FILE", "TZ", "https_proxy"}},
  };
  for (const Case& c : cases) {
    CAPTURE(static_cast<int>(c.kind));
    auto env = ChildEnvironmentFrom(c.kind, parent, c.pass);
    std::vector<std::string> names;
    for (const auto& [name, value] : env) names.push_back(name);
    CHECK(names == c.expected);
  }
  CHECK(IsWithheldFromChildren("PROMOTE_AGENT_TOKEN"));
  CHECK(IsWithheldFromChildren("COSIGN_PASSWORD"));
  CHECK(IsWithheldFromChildren("CHILD_ENV_TEST_REGISTRY_PASSWORD"));
  CHECK_FALSE(IsWithheldFromChildren("PATH"));
}
