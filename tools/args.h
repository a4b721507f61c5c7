#pragma once
// A small command-line parser for `latentdb SUBCOMMAND [--flag value | --switch] [positional…]`.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace latentdb::tools {

class Args {
 public:
  // `flags` take a value, `switches` do not; anything else starting with "--" is an error.
  static Result<Args> Parse(int argc, char** argv, int first, const std::set<std::string>& flags,
                            const std::set<std::string>& switches);
  std::string Get(const std::string& name, const std::string& fallback = "") const;
  bool Has(const std::string& name) const;
  Result<long> GetInt(const std::string& name, long fallback, long min, long max) const;
  // A number in [lo, hi]; InvalidArgument naming the flag otherwise.
  Result<double> GetDouble(const std::string& name, double fallback, double lo, double hi) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace latentdb::tools
