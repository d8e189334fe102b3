// IdMap: a hash map from an execution's ids (frames, tasks and timers share one uint64_t id
// space) to T, for the tables the interpreter consults on every task and branch
// (ExecutionState::frames, ExecutionState::pending).
//
// std::unordered_map allocates a node per entry and chases pointers on each lookup; IdMap keeps
// its entries in one array (open addressing with linear probing; deletion shifts the following
// entries back, so there are no tombstones), so inserting, finding and erasing allocate nothing
// but the array itself. The ids of one execution are mostly consecutive; a multiplicative hash
// spreads them.
//
// The subset of unordered_map's interface the engine uses, with the same meaning, except that
// any insertion or erasure invalidates iterators and references to entries (pointers held *by*
// the entries, such as a frame's unique_ptr target, stay valid). Iteration order is unspecified:
// callers that need an order sort the ids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <utility>
#include <vector>

#include "common/status.h"

namespace stepfn::eval {

template <typename T>
class IdMap {
 public:
  using key_type = uint64_t;
  using mapped_type = T;
  using value_type = std::pair<uint64_t, T>;  // do not change `first` through an iterator

  template <bool kConst>
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = IdMap::value_type;
    using difference_type = std::ptrdiff_t;
    using reference = std::conditional_t<kConst, const value_type&, value_type&>;
    using pointer = std::conditional_t<kConst, const value_type*, value_type*>;

    Iterator() = default;
    Iterator(pointer at, const uint8_t* used, pointer end) : at_(at), used_(used), end_(end) {
      Skip();
    }
    // A const iterator from a mutable one.
    template <bool kOther, typename = std::enable_if_t<kConst && !kOther>>
    Iterator(const Iterator<kOther>& other)  // NOLINT
        : at_(other.at_), used_(other.used_), end_(other.end_) {}

    reference operator*() const { return *at_; }
    pointer operator->() const { return at_; }
    Iterator& operator++() {
      ++at_;
      ++used_;
      Skip();
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.at_ == b.at_; }

   private:
    friend class IdMap;
    template <bool>
    friend class Iterator;
    void Skip() {
      while (at_ != end_ && *used_ == 0) ++at_, ++used_;
    }
    pointer at_ = nullptr;
    const uint8_t* used_ = nullptr;
    pointer end_ = nullptr;
  };
  using iterator = Iterator<false>;
  using const_iterator = Iterator<true>;

