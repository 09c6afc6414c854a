"""Parses a Prometheus text exposition from stdin with prometheus_client's parser and prints
every sample as JSON: [{"family", "type", "name", "labels", "value"}]."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append(
            {
                "family": family.name,
                "type": family.type,
                "name": s.name,
                "labels": s.labels,
                "value": s.value,
            }
        )
json.dump(out, sys.stdout)
