#include "http/multipart.h"

#include <algorithm>
#include <cctype>

namespace latentdb::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// The value of parameter `name` in a header value's "; name=value" list (quoted or not).
std::string HeaderParam(std::string_view header, std::string_view name) {
  const std::string lower = Lower(header);
  size_t at = 0;
  while ((at = lower.find(std::string(name) + "=", at)) != std::string::npos) {
    const bool starts_param = at == 0 || lower[at - 1] == ';' || lower[at - 1] == ' ' || lower[at - 1] == '\t';
    at += name.size() + 1;
    if (!starts_param) continue;
    if (at < header.size() && header[at] == '"') {
      const size_t end = header.find('"', at + 1);
      if (end == std::string_view::npos) return "";
      return std::string(header.substr(at + 1, end - at - 1));
    }
    const size_t end = header.find_first_of("; \t", at);
    return std::string(header.substr(at, end == std::string_view::npos ? std::string_view::npos : end - at));
  }
  return "";
}

}  // namespace

Result<std::string_view> MultipartField(std::string_view content_type, std::string_view body, std::string_view field) {
  auto bad = [](const std::string& why) { return Status::InvalidArgument("multipart/form-data body: " + why); };
  if (!Lower(content_type).starts_with("multipart/form-data")) return bad("the Content-Type is not multipart/form-data");
  const std::string boundary = HeaderParam(content_type, "boundary");
  if (boundary.empty() || boundary.size() > 70) return bad("the Content-Type has no valid boundary");
  const std::string delimiter = "--" + boundary;
  // The first delimiter may start the body or follow a preamble's CRLF.
  size_t pos = body.starts_with(delimiter) ? 0 : body.find("\r\n" + delimiter);
  if (pos == std::string_view::npos) return bad("no part starts with the boundary");
  if (pos != 0) pos += 2;
  for (;;) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") break;  // the closing delimiter
    if (body.substr(pos, 2) != "\r\n") return bad("a boundary is not followed by CRLF");
    pos += 2;
    const size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) return bad("a part's headers do not end");
    const std::string_view headers = body.substr(pos, headers_end - pos);
    const size_t content = headers_end + 4;
    const size_t next = body.find("\r\n" + delimiter, content);
    if (next == std::string_view::npos) return bad("a part does not end with the boundary (truncated?)");
    std::string disposition;
    size_t line_start = 0;
    while (line_start <= headers.size()) {
      const size_t line_end = std::min(headers.find("\r\n", line_start), headers.size());
      const std::string_view line = headers.substr(line_start, line_end - line_start);
      if (Lower(line).starts_with("content-disposition:")) disposition = std::string(line.substr(20));
      line_start = line_end + 2;
    }
    if (HeaderParam(disposition, "name") == field) return body.substr(content, next - content);
    pos = next + 2;
  }
  return bad("no part named '" + std::string(field) + "'");
}

}  // namespace latentdb::http
