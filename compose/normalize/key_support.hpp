#pragma once
// What berth does with every key a service may have in compose-spec.json: nothing is silently
// dropped. A key is used to make the container (its ContainerSpec), by the orchestration (order,
// networks, replicas ...), by the loader, or — where this runtime cannot honour it — warned about
// ("file:line: services.web.KEY is not supported by berth; ignored") whenever the project loads.
// A unit test walks the schema's service properties against this table, so a key added to the
// schema fails the build's tests until it is placed here.
#include <string_view>
#include <vector>

namespace berth::compose::norm {

enum class KeyUse { Spec, Orchestration, Loader, Warned };

struct ServiceKeyUse {
    std::string_view key;
    KeyUse use;
    // Spec keys: a YAML value that must change the container spec (the test's spot check);
    // empty when the value needs more than the key (checked by a test of its own). Warned
    // keys: a valid value, which must bring the warning.
    std::string_view example;
};

const std::vector<ServiceKeyUse>& service_key_uses();
// Nullptr for a key not in the table.
const ServiceKeyUse* service_key_use(std::string_view key);
bool service_key_warned(std::string_view key);

// Keys under services.*.networks.NET that berth's networks do not act on.
bool service_network_key_warned(std::string_view key);

}  // namespace berth::compose::norm
