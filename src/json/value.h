// json::Value: an immutable, shared JSON value.
//
// A Value is a 16-byte handle. Null, booleans, integers (exact int64) and doubles live inside
// it; strings, arrays and objects are reference-counted immutable nodes shared between every
// Value that holds them. Copying a Value copies the handle (an atomic increment), never the tree,
// so selecting a sub-document or building a new object from parts costs O(parts).
//
// Objects keep their keys in the order they were written (AWS does). A key appears at most once:
// the parser and ObjectBuilder::Set keep the last value given for a repeated key. Lookup is a
// linear scan for small objects and a hash index for large ones (built once, at construction).
// An object's members live in the same allocation as its node (one allocation per object).
//
// Thread safety: a Value may be read and copied from any number of threads at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"

namespace stepfn::json {

enum class Type : uint8_t { Null, Bool, Int, Double, String, Array, Object };

std::string_view TypeName(Type t);  // "null", "boolean", "integer", "number", "string", ...

class Value;
using Member = std::pair<std::string, Value>;

namespace detail {
struct Node {
  std::atomic<uint32_t> refs{1};
  // Value::SerializedSizeBound, computed on first use and cached (0: not yet). Threads that
  // race compute the same number, so relaxed order suffices.
  mutable std::atomic<size_t> serialized_size{0};
};
}  // namespace detail

class Value {
 public:
  Value() : type_(Type::Null) { u_.i = 0; }
  Value(std::nullptr_t) : Value() {}  // NOLINT
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Double(double d);
  static Value String(std::string s);
  static Value String(std::string_view s) { return String(std::string(s)); }
  static Value String(const char* s) { return String(std::string(s)); }
  static Value Array(std::vector<Value> items);
  // Members must have distinct keys (CHECKed in debug builds); use ObjectBuilder otherwise.
  static Value Object(std::vector<Member> members);
  static Value EmptyArray();
  static Value EmptyObject();

  Value(const Value& other) : type_(other.type_), u_(other.u_) { Ref(); }
  Value(Value&& other) noexcept : type_(other.type_), u_(other.u_) {
    other.type_ = Type::Null;
    other.u_.i = 0;
  }
  Value& operator=(const Value& other) {
    if (this != &other) {
      other.Ref();
      Unref();
      type_ = other.type_;
      u_ = other.u_;
    }
    return *this;
  }
  Value& operator=(Value&& other) noexcept {
    if (this != &other) {
      Unref();
      type_ = other.type_;
      u_ = other.u_;
      other.type_ = Type::Null;
      other.u_.i = 0;
    }
    return *this;
  }
  ~Value() { Unref(); }

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::Null; }
  bool is_bool() const { return type_ == Type::Bool; }
  bool is_int() const { return type_ == Type::Int; }
  bool is_double() const { return type_ == Type::Double; }
  bool is_number() const { return type_ == Type::Int || type_ == Type::Double; }
  bool is_string() const { return type_ == Type::String; }
  bool is_array() const { return type_ == Type::Array; }
  bool is_object() const { return type_ == Type::Object; }

  // Accessors REQUIRE the matching type (CHECKed).
  bool as_bool() const;
  int64_t as_int() const;
  // Any number as a double.
  double as_double() const;
  const std::string& as_string() const;
  const std::vector<Value>& items() const;  // array elements
  std::span<const Member> members() const;  // object members in order

  // Array/object size; 0 for scalars.
  size_t size() const;
  // Array element or nullptr when out of range / not an array.
  const Value* at(size_t index) const;
  // Object member or nullptr when absent / not an object.
  const Value* find(std::string_view key) const;
  // The position in members() of the member find() returns, or size() when there is none or
  // the value is not an object.
  size_t IndexOf(std::string_view key) const;

  // Deep equality with JSON semantics: numbers by value (1 == 1.0), objects regardless of
  // key order.
  bool Equals(const Value& other) const;
  friend bool operator==(const Value& a, const Value& b) { return a.Equals(b); }

  // An upper bound on the length of Write(*this), exact except that doubles count as 24
  // bytes. Computed once per node and cached, so asking again (or asking for a document built
  // from parts that were asked before) costs O(new nodes).
  size_t SerializedSizeBound() const;

  // For the json library's own builders: records SerializedSizeBound for a node built from
  // parts whose sizes are known. REQUIRES n to be exactly what SerializedSizeBound would compute.
  void CacheSerializedSize(size_t n) const {
    if (type_ >= Type::String) u_.node->serialized_size.store(n, std::memory_order_relaxed);
  }
  // SerializedSizeBound if it is already known, else 0 (never computes it for a node).
  size_t KnownSerializedSize() const {
    if (type_ < Type::String) return SerializedSizeBound();
    return u_.node->serialized_size.load(std::memory_order_relaxed);
  }

  // True when both handles share the same node (or hold the same scalar bits).
  bool SameNode(const Value& other) const { return type_ == other.type_ && u_.i == other.u_.i; }

 private:
  friend class ObjectBuilder;
  friend Value WithMember(const Value& object, std::string_view key, Value value);
  void Ref() const {
    if (type_ >= Type::String) u_.node->refs.fetch_add(1, std::memory_order_relaxed);
  }
  void Unref() {
    if (type_ >= Type::String && u_.node->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      Destroy(type_, u_.node);
    }
  }
  static void Destroy(Type t, detail::Node* n);

  Type type_;
  union U {
    bool b;
    int64_t i;
    double d;
    detail::Node* node;
  } u_;
};

