#!/bin/sh
# Checks every corpus case with real nginx (`nginx -t`) and regenerates the committed `nginx -T` dump.
# Not run by the tests (they never need nginx); run it by hand after changing a case.
# Needs Debian's nginx plus libnginx-mod-stream and libnginx-mod-http-lua (the cases load those modules).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/prefix/logs"
for case in debian-site layers traps; do
  printf '%s: ' "$case"
  nginx -t -q -p "$work/prefix/" -c "$here/$case/nginx.conf" -g 'error_log stderr;' && echo ok
done
# The dump is made from a copy living at /etc/nginx-like paths, then the temporary root is cut from the
# "# configuration file" headers so the fixture reads as /etc/nginx/...
mkdir -p "$work/root/etc"
cp -r "$here/debian-site" "$work/root/etc/nginx"
nginx -T -q -p "$work/prefix/" -c "$work/root/etc/nginx/nginx.conf" -g 'error_log stderr;' \
  | sed "s#^\# configuration file $work/root#\# configuration file #" > "$here/debian-site.nginx-T.txt"
echo "debian-site.nginx-T.txt regenerated"
