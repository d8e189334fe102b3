#include "asl/program.h"

#include <string>
#include <string_view>
#include <tuple>

#include "json/write.h"

namespace stepfn::asl {
namespace {

std::string Loc(const std::string& where, std::string_view field) {
  return where + "/" + std::string(field);
}

Status FieldError(const std::string& where, std::string_view field, std::string_view why) {
  return InvalidArgument("Invalid State Machine Definition: '" + std::string(why) + " at " +
                         Loc(where, field) + "'");
}

Result<std::optional<json::Path>> CompilePathField(const json::Value& state, std::string_view field,
                                                   const std::string& where) {
  const json::Value* v = state.find(field);
  if (v == nullptr) return std::optional<json::Path>();
  if (!v->is_string())
    return FieldError(where, field, "SCHEMA_VALIDATION_FAILED: expected a string");
  auto p = json::Path::Compile(v->as_string());
  if (!p.ok()) return FieldError(where, field, "INVALID_JSON_PATH: " + p.status().message());
  return std::optional<json::Path>(std::move(*p));
}

Result<OptionalPath> CompileOptionalPath(const json::Value& state, std::string_view field,
                                         const std::string& where) {
  OptionalPath out;
  const json::Value* v = state.find(field);
  if (v == nullptr) return out;
  if (v->is_null()) {
    out.kind = OptionalPath::Kind::Null;
    return out;
  }
  ASSIGN_OR_RETURN(out.path, CompilePathField(state, field, where));
  out.kind = OptionalPath::Kind::Path;
  out.root_only = out.path->is_root_only();
  if (const std::string* name = out.path->single_name()) {
    out.single_member = true;
    out.member = *name;
  }
  return out;
}

Result<NumberOrPath> CompileNumberOrPath(const json::Value& state, std::string_view field,
                                         const std::string& path_field, const std::string& where) {
  NumberOrPath out;
  if (const json::Value* v = state.find(field)) {
    if (!v->is_number())
      return FieldError(where, field, "SCHEMA_VALIDATION_FAILED: expected a number");
    out.literal = v->as_double();
  }
  ASSIGN_OR_RETURN(out.path, CompilePathField(state, path_field, where));
  return out;
}

Result<std::optional<expr::PayloadTemplate>> CompileTemplate(const json::Value& state,
                                                             std::string_view field,
                                                             const std::string& where) {
  const json::Value* v = state.find(field);
  if (v == nullptr) return std::optional<expr::PayloadTemplate>();
  auto t = expr::PayloadTemplate::Compile(*v);
  if (!t.ok()) return FieldError(where, field, t.status().message());
  return std::optional<expr::PayloadTemplate>(std::move(*t));
}

std::optional<std::string> StringField(const json::Value& state, std::string_view field) {
  const json::Value* v = state.find(field);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->as_string();
}

std::vector<std::string> StringList(const json::Value* v) {
  std::vector<std::string> out;
  if (v == nullptr || !v->is_array()) return out;
  for (const auto& e : v->items()) {
    if (e.is_string()) out.push_back(e.as_string());
  }
  return out;
}

// Whether "$$" appears in v; `into_children` also looks inside Branches and item processors.
bool MentionsContext(const json::Value& v, bool into_children = false) {
  switch (v.type()) {
    case json::Type::String:
      return v.as_string().find("$$") != std::string::npos;
    case json::Type::Array:
      for (const auto& e : v.items()) {
        if (MentionsContext(e, into_children)) return true;
      }
      return false;
    case json::Type::Object:
      for (const auto& m : v.members()) {
        if (!into_children &&
            (m.first == "Branches" || m.first == "ItemProcessor" || m.first == "Iterator")) {
          continue;
        }
        if (MentionsContext(m.second, into_children)) return true;
      }
      return false;
    default:
      return false;
  }
}

Result<std::shared_ptr<const Body>> CompileBody(const json::Value& def, const std::string& where,
                                                int depth);

Result<int> Target(const Body& body, const json::Value& state, std::string_view field,
                   const std::string& where) {
  auto name = StringField(state, field);
  if (!name) return FieldError(where, field, "SCHEMA_VALIDATION_FAILED: expected a state name");
  auto it = body.index.find(*name);
  if (it == body.index.end()) {
    return FieldError(where, field, "MISSING_TRANSITION_TARGET: Missing 'Next' target: " + *name);
  }
  return it->second;
}

Status CompileState(const json::Value& s, const std::string& where, int depth, Body* body,
                    State* st) {
  auto type = StringField(s, "Type");
  if (!type) return FieldError(where, "Type", "SCHEMA_VALIDATION_FAILED: missing state Type");
  static const std::pair<const char*, StateType> kTypes[] = {
      {"Pass", StateType::Pass},         {"Task", StateType::Task},
      {"Choice", StateType::Choice},     {"Wait", StateType::Wait},
      {"Succeed", StateType::Succeed},   {"Fail", StateType::Fail},
      {"Parallel", StateType::Parallel}, {"Map", StateType::Map}};
  bool known = false;
  for (const auto& [n, t] : kTypes) {
    if (*type == n) {
      st->type = t;
      known = true;
    }
  }
  if (!known)
    return FieldError(where, "Type", "SCHEMA_VALIDATION_FAILED: unknown state type " + *type);

  if (const json::Value* end = s.find("End"); end && end->is_bool()) st->end = end->as_bool();
  if (s.find("Next")) {
    ASSIGN_OR_RETURN(st->next, Target(*body, s, "Next", where));
  }
  st->uses_context = MentionsContext(s);
  ASSIGN_OR_RETURN(st->input_path, CompileOptionalPath(s, "InputPath", where));
  ASSIGN_OR_RETURN(st->output_path, CompileOptionalPath(s, "OutputPath", where));
  ASSIGN_OR_RETURN(st->result_path, CompileOptionalPath(s, "ResultPath", where));
  ASSIGN_OR_RETURN(st->result_selector, CompileTemplate(s, "ResultSelector", where));
  if (st->type == StateType::Map && s.find("ItemSelector")) {
    ASSIGN_OR_RETURN(st->parameters, CompileTemplate(s, "ItemSelector", where));
  } else {
    ASSIGN_OR_RETURN(st->parameters, CompileTemplate(s, "Parameters", where));
  }
  if (const json::Value* r = s.find("Result")) st->result = *r;

  if (const json::Value* retry = s.find("Retry"); retry && retry->is_array()) {
    for (const auto& r : retry->items()) {
      Retrier rt;
      rt.error_equals = StringList(r.find("ErrorEquals"));
      if (const auto* v = r.find("IntervalSeconds"); v && v->is_number())
        rt.interval_seconds = v->as_double();
      if (const auto* v = r.find("MaxAttempts"); v && v->is_number())
        rt.max_attempts = static_cast<int>(v->as_double());
      if (const auto* v = r.find("BackoffRate"); v && v->is_number())
        rt.backoff_rate = v->as_double();
      if (const auto* v = r.find("MaxDelaySeconds"); v && v->is_number())
        rt.max_delay_seconds = v->as_double();
      if (const auto* v = r.find("JitterStrategy"); v && v->is_string())
        rt.jitter_full = v->as_string() == "FULL";
      st->retry.push_back(std::move(rt));
    }
  }
  if (const json::Value* catches = s.find("Catch"); catches && catches->is_array()) {
    size_t i = 0;
    for (const auto& c : catches->items()) {
      std::string cw = where + "/Catch[" + std::to_string(i++) + "]";
      Catcher ct;
      ct.error_equals = StringList(c.find("ErrorEquals"));
      ASSIGN_OR_RETURN(ct.result_path, CompileOptionalPath(c, "ResultPath", cw));
      ASSIGN_OR_RETURN(ct.next, Target(*body, c, "Next", cw));
      st->catches.push_back(std::move(ct));
    }
  }

  switch (st->type) {
    case StateType::Task: {
      st->resource = StringField(s, "Resource").value_or("");
      std::string rtype, rname;
      SplitResourceArn(st->resource, &rtype, &rname);
      st->resource_names = json::Value::Array(
          {json::Value::String(std::move(rtype)), json::Value::String(std::move(rname))});
      if (st->resource.starts_with("arn:") &&
          st->resource.find(":activity:") != std::string::npos) {
        st->task_kind = TaskKind::Activity;
      } else if (IsLambdaFunctionArn(st->resource)) {
        st->task_kind = TaskKind::LambdaFunction;
      }
      st->waits_for_token = st->resource.ends_with(".waitForTaskToken");
      ASSIGN_OR_RETURN(st->timeout_seconds,
                       CompileNumberOrPath(s, "TimeoutSeconds", "TimeoutSecondsPath", where));
      ASSIGN_OR_RETURN(st->heartbeat_seconds,
                       CompileNumberOrPath(s, "HeartbeatSeconds", "HeartbeatSecondsPath", where));
      break;
    }
    case StateType::Choice: {
      const json::Value* choices = s.find("Choices");
      if (choices == nullptr || !choices->is_array()) {
        return FieldError(where, "Choices", "SCHEMA_VALIDATION_FAILED: expected an array");
      }
      size_t i = 0;
      for (const auto& c : choices->items()) {
        std::string cw = where + "/Choices[" + std::to_string(i++) + "]";
        auto rule = expr::ChoiceRule::Compile(c, expr::ChoiceRule::Level::TopLevel, cw);
        if (!rule.ok()) {
          return InvalidArgument("Invalid State Machine Definition: '" + rule.status().message() +
                                 "'");
        }
        ChoiceBranch b{std::move(*rule), -1};
        ASSIGN_OR_RETURN(b.next, Target(*body, c, "Next", cw));
        st->choices.push_back(std::move(b));
      }
      if (s.find("Default")) {
        ASSIGN_OR_RETURN(st->default_next, Target(*body, s, "Default", where));
      }
      break;
    }
    case StateType::Wait: {
      if (const auto* v = s.find("Seconds"); v && v->is_number()) st->seconds = v->as_double();
      ASSIGN_OR_RETURN(st->seconds_path, CompilePathField(s, "SecondsPath", where));
      st->timestamp = StringField(s, "Timestamp");
      ASSIGN_OR_RETURN(st->timestamp_path, CompilePathField(s, "TimestampPath", where));
      break;
    }
    case StateType::Fail: {
      st->error = StringField(s, "Error");
      st->cause = StringField(s, "Cause");
      for (auto [field, path, call] : {std::tuple{"ErrorPath", &st->error_path, &st->error_call},
                                       std::tuple{"CausePath", &st->cause_path, &st->cause_call}}) {
        auto text = StringField(s, field);
        if (text && expr::LooksLikeIntrinsic(*text)) {
          auto c = expr::CompileIntrinsic(*text);
          if (!c.ok()) return FieldError(where, field, c.status().message());
          *call = std::move(*c);
        } else {
          ASSIGN_OR_RETURN(*path, CompilePathField(s, field, where));
        }
      }
      break;
    }
    case StateType::Parallel: {
      const json::Value* branches = s.find("Branches");
      if (branches == nullptr || !branches->is_array()) {
        return FieldError(where, "Branches", "SCHEMA_VALIDATION_FAILED: expected an array");
      }
      size_t i = 0;
      for (const auto& b : branches->items()) {
        ASSIGN_OR_RETURN(
            auto body_ptr,
            CompileBody(b, where + "/Branches[" + std::to_string(i++) + "]", depth + 1));
        st->branches.push_back(std::move(body_ptr));
      }
      break;
    }
    case StateType::Map: {
      const json::Value* proc = s.find("ItemProcessor");
      std::string pw = where + "/ItemProcessor";
      if (proc == nullptr) {
        proc = s.find("Iterator");
        pw = where + "/Iterator";
      }
      if (proc == nullptr) {
        return FieldError(where, "ItemProcessor",
                          "SCHEMA_VALIDATION_FAILED: missing ItemProcessor");
      }
      ASSIGN_OR_RETURN(st->processor, CompileBody(*proc, pw, depth + 1));
      if (const json::Value* cfg = proc->find("ProcessorConfig")) {
        if (auto mode = StringField(*cfg, "Mode")) st->distributed = *mode == "DISTRIBUTED";
      }
      ASSIGN_OR_RETURN(st->items_path, CompilePathField(s, "ItemsPath", where));
      if (const json::Value* items = s.find("Items"); items && items->is_array())
        st->items_literal = *items;
      ASSIGN_OR_RETURN(st->max_concurrency,
                       CompileNumberOrPath(s, "MaxConcurrency", "MaxConcurrencyPath", where));
      ASSIGN_OR_RETURN(
          st->tolerated_failure_count,
          CompileNumberOrPath(s, "ToleratedFailureCount", "ToleratedFailureCountPath", where));
      ASSIGN_OR_RETURN(st->tolerated_failure_percentage,
                       CompileNumberOrPath(s, "ToleratedFailurePercentage",
                                           "ToleratedFailurePercentagePath", where));
      st->map_label = StringField(s, "Label").value_or("");
      break;
    }
    case StateType::Pass:
    case StateType::Succeed:
      break;
  }
  return Status();
}

Result<std::shared_ptr<const Body>> CompileBody(const json::Value& def, const std::string& where,
                                                int depth) {
  if (depth > 64)
    return InvalidArgument("Invalid State Machine Definition: nested too deeply at " + where);
  if (!def.is_object()) {
    return InvalidArgument(
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: expected an object at " +
        (where.empty() ? std::string("/") : where) + "'");
  }
  const json::Value* states = def.find("States");
  if (states == nullptr || !states->is_object()) {
    return FieldError(where, "States",
                      "SCHEMA_VALIDATION_FAILED: These fields are required: [States]");
  }
  auto body = std::make_shared<Body>();
  body->states.resize(states->size());
  int i = 0;
  for (const auto& [name, s] : states->members()) {
    body->states[static_cast<size_t>(i)].name = name;
    body->states[static_cast<size_t>(i)].name_value = json::Value::String(name);
    body->index[name] = i++;
  }
  auto start = StringField(def, "StartAt");
  if (!start)
    return FieldError(where, "StartAt",
                      "SCHEMA_VALIDATION_FAILED: These fields are required: [StartAt]");
  auto it = body->index.find(*start);
  if (it == body->index.end()) {
    return FieldError(where, "StartAt",
                      "MISSING_TRANSITION_TARGET: StartAt names no state: " + *start);
  }
  body->start = it->second;
  i = 0;
  for (const auto& [name, s] : states->members()) {
    std::string sw = where + "/States/" + name;
    if (!s.is_object())
      return FieldError(sw, "", "SCHEMA_VALIDATION_FAILED: a state must be an object");
    RETURN_IF_ERROR(
        CompileState(s, sw, depth, body.get(), &body->states[static_cast<size_t>(i++)]));
  }
  return std::shared_ptr<const Body>(std::move(body));
}

void NumberBodies(const Body* body, std::vector<const Body*>* out) {
  out->push_back(body);
  for (const State& s : body->states) {
    for (const auto& b : s.branches) NumberBodies(b.get(), out);
    if (s.processor) NumberBodies(s.processor.get(), out);
  }
}

// FNV-1a, 64 bits.
void HashBytes(std::string_view bytes, uint64_t* h) {
  for (unsigned char c : bytes) {
    *h ^= c;
    *h *= 0x100000001b3ULL;
  }
}

void HashNumber(uint64_t n, uint64_t* h) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(n >> (8 * i));
  HashBytes(std::string_view(buf, 8), h);
}

}  // namespace

