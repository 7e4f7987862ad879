# berth-dns: the embedded DNS server (network/dns_main.cpp), started by the NetworkManager from
# beside the berth binary. The CLI depends on it (deferred: `berth` is defined after this file is
# included) so that building berth — and the integration tests, which depend on berth — builds it.
add_executable(berth-dns ${CMAKE_CURRENT_SOURCE_DIR}/network/dns_main.cpp)
target_link_libraries(berth-dns PRIVATE berth_network)
cmake_language(DEFER DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR} CALL add_dependencies berth berth-dns)
