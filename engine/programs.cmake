# berth-monitor: the per-container monitor (engine/monitor/). Built from its own sources only,
# statically and without exceptions/RTTI, so that each running container costs little memory.
file(GLOB berth_monitor_srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/engine/monitor/*.cpp)
add_executable(berth-monitor ${berth_monitor_srcs})
target_include_directories(berth-monitor PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_options(berth-monitor PRIVATE -fno-exceptions -fno-rtti -Os -ffunction-sections -fdata-sections)
target_link_options(berth-monitor PRIVATE -static -Wl,--gc-sections)

# The CLI finds the monitor beside itself, and the runtime's tests run both: make them depend
# on it once those targets exist (they are defined after this file is included).
function(berth_monitor_dependencies)
  foreach(t berth integration_runtime unit_runtime bench_runtime)
    if(TARGET ${t})
      add_dependencies(${t} berth-monitor berth-init)
    endif()
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY ${CMAKE_SOURCE_DIR} CALL berth_monitor_dependencies)

# berth-init: the container init and exec helper, fully static (no dynamic loader: 35 page faults
# at start instead of 58) so that its exec at every container start, exec and healthcheck is cheap.
add_executable(berth-init ${CMAKE_CURRENT_SOURCE_DIR}/engine/runtime/init_program_main.cpp)
target_link_libraries(berth-init PRIVATE berth_engine)
target_link_options(berth-init PRIVATE -static -Wl,--gc-sections)
