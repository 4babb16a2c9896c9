#include "scan/trivyignore.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace promote::scan {

namespace {

constexpr size_t kMaxIgnoreFileBytes = 1u << 20;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

Status LineError(std::string_view name, size_t line, const std::string& problem) {
  return InvalidArgument(std::string(name) + ":" + std::to_string(line) + ": " + problem);
}

Result<std::vector<AllowEntry>> ParsePlain(std::string_view content, std::string_view name) {
  std::vector<AllowEntry> entries;
  size_t line_no = 0;
  size_t start = 0;
  while (start < content.size()) {
    size_t end = content.find('\n', start);
    if (end == std::string_view::npos) end = content.size();
    std::string_view line = Trim(content.substr(start, end - start));
    start = end + 1;
    ++line_no;
    if (line.empty() || line.front() == '#') continue;

    AllowEntry entry;
    if (size_t hash = line.find(" #"); hash != std::string_view::npos) {
      entry.reason = std::string(Trim(line.substr(hash + 2)));
      line = Trim(line.substr(0, hash));
    } else if (size_t tab_hash = line.find("\t#"); tab_hash != std::string_view::npos) {
      entry.reason = std::string(Trim(line.substr(tab_hash + 2)));
      line = Trim(line.substr(0, tab_hash));
    }
    std::istringstream tokens{std::string(line)};
    tokens >> entry.id;
    std::string token;
    while (tokens >> token) {
      if (token.rfind("exp:", 0) == 0) {
        if (entry.expires) return LineError(name, line_no, "more than one exp: date for " + entry.id);
        entry.expires = ParseIsoDate(std::string_view(token).substr(4));
        if (!entry.expires) {
          return LineError(name, line_no, "\"" + token + "\" is not a valid expiry; write exp:YYYY-MM-DD");
        }
      } else {
        return LineError(
            name, line_no,
            "unexpected \"" + token + "\" after " + entry.id + "; a line is: ID [exp:YYYY-MM-DD] [# reason]");
      }
    }
    if (entry.reason.empty()) entry.reason = "listed in " + std::string(name);
    entries.push_back(std::move(entry));
  }
  return entries;
}

int LineOf(const YAML::Node& node) { return node.Mark().line + 1; }

Status YamlError(std::string_view name, const YAML::Node& node, const std::string& problem) {
  return LineError(name, static_cast<size_t>(LineOf(node)), problem);
}

Result<std::string> ScalarString(std::string_view name, const YAML::Node& node, const char* what) {
  if (!node.IsScalar()) return YamlError(name, node, std::string(what) + " must be a string");
  return node.as<std::string>();
}

Result<AllowEntry> ParseYamlEntry(std::string_view name, const YAML::Node& item) {
  if (!item.IsMap()) {
    return YamlError(name, item, "each vulnerabilities entry must be a mapping with at least an id");
  }
  AllowEntry entry;
  for (const auto& kv : item) {
    const std::string key = kv.first.as<std::string>();
    const YAML::Node& value = kv.second;
    if (key == "id") {
      PROMOTE_ASSIGN_OR_RETURN(entry.id, ScalarString(name, value, "id"));
    } else if (key == "statement") {
      PROMOTE_ASSIGN_OR_RETURN(entry.reason, ScalarString(name, value, "statement"));
    } else if (key == "expired_at") {
      PROMOTE_ASSIGN_OR_RETURN(std::string date, ScalarString(name, value, "expired_at"));
      entry.expires = ParseIsoDate(date);
      if (!entry.expires) {
        return YamlError(name, value, "expired_at \"" + date + "\" is not a valid date; write YYYY-MM-DD");
      }
    } else if (key == "paths" || key == "purls") {
      if (!value.IsNull() && !(value.IsSequence() && value.size() == 0)) {
        return YamlError(name, value,
                         key +
                             " is not supported: the gate matches ignore entries by id only, so this "
                             "entry would ignore the id everywhere; remove " +
                             key + " to accept it for the whole image");
      }
    } else {
      return YamlError(name, kv.first,
                       "unknown key \"" + key + "\"; allowed: id, paths, purls, expired_at, statement");
    }
  }
  if (entry.id.empty()) return YamlError(name, item, "entry has no id");
  if (entry.reason.empty()) entry.reason = "listed in " + std::string(name);
  return entry;
}

Result<std::vector<AllowEntry>> ParseYaml(std::string_view content, std::string_view name) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(content));
  } catch (const YAML::Exception& e) {
    return LineError(name, static_cast<size_t>(e.mark.line + 1), "not valid YAML: " + e.msg);
  }
  std::vector<AllowEntry> entries;
  if (root.IsNull()) return entries;
  if (!root.IsMap()) {
    return YamlError(
        name, root, "top level must be a mapping with vulnerabilities, misconfigurations, secrets, licenses");
  }
  try {
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      const YAML::Node& list = kv.second;
      if (key != "vulnerabilities" && key != "misconfigurations" && key != "secrets" && key != "licenses") {
        return YamlError(
            name, kv.first,
            "unknown key \"" + key + "\"; allowed: vulnerabilities, misconfigurations, secrets, licenses");
      }
      if (list.IsNull()) continue;
      if (!list.IsSequence()) return YamlError(name, list, key + " must be a list");
      if (key != "vulnerabilities") continue;
      for (const auto& item : list) {
        PROMOTE_ASSIGN_OR_RETURN(AllowEntry entry, ParseYamlEntry(name, item));
        entries.push_back(std::move(entry));
      }
    }
  } catch (const YAML::Exception& e) {
    return LineError(name, static_cast<size_t>(e.mark.line + 1), "unexpected YAML: " + e.msg);
  }
  return entries;
}

}  // namespace

TrivyIgnoreFormat TrivyIgnoreFormatFor(std::string_view path) {
  const std::string lower = Lower(path);
  auto ends_with = [&](std::string_view suffix) {
    return lower.size() >= suffix.size() &&
           lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with(".yaml") || ends_with(".yml") ? TrivyIgnoreFormat::kYaml : TrivyIgnoreFormat::kPlain;
}

Result<std::vector<AllowEntry>> ParseTrivyIgnore(std::string_view content, std::string_view name,
                                                 TrivyIgnoreFormat format) {
  if (content.size() > kMaxIgnoreFileBytes) {
    return InvalidArgument(std::string(name) + ": ignore file is larger than 1 MiB");
  }
  return format == TrivyIgnoreFormat::kYaml ? ParseYaml(content, name) : ParsePlain(content, name);
}

Result<std::vector<AllowEntry>> ReadTrivyIgnoreFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return NotFound(path + ": cannot open ignore file (" + std::strerror(errno) + "); check the path");
  }
  std::string content;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    content.append(buf, static_cast<size_t>(in.gcount()));
    if (content.size() > kMaxIgnoreFileBytes) {
      return InvalidArgument(path + ": ignore file is larger than 1 MiB");
    }
  }
  return ParseTrivyIgnore(content, path, TrivyIgnoreFormatFor(path));
}

}  // namespace promote::scan
