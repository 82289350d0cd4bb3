// SPDX-License-Identifier: Apache-2.0
#pragma once

// The `gobgp` route signal: GoBGP's gobgpd announces the group's VIPs from its global RIB, where
// anycastd adds and deletes them through gobgpd's gRPC API with Debian's `gobgp` CLI:
//
//   announce   gobgp --target API global rib add -a ipv4 P nexthop NH4 [community C,...] [med M]
//              [local-pref L] [large-community G:L1:L2,...] [aspath AS,AS]   (the state's
//              attributes; a prepend repeats gobgpd's AS, from `gobgp -j global`; draining
//              carries 65535:0: gobgpd replaces its path, the prefix stays announced)
//   withdraw   gobgp --target API global rib del -a ipv4 P   (a no-op when P is not there)
//
// one run per VIP (the CLI takes one prefix per command). Why the CLI and not gRPC from the
// daemon: the API is protobuf over gRPC, which would bring gRPC and protobuf (and GoBGP's .proto
// files, versioned with gobgpd) into anycastd for a handful of calls a minute; the CLI Debian
// ships with gobgpd speaks the API of that very gobgpd. Each run is bounded by what is left of
// the call's timeout, its process group killed past it. gobgpd keeps the routes when anycastd
// dies and forgets them when it restarts (its config has none): probe() tells, the driver
// re-announces.

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "base/posix_io.h"
#include "config/settings.h"
#include "route/route_signal.h"

namespace anycastd {

class GobgpSignal final : public RouteSignal {
 public:
  // Throws std::invalid_argument with gobgp_signal_problem's text (config/settings.h).
  explicit GobgpSignal(GobgpSignalConfig config);

  SignalKind kind() const override { return SignalKind::gobgp; }
  // Also deletes what an earlier announce() added and the group no longer has.
  void announce(const RouteGroup& group, RouteState state, const RouteAttributes& attributes) override;
  // Deletes the group's VIPs and whatever else this signal added.
  void withdraw(const RouteGroup& group) override;
  bool carries(RouteState) const override { return true; }
  // `gobgp -j neighbor` and `gobgp -j global rib -a FAMILY P` for each VIP: which VIPs gobgpd
  // holds, tagged or not, and how many neighbors are established.
  SignalProbe probe(const RouteGroup& group) override;
  std::vector<std::string> config_problems(const RouteGroup& group) const override;

  const GobgpSignalConfig& config() const { return config_; }

 private:
  std::string run_gobgp(const RouteGroup& group, std::string_view action, const std::vector<std::string>& args,
                        posix_io::Deadline deadline);
  void add_all(const RouteGroup& group, std::string_view action, const RouteAttributes& attributes);
  // gobgpd's own AS (`gobgp -j global`), for the prepends.
  std::uint32_t local_as(const RouteGroup& group, std::string_view action, posix_io::Deadline deadline);

  GobgpSignalConfig config_;
  std::set<Prefix> announced_;  // what gobgpd may hold from us: deleted on withdraw()
};

enum class GobgpVerb { add, del };

// The gobgp arguments (after --target API) for one prefix (exposed for tests). Attributes only on
// additions: the config's communities, then the state's (each once), MED, local preference and
// large communities, and the AS path of `prepend` times `local_as`. Throws RouteSignalError when the
// prefix's family has no next hop configured, or a prepend has no AS to repeat.
std::vector<std::string> gobgp_rib_args(GobgpVerb verb, const Prefix& prefix, const GobgpSignalConfig& config,
                                        const RouteAttributes& attributes = {}, std::uint32_t local_as = 0);

// The AS in `gobgp -j global`'s output; 0 when there is none (exposed for tests).
std::uint32_t gobgp_parse_global_as(std::string_view text);

}  // namespace anycastd
