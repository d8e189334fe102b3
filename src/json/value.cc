#include "json/value.h"

#include <memory>
#include <unordered_map>

#include "common/status.h"
#include "json/escape.h"

namespace stepfn::json {
namespace detail {

// Bytes Write needs for s as a JSON string literal, quotes included.
size_t QuotedSize(std::string_view s) {
  const size_t n = s.size();
  size_t size = n + 2;
  for (size_t i = FindEscape(s.data(), n, 0); i < n; i = FindEscape(s.data(), n, i + 1)) {
    size += kEscapes[static_cast<unsigned char>(s[i])].length - 1u;
  }
  return size;
}

ObjectNode* ObjectNode::Allocate(size_t capacity) {
  STEPFN_CHECK(capacity <= UINT32_MAX);
  void* mem = ::operator new(sizeof(ObjectNode) + capacity * sizeof(Member));
  auto* node = new (mem) ObjectNode();
  node->capacity = static_cast<uint32_t>(capacity);
  return node;
}

void ObjectNode::Free(ObjectNode* node) {
  Member* m = node->data();
  for (uint32_t i = 0; i < node->size; ++i) m[i].~Member();
  delete[] node->index;
  size_t bytes = sizeof(ObjectNode) + node->capacity * sizeof(Member);
  node->~ObjectNode();
  ::operator delete(static_cast<void*>(node), bytes);
}

void ObjectNode::BuildIndex() {
  if (size <= kIndexThreshold) return;
  uint32_t slots = 32;
  while (slots < 2 * size) slots *= 2;
  index = new uint32_t[slots + 1]();
  index[0] = slots - 1;
  uint32_t* slot = index + 1;
  const Member* m = data();
  std::hash<std::string_view> hash;
  for (uint32_t i = 0; i < size; ++i) {
    size_t k = hash(m[i].first) & index[0];
    // A repeated key takes over its earlier slot: the last one is found.
    while (slot[k] != 0 && !KeyEquals(m[slot[k] - 1].first, m[i].first)) k = (k + 1) & index[0];
    slot[k] = i + 1;
  }
}

uint32_t ObjectNode::IndexedPosition(std::string_view key) const {
  const uint32_t mask = index[0];
  const uint32_t* slot = index + 1;
  const Member* m = data();
  for (size_t k = std::hash<std::string_view>()(key) & mask; slot[k] != 0; k = (k + 1) & mask) {
    if (KeyEquals(m[slot[k] - 1].first, key)) return slot[k] - 1;
  }
  return size;
}

}  // namespace detail

using detail::ArrayNode;
using detail::ObjectNode;
using detail::StringNode;

std::string_view TypeName(Type t) {
  switch (t) {
    case Type::Null:
      return "null";
    case Type::Bool:
      return "boolean";
    case Type::Int:
      return "integer";
    case Type::Double:
      return "number";
    case Type::String:
      return "string";
    case Type::Array:
      return "array";
    case Type::Object:
      return "object";
  }
  return "unknown";
}

Value Value::Bool(bool b) {
  Value v;
  v.type_ = Type::Bool;
  v.u_.i = 0;
  v.u_.b = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.type_ = Type::Int;
  v.u_.i = i;
  return v;
}

Value Value::Double(double d) {
  Value v;
  v.type_ = Type::Double;
  v.u_.d = d;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.type_ = Type::String;
  v.u_.node = new StringNode(std::move(s));
  return v;
}

Value Value::Array(std::vector<Value> items) {
  Value v;
  v.type_ = Type::Array;
  v.u_.node = new ArrayNode(std::move(items));
  return v;
}

Value Value::Object(std::vector<Member> members) {
  ObjectBuilder b;
  b.Reserve(members.size());
  for (Member& m : members) b.Append(std::move(m.first), std::move(m.second));
  return std::move(b).Build();
}

Value Value::EmptyArray() {
  static const Value kEmpty = Array({});
  return kEmpty;
}

Value Value::EmptyObject() {
  static const Value kEmpty = Object({});
  return kEmpty;
}

void Value::Destroy(Type t, detail::Node* n) {
  switch (t) {
    case Type::String:
      delete static_cast<StringNode*>(n);
      return;
    case Type::Array: {
      // Free deep chains iteratively would be ideal; recursion depth is bounded by the parser's
      // nesting limit, so plain recursion is safe here.
      delete static_cast<ArrayNode*>(n);
      return;
    }
    case Type::Object:
      ObjectNode::Free(static_cast<ObjectNode*>(n));
      return;
    default:
      return;
  }
}

size_t QuotedSizeOf(std::string_view s) { return detail::QuotedSize(s); }

size_t Value::SerializedSizeBound() const {
  switch (type_) {
    case Type::Null:
      return 4;
    case Type::Bool:
      return u_.b ? 4 : 5;
    case Type::Int: {
      uint64_t v = u_.i < 0 ? 0 - static_cast<uint64_t>(u_.i) : static_cast<uint64_t>(u_.i);
      size_t digits = 1;
      while (v >= 10) {
        v /= 10;
        ++digits;
      }
      return digits + (u_.i < 0 ? 1 : 0);
    }
    case Type::Double:
      return 24;
    case Type::String:
    case Type::Array:
    case Type::Object:
      break;
  }
  size_t cached = u_.node->serialized_size.load(std::memory_order_relaxed);
  if (cached != 0) return cached;
  size_t n = 0;
  if (type_ == Type::String) {
    n = detail::QuotedSize(as_string());
  } else if (type_ == Type::Array) {
    const auto& v = items();
    n = 2 + (v.empty() ? 0 : v.size() - 1);
    for (const auto& e : v) n += e.SerializedSizeBound();
  } else {
    const auto& m = members();
    n = 2 + (m.empty() ? 0 : m.size() - 1);
    for (const auto& [k, v] : m) n += detail::QuotedSize(k) + 1 + v.SerializedSizeBound();
  }
  u_.node->serialized_size.store(n, std::memory_order_relaxed);
  return n;
}

bool Value::as_bool() const {
  STEPFN_CHECK(type_ == Type::Bool);
  return u_.b;
}

int64_t Value::as_int() const {
  STEPFN_CHECK(type_ == Type::Int);
  return u_.i;
}

double Value::as_double() const {
  STEPFN_CHECK(is_number());
  return type_ == Type::Int ? static_cast<double>(u_.i) : u_.d;
}

size_t Value::IndexOf(std::string_view key) const {
  if (type_ != Type::Object) return size();
  const auto* node = static_cast<const ObjectNode*>(u_.node);
  if (node->index) return node->IndexedPosition(key);
  const Member* m = node->data();
  for (uint32_t i = 0; i < node->size; ++i) {
    if (KeyEquals(m[i].first, key)) return i;
  }
  return node->size;
}

const Value* Value::find(std::string_view key) const {
  if (type_ != Type::Object) return nullptr;
  const auto* node = static_cast<const ObjectNode*>(u_.node);
  size_t at = IndexOf(key);
  return at < node->size ? &node->data()[at].second : nullptr;
}

bool Value::Equals(const Value& other) const {
  if (is_number() && other.is_number()) {
    if (type_ == Type::Int && other.type_ == Type::Int) return u_.i == other.u_.i;
    return as_double() == other.as_double();
  }
  if (type_ != other.type_) return false;
  switch (type_) {
    case Type::Null:
      return true;
    case Type::Bool:
      return u_.b == other.u_.b;
    case Type::Int:
    case Type::Double:
      return false;  // handled above
    case Type::String:
      return u_.node == other.u_.node || as_string() == other.as_string();
    case Type::Array: {
      if (u_.node == other.u_.node) return true;
      const auto& a = items();
      const auto& b = other.items();
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i) {
        if (!a[i].Equals(b[i])) return false;
      }
      return true;
    }
    case Type::Object: {
      if (u_.node == other.u_.node) return true;
      const auto& a = members();
      if (a.size() != other.size()) return false;
      for (const auto& m : a) {
        const Value* o = other.find(m.first);
        if (o == nullptr || !m.second.Equals(*o)) return false;
      }
      return true;
    }
  }
  return false;
}

