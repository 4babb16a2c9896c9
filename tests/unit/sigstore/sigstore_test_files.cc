#include "sigstore_test_files.h"

#include <doctest/doctest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "sigstore/pem.h"

namespace promote::sigstore::testing {

std::string CosignFixturePath(const std::string& name) {
  return std::string(PROMOTE_FIXTURES_DIR) + "/cosign/" + name;
}

std::string SigstoreFixture(const std::string& name) {
  const std::string path = std::string(PROMOTE_FIXTURES_DIR) + "/sigstore/" + name;
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read fixture " << path);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

std::string CosignFixture(const std::string& name) {
  std::ifstream in(CosignFixturePath(name), std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read fixture " << CosignFixturePath(name));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string FixturePassword() {
  const std::string text = CosignFixture("password.txt");
  return text.substr(0, text.find('\n'));
}

std::string PemBodyJson(const std::string& pem) {
  auto block = DecodePem(pem, "test PEM");
  REQUIRE_MESSAGE(block.ok(), block.status().ToString());
  return block->bytes;
}

std::string ReplaceOnce(std::string s, const std::string& from, const std::string& to) {
  const size_t at = s.find(from);
  REQUIRE_MESSAGE(at != std::string::npos, "'" << from << "' not found in test input");
  s.replace(at, from.size(), to);
  return s;
}

ScratchDir::ScratchDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "promote-sign-test-XXXXXX").string();
  REQUIRE(mkdtemp(pattern.data()) != nullptr);
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ScratchDir::Write(const std::string& name, const std::string& bytes) const {
  const std::string file = (path_ / name).string();
  std::ofstream out(file, std::ios::binary);
  out << bytes;
  REQUIRE(out.good());
  return file;
}

int RunQuietly(const std::string& command) {
  const int status = std::system((command + " >/dev/null 2>&1").c_str());
  if (status == -1 || !WIFEXITED(status)) return -1;
  return WEXITSTATUS(status);
}

std::string ShellQuote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace promote::sigstore::testing
