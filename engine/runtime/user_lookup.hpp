#pragma once
// Docker's `user` resolution against the container's own /etc/passwd and /etc/group (runc's
// user.GetExecUser): "name", "uid", "uid:gid", "name:group", "uid:group", "" (root).
// Pure functions over the files' contents, so they are unit-tested without a container.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace berth::engine {

struct ExecUser {
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;  // supplementary groups (from /etc/group membership)
  std::string home = "/";
};

// `passwd`/`group`: file contents, nullopt when the file is missing. Throws UserError with
// runc's wording ("unable to find user app: no matching entries in passwd file").
ExecUser resolve_user(const std::string& spec, const std::optional<std::string>& passwd,
                      const std::optional<std::string>& group);

// Docker's --group-add (compose's group_add): each name looked up in the container's /etc/group,
// or a numeric gid, added to `u.groups` once. Throws UserError for an unknown name.
void add_groups(ExecUser& u, const std::vector<std::string>& groups, const std::optional<std::string>& group);

}  // namespace berth::engine
