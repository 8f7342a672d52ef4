#!/usr/bin/env bash
# Prints the size of the browser client (client/presignd.js): as written, minified (esbuild,
# Debian package "esbuild", when installed), gzipped, and with comments and blank lines
# stripped (a rough stand-in for minification when no minifier is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
src=client/presignd.js

bytes() { wc -c | tr -d ' '; }
printf '%-34s %7s bytes\n' "source" "$(bytes < "$src")"
printf '%-34s %7s bytes\n' "source, gzip -9" "$(gzip -9c "$src" | bytes)"

# Block comments, whole-line // comments, leading indentation and blank lines.
stripped=$(perl -0777 -pe 's{/\*.*?\*/}{}gs; s{^\s*//[^\n]*\n}{}gm; s{^[ \t]+}{}gm; s{\n\s*\n}{\n}g' "$src")
printf '%-34s %7s bytes\n' "comments/indent stripped" "$(printf '%s' "$stripped" | bytes)"
printf '%-34s %7s bytes\n' "comments/indent stripped, gzip -9" "$(printf '%s' "$stripped" | gzip -9c | bytes)"

if command -v esbuild >/dev/null; then
    minified=$(esbuild "$src" --minify --format=esm --log-level=warning)
    printf '%-34s %7s bytes  (esbuild %s)\n' "minified" "$(printf '%s' "$minified" | bytes)" "$(esbuild --version)"
    printf '%-34s %7s bytes\n' "minified, gzip -9" "$(printf '%s' "$minified" | gzip -9c | bytes)"
else
    echo "minified: esbuild not installed (apt-get install esbuild)"
fi
