#include "api/status_mapping.h"

namespace promote::api {

grpc::StatusCode GrpcCodeFor(Code code) {
  switch (code) {
    case Code::kOk: return grpc::StatusCode::OK;
    case Code::kInvalidArgument: return grpc::StatusCode::INVALID_ARGUMENT;
    case Code::kNotFound: return grpc::StatusCode::NOT_FOUND;
    case Code::kConflict: return grpc::StatusCode::ALREADY_EXISTS;
    case Code::kGateRefused: return grpc::StatusCode::FAILED_PRECONDITION;
    // A registry refusing the agent's credentials is not the caller failing to authenticate to
    // the agent (UNAUTHENTICATED); the result's error_code says which registry answered what.
    case Code::kUnauthenticated:
    case Code::kPermissionDenied: return grpc::StatusCode::PERMISSION_DENIED;
    case Code::kUnavailable: return grpc::StatusCode::UNAVAILABLE;
    case Code::kRegistryError: return grpc::StatusCode::UNKNOWN;
    case Code::kDataLoss: return grpc::StatusCode::DATA_LOSS;
    case Code::kCancelled: return grpc::StatusCode::CANCELLED;
    case Code::kDeadlineExceeded: return grpc::StatusCode::DEADLINE_EXCEEDED;
    case Code::kInternal: return grpc::StatusCode::INTERNAL;
  }
  return grpc::StatusCode::INTERNAL;
}

Code CodeForGrpc(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return Code::kOk;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::OUT_OF_RANGE: return Code::kInvalidArgument;
    case grpc::StatusCode::NOT_FOUND: return Code::kNotFound;
    case grpc::StatusCode::ALREADY_EXISTS: return Code::kConflict;
    case grpc::StatusCode::FAILED_PRECONDITION: return Code::kGateRefused;
    case grpc::StatusCode::UNAUTHENTICATED: return Code::kUnauthenticated;
    case grpc::StatusCode::PERMISSION_DENIED: return Code::kPermissionDenied;
    case grpc::StatusCode::UNAVAILABLE:
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
    case grpc::StatusCode::ABORTED: return Code::kUnavailable;
    case grpc::StatusCode::DATA_LOSS: return Code::kDataLoss;
    case grpc::StatusCode::CANCELLED: return Code::kCancelled;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return Code::kDeadlineExceeded;
    default: return Code::kInternal;
  }
}

}  // namespace promote::api
