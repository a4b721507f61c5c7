#include "words/corpus.h"

#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include "common/file_util.h"
#include "common/utf8_bom.h"
#include "words/tokenize.h"

namespace latentdb::words {

using nlohmann::json;

namespace {

struct Sink {
  FILE* out;
  size_t lines = 0, tokens = 0, bad = 0;
  void Line(std::string text) {
    StripUtf8Bom(&text);  // the first line of a source file may carry one
    bad += StripInvalidUtf8(&text);
    auto toks = Tokenize(text, true);
    if (toks.empty()) return;
    std::string line;
    for (const auto& t : toks) {
      if (!line.empty()) line.push_back(' ');
      line += t;
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), out);
    ++lines;
    tokens += toks.size();
  }
  json Report() {
    json j = {{"lines", lines}, {"tokens", tokens}, {"bad_utf8_bytes", bad}};
    lines = tokens = bad = 0;
    return j;
  }
};

// GCIDE entries are paragraphs separated by blank lines. Drop "\pron*un*ci"a*tion\" and
// "[1913 Webster]"-style source tags.
std::string CleanGcide(const std::string& para) {
  std::string out;
  bool in_pron = false;
  for (size_t i = 0; i < para.size(); ++i) {
    char c = para[i];
    if (c == '\\') {
      in_pron = !in_pron;
      continue;
    }
    if (in_pron) continue;
    if (c == '[') {
      size_t close = para.find(']', i);
      if (close != std::string::npos) {
        std::string tag = para.substr(i, close - i + 1);
        if (tag.find("Webster") != std::string::npos || tag.find("WordNet") != std::string::npos ||
            tag.find("PJC") != std::string::npos || tag.find("Century") != std::string::npos) {
          i = close;
          continue;
        }
      }
    }
    out.push_back(c);
  }
  return out;
}

json Gcide(const std::string& path, Sink& sink) {
  if (!PathExists(path)) return json{{"missing", path + " not found (install dict-gcide)"}};
  gzFile gz = gzopen(path.c_str(), "rb");
  if (!gz) return json{{"missing", "cannot open " + path}};
  std::string para, line;
  char buf[1 << 16];
  auto flush = [&] {
    if (!para.empty()) sink.Line(CleanGcide(para));
    para.clear();
  };
  std::string pending;
  int n;
  while ((n = gzread(gz, buf, sizeof buf)) > 0) {
    pending.append(buf, static_cast<size_t>(n));
    size_t start = 0, nl;
    while ((nl = pending.find('\n', start)) != std::string::npos) {
      line.assign(pending, start, nl - start);
      start = nl + 1;
      if (line.find_first_not_of(" \t\r") == std::string::npos) {
        flush();
      } else if (line.rfind("00-database", 0) != 0) {
        para += line;
        para.push_back(' ');
      }
    }
    pending.erase(0, start);
  }
  para += pending;
  flush();
  gzclose(gz);
  return sink.Report();
}

// data.* lines: "offset lex_filenum ss_type w_cnt word lex_id [word lex_id…] p_cnt … | gloss".
json WordNet(const std::string& dir, Sink& sink) {
  bool any = false;
  for (const char* pos : {"noun", "verb", "adj", "adv"}) {
    std::ifstream in(dir + "/data." + pos);
    if (!in) continue;
    any = true;
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("  ", 0) == 0) continue;  // license header
      size_t bar = line.find(" | ");
      if (bar == std::string::npos) continue;
      std::string gloss = line.substr(bar + 3);
      std::vector<std::string> f;
      size_t i = 0;
      while (i < bar && f.size() < 4) {
        size_t j = line.find(' ', i);
        f.push_back(line.substr(i, j - i));
        i = j + 1;
      }
      std::string words;
      if (f.size() == 4) {
        long cnt = std::strtol(f[3].c_str(), nullptr, 16);
        for (long w = 0; w < cnt && i < bar; ++w) {
          size_t j = line.find(' ', i);
          std::string word = line.substr(i, j - i);
          for (auto& c : word) {
            if (c == '_') c = ' ';
          }
          size_t paren = word.find('(');
          if (paren != std::string::npos) word.resize(paren);
          words += word + " , ";
          i = line.find(' ', j + 1) + 1;  // skip lex_id
        }
      }
      sink.Line(words + gloss);
    }
  }
  if (!any) return json{{"missing", dir + "/data.* not found (install wordnet-base)"}};
  return sink.Report();
}

json Bible(const std::string& command, Sink& sink) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen((command + " </dev/null 2>/dev/null").c_str(), "r"), &pclose);
  if (!p) return json{{"missing", "cannot run " + command}};
  char buf[1 << 16];
  std::string line;
  while (std::fgets(buf, sizeof buf, p.get())) {
    line = buf;
    // Verse lines start with the verse number; chapter headings ("Genesis 1") are skipped.
    size_t i = line.find_first_not_of(' ');
    if (i == std::string::npos || !(line[i] >= '0' && line[i] <= '9')) continue;
    size_t sp = line.find(' ', i);
    if (sp == std::string::npos) continue;
    sink.Line(line.substr(sp + 1));
  }
  json r = sink.Report();
  if (r["lines"] == 0) return json{{"missing", "`" + command + "` printed nothing (install bible-kjv and bible-kjv-text)"}};
  return r;
}

}  // namespace

Result<json> BuildDefaultCorpus(const std::string& out_path, const CorpusSources& sources) {
  std::unique_ptr<FILE, int (*)(FILE*)> out(std::fopen(out_path.c_str(), "wb"), &std::fclose);
  if (!out) return Status::IOError("cannot create " + out_path);
  Sink sink{out.get()};
  json report;
  report["gcide"] = Gcide(sources.gcide, sink);
  report["wordnet"] = WordNet(sources.wordnet_dir, sink);
  report["kjv"] = Bible(sources.bible_command, sink);
  size_t lines = 0, tokens = 0, bad = 0;
  for (auto& [k, v] : report.items()) {
    lines += v.value("lines", size_t{0});
    tokens += v.value("tokens", size_t{0});
    bad += v.value("bad_utf8_bytes", size_t{0});
  }
  if (std::fflush(out.get()) != 0 || std::ferror(out.get())) return Status::IOError("writing " + out_path);
  if (lines == 0) return Status::NotFound("no corpus source is installed (dict-gcide, wordnet-base, bible-kjv-text)");
  report["total"] = {{"lines", lines}, {"tokens", tokens}, {"bad_utf8_bytes", bad}};
  return report;
}

}  // namespace latentdb::words
