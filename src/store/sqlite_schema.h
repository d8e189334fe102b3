// The SQLite schema and its migrations (documented in docs/formats/store-schema.md).
//
// The database records the migrations applied in `schema_version`; Migrate applies the missing
// ones in order, each in its own transaction, and refuses a database written by a newer
// stepfn (a schema version this binary does not know).
#pragma once

#include "common/status.h"
#include "store/sqlite_db.h"

namespace stepfn::store::sqlite {

// The schema version this binary writes.
int CurrentSchemaVersion();

// Brings the database up to CurrentSchemaVersion(). FailedPrecondition when the database's
// version is newer than this binary's.
Status Migrate(SqliteDb& db);
// Applies the missing migrations up to `version` only (tests: a database as an older stepfn
// left it).
Status MigrateTo(SqliteDb& db, int version);

// The version recorded in the database (0 for an empty one).
Result<int> SchemaVersion(SqliteDb& db);

}  // namespace stepfn::store::sqlite
