// AWS's service models: the JSON files botocore ships (`<data>/<service>/<api version>/
// service-2.json`, gzipped by pip's botocore, plain in Debian's python3-botocore), which
// describe every operation's input and output shapes. stepfn reads them; it ships none.
//
// Thread safety: ServiceModels is safe to use from any thread; a loaded model never changes.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "json/value.h"

namespace stepfn::models {

// Where botocore's data folder is: $STEPFN_BOTOCORE_DATA when set, else Debian's
// (/usr/lib/python3/dist-packages, which setup installs: the same models on every machine),
// else pip's (pyenv, ~/.local, /usr/local); empty when there is none.
std::string FindBotocoreData();

class ServiceModels {
 public:
  // `data_dir`: a botocore data folder; empty means no models (every lookup finds nothing).
  explicit ServiceModels(std::string data_dir);

  // The process's models, from FindBotocoreData(), found and loaded on first use.
  static ServiceModels& Default();

  // The model of `service` (botocore's name: "lambda", "stepfunctions", "s3"), its newest API
  // version; null when there is none or it cannot be read. Loaded once, then cached.
  std::shared_ptr<const json::Value> Model(const std::string& service);

  const std::string& data_dir() const { return data_dir_; }

 private:
  std::string data_dir_;
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const json::Value>, std::less<>> loaded_;  // null: none
};

}  // namespace stepfn::models
