#!/bin/sh
# without_caps.sh COMMAND ARGS...: runs COMMAND with no capabilities at all (as nobody when
# started as root).
if [ "$(id -u)" -eq 0 ]; then
  exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all "$@"
fi
exec "$@"
