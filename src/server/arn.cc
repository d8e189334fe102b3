#include "server/arn.h"

#include <array>
#include <charconv>

namespace stepfn::server {
namespace {

// The parts of a Step Functions ARN: at most 9 (an express execution's); kMaxParts + 1 means
// more than that.
constexpr size_t kMaxParts = 9;
struct Parts {
  std::array<std::string_view, kMaxParts + 1> part;
  size_t count = 0;
  size_t size() const { return count; }
  std::string_view operator[](size_t i) const { return part[i]; }
};

Parts Split(std::string_view s, char sep) {
  Parts parts;
  size_t start = 0;
  while (parts.count < kMaxParts) {
    size_t p = s.find(sep, start);
    if (p == std::string_view::npos) {
      parts.part[parts.count++] = s.substr(start);
      return parts;
    }
    parts.part[parts.count++] = s.substr(start, p - start);
    start = p + 1;
  }
  parts.part[parts.count++] = s.substr(start);  // the rest: too many parts
  return parts;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

Status Bad(std::string_view text, std::string_view why) {
  return InvalidArgument("Invalid Arn: '" + std::string(text) + "' (" + std::string(why) + ")");
}

}  // namespace

Result<Arn> ParseArn(std::string_view text) {
  Parts p = Split(text, ':');
  if (p.size() < 7 || p[0] != "arn" || p[2] != "states") {
    return Bad(text, "not a Step Functions ARN");
  }
  Arn arn;
  arn.partition = std::string(p[1]);
  arn.region = std::string(p[3]);
  arn.account = std::string(p[4]);
  if (arn.partition.empty() || arn.region.empty() || arn.account.empty()) {
    return Bad(text, "partition, region and account are required");
  }
  std::string_view type = p[5];
  for (size_t i = 6; i < p.size(); ++i) {
    if (p[i].empty()) return Bad(text, "empty resource part");
  }
  if (type == "stateMachine") {
    arn.state_machine = std::string(p[6]);
    if (p.size() == 7) {
      arn.kind = ArnKind::StateMachine;
    } else if (p.size() == 8) {
      arn.qualifier = std::string(p[7]);
      if (AllDigits(p[7])) {
        arn.kind = ArnKind::StateMachineVersion;
        auto [ptr, ec] = std::from_chars(p[7].data(), p[7].data() + p[7].size(), arn.version);
        if (ec != std::errc() || arn.version <= 0) return Bad(text, "bad version number");
      } else {
        arn.kind = ArnKind::StateMachineAlias;
      }
    } else {
      return Bad(text, "too many parts");
    }
    return arn;
  }
  if (type == "execution" && p.size() == 8) {
    arn.kind = ArnKind::Execution;
    arn.state_machine = std::string(p[6]);
    arn.execution = std::string(p[7]);
    return arn;
  }
  if (type == "express" && p.size() == 9) {
    arn.kind = ArnKind::ExpressExecution;
    arn.state_machine = std::string(p[6]);
    arn.execution = std::string(p[7]);
    arn.uuid = std::string(p[8]);
    return arn;
  }
  if (type == "activity" && p.size() == 7) {
    arn.kind = ArnKind::Activity;
    arn.activity = std::string(p[6]);
    return arn;
  }
  if (type == "mapRun" && p.size() == 8) {
    arn.kind = ArnKind::MapRun;
    size_t slash = p[6].find('/');
    if (slash == std::string_view::npos) return Bad(text, "a map run names <machine>/<label>");
    arn.state_machine = std::string(p[6].substr(0, slash));
    arn.execution = std::string(p[6].substr(slash + 1)) + ":" + std::string(p[7]);
    arn.uuid = std::string(p[7]);
    return arn;
  }
  return Bad(text, "unknown resource type");
}

Arns::Arns(std::string region, std::string account)
    : prefix_("arn:aws:states:" + region + ":" + account + ":"),
      region_(std::move(region)),
      account_(std::move(account)) {}

std::string Arns::StateMachine(std::string_view name) const {
  return prefix_ + "stateMachine:" + std::string(name);
}
std::string Arns::Version(std::string_view state_machine_arn, int64_t number) const {
  return std::string(state_machine_arn) + ":" + std::to_string(number);
}
std::string Arns::Alias(std::string_view state_machine_arn, std::string_view alias) const {
  return std::string(state_machine_arn) + ":" + std::string(alias);
}
std::string Arns::Execution(std::string_view machine, std::string_view name) const {
  return prefix_ + "execution:" + std::string(machine) + ":" + std::string(name);
}
std::string Arns::ExpressExecution(std::string_view machine, std::string_view name,
                                   std::string_view uuid) const {
  return prefix_ + "express:" + std::string(machine) + ":" + std::string(name) + ":" +
         std::string(uuid);
}
std::string Arns::Activity(std::string_view name) const {
  return prefix_ + "activity:" + std::string(name);
}
std::string Arns::MapRun(std::string_view machine, std::string_view label,
                         std::string_view uuid) const {
  return prefix_ + "mapRun:" + std::string(machine) + "/" + std::string(label) + ":" +
         std::string(uuid);
}

std::string UnqualifiedStateMachineArn(const Arn& arn) {
  return "arn:" + arn.partition + ":states:" + arn.region + ":" + arn.account +
         ":stateMachine:" + arn.state_machine;
}

bool IsValidName(std::string_view name, size_t max_length) {
  if (name.empty()) return false;
  size_t chars = 0;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    if ((c & 0xC0) != 0x80) ++chars;
    if (c <= 0x20 || c == 0x7F) return false;
    // U+0080-009F arrive as C2 80..C2 9F; U+00A0 (no-break space) as C2 A0.
    if (c == 0xC2 && i + 1 < name.size()) {
      unsigned char d = static_cast<unsigned char>(name[i + 1]);
      if (d >= 0x80 && d <= 0xA0) return false;
    }
    switch (c) {
      case '<':
      case '>':
      case '{':
      case '}':
      case '[':
      case ']':
      case '?':
      case '*':
      case '"':
      case '#':
      case '%':
      case '\\':
      case '^':
      case '|':
      case '~':
      case '`':
      case '$':
      case '&':
      case ',':
      case ';':
      case ':':
      case '/':
        return false;
      default:
        break;
    }
  }
  return chars <= max_length;
}

}  // namespace stepfn::server
