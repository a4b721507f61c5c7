#include "tools/args.h"

#include <boost/program_options.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

namespace latentdb::tools {

namespace po = boost::program_options;

void ExitOnHelp(int argc, char** argv, int first, const char* usage) {
  for (int i = first; i < argc; ++i) {
    if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::fputs(usage, stdout);
      std::exit(0);
    }
  }
}

Result<Args> Args::Parse(int argc, char** argv, int first, const std::set<std::string>& flags,
                         const std::set<std::string>& switches, const char* usage) {
  ExitOnHelp(argc, argv, first, usage);
  po::options_description options;
  // Every occurrence is kept and the last one wins, as with the usual Unix tools (a script can
  // append an override: `serve --port 8080 … --port 9090`).
  for (const auto& name : flags) options.add_options()(name.c_str(), po::value<std::vector<std::string>>());
  // zero_tokens: a switch never takes the next word (`--resume FILE` keeps FILE a source).
  for (const auto& name : switches) {
    options.add_options()(name.c_str(), po::value<std::vector<std::string>>()->implicit_value({"true"}, "true")->zero_tokens());
  }
  options.add_options()("positional", po::value<std::vector<std::string>>());
  po::positional_options_description positional;
  positional.add("positional", -1);
  // Long options only, in full: a prefix such as --dat for --data-dir is refused, not guessed.
  const int style = po::command_line_style::allow_long | po::command_line_style::long_allow_adjacent |
                    po::command_line_style::long_allow_next;
  std::vector<std::string> tokens(argv + first, argv + argc);
  po::variables_map parsed;
  try {
    po::store(po::command_line_parser(tokens).options(options).positional(positional).style(style).run(), parsed);
  } catch (const po::error& e) {
    return Status::InvalidArgument(e.what());
  }
  Args a;
  for (const auto& [name, value] : parsed) {
    if (name == "positional") {
      a.positional_ = value.as<std::vector<std::string>>();
    } else {
      a.values_[name] = value.as<std::vector<std::string>>().back();
    }
  }
  return a;
}

std::string Args::Get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

bool Args::Has(const std::string& name) const { return values_.count(name) != 0; }

Result<long> Args::GetInt(const std::string& name, long fallback, long min, long max) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  try {
    size_t used = 0;
    long v = std::stol(it->second, &used);
    if (used != it->second.size() || v < min || v > max) throw std::out_of_range(name);
    return v;
  } catch (const std::exception&) {
    return Status::InvalidArgument("--" + name + " must be an integer between " + std::to_string(min) + " and " +
                                   std::to_string(max));
  }
}

Result<double> Args::GetDouble(const std::string& name, double fallback, double lo, double hi) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  const std::string& s = it->second;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end || !(v >= lo && v <= hi)) {
    return Status::InvalidArgument("--" + name + " must be a number in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return v;
}

}  // namespace latentdb::tools
