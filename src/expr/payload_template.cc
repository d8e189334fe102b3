// Payload templates: compiled once into a tree whose static parts are shared Values.

#include "expr/payload_template.h"

#include <memory>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "expr/intrinsic.h"
#include "expr/intrinsic_internal.h"
#include "json/json_path.h"

namespace stepfn::expr {

struct PayloadTemplate::Node {
  enum class Kind : uint8_t { kConstant, kObject, kArray };
  enum class Source : uint8_t { kNode, kPath, kCall };

  struct Field {
    std::string key;         // output key (".$" dropped)
    std::string source_key;  // as written, for messages
    Source source = Source::kNode;
    std::shared_ptr<const Node> node;  // kNode
    std::optional<json::Path> path;    // kPath
    IntrinsicPtr call;                 // kCall
  };

  Kind kind = Kind::kConstant;
  json::Value constant;       // kConstant
  std::vector<Field> fields;  // kObject
  size_t size_overhead = 0;   // kObject: serialised bytes of the braces, keys, colons, commas
  std::vector<std::shared_ptr<const Node>> items;  // kArray
};

namespace {

using Node = PayloadTemplate::Node;
using NodePtr = std::shared_ptr<const Node>;

bool EndsWithDollar(std::string_view key) {
  return key.size() >= 2 && key.substr(key.size() - 2) == ".$";
}

std::string Pointer(const std::vector<std::string>& where) {
  std::string p;
  for (const std::string& part : where) {
    p.push_back('/');
    p.append(part);
  }
  return p;
}

Status FieldError(const std::string& key, const std::vector<std::string>& where) {
  std::string m = "The value for the field '" + key +
                  "' must be a valid JSONPath or a valid intrinsic function call";
  if (!where.empty()) m += " (at " + Pointer(where) + ")";
  return InvalidArgument(std::move(m));
}

Result<NodePtr> CompileNode(const json::Value& v, std::vector<std::string>* where) {
  auto node = std::make_shared<Node>();
  if (v.is_object()) {
    bool dynamic = false;
    std::unordered_set<std::string_view> keys;
    node->fields.reserve(v.size());
    for (const json::Member& m : v.members()) {
      Node::Field f;
      f.source_key = m.first;
      if (EndsWithDollar(m.first)) {
        dynamic = true;
        f.key = m.first.substr(0, m.first.size() - 2);
        if (!m.second.is_string()) return FieldError(m.first, *where);
        const std::string& text = m.second.as_string();
        if (!text.empty() && text[0] == '$') {
          Result<json::Path> path = json::Path::Compile(text);
          if (!path.ok()) return FieldError(m.first, *where);
          f.source = Node::Source::kPath;
          f.path = std::move(*path);
        } else if (LooksLikeIntrinsic(text)) {
          Result<IntrinsicPtr> call = CompileIntrinsic(text);
          if (!call.ok()) return FieldError(m.first, *where);
          f.source = Node::Source::kCall;
          f.call = std::move(*call);
        } else {
          return FieldError(m.first, *where);
        }
      } else {
        f.key = m.first;
        where->push_back(m.first);
        ASSIGN_OR_RETURN(f.node, CompileNode(m.second, where));
        where->pop_back();
        dynamic |= f.node->kind != Node::Kind::kConstant;
      }
      node->fields.push_back(std::move(f));
    }
    if (!dynamic) {
      node->fields.clear();
      node->constant = v;  // shared, not copied
      return NodePtr(std::move(node));
    }
    for (const Node::Field& f : node->fields) {
      if (!keys.insert(f.key).second) {
        std::string m = "The field '" + f.key + "' is given more than once (as '" + f.key +
                        "' and '" + f.key + ".$')";
        if (!where->empty()) m += " (at " + Pointer(*where) + ")";
        return InvalidArgument(std::move(m));
      }
    }
    node->kind = Node::Kind::kObject;
    node->size_overhead = 2 + (node->fields.empty() ? 0 : node->fields.size() - 1);
    for (const Node::Field& f : node->fields) node->size_overhead += json::QuotedSizeOf(f.key) + 1;
    return NodePtr(std::move(node));
  }
  if (v.is_array()) {
    bool dynamic = false;
    node->items.reserve(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      where->push_back(std::to_string(i));
      ASSIGN_OR_RETURN(NodePtr item, CompileNode(*v.at(i), where));
      where->pop_back();
      dynamic |= item->kind != Node::Kind::kConstant;
      node->items.push_back(std::move(item));
    }
    if (dynamic) {
      node->kind = Node::Kind::kArray;
      return NodePtr(std::move(node));
    }
    node->items.clear();
  }
  node->constant = v;
  return NodePtr(std::move(node));
}

Fallible<json::Value> EvaluateNode(const Node& node, const Scope& scope) {
  switch (node.kind) {
    case Node::Kind::kConstant:
      return node.constant;
    case Node::Kind::kObject: {
      json::ObjectBuilder out;
      out.Reserve(node.fields.size());
      for (const Node::Field& f : node.fields) {
        switch (f.source) {
          case Node::Source::kNode: {
            Fallible<json::Value> v = EvaluateNode(*f.node, scope);
            if (!v.ok()) return std::move(v.error);
            out.Append(f.key, std::move(v.value));
            break;
          }
          case Node::Source::kPath: {
            Fallible<json::Value> v = EvaluatePathInScope(*f.path, scope, f.source_key);
            if (!v.ok()) return std::move(v.error);
            out.Append(f.key, std::move(v.value));
            break;
          }
          case Node::Source::kCall: {
            Fallible<json::Value> v = EvaluateIntrinsic(*f.call, scope, f.source_key);
            if (!v.ok()) return std::move(v.error);
            out.Append(f.key, std::move(v.value));
            break;
          }
        }
      }
      json::Value built = std::move(out).Build();
      // The output's serialised size from its parts', when they are all known, so that the
      // payload check after this state costs O(fields).
      size_t size = node.size_overhead;
      for (const json::Member& m : built.members()) {
        size_t part = m.second.KnownSerializedSize();
        if (part == 0) return built;
        size += part;
      }
      built.CacheSerializedSize(size);
      return built;
    }
    case Node::Kind::kArray: {
      std::vector<json::Value> items;
      items.reserve(node.items.size());
      for (const NodePtr& item : node.items) {
        Fallible<json::Value> v = EvaluateNode(*item, scope);
        if (!v.ok()) return std::move(v.error);
        items.push_back(std::move(v.value));
      }
      return json::Value::Array(std::move(items));
    }
  }
  return json::Value();
}

}  // namespace

Result<PayloadTemplate> PayloadTemplate::Compile(const json::Value& tmpl) {
  std::vector<std::string> where;
  ASSIGN_OR_RETURN(NodePtr root, CompileNode(tmpl, &where));
  return PayloadTemplate(std::move(root));
}

Fallible<json::Value> PayloadTemplate::Evaluate(const Scope& scope) const {
  return EvaluateNode(*root_, scope);
}

}  // namespace stepfn::expr
