#include <cstdio>

#include "service/operation.h"
#include "service/result_envelope.h"
#include "util/one_line.h"

namespace promote::service {

v1::Result Outcome::ToProto() const {
  v1::Result r;
  r.set_command(command);
  // Invalid UTF-8 from a registry must not make the result unprintable.
  r.set_json(json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
  r.set_text(text);
  std::string diag = diagnostics;
  if (diag.empty() && !status.ok()) diag = "promote: " + OneLine(status.message()) + "\n";
  r.set_diagnostics(diag);
  r.set_exit_code(ExitCodeFor(status.code()));
  if (!status.ok()) {
    r.set_error_code(CodeName(status.code()));
    r.set_message(status.message());
  }
  return r;
}

Outcome FailedOutcome(const std::string& command, const Status& status, nlohmann::json body) {
  Outcome o;
  o.command = command;
  o.status = status;
  o.json = ResultEnvelope(command, status, std::move(body));
  return o;
}

std::string HumanBytes(int64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return buf;
}

std::string JoinOrDash(const std::vector<std::string>& items) {
  std::string s;
  for (const auto& t : items) s += (s.empty() ? "" : ", ") + t;
  return s.empty() ? std::string("-") : s;
}

}  // namespace promote::service
