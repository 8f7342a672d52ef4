#!/bin/sh
# Renders nginx/example-server.conf and the files it includes into PREFIX/conf, for nginx
# started with `nginx -p PREFIX -c PREFIX/conf/nginx.conf`: the integration tests, bench/ and
# deploy/run-local.sh all run nginx from here. The shipped files' absolute paths (caches, the
# image server's socket, presignd-media.js) become paths under PREFIX.
#   nginx/render-example.sh PREFIX UPSTREAM 'keepalive 8;' PORT [ACCESS_LOG] [WORKERS]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
prefix=$1 upstream=$2 keepalive=$3 port=$4 access_log=${5:-off} workers=${6:-1}
mkdir -p "$prefix/conf" "$prefix/logs" "$prefix/tmp"
cp /etc/nginx/fastcgi_params "$here/presignd.conf" "$here/presignd-media.js" "$prefix/conf/"
sed -e "s|/var/cache/nginx/presignd-media |$prefix/tmp/media-cache |" \
    -e "s|/dev/shm/nginx-presignd-media-decisions |$prefix/tmp/media-decisions |" \
    -e "s|/run/nginx-presignd/media.sock|$prefix/media-origin.sock|g" \
    -e "s|/etc/nginx/presignd-media.js|$prefix/conf/presignd-media.js|" \
    "$here/presignd-media-http.conf" > "$prefix/conf/presignd-media-http.conf"
sed -e "s|{{USER}}|$(id -un) $(id -gn)|" -e "s|{{NGINX_WORKERS}}|$workers|" -e "s|{{PREFIX}}|$prefix|g" \
    -e "s|{{ACCESS_LOG}}|$access_log|" -e "s|{{UPSTREAM}}|$upstream|" -e "s|{{KEEPALIVE}}|$keepalive|" \
    -e "s|{{PORT}}|$port|" "$here/example-server.conf" > "$prefix/conf/nginx.conf"
if grep -q '{{[A-Z_]*}}' "$prefix/conf/nginx.conf"; then
    echo "render-example.sh: a placeholder is left in $prefix/conf/nginx.conf" >&2
    exit 1
fi
