#include "engine/runtime/user_lookup.hpp"

#include <algorithm>
#include <charconv>
#include <sstream>

#include "base/error.hpp"

namespace berth::engine {
namespace {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::optional<unsigned long> parse_id(const std::string& s) {
  if (s.empty()) return std::nullopt;
  unsigned long v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v > 0xFFFFFFFEul) return std::nullopt;
  return v;
}

struct PasswdEntry {
  std::string name;
  unsigned long uid = 0, gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  unsigned long gid = 0;
  std::vector<std::string> members;
};

template <class Fn>
void for_lines(const std::optional<std::string>& text, Fn&& fn) {
  if (!text) return;
  std::istringstream in(*text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    fn(split(line, ':'));
  }
}

std::vector<PasswdEntry> parse_passwd(const std::optional<std::string>& text) {
  std::vector<PasswdEntry> out;
  for_lines(text, [&](const std::vector<std::string>& f) {
    if (f.size() < 4) return;
    auto uid = parse_id(f[2]);
    auto gid = parse_id(f[3]);
    if (!uid || !gid) return;
    out.push_back({f[0], *uid, *gid, f.size() > 5 ? f[5] : ""});
  });
  return out;
}

std::vector<GroupEntry> parse_group(const std::optional<std::string>& text) {
  std::vector<GroupEntry> out;
  for_lines(text, [&](const std::vector<std::string>& f) {
    if (f.size() < 3) return;
    auto gid = parse_id(f[2]);
    if (!gid) return;
    GroupEntry g{f[0], *gid, {}};
    if (f.size() > 3 && !f[3].empty()) g.members = split(f[3], ',');
    out.push_back(std::move(g));
  });
  return out;
}

}  // namespace

ExecUser resolve_user(const std::string& spec, const std::optional<std::string>& passwd_text,
                      const std::optional<std::string>& group_text) {
  std::string user_part = spec, group_part;
  bool has_group = false;
  if (auto colon = spec.find(':'); colon != std::string::npos) {
    user_part = spec.substr(0, colon);
    group_part = spec.substr(colon + 1);
    has_group = true;
  }
  auto passwd = parse_passwd(passwd_text);
  auto groups = parse_group(group_text);

  ExecUser u;
  std::string name;
  if (user_part.empty()) user_part = "0";
  const PasswdEntry* found = nullptr;
  auto numeric = parse_id(user_part);
  for (const auto& p : passwd) {
    if (numeric ? p.uid == *numeric : p.name == user_part) {
      found = &p;
      break;
    }
  }
  if (found) {
    u.uid = static_cast<uid_t>(found->uid);
    u.gid = static_cast<gid_t>(found->gid);
    if (!found->home.empty()) u.home = found->home;
    name = found->name;
  } else if (numeric) {
    u.uid = static_cast<uid_t>(*numeric);  // a uid need not exist in passwd (runc: gid 0)
  } else {
    throw UserError("unable to find user " + user_part + ": no matching entries in passwd file");
  }

  if (has_group) {
    if (group_part.empty()) throw UserError("invalid user \"" + spec + "\": empty group");
    auto gnum = parse_id(group_part);
    const GroupEntry* g = nullptr;
    for (const auto& e : groups) {
      if (gnum ? e.gid == *gnum : e.name == group_part) {
        g = &e;
        break;
      }
    }
    if (g)
      u.gid = static_cast<gid_t>(g->gid);
    else if (gnum)
      u.gid = static_cast<gid_t>(*gnum);
    else
      throw UserError("unable to find group " + group_part + ": no matching entries in group file");
  } else if (!name.empty()) {
    // Supplementary groups come from membership lists, only when no group was forced (runc).
    for (const auto& e : groups) {
      for (const auto& m : e.members) {
        if (m == name && e.gid != u.gid) u.groups.push_back(static_cast<gid_t>(e.gid));
      }
    }
  }
  return u;
}

void add_groups(ExecUser& u, const std::vector<std::string>& names, const std::optional<std::string>& group_text) {
  if (names.empty()) return;
  auto groups = parse_group(group_text);
  for (const auto& n : names) {
    std::optional<gid_t> gid;
    if (auto num = parse_id(n)) gid = static_cast<gid_t>(*num);
    for (const auto& e : groups)
      if (!gid && e.name == n) gid = static_cast<gid_t>(e.gid);
    if (!gid) throw UserError("unable to find group " + n + ": no matching entries in group file");
    if (std::find(u.groups.begin(), u.groups.end(), *gid) == u.groups.end()) u.groups.push_back(*gid);
  }
}

}  // namespace berth::engine
