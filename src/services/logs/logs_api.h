// The CloudWatch Logs API (awsJson1_1, `X-Amz-Target: Logs_20140328.<Operation>`, signing name
// `logs`, botocore's `logs` 2014-03-28 model) over a LogStore:
//   CreateLogGroup, DeleteLogGroup, DescribeLogGroups (prefix, pages), PutRetentionPolicy,
//   DeleteRetentionPolicy, CreateLogStream, DeleteLogStream, DescribeLogStreams (prefix or
//   orderBy LastEventTime, descending, pages), PutLogEvents, GetLogEvents (startTime/endTime,
//   startFromHead, nextForwardToken/nextBackwardToken), FilterLogEvents (logStreamNames or
//   logStreamNamePrefix, startTime/endTime, filterPattern terms and "quoted phrases", pages).
// Errors as AWS names them: ResourceNotFoundException "The specified log group does not
// exist." / "The specified log stream does not exist.", ResourceAlreadyExistsException,
// InvalidParameterException, LimitExceededException. README.md has the details.
//
//   api::AwsJsonProtocol protocol(logs::LogsProtocolOptions(), &credentials, &clock);
//   logs::RegisterLogsOperations(&store, {.region = "us-east-1", ...}, &protocol);
//   dispatcher.AddJson(&protocol);
//
// Thread safety: operations run on the HTTP server's threads, several at once (the LogStore is
// thread-safe).
#pragma once

#include <string>

#include "api/aws_json.h"
#include "common/clock.h"
#include "services/logs/log_store.h"

namespace stepfn::logs {

struct LogsApiOptions {
  std::string region = "us-east-1";
  std::string account = "123456789012";
  // PutLogEvents' too-new/too-old checks read it (nullptr: the system clock). Must outlive the
  // operations.
  Clock* clock = nullptr;
};

// Logs_20140328, signing name "logs", JSON 1.1.
api::AwsJsonOptions LogsProtocolOptions();

// Registers every operation above on `protocol`. `store` must outlive it.
void RegisterLogsOperations(LogStore* store, const LogsApiOptions& options,
                            api::AwsJsonProtocol* protocol);

// "arn:aws:logs:<region>:<account>:log-group:<name>" (AWS's `logGroupArn`).
std::string LogGroupArn(const LogsApiOptions& options, std::string_view group);

}  // namespace stepfn::logs
