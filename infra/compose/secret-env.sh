# Compose secrets are files, while the node takes RESIDENT_AUTH_SECRET and RESIDENT_METRICS_TOKEN as values (NATS
# credentials it reads from files itself). For each of these with VAR_FILE set, this exports VAR from that file (the
# *_FILE convention of official images), then runs the node. A file it cannot read stops the container with one line
# naming the setting, as the node does for its own settings. Run by compose.yaml's entrypoint: sh secret-env.sh CMD…
set -eu
for var in RESIDENT_AUTH_SECRET RESIDENT_METRICS_TOKEN; do
  eval "file=\${${var}_FILE:-}"
  [ -n "$file" ] || continue
  if [ ! -e "$file" ]; then
    echo "resident: ${var}_FILE $file: cannot read it (ENOENT)" >&2
    exit 1
  fi
  if [ ! -r "$file" ]; then
    echo "resident: ${var}_FILE $file: cannot read it (EACCES)" >&2
    exit 1
  fi
  value=$(cat "$file")
  export "$var=$value"
  unset "${var}_FILE"
done
exec "$@"
