#include "tools/args.h"

#include <cstdlib>
#include <stdexcept>

namespace latentdb::tools {

Result<Args> Args::Parse(int argc, char** argv, int first, const std::set<std::string>& flags,
                         const std::set<std::string>& switches) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) == 0) {
      std::string name = arg.substr(2), value;
      size_t eq = name.find('=');
      bool inline_value = eq != std::string::npos;
      if (inline_value) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      if (switches.count(name)) {
        a.values_[name] = inline_value ? value : "true";
      } else if (flags.count(name)) {
        if (!inline_value) {
          if (i + 1 >= argc) return Status::InvalidArgument("--" + name + " needs a value");
          value = argv[++i];
        }
        a.values_[name] = value;
      } else {
        return Status::InvalidArgument("unknown option --" + name);
      }
    } else {
      a.positional_.push_back(arg);
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
