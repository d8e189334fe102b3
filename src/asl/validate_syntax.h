// Syntax checks the validator needs from lower layers: JSONPath paths, intrinsic calls and
// timestamps. Internal to src/asl/validate*.
//
// These are the validator's only contact with json::Path::Compile, expr::CompileIntrinsic and
// expr::IsValidTimestamp, so that a definition is accepted exactly when the compiler to the
// executable program can compile it.
#pragma once

#include <string_view>

namespace stepfn::asl::internal {

// A JSONPath as ASL accepts it: "$", "$.a.b", "$['a'][0]", "$..x", "$.a[?(@.b > 1)]", "$$.Map",
// and variable paths "$var.x".
bool IsValidPath(std::string_view text);

// A reference path (ResultPath, ItemsPath, *Path fields): only names and indices.
bool IsValidReferencePath(std::string_view text);

// The common simple paths, recognised without compiling them: "$", "$$", "$name", each
// followed by any number of ".name" (names of letters, digits, '_', '-' and non-ASCII bytes),
// such as "$.x", "$.a.b", "$$.Execution.Id", "$var.x". Every text this accepts is a valid
// reference path (json::Path::Compile accepts it and is_reference() holds); false says only
// "not this simple form", and IsValidPath/IsValidReferencePath then compile the text.
bool IsSimplePath(std::string_view text);

// True when the text is meant as an intrinsic call ("States.Name(...)").
bool LooksLikeIntrinsicCall(std::string_view text);

// An intrinsic call: a known States.* function with well-formed arguments (string literals with
// only the \' \{ \} \\ escapes, numbers, booleans, null, paths, nested calls).
bool IsValidIntrinsicCall(std::string_view text);

// An RFC 3339 timestamp as AWS accepts it in Wait's Timestamp and Choice Timestamp* operators.
bool IsValidTimestamp(std::string_view text);

// A JSONata expression string: "{% ... %}".
bool IsJsonataExpression(std::string_view text);

}  // namespace stepfn::asl::internal
