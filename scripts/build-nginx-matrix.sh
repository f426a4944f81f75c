#!/usr/bin/env bash
# Builds every nginx source archive of a folder into a cache directory, one prefix per version:
#   <cache>/<version>/sbin/nginx
# Usage: scripts/build-nginx-matrix.sh SRC_DIR [CACHE_DIR]
#   SRC_DIR    folder of nginx-X.Y.Z.tar.gz archives made from the nginx repository's release tags
#              (`git archive --prefix=nginx-X.Y.Z/ release-X.Y.Z`: the configure script is auto/configure)
#   CACHE_DIR  default: $TLSDOCTOR_NGINX_CACHE or /var/cache/tlsdoctor-nginx; kept between runs
# Versions already built (an executable <cache>/<version>/sbin/nginx that answers `-v`) are skipped.
# Prints the cache directory on the last line of stdout; the tests read it from TLSDOCTOR_NGINX_BUILDS.
# Needs: build-essential libssl-dev libpcre2-dev zlib1g-dev (about a minute per version on two cores).
set -euo pipefail

src=${1:?usage: build-nginx-matrix.sh SRC_DIR [CACHE_DIR]}
cache=${2:-${TLSDOCTOR_NGINX_CACHE:-/var/cache/tlsdoctor-nginx}}
jobs=${TLSDOCTOR_NGINX_JOBS:-2}
[ -d "$src" ] || { echo "build-nginx-matrix: $src: not a directory" >&2; exit 2; }
mkdir -p "$cache"

# Two CI runs on the same machine share the cache: one builds, the other waits.
exec 9>"$cache/.lock"
flock 9

shopt -s nullglob
built=0
for archive in "$src"/nginx-*.tar.gz; do
  name=$(basename "$archive" .tar.gz)          # nginx-1.30.4
  version=${name#nginx-}
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || { echo "build-nginx-matrix: skipping $archive (no version in name)" >&2; continue; }
  prefix="$cache/$version"
  if [ -x "$prefix/sbin/nginx" ] && "$prefix/sbin/nginx" -v >/dev/null 2>&1; then
    echo "build-nginx-matrix: $version already built" >&2
    continue
  fi
  work=$(mktemp -d)
  echo "build-nginx-matrix: building $version" >&2
  tar -xzf "$archive" -C "$work"
  # --without-http_rewrite_module: 1.18.0 only knows PCRE 1, and the tests need no rewrite.
  # -Wno-error: OpenSSL 3.0 deprecation warnings stop the older releases under nginx's -Werror.
  if ! (cd "$work/$name" &&
        auto/configure --prefix="$prefix" --with-http_ssl_module --with-http_v2_module --with-stream \
          --with-stream_ssl_module --without-http_rewrite_module --with-cc-opt=-Wno-error &&
        make -j"$jobs" && rm -rf "$prefix" && make install) >"$work/build.log" 2>&1; then
    tail -n 30 "$work/build.log" >&2
    rm -rf "$work" "$prefix"
    echo "build-nginx-matrix: $version failed to build" >&2
    exit 1
  fi
  rm -rf "$work"
  built=$((built + 1))
done
echo "build-nginx-matrix: $built built" >&2
echo "$cache"
