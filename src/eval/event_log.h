// EventLog: an execution's history events in the order they were appended, for StepOutput and
// the local runner's result.
//
// A vector would do, but a vector grows by copying everything into a buffer twice as large:
// while it copies, both buffers are live, so a long history briefly costs three times its size
// (the peak RSS of a 100,000-item Map). EventLog keeps events in chunks that double in size
// (32, 64, 128, ... events, or from the size reserve() asks for) and never moves them: appending
// allocates the next chunk, whose untouched pages cost no memory, and an index finds its chunk
// with one bit scan.
//
// Not thread-safe; references stay valid until clear() or destruction.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <iterator>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "eval/history.h"

namespace stepfn::eval {

class EventLog {
 public:
  template <bool kConst>
  class Iterator {
   public:
    using iterator_category = std::random_access_iterator_tag;
    using value_type = HistoryEvent;
    using difference_type = std::ptrdiff_t;
    using Log = std::conditional_t<kConst, const EventLog, EventLog>;
    using reference = std::conditional_t<kConst, const HistoryEvent&, HistoryEvent&>;
    using pointer = std::conditional_t<kConst, const HistoryEvent*, HistoryEvent*>;

    Iterator() = default;
    Iterator(Log* log, size_t i) : log_(log), i_(i) {}
    reference operator*() const { return (*log_)[i_]; }
    pointer operator->() const { return &(*log_)[i_]; }
    reference operator[](difference_type n) const { return (*log_)[i_ + n]; }
    Iterator& operator++() { return ++i_, *this; }
    Iterator operator++(int) { return Iterator(log_, i_++); }
    Iterator& operator--() { return --i_, *this; }
    Iterator operator--(int) { return Iterator(log_, i_--); }
    Iterator& operator+=(difference_type n) { return i_ += n, *this; }
    Iterator& operator-=(difference_type n) { return i_ -= n, *this; }
    friend Iterator operator+(Iterator it, difference_type n) { return it += n; }
    friend Iterator operator+(difference_type n, Iterator it) { return it += n; }
    friend Iterator operator-(Iterator it, difference_type n) { return it -= n; }
    friend difference_type operator-(const Iterator& a, const Iterator& b) {
      return static_cast<difference_type>(a.i_) - static_cast<difference_type>(b.i_);
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.i_ == b.i_; }
    friend auto operator<=>(const Iterator& a, const Iterator& b) { return a.i_ <=> b.i_; }

   private:
    Log* log_ = nullptr;
    size_t i_ = 0;
  };
  using iterator = Iterator<false>;
  using const_iterator = Iterator<true>;
  using value_type = HistoryEvent;

  EventLog() = default;
  EventLog(const EventLog& other) { Append(other); }
  EventLog(EventLog&& other) noexcept { Swap(other); }
  EventLog& operator=(const EventLog& other) {
    if (this != &other) {
      clear();
      Append(other);
    }
    return *this;
  }
  EventLog& operator=(EventLog&& other) noexcept {
    EventLog moved(std::move(other));
    Swap(moved);
    return *this;
  }
  ~EventLog() {
    clear();
    for (HistoryEvent* chunk : chunks_) ::operator delete(chunk);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  HistoryEvent& operator[](size_t i) { return *Locate(i); }
  const HistoryEvent& operator[](size_t i) const { return *Locate(i); }
  HistoryEvent& front() { return (*this)[0]; }
  const HistoryEvent& front() const { return (*this)[0]; }
  HistoryEvent& back() { return (*this)[size_ - 1]; }
  const HistoryEvent& back() const { return (*this)[size_ - 1]; }

  iterator begin() { return iterator(this, 0); }
  iterator end() { return iterator(this, size_); }
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }

  // A new event at the end, default-constructed. (Default-initialised, not value-initialised:
  // every member has its initialiser, and `HistoryEvent()` would zero all 96 bytes first.)
  HistoryEvent& emplace_back() {
    if (next_ == chunk_end_) Grow();
    HistoryEvent* e = new (next_++) HistoryEvent;
    ++size_;
    return *e;
  }
  void push_back(HistoryEvent event) { emplace_back() = std::move(event); }

  // Makes room for `n` events (allocated, not touched). Before the first chunk exists, that
  // chunk is made large enough for all of them (one allocation, as a vector's reserve).
  void reserve(size_t n) {
    if (chunks_.empty() && n > (size_t{1} << first_log2_)) {
      first_log2_ = static_cast<unsigned>(std::bit_width(n - 1));
    }
    while (Capacity(chunks_.size()) < n) chunks_.push_back(NewChunk(chunks_.size()));
  }

  // Destroys the events; the chunks stay for the next ones.
  void clear() {
    size_t left = size_;
    for (size_t k = 0; left > 0; ++k) {
      size_t n = std::min(left, ChunkSize(k));
      std::destroy_n(chunks_[k], n);
      left -= n;
    }
    size_ = 0;
    next_ = chunks_.empty() ? nullptr : chunks_[0];
    chunk_end_ = chunks_.empty() ? nullptr : chunks_[0] + ChunkSize(0);
    tail_chunk_ = 0;
  }

  // Returns the events as a vector (copies).
  std::vector<HistoryEvent> ToVector() const { return std::vector<HistoryEvent>(begin(), end()); }

 private:
  size_t ChunkSize(size_t k) const { return size_t{1} << (first_log2_ + k); }
  // Events held by chunks 0..k-1.
  size_t Capacity(size_t k) const { return ((size_t{1} << k) - 1) << first_log2_; }
  HistoryEvent* NewChunk(size_t k) const {
    return static_cast<HistoryEvent*>(::operator new(ChunkSize(k) * sizeof(HistoryEvent)));
  }

  HistoryEvent* Locate(size_t i) const {
    size_t k = static_cast<size_t>(std::bit_width((i >> first_log2_) + 1)) - 1;
    return chunks_[k] + (i - Capacity(k));
  }

  // Out of line: once per chunk, and the append above stays small enough to inline.
  [[gnu::noinline]] void Grow() {
    size_t k = next_ == nullptr ? 0 : tail_chunk_ + 1;
    if (k == chunks_.size()) chunks_.push_back(NewChunk(k));
    tail_chunk_ = k;
    next_ = chunks_[k];
    chunk_end_ = next_ + ChunkSize(k);
  }

  void Append(const EventLog& other) {
    for (const HistoryEvent& e : other) emplace_back() = e;
  }

  void Swap(EventLog& other) noexcept {
    std::swap(chunks_, other.chunks_);
    std::swap(size_, other.size_);
    std::swap(next_, other.next_);
    std::swap(chunk_end_, other.chunk_end_);
    std::swap(tail_chunk_, other.tail_chunk_);
    std::swap(first_log2_, other.first_log2_);
  }

  std::vector<HistoryEvent*> chunks_;  // chunk k holds ChunkSize(k) events
  size_t size_ = 0;
  HistoryEvent* next_ = nullptr;  // where the next event goes
  HistoryEvent* chunk_end_ = nullptr;
  size_t tail_chunk_ = 0;    // the chunk next_ is in
  unsigned first_log2_ = 5;  // chunk 0 holds 2^first_log2_ events (32 unless reserved)
};

}  // namespace stepfn::eval
