#pragma once
// How RUN steps get their network. The builder does not link the network layer (builder and
// network are siblings above engine, and the builder's unit tests need no root): its caller (the
// CLI, compose) hands it an implementation that does (compose/orchestrate/build_network.hpp).
// Without one, a RUN on the default network gets a namespace with loopback only.
#include <memory>
#include <string>

#include "engine/runtime/runtime.hpp"

namespace berth::builder {

// `--network` of the build, or `RUN --network=` of one step.
enum class RunNetworkMode { Default, None, Host };

class RunNetwork {
 public:
  // A step's container on the network while it runs. Destroyed (before the container is
  // removed, also when the step fails or the build is cancelled) it detaches the container:
  // its interface deleted, its address given back.
  class Lease {
   public:
    virtual ~Lease() = default;
  };

  virtual ~RunNetwork() = default;
  // Before the step's container is created: its /etc/resolv.conf ("" = the runtime's default,
  // the host's file). For Default the build network is made ready first. Called from the
  // threads of parallel stages.
  virtual std::string resolv_conf(RunNetworkMode mode) = 0;
  // After the container is created, before it starts: joins it to the build network (Default)
  // and writes its /etc/hosts (its address, the build's extra hosts). May return null.
  virtual std::unique_ptr<Lease> join(engine::Runtime& rt, const engine::ContainerInfo& c, RunNetworkMode mode) = 0;
};

}  // namespace berth::builder
