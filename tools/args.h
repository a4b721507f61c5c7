#pragma once
// The command line of one subcommand: `latentdb SUBCOMMAND [--flag value | --flag=value |
// --switch] [positional…]`, parsed by Boost.Program_options (Debian's
// libboost-program-options-dev). Options must be spelled in full (no prefix guessing); anything
// else starting with "--" is an error. Not thread-safe (used once, from main).

#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/result.h"

namespace latentdb::tools {

class Args {
 public:
  // Parses argv[first…]. `flags` take a value (`--flag value` or `--flag=value`), `switches`
  // take none; an option given twice keeps its last value. `--help` or `-h` anywhere prints `usage` to stdout and exits the process with 0.
  // InvalidArgument for an unknown option or a flag without its value.
  static Result<Args> Parse(int argc, char** argv, int first, const std::set<std::string>& flags,
                            const std::set<std::string>& switches, const char* usage);
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

// Prints `usage` to stdout and exits 0 when argv[first…] holds --help or -h (for commands that
// dispatch before they parse their options).
void ExitOnHelp(int argc, char** argv, int first, const char* usage);

}  // namespace latentdb::tools
