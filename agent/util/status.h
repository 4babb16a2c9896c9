// Status and Result<T>: the one error type that crosses module boundaries.
// An error carries a code (which maps to a CLI exit code and a gRPC status, api/status_mapping.h),
// a message that names the input that failed and, where useful, what to do, and, when the error
// came from a remote side that gave its own code (a registry's MANIFEST_UNKNOWN), that code.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace promote {

enum class Code {
  kOk = 0,
  kInvalidArgument,   // bad reference, flag, config, key, report: the caller's input
  kNotFound,          // manifest, blob or repository does not exist
  kConflict,          // a tag already names another digest
  kGateRefused,       // a policy gate said no (scan, signature, stage order, branch rule)
  kUnauthenticated,   // credentials missing or rejected
  kPermissionDenied,  // authenticated, but not allowed
  kUnavailable,       // network failure, 5xx, 429 after retries: transient in nature
  kRegistryError,     // the registry answered with an error or a response we refuse
  kDataLoss,          // bytes did not match their digest
  kCancelled,
  kDeadlineExceeded,
  kInternal,
};

// Stable lower-case name used in JSON results ("invalid_argument", ...).
const char* CodeName(Code code);

// Exit codes from DESIGN.md: 0 ok, 2 usage/config, 3 gate refused, 4 registry or network, 5 internal.
int ExitCodeFor(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // The remote side's own code for this error, when it gave one: a registry's distribution error
  // code ("MANIFEST_UNKNOWN", "NAME_UNKNOWN", "DENIED", …), so callers can tell a missing
  // repository from a missing tag without reading the message. Empty otherwise.
  const std::string& reason() const { return reason_; }

  // Returns a copy whose message is "<context>: <message>", for adding what was being done.
  // The code and reason are kept.
  Status WithContext(std::string_view context) const;
  // Returns a copy carrying `reason` (see reason()); an OK status stays as it is.
  Status WithReason(std::string reason) const;
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string reason_;
};

inline Status OkStatus() { return Status(); }
inline Status InvalidArgument(std::string m) { return {Code::kInvalidArgument, std::move(m)}; }
inline Status NotFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status Conflict(std::string m) { return {Code::kConflict, std::move(m)}; }
inline Status GateRefused(std::string m) { return {Code::kGateRefused, std::move(m)}; }
inline Status Unauthenticated(std::string m) { return {Code::kUnauthenticated, std::move(m)}; }
inline Status PermissionDenied(std::string m) { return {Code::kPermissionDenied, std::move(m)}; }
inline Status Unavailable(std::string m) { return {Code::kUnavailable, std::move(m)}; }
inline Status RegistryError(std::string m) { return {Code::kRegistryError, std::move(m)}; }
inline Status DataLoss(std::string m) { return {Code::kDataLoss, std::move(m)}; }
inline Status Cancelled(std::string m) { return {Code::kCancelled, std::move(m)}; }
inline Status DeadlineExceeded(std::string m) { return {Code::kDeadlineExceeded, std::move(m)}; }
inline Status Internal(std::string m) { return {Code::kInternal, std::move(m)}; }

// What a Result built from an OK status holds instead: an Internal error saying so. Such a
// Result would otherwise be neither a value nor an error (abseil's StatusOr does the same).
Status OkStatusGivenToResult();

// A value or the Status saying why there is none. Constructed from an error, never from an OK
// status: that is a bug, caught by an assert in debug builds and turned into
// OkStatusGivenToResult() otherwise, so ok() is true exactly when there is a value.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}                 // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {           // NOLINT(google-explicit-constructor)
    if (std::get<Status>(v_).ok()) {
      assert(false && "Result constructed from an OK status");
      v_ = OkStatusGivenToResult();
    }
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<Status, T> v_;
};

}  // namespace promote

#define PROMOTE_CONCAT_INNER(a, b) a##b
#define PROMOTE_CONCAT(a, b) PROMOTE_CONCAT_INNER(a, b)

#define PROMOTE_RETURN_IF_ERROR(expr)           \
  do {                                          \
    ::promote::Status promote_status_ = (expr); \
    if (!promote_status_.ok()) return promote_status_; \
  } while (0)

#define PROMOTE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                  \
  if (!tmp.ok()) return tmp.status();                 \
  lhs = std::move(tmp).value()

#define PROMOTE_ASSIGN_OR_RETURN(lhs, expr) \
  PROMOTE_ASSIGN_OR_RETURN_IMPL(PROMOTE_CONCAT(promote_result_, __LINE__), lhs, expr)
