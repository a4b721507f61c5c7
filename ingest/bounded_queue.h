#pragma once
// BoundedQueue: a blocking multi-producer multi-consumer FIFO with a fixed capacity. It is what
// keeps the ingest pipeline's memory bounded: a fast reader blocks once `capacity` batches wait.
//
// Close(): no more pushes; consumers drain what is queued, then Pop returns nullopt.
// Cancel(): drop everything queued and wake everyone; Push returns false, Pop returns nullopt.
// Thread-safety: every method may be called from any thread.

#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>

namespace latentdb::ingest {

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // Blocks while full. False when the queue was closed or cancelled (the value is dropped).
  bool Push(T value) {
    std::unique_lock lock(mutex_);
    not_full_.wait(lock, [&] { return items_.size() < capacity_ || closed_; });
    if (closed_) return false;
    items_.push_back(std::move(value));
    not_empty_.notify_one();
    return true;
  }

  // Blocks while empty and open. nullopt once closed and drained, or cancelled.
  std::optional<T> Pop() {
    std::unique_lock lock(mutex_);
    not_empty_.wait(lock, [&] { return !items_.empty() || closed_; });
    if (items_.empty()) return std::nullopt;
    T value = std::move(items_.front());
    items_.pop_front();
    not_full_.notify_one();
    return value;
  }

  void Close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    not_empty_.notify_all();
    not_full_.notify_all();
  }

  void Cancel() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    items_.clear();
    not_empty_.notify_all();
    not_full_.notify_all();
  }

 private:
  const size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_empty_, not_full_;
  std::deque<T> items_;
  bool closed_ = false;
};

}  // namespace latentdb::ingest
