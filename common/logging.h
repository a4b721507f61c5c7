#pragma once
// Minimal leveled logging to stderr, one line per call, safe to call from any thread.

#include <string>

namespace latentdb {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
// The current time in UTC as ISO 8601 to the second ("2026-12-06T09:10:35Z"), as log lines carry it.
std::string UtcNowIso8601();
void Log(LogLevel level, const std::string& message);

inline void LogInfo(const std::string& m) { Log(LogLevel::kInfo, m); }
inline void LogWarn(const std::string& m) { Log(LogLevel::kWarn, m); }
inline void LogError(const std::string& m) { Log(LogLevel::kError, m); }

}  // namespace latentdb
