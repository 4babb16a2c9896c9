#include "util/error_category.h"

namespace promote {

const char* CategoryName(Code code) {
  switch (code) {
    case Code::kOk:
      return "ok";
    case Code::kInvalidArgument:
      return "bad_input";
    case Code::kConflict:
    case Code::kGateRefused:
      return "gate_refused";
    case Code::kUnauthenticated:
    case Code::kPermissionDenied:
      return "auth";
    case Code::kNotFound:
    case Code::kUnavailable:
    case Code::kRegistryError:
    case Code::kDataLoss:
    case Code::kDeadlineExceeded:
      return "registry";
    case Code::kCancelled:
      return "cancelled";
    case Code::kInternal:
      return "internal";
  }
  return "internal";
}

}  // namespace promote