std::string_view StateTypeName(StateType t) {
  switch (t) {
    case StateType::Pass:
      return "Pass";
    case StateType::Task:
      return "Task";
    case StateType::Choice:
      return "Choice";
    case StateType::Wait:
      return "Wait";
    case StateType::Succeed:
      return "Succeed";
    case StateType::Fail:
      return "Fail";
    case StateType::Parallel:
      return "Parallel";
    case StateType::Map:
      return "Map";
  }
  return "Unknown";
}

bool IsLambdaFunctionArn(std::string_view r) {
  // arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]
  if (!r.starts_with("arn:")) return false;
  size_t p = 4;
  std::string_view parts[6];
  size_t n = 0;
  while (n < 6) {
    size_t colon = r.find(':', p);
    if (colon == std::string_view::npos) {
      parts[n++] = r.substr(p);
      break;
    }
    parts[n++] = r.substr(p, colon - p);
    p = colon + 1;
  }
  // parts: partition, service, region, account, "function", name[:qualifier...]
  return n == 6 && parts[1] == "lambda" && parts[4] == "function" && !parts[5].empty();
}

void SplitResourceArn(const std::string& arn, std::string* type, std::string* resource) {
  // arn:aws:states:::service:action[.suffix]
  const std::string prefix = "arn:aws:states:::";
  if (arn.rfind(prefix, 0) == 0) {
    std::string rest = arn.substr(prefix.size());
    size_t colon = rest.find(':');
    if (colon == std::string::npos) {
      *type = rest;
      resource->clear();
      return;
    }
    *type = rest.substr(0, colon);
    *resource = rest.substr(colon + 1);
    if (*type == "aws-sdk") {
      size_t c2 = resource->find(':');
      if (c2 != std::string::npos) {
        *type = *resource;
        type->resize(c2);
        *resource = resource->substr(c2 + 1);
      }
    }
    return;
  }
  // arn:aws:<service>:...
  size_t p1 = arn.find(':');
  size_t p2 = p1 == std::string::npos ? p1 : arn.find(':', p1 + 1);
  size_t p3 = p2 == std::string::npos ? p2 : arn.find(':', p2 + 1);
  if (p3 != std::string::npos) {
    *type = arn.substr(p2 + 1, p3 - p2 - 1);
  } else {
    *type = "unknown";
  }
  *resource = arn;
}

