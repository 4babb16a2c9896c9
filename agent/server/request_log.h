// The agent's log: one line per event with the request id, as JSON objects (log.format: json)
// or key=value text. Values are the caller's names and outcomes; tokens, passwords and keys are
// never passed in.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace promote::server {

class RequestLog {
 public:
  RequestLog(bool json, const std::string& level);

  void Info(const std::string& event, const nlohmann::json& fields) const;
  void Warn(const std::string& event, const nlohmann::json& fields) const;
  void Error(const std::string& event, const nlohmann::json& fields) const;
  void Debug(const std::string& event, const nlohmann::json& fields) const;
  // The `audit` event (who did what): written at every log.level but off.
  void Audit(const nlohmann::json& fields) const;

  // Sends what the libraries log through spdlog (blob retries, registry warnings) to this log,
  // as {"event": "log", "message": …} lines in its format and at its level, instead of spdlog's
  // own text lines on stderr.
  void CaptureLibraryLog() const;

 private:
  void Write(const char* level, int rank, const std::string& event, const nlohmann::json& fields) const;
  bool json_;
  int min_rank_;
};

}  // namespace promote::server
