"""`make bench`: throughput and latency numbers for heatwatch against moto_server."""
