#include "util/status.h"

namespace promote {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kNotFound: return "not_found";
    case Code::kConflict: return "conflict";
    case Code::kGateRefused: return "gate_refused";
    case Code::kUnauthenticated: return "unauthenticated";
    case Code::kPermissionDenied: return "permission_denied";
    case Code::kUnavailable: return "unavailable";
    case Code::kRegistryError: return "registry_error";
    case Code::kDataLoss: return "data_loss";
    case Code::kCancelled: return "cancelled";
    case Code::kDeadlineExceeded: return "deadline_exceeded";
    case Code::kInternal: return "internal";
  }
  return "internal";
}

int ExitCodeFor(Code code) {
  switch (code) {
    case Code::kOk: return 0;
    case Code::kInvalidArgument: return 2;
    case Code::kConflict:
    case Code::kGateRefused: return 3;
    case Code::kNotFound:
    case Code::kUnauthenticated:
    case Code::kPermissionDenied:
    case Code::kUnavailable:
    case Code::kRegistryError:
    case Code::kDataLoss:
    case Code::kDeadlineExceeded: return 4;
    case Code::kCancelled:
    case Code::kInternal: return 5;
  }
  return 5;
}

Status Status::WithContext(std::string_view context) const {
  if (ok()) return *this;
  Status out(code_, std::string(context) + ": " + message_);
  out.reason_ = reason_;
  return out;
}

Status Status::WithReason(std::string reason) const {
  if (ok()) return *this;
  Status out = *this;
  out.reason_ = std::move(reason);
  return out;
}

Status OkStatusGivenToResult() {
  return Internal("a result was built from an OK status and holds no value (a bug in promote; please report it)");
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace promote
