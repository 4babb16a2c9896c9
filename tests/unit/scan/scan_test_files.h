// Test helpers: read the shared scanner fixtures and locate the stub scanners.
#pragma once

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace promote::scan::testing {

inline std::string ReadFileOrThrow(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline std::string FixturePath(const std::string& name) {
  return std::string(PROMOTE_FIXTURES_DIR) + "/scanners/" + name;
}

inline std::string Fixture(const std::string& name) { return ReadFileOrThrow(FixturePath(name)); }

inline std::string StubPath(const std::string& name) {
  return std::string(PROMOTE_SOURCE_DIR) + "/tests/unit/scan/stubs/" + name;
}

}  // namespace promote::scan::testing
