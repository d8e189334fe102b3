// The JSONPath input/output chain of a state: InputPath, ResultPath, OutputPath, and the
// payload-size limit. Each returns the new value or a States.Runtime cause (without the
// "An error occurred while executing the state ..." prefix, which the caller adds).
#pragma once

#include <string>

#include "asl/program.h"
#include "common/states_error.h"
#include "json/value.h"

namespace stepfn::eval {

// InputPath: absent -> the input; null -> {}; a path -> the selected value ("$$..." paths
// read `context`).
Fallible<json::Value> ApplyInputPath(const asl::State& s, const json::Value& input,
                                     const json::Value& context = json::Value());
// OutputPath: the same rules, on the state's output.
Fallible<json::Value> ApplyOutputPath(const asl::State& s, const json::Value& output,
                                      const json::Value& context = json::Value());
// ResultPath: absent or "$" -> the result; null -> the input; a path -> input with the result
// placed there (only the objects along the path are copied). Sets *out, or *error (a
// States.Runtime) and returns false. (Not a Fallible: this runs on every state's way out, and
// a Fallible builds and moves an error it mostly does not need.)
bool ApplyResultPath(const asl::OptionalPath& rp, const json::Value& input, json::Value result,
                     json::Value* out, StatesError* error);

// True when v serialises to at most `limit` bytes (stops counting past the limit).
bool FitsPayloadLimit(const json::Value& v, size_t limit);

// "$.a.b[0]" -> "$['a']['b'][0]", the form AWS's error messages use.
std::string NormalisedPath(const std::string& path);

}  // namespace stepfn::eval
