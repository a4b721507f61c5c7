#pragma once
// Result<T>: either a value or a non-OK Status. Accessing the value of an error is a bug and
// aborts (it is checked in every build type, not only with assertions on).

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <utility>

#include "common/status.h"

namespace latentdb {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Status::Internal("Result constructed from an OK status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { CheckHasValue(); return *value_; }
  const T& value() const& { CheckHasValue(); return *value_; }
  // Rvalue access returns by value, so `for (auto& x : *Compute())` never dangles.
  T value() && { CheckHasValue(); return std::move(*value_); }
  T* operator->() { CheckHasValue(); return &*value_; }
  const T* operator->() const { CheckHasValue(); return &*value_; }
  T& operator*() & { CheckHasValue(); return *value_; }
  const T& operator*() const& { CheckHasValue(); return *value_; }
  T operator*() && { CheckHasValue(); return std::move(*value_); }

 private:
  void CheckHasValue() const {
    if (!value_) {
      std::fprintf(stderr, "fatal: value() of a failed Result: %s\n", status_.ToString().c_str());
      std::abort();
    }
  }
  std::optional<T> value_;
  Status status_;
};

}  // namespace latentdb

#define LDB_CONCAT_INNER(a, b) a##b
#define LDB_CONCAT(a, b) LDB_CONCAT_INNER(a, b)
// `LDB_ASSIGN_OR_RETURN(auto x, Compute());` declares x from the value or returns the Status.
#define LDB_ASSIGN_OR_RETURN(decl, expr) LDB_ASSIGN_OR_RETURN_IMPL(LDB_CONCAT(ldb_result_, __LINE__), decl, expr)
#define LDB_ASSIGN_OR_RETURN_IMPL(tmp, decl, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return tmp.status();              \
  decl = std::move(tmp).value()
