#!/usr/bin/env python3
"""Writes a realistic project file with N services (web tiers, workers, databases) to stdout.

Each service uses the usual mix of syntaxes (ports, volumes, environment list and map, depends_on,
healthcheck, labels, networks, an x- anchor merged with <<) so that `berth config` exercises
parsing, interpolation, merge keys, validation and normalization, not just YAML reading.
"""
import sys

n = int(sys.argv[1])
out = ["name: bench", "x-common: &common", "  restart: unless-stopped", "  labels:",
       "    com.example.stack: bench", "  logging:", "    driver: json-file", "    options:",
       "      max-size: 10m", "services:"]
for i in range(n):
    dep = f"svc{i - 1}" if i else None
    out += [f"  svc{i}:", "    <<: *common", f"    image: registry.example.com/team/app{i % 7}:${{TAG:-1.{i % 10}}}",
            f"    command: [\"serve\", \"--port\", \"{8000 + i}\", \"--name\", \"svc{i}\"]",
            "    ports:", f"      - \"{10000 + i}:{8000 + i}\"", f"      - \"127.0.0.1:{30000 + i}:9090/udp\"",
            "    environment:", f"      SERVICE_INDEX: \"{i}\"", "      LOG_LEVEL: ${LOG_LEVEL:-info}",
            f"      DATABASE_URL: postgres://app:secret@db{i % 3}/app",
            "    volumes:", f"      - ./data/svc{i}:/var/lib/app", "      - shared:/shared:ro",
            "      - type: tmpfs", "        target: /tmp", "        tmpfs:", "          size: 64m",
            "    healthcheck:", f"      test: [\"CMD\", \"wget\", \"-q\", \"--spider\", \"http://localhost:{8000 + i}/health\"]",
            "      interval: 30s", "      timeout: 5s", "      retries: 3",
            "    networks:", "      - front", "      - back",
            "    ulimits:", "      nofile:", "        soft: 1024", "        hard: 4096",
            "    mem_limit: 256m"]
    if dep:
        out += ["    depends_on:", f"      {dep}:", "        condition: service_started"]
out += ["networks:", "  front:", "  back:", "    internal: true", "volumes:", "  shared:"]
print("\n".join(out))