  IdMap() = default;
  IdMap(std::initializer_list<value_type> init) {
    for (const value_type& kv : init) emplace(kv.first, kv.second);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  iterator begin() { return At(0); }
  iterator end() { return At(kv_.size()); }
  const_iterator begin() const { return At(0); }
  const_iterator end() const { return At(kv_.size()); }

  iterator find(uint64_t key) {
    size_t i = Find(key);
    return i == kNone ? end() : At(i);
  }
  const_iterator find(uint64_t key) const {
    size_t i = Find(key);
    return i == kNone ? end() : At(i);
  }
  bool contains(uint64_t key) const { return Find(key) != kNone; }
  size_t count(uint64_t key) const { return contains(key) ? 1 : 0; }
  T& at(uint64_t key) {
    size_t i = Find(key);
    STEPFN_CHECK(i != kNone);
    return kv_[i].second;
  }
  const T& at(uint64_t key) const {
    size_t i = Find(key);
    STEPFN_CHECK(i != kNone);
    return kv_[i].second;
  }

  // Inserts (key, value) unless `key` is there; returns the entry and whether it was inserted.
  template <typename V>
  std::pair<iterator, bool> emplace(uint64_t key, V&& value) {
    if (size_t i = Find(key); i != kNone) return {At(i), false};
    size_t i = Insert(key);
    kv_[i].second = std::forward<V>(value);
    return {At(i), true};
  }
  std::pair<iterator, bool> insert(value_type kv) {
    return emplace(kv.first, std::move(kv.second));
  }
  T& operator[](uint64_t key) {
    size_t i = Find(key);
    if (i == kNone) i = Insert(key);
    return kv_[i].second;
  }

  size_t erase(uint64_t key) {
    size_t i = Find(key);
    if (i == kNone) return 0;
    EraseAt(i);
    return 1;
  }
  void erase(const_iterator it) { EraseAt(static_cast<size_t>(it.at_ - kv_.data())); }
  void erase(iterator it) { EraseAt(static_cast<size_t>(it.at_ - kv_.data())); }

  // Removes every entry; the arrays stay for the next ones.
  void clear() {
    if (size_ == 0) return;
    for (size_t i = 0; i < kv_.size(); ++i) {
      if (used_[i]) Vacate(i);
    }
    size_ = 0;
  }
  void reserve(size_t n) {
    if (n * 4 > kv_.size() * 3) Rehash(n);
  }

  friend bool operator==(const IdMap& a, const IdMap& b) {
    if (a.size_ != b.size_) return false;
    for (const value_type& kv : a) {
      size_t i = b.Find(kv.first);
      if (i == kNone || !(b.kv_[i].second == kv.second)) return false;
    }
    return true;
  }

 private:
  static constexpr size_t kNone = SIZE_MAX;

  iterator At(size_t i) {
    return iterator(kv_.data() + i, used_.data() + i, kv_.data() + kv_.size());
  }
  const_iterator At(size_t i) const {
    return const_iterator(kv_.data() + i, used_.data() + i, kv_.data() + kv_.size());
  }
  size_t Home(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  size_t Find(uint64_t key) const {
    if (size_ == 0) return kNone;
    size_t mask = kv_.size() - 1;
    for (size_t i = Home(key);; i = (i + 1) & mask) {
      if (!used_[i]) return kNone;
      if (kv_[i].first == key) return i;
    }
  }
  // A free slot for `key` (not present), growing first to keep the table at most 3/4 full (the
  // hash spreads consecutive ids evenly, so probe runs stay short).
  size_t Insert(uint64_t key) {
    if ((size_ + 1) * 4 > kv_.size() * 3) Rehash(size_ + 1);
    size_t mask = kv_.size() - 1;
    size_t i = Home(key);
    while (used_[i]) i = (i + 1) & mask;
    used_[i] = 1;
    kv_[i].first = key;
    ++size_;
    return i;
  }
  void Vacate(size_t i) {
    kv_[i] = value_type{};
    used_[i] = 0;
  }
  // Empties slot i, then moves back the entries after it that probed past it, so that every
  // entry stays reachable from its home slot without gaps.
  void EraseAt(size_t i) {
    size_t mask = kv_.size() - 1;
    Vacate(i);
    --size_;
    for (size_t j = (i + 1) & mask; used_[j]; j = (j + 1) & mask) {
      // The entry at j may fill the gap when it sits at least as far from its home slot as
      // from the gap (the gap then lies on its probe path).
      size_t home = Home(kv_[j].first);
      if (((j - home) & mask) < ((j - i) & mask)) continue;
      kv_[i] = std::move(kv_[j]);
      used_[i] = 1;
      Vacate(j);
      i = j;
    }
  }
  // Room for `n` entries at most 3/4 full (at least 8 slots).
  void Rehash(size_t n) {
    size_t want = 8;
    unsigned bits = 3;
    while (want * 3 < n * 4) want <<= 1, ++bits;
    std::vector<value_type> old_kv = std::move(kv_);
    std::vector<uint8_t> old_used = std::move(used_);
    kv_ = std::vector<value_type>(want);
    used_ = std::vector<uint8_t>(want, 0);
    shift_ = 64 - bits;
    size_ = 0;
    for (size_t k = 0; k < old_kv.size(); ++k) {
      if (!old_used[k]) continue;
      size_t i = Insert(old_kv[k].first);
      kv_[i].second = std::move(old_kv[k].second);
    }
  }

  // The entries, and beside them whether each slot holds one (a separate array: a flag inside
  // each entry would pad it by 8 bytes). Both a power of two in size, or empty.
  std::vector<value_type> kv_;
  std::vector<uint8_t> used_;
  size_t size_ = 0;
  unsigned shift_ = 61;  // 64 - log2(kv_.size())
};

// IdSet: a set of ids on an IdMap (Fanout::running), with unordered_set's interface as used.
class IdSet {
 public:
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = uint64_t;
    using difference_type = std::ptrdiff_t;
    using reference = const uint64_t&;
    using pointer = const uint64_t*;

    Iterator() = default;
    explicit Iterator(IdMap<bool>::const_iterator it) : it_(it) {}
    reference operator*() const { return it_->first; }
    pointer operator->() const { return &it_->first; }
    Iterator& operator++() {
      ++it_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++it_;
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) { return a.it_ == b.it_; }

   private:
    IdMap<bool>::const_iterator it_;
  };
  using iterator = Iterator;
  using const_iterator = Iterator;
  using value_type = uint64_t;
  using key_type = uint64_t;

  IdSet() = default;
  IdSet(std::initializer_list<uint64_t> ids) {
    for (uint64_t id : ids) insert(id);
  }

  size_t size() const { return map_.size(); }
  bool empty() const { return map_.empty(); }
  Iterator begin() const { return Iterator(map_.begin()); }
  Iterator end() const { return Iterator(map_.end()); }
  bool contains(uint64_t id) const { return map_.contains(id); }
  size_t count(uint64_t id) const { return map_.count(id); }
  std::pair<Iterator, bool> insert(uint64_t id) {
    auto [it, inserted] = map_.emplace(id, true);
    return {Iterator(it), inserted};
  }
  size_t erase(uint64_t id) { return map_.erase(id); }
  void clear() { map_.clear(); }
  void reserve(size_t n) { map_.reserve(n); }
  friend bool operator==(const IdSet& a, const IdSet& b) { return a.map_ == b.map_; }

 private:
  IdMap<bool> map_;
};

}  // namespace stepfn::eval
