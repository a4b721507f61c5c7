#pragma once
// The one error type that crosses module boundaries.
//
// Every public function of storage/, index/, engine/ and http/ reports failure through a Status
// (or a Result<T>, which is a value or a Status). Exceptions thrown by third-party libraries
// (RocksDB, FAISS, LibTorch, fastText, nlohmann_json) are caught in the adapter that calls them
// and turned into a Status there. The HTTP layer maps codes to status codes in one place
// (http/error_mapping.cc).

#include <string>
#include <utility>

namespace latentdb {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // the caller's input is wrong (HTTP 400)
  kNotFound,          // a named thing does not exist (404)
  kAlreadyExists,     // creating something that exists with another definition (409)
  kConflict,          // the operation conflicts with the current state (409)
  kPayloadTooLarge,   // a size limit was exceeded (413)
  kUnsupportedMedia,  // a content type or file format we do not read (415)
  kNotImplemented,    // a well-formed request using a feature we do not have, e.g. a transfer coding (501)
  kUnauthenticated,   // missing or wrong credentials (401)
  kBusy,              // a resource is held by someone else, e.g. the data-directory lock
  kUnavailable,       // a thing exists but cannot serve, e.g. a collection that failed to load (503)
  kNoSpace,           // the disk (or quota) is full; retry once space is freed (507)
  kIOError,           // the operating system or the storage engine failed
  kCorruption,        // stored data failed a checksum or a format check
  kInternal,          // a bug: an invariant did not hold
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status PayloadTooLarge(std::string m) { return {StatusCode::kPayloadTooLarge, std::move(m)}; }
  static Status UnsupportedMedia(std::string m) { return {StatusCode::kUnsupportedMedia, std::move(m)}; }
  static Status NotImplemented(std::string m) { return {StatusCode::kNotImplemented, std::move(m)}; }
  static Status Unauthenticated(std::string m) { return {StatusCode::kUnauthenticated, std::move(m)}; }
  static Status Busy(std::string m) { return {StatusCode::kBusy, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status NoSpace(std::string m) { return {StatusCode::kNoSpace, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NotFound: collection 'x' does not exist"
  std::string ToString() const;

  // Prefixes the message with context, keeping the code: "opening index: <message>".
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace latentdb

// Returns early from the enclosing function when `expr` yields a non-OK Status.
#define LDB_RETURN_IF_ERROR(expr)                 \
  do {                                            \
    ::latentdb::Status ldb_status_ = (expr);      \
    if (!ldb_status_.ok()) return ldb_status_;    \
  } while (0)