int Program::BodyId(const Body* body) const {
  auto it = body_ids_.find(body);
  return it == body_ids_.end() ? -1 : it->second;
}

const Body* Program::BodyById(int id) const {
  if (id < 0 || static_cast<size_t>(id) >= bodies_.size()) return nullptr;
  return bodies_[static_cast<size_t>(id)];
}

Result<std::shared_ptr<const Program>> Program::Compile(const json::Value& definition) {
  std::shared_ptr<Program> p(new Program());
  ASSIGN_OR_RETURN(p->root_, CompileBody(definition, "", 0));
  p->definition_ = definition;
  NumberBodies(p->root_.get(), &p->bodies_);
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < p->bodies_.size(); ++i) {
    const Body* b = p->bodies_[i];
    p->body_ids_.emplace(b, static_cast<int>(i));
    HashNumber(b->states.size(), &h);
    for (const State& s : b->states) {
      HashBytes(s.name, &h);
      HashNumber(static_cast<uint64_t>(s.type), &h);
      HashNumber(s.branches.size(), &h);
    }
  }
  p->shape_hash_ = h;
  p->uses_context_ = MentionsContext(definition, /*into_children=*/true);
  if (const json::Value* t = definition.find("TimeoutSeconds"); t && t->is_number()) {
    p->timeout_seconds_ = t->as_double();
  }
  return std::shared_ptr<const Program>(std::move(p));
}

}  // namespace stepfn::asl