namespace detail {

struct StringNode : Node {
  explicit StringNode(std::string s) : str(std::move(s)) {}
  std::string str;
};

struct ArrayNode : Node {
  explicit ArrayNode(std::vector<Value> v) : items(std::move(v)) {}
  std::vector<Value> items;
};

// Objects above this many members get a hash index.
constexpr size_t kIndexThreshold = 12;

// An object node and its members in one allocation: the members are constructed right after
// the node, `size` of them, with room for `capacity`. ObjectBuilder fills a node in place; once
// a Value holds it, it never changes.
struct ObjectNode : Node {
  uint32_t size = 0;
  uint32_t capacity = 0;
  // Large objects only (owned): a hash index of the keys, open addressing with linear probing
  // in one array. index[0] is the mask (slots - 1); index[1 + i] is 0 for an empty slot, else
  // a member's position + 1. Built once, by BuildIndex.
  uint32_t* index = nullptr;

  Member* data() { return reinterpret_cast<Member*>(this + 1); }
  const Member* data() const { return reinterpret_cast<const Member*>(this + 1); }
  std::span<const Member> members() const { return {data(), size}; }

  // A node with no members and room for `capacity`.
  static ObjectNode* Allocate(size_t capacity);
  // Destroys the members and the index, and frees the allocation.
  static void Free(ObjectNode* node);
  // Indexes the keys when there are more than kIndexThreshold (after the last member is added).
  void BuildIndex();
  // Through the index (REQUIRES one): the position of the member with `key` (the last of
  // repeated keys), or `size` when there is none.
  uint32_t IndexedPosition(std::string_view key) const;
};
static_assert(sizeof(ObjectNode) % alignof(Member) == 0, "members follow the node");

}  // namespace detail

// The accessors are inline: they are on every hot path of the engine.
inline const std::string& Value::as_string() const {
  STEPFN_CHECK(type_ == Type::String);
  return static_cast<const detail::StringNode*>(u_.node)->str;
}

inline const std::vector<Value>& Value::items() const {
  STEPFN_CHECK(type_ == Type::Array);
  return static_cast<const detail::ArrayNode*>(u_.node)->items;
}

inline std::span<const Member> Value::members() const {
  STEPFN_CHECK(type_ == Type::Object);
  return static_cast<const detail::ObjectNode*>(u_.node)->members();
}

inline size_t Value::size() const {
  if (type_ == Type::Array) return items().size();
  if (type_ == Type::Object) return static_cast<const detail::ObjectNode*>(u_.node)->size;
  return 0;
}

inline const Value* Value::at(size_t index) const {
  if (type_ != Type::Array) return nullptr;
  const auto& v = items();
  return index < v.size() ? &v[index] : nullptr;
}

// Key comparison for object lookups: sizes and first bytes decide most mismatches, and short
// keys (most of them) are compared in place rather than by a call to memcmp.
inline bool KeyEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.size() > 16) return a[0] == b[0] && a == b;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

// Bytes Write needs for `s` as a JSON string literal, quotes included.
size_t QuotedSizeOf(std::string_view s);

// Builds an object member by member, in place in the node the object will live in. Set replaces
// an earlier value for the same key in place (keeping its position); Append assumes the key is
// new (faster). Reserve (or the room given to the constructor) avoids moving the members while
// they are added.
class ObjectBuilder {
 public:
  ObjectBuilder() = default;
  // Starts from an object's members (none when `start` is not an object), with room for
  // `extra` more.
  explicit ObjectBuilder(const Value& start, size_t extra = 1);
  ObjectBuilder(ObjectBuilder&& other) noexcept : node_(other.node_) { other.node_ = nullptr; }
  ObjectBuilder& operator=(ObjectBuilder&& other) noexcept;
  ObjectBuilder(const ObjectBuilder&) = delete;
  ObjectBuilder& operator=(const ObjectBuilder&) = delete;
  ~ObjectBuilder();

  void Reserve(size_t n) {
    if (n > capacity()) Grow(n);
  }
  void Set(std::string key, Value value);
  void Append(std::string key, Value value) {
    if (size() == capacity()) Grow(size() < 4 ? 4 : 2 * size());
    new (node_->data() + node_->size) Member(std::move(key), std::move(value));
    ++node_->size;
  }
  // Replaces the value of the i-th member. REQUIRES i < size().
  void SetValueAt(size_t i, Value value) { node_->data()[i].second = std::move(value); }
  bool Erase(std::string_view key);
  size_t size() const { return node_ ? node_->size : 0; }
  Value Build() &&;

 private:
  size_t capacity() const { return node_ ? node_->capacity : 0; }
  void Grow(size_t capacity);  // moves the members to a node with room for `capacity`
  detail::ObjectNode* node_ = nullptr;
};

// A copy of `object` (an object, or null for {}) with `key` set to `value`: in its place when
// the key is there, appended otherwise. The other members are shared, not copied. When the
// serialised sizes of `object` and `value` are known (KnownSerializedSize), the new object's is
// recorded too, so that a payload-size check after a ResultPath costs O(1).
Value WithMember(const Value& object, std::string_view key, Value value);

// Replaces the value at a chain of object keys, creating objects where keys are missing.
// Only the objects along the path are copied; everything else is shared.
// Returns the new root. REQUIRES: root is an object (or null, treated as {}), and every
// existing intermediate value along the path is an object; otherwise returns false in *ok.
Value SetAtKeys(const Value& root, const std::vector<std::string>& keys, Value leaf, bool* ok);

}  // namespace stepfn::json