ObjectBuilder::ObjectBuilder(const Value& start, size_t extra) {
  if (!start.is_object()) {
    if (extra > 0) Grow(extra);
    return;
  }
  std::span<const Member> from = start.members();
  Grow(from.size() + extra);
  Member* to = node_->data();
  for (const Member& m : from) new (to + node_->size++) Member(m);
}

ObjectBuilder& ObjectBuilder::operator=(ObjectBuilder&& other) noexcept {
  if (this != &other) {
    if (node_ != nullptr) ObjectNode::Free(node_);
    node_ = other.node_;
    other.node_ = nullptr;
  }
  return *this;
}

ObjectBuilder::~ObjectBuilder() {
  if (node_ != nullptr) ObjectNode::Free(node_);
}

void ObjectBuilder::Grow(size_t capacity) {
  ObjectNode* bigger = ObjectNode::Allocate(capacity);
  if (node_ != nullptr) {
    Member* from = node_->data();
    Member* to = bigger->data();
    for (uint32_t i = 0; i < node_->size; ++i) {
      new (to + i) Member(std::move(from[i]));
      ++bigger->size;
    }
    ObjectNode::Free(node_);
  }
  node_ = bigger;
}

void ObjectBuilder::Set(std::string key, Value value) {
  if (node_ != nullptr) {
    Member* m = node_->data();
    for (uint32_t i = 0; i < node_->size; ++i) {
      if (m[i].first == key) {
        m[i].second = std::move(value);
        return;
      }
    }
  }
  Append(std::move(key), std::move(value));
}

