#!/bin/bash
# The compose health check's command. This image has no Kafka command-line tools (only the broker's
# jars), so it answers whether the broker accepts connections on its listener.
exec 3<>/dev/tcp/localhost/9092
