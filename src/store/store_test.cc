// Runs the shared store suite (store_test_suite.h) against every implementation.
#include "store/memory_store.h"
#include "store/sqlite_store.h"
#include "store/store_test_suite.h"

namespace stepfn::store::testing {
namespace {

StoreFactory MemoryFactory() {
  return StoreFactory{"Memory",
                      [](const std::string&) -> Result<std::unique_ptr<Store>> {
                        return std::unique_ptr<Store>(std::make_unique<MemoryStore>());
                      },
                      false};
}

StoreFactory SqliteFactory() {
  return StoreFactory{"Sqlite",
                      [](const std::string& dir) -> Result<std::unique_ptr<Store>> {
                        SqliteOptions options;
                        options.data_dir = dir + "/data";
                        ASSIGN_OR_RETURN(std::unique_ptr<SqliteStore> store,
                                         SqliteStore::Open(options));
                        return std::unique_ptr<Store>(std::move(store));
                      },
                      true};
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::Values(MemoryFactory(), SqliteFactory()),
                         FactoryName);

}  // namespace
}  // namespace stepfn::store::testing