bool ObjectBuilder::Erase(std::string_view key) {
  if (node_ == nullptr) return false;
  Member* m = node_->data();
  for (uint32_t i = 0; i < node_->size; ++i) {
    if (m[i].first != key) continue;
    for (uint32_t j = i + 1; j < node_->size; ++j) m[j - 1] = std::move(m[j]);
    m[--node_->size].~Member();
    return true;
  }
  return false;
}

Value ObjectBuilder::Build() && {
  if (node_ == nullptr) node_ = ObjectNode::Allocate(0);
  node_->BuildIndex();
  Value v;
  v.type_ = Type::Object;
  v.u_.node = node_;
  node_ = nullptr;
  return v;
}

Value WithMember(const Value& object, std::string_view key, Value value) {
  const ObjectNode* from =
      object.is_object() ? static_cast<const ObjectNode*>(object.u_.node) : nullptr;
  const uint32_t n = from != nullptr ? from->size : 0;
  uint32_t at = n;
  if (from != nullptr && from->index != nullptr) {
    at = from->IndexedPosition(key);
  } else {
    const Member* m = from != nullptr ? from->data() : nullptr;
    for (uint32_t k = 0; k < n; ++k) {
      if (KeyEquals(m[k].first, key)) {
        at = k;
        break;
      }
    }
  }
  // The new size from the parts' known sizes (0: unknown).
  size_t old_size = from != nullptr ? object.KnownSerializedSize() : 2;  // null: "{}"
  size_t new_member = value.KnownSerializedSize();
  size_t size = 0;
  if (old_size != 0 && new_member != 0) {
    if (at < n) {
      size_t old_member = from->data()[at].second.KnownSerializedSize();
      if (old_member != 0) size = old_size - old_member + new_member;
    } else {
      size = old_size + (n == 0 ? 0 : 1) + QuotedSizeOf(key) + 1 + new_member;
    }
  }
  ObjectNode* to = ObjectNode::Allocate(at < n ? n : n + 1);
  Member* dst = to->data();
  const Member* src = n != 0 ? from->data() : nullptr;
  // The members copied in three runs (before, at and after the key's place); the size is set
  // once they are all in place.
  for (uint32_t k = 0; k < at && k < n; ++k) new (dst + k) Member(src[k]);
  if (at < n) {
    new (dst + at) Member(src[at].first, std::move(value));
    for (uint32_t k = at + 1; k < n; ++k) new (dst + k) Member(src[k]);
    to->size = n;
  } else {
    new (dst + n) Member(std::string(key), std::move(value));
    to->size = n + 1;
  }
  to->BuildIndex();
  Value out;
  out.type_ = Type::Object;
  out.u_.node = to;
  if (size != 0) out.CacheSerializedSize(size);
  return out;
}

namespace {
Value SetAtKeysFrom(const Value& node, const std::vector<std::string>& keys, size_t i, Value leaf,
                    bool* ok) {
  if (i == keys.size()) return leaf;
  if (!node.is_object() && !node.is_null()) {
    *ok = false;
    return Value();
  }
  const Value* child = node.find(keys[i]);
  Value replaced = SetAtKeysFrom(child ? *child : Value(), keys, i + 1, std::move(leaf), ok);
  if (!*ok) return Value();
  return WithMember(node, keys[i], std::move(replaced));
}
}  // namespace

Value SetAtKeys(const Value& root, const std::vector<std::string>& keys, Value leaf, bool* ok) {
  *ok = true;
  return SetAtKeysFrom(root, keys, 0, std::move(leaf), ok);
}

}  // namespace stepfn::json
