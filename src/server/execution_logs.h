// Execution logs as AWS Step Functions writes them to CloudWatch Logs.
//
// - LogStore: services/logs/log_store.h (bounded, persisted under <data-dir>/logs, served by
//   the CloudWatch Logs API on the same port, so `aws logs` reads execution logs too).
// - ExecutionLogger: an ExecutorObserver that, for state machines whose loggingConfiguration
//   has level ALL, ERROR or FATAL, writes each execution's history events to the configured log
//   group (created when missing), one stream per execution, each event the JSON AWS writes:
//     {"id":"1","type":"ExecutionStarted","details":{...},"previous_event_id":"0",
//      "event_timestamp":"1713959670672","execution_arn":"arn:...","redrive_count":"0"}
//   ALL logs every event; ERROR the failure events (types ending in Failed, TimedOut or Aborted,
//   and FailStateEntered); FATAL only ExecutionFailed, ExecutionTimedOut and ExecutionAborted.
//   includeExecutionData false leaves out inputs, outputs and task parameters.
// - ServeLogs: `GET /logs` (the groups, one JSON object a line) and `GET /logs/<group>` (its
//   events' messages, one a line, oldest first; `?stream=`, `?start=`/`?end=` epoch millis,
//   `?limit=`, `?filter=` a plain substring), a plain-text view beside the CloudWatch Logs API.
//
// Thread safety: every method may be called from any thread (one mutex for the store).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/http_server.h"
#include "common/clock.h"
#include "common/status.h"
#include "eval/history.h"
#include "server/executor.h"
#include "server/machine_settings.h"
#include "services/logs/log_store.h"

namespace stepfn::server {

// The store moved to services/logs (CloudWatch Logs serves it); the names stay here for the
// execution logs' code and tests.
using LogStore = logs::LogStore;
using LogStoreOptions = logs::LogStoreOptions;
using InputLogEvent = logs::InputLogEvent;
using LogEvent = logs::LogEvent;
using LogGroupInfo = logs::LogGroupInfo;
using LogStreamInfo = logs::LogStreamInfo;
using LogQuery = logs::LogQuery;

// Which events a log level keeps (OFF keeps none).
bool LogLevelKeeps(ExecutionLogLevel level, eval::EventType type);

// The JSON text AWS writes for one history event (see the top of this file). `role_arn` goes
// into ExecutionStarted's details when not empty.
std::string ExecutionLogMessage(const eval::HistoryEvent& event, std::string_view execution_arn,
                                bool include_data, std::string_view role_arn,
                                int64_t redrive_count = 0);

// The log stream of an execution: "states/<machine>/<name>" ("states/<machine>/<name>/<uuid>"
// for EXPRESS ARNs, whose names repeat).
std::string ExecutionLogStreamName(std::string_view execution_arn);

class ExecutionLogger final : public ExecutorObserver {
 public:
  // Both must outlive the logger.
  ExecutionLogger(LogStore* logs, MachineSettingsCache* settings)
      : logs_(logs), settings_(settings) {}
  void OnCommit(const CommitReport& report) override;

 private:
  LogStore* const logs_;
  MachineSettingsCache* const settings_;
};

// Answers GET /logs and GET /logs/<group> (see the top of this file).
void ServeLogs(const LogStore& logs, const api::HttpRequest& request, api::Responder responder);

}  // namespace stepfn::server
