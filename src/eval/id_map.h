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

 private:
  struct Slot {
    value_type kv{};
    bool used = false;
  };

 public:
  template <bool kConst>
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = IdMap::value_type;
    using difference_type = std::ptrdiff_t;
    using SlotPtr = std::conditional_t<kConst, const Slot*, Slot*>;
    using reference = std::conditional_t<kConst, const value_type&, value_type&>;
    using pointer = std::conditional_t<kConst, const value_type*, value_type*>;

    Iterator() = default;
    Iterator(SlotPtr at, SlotPtr end) : at_(at), end_(end) { Skip(); }
    // A const iterator from a mutable one.
    template <bool kOther, typename = std::enable_if_t<kConst && !kOther>>
    Iterator(const Iterator<kOther>& other) : at_(other.at_), end_(other.end_) {}  // NOLINT

    reference operator*() const { return at_->kv; }
    pointer operator->() const { return &at_->kv; }
    Iterator& operator++() {
      ++at_;
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
      while (at_ != end_ && !at_->used) ++at_;
    }
    SlotPtr at_ = nullptr;
    SlotPtr end_ = nullptr;
  };
  using iterator = Iterator<false>;
  using const_iterator = Iterator<true>;

  IdMap() = default;
  IdMap(std::initializer_list<value_type> init) {
    for (const value_type& kv : init) emplace(kv.first, kv.second);
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  iterator begin() { return iterator(slots_.data(), slots_.data() + slots_.size()); }
  iterator end() { return iterator(slots_.data() + slots_.size(), slots_.data() + slots_.size()); }
  const_iterator begin() const {
    return const_iterator(slots_.data(), slots_.data() + slots_.size());
  }
  const_iterator end() const {
    return const_iterator(slots_.data() + slots_.size(), slots_.data() + slots_.size());
  }

  iterator find(uint64_t key) {
    size_t i = Find(key);
    return i == kNone ? end() : At(i);
  }
  const_iterator find(uint64_t key) const {
    size_t i = Find(key);
    if (i == kNone) return end();
    return const_iterator(slots_.data() + i, slots_.data() + slots_.size());
  }
  bool contains(uint64_t key) const { return Find(key) != kNone; }
  size_t count(uint64_t key) const { return contains(key) ? 1 : 0; }
  T& at(uint64_t key) {
    size_t i = Find(key);
    STEPFN_CHECK(i != kNone);
    return slots_[i].kv.second;
  }
  const T& at(uint64_t key) const {
    size_t i = Find(key);
    STEPFN_CHECK(i != kNone);
    return slots_[i].kv.second;
  }

  // Inserts (key, value) unless `key` is there; returns the entry and whether it was inserted.
  template <typename V>
  std::pair<iterator, bool> emplace(uint64_t key, V&& value) {
    if (size_t i = Find(key); i != kNone) return {At(i), false};
    size_t i = Insert(key);
    slots_[i].kv.second = std::forward<V>(value);
    return {At(i), true};
  }
  std::pair<iterator, bool> insert(value_type kv) {
    return emplace(kv.first, std::move(kv.second));
  }
  T& operator[](uint64_t key) {
    size_t i = Find(key);
    if (i == kNone) i = Insert(key);
    return slots_[i].kv.second;
  }

  size_t erase(uint64_t key) {
    size_t i = Find(key);
    if (i == kNone) return 0;
    EraseAt(i);
    return 1;
  }
  void erase(const_iterator it) { EraseAt(static_cast<size_t>(it.at_ - slots_.data())); }
  void erase(iterator it) { EraseAt(static_cast<size_t>(it.at_ - slots_.data())); }

  // Removes every entry; the array stays for the next ones.
  void clear() {
    if (size_ == 0) return;
    for (Slot& s : slots_) s = Slot();
    size_ = 0;
  }
  void reserve(size_t n) {
    if (n * 4 > slots_.size() * 3) Rehash(n);
  }

  friend bool operator==(const IdMap& a, const IdMap& b) {
    if (a.size_ != b.size_) return false;
    for (const value_type& kv : a) {
      size_t i = b.Find(kv.first);
      if (i == kNone || !(b.slots_[i].kv.second == kv.second)) return false;
    }
    return true;
  }

 private:
  static constexpr size_t kNone = SIZE_MAX;

  iterator At(size_t i) { return iterator(slots_.data() + i, slots_.data() + slots_.size()); }
  size_t Home(uint64_t key) const {
    return static_cast<size_t>((key * 0x9E3779B97F4A7C15ULL) >> shift_);
  }
  size_t Find(uint64_t key) const {
    if (size_ == 0) return kNone;
    size_t mask = slots_.size() - 1;
    for (size_t i = Home(key);; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (!s.used) return kNone;
      if (s.kv.first == key) return i;
    }
  }
  // A free slot for `key` (not present), growing first to keep the table at most 3/4 full (the
  // hash spreads consecutive ids evenly, so probe runs stay short).
  size_t Insert(uint64_t key) {
    if ((size_ + 1) * 4 > slots_.size() * 3) Rehash(size_ + 1);
    size_t mask = slots_.size() - 1;
    size_t i = Home(key);
    while (slots_[i].used) i = (i + 1) & mask;
    slots_[i].used = true;
    slots_[i].kv.first = key;
    ++size_;
    return i;
  }
  // Empties slot i, then moves back the entries after it that probed past it, so that every
  // entry stays reachable from its home slot without gaps.
  void EraseAt(size_t i) {
    size_t mask = slots_.size() - 1;
    slots_[i] = Slot();
    --size_;
    for (size_t j = (i + 1) & mask; slots_[j].used; j = (j + 1) & mask) {
      // The entry at j may fill the gap when it sits at least as far from its home slot as
      // from the gap (the gap then lies on its probe path).
      size_t home = Home(slots_[j].kv.first);
      if (((j - home) & mask) < ((j - i) & mask)) continue;
      slots_[i] = std::move(slots_[j]);
      slots_[j] = Slot();
      i = j;
    }
  }
  // Room for `n` entries at most 3/4 full (at least 8 slots).
  void Rehash(size_t n) {
    size_t want = 8;
    unsigned bits = 3;
    while (want * 3 < n * 4) want <<= 1, ++bits;
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>(want);
    shift_ = 64 - bits;
    size_ = 0;
    for (Slot& s : old) {
      if (!s.used) continue;
      size_t i = Insert(s.kv.first);
      slots_[i].kv.second = std::move(s.kv.second);
    }
  }

  std::vector<Slot> slots_;  // a power of two in size, or empty
  size_t size_ = 0;
  unsigned shift_ = 61;  // 64 - log2(slots_.size())
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
