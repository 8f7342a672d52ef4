#!/usr/bin/env bash
# JWT verifications per second per algorithm, in-process on one thread (the full verify: parse,
# key choice, signature, claims), next to `openssl speed` for the same primitive on this machine,
# which bounds what any verifier built on libcrypto can reach. Prints a markdown table.
#   bench/jwt.sh            (BENCH_SECONDS=3 per algorithm; PRESIGND_BINARY to skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${BENCH_SECONDS:-3}
binary=${PRESIGND_BINARY:-.build/release/presignd}
if [ -z "${PRESIGND_BINARY:-}" ]; then swift build -c release >/dev/null; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$work/rsa2048.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/p256.pem"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$work/p384.pem"
openssl genpkey -algorithm ED25519 -out "$work/ed25519.pem"

"$binary" jwt bench "$work" "$seconds" > "$work/presignd.tsv"
openssl speed -mr -seconds "$seconds" rsa2048 ecdsap256 ecdsap384 ed25519 2>/dev/null | grep '^+F' > "$work/openssl.txt"
size=$(awk -F'\t' '$1=="HS256"{print $3}' "$work/presignd.tsv")
for digest in sha256 sha384 sha512; do
    openssl speed -mr -seconds "$seconds" -bytes "$size" -hmac "$digest" 2>/dev/null | grep '^+F:' >> "$work/openssl.txt"
done

# The openssl figure for an algorithm's primitive: verify/s, or HMACs/s of the signing input.
bound() {
    case "$1" in
        HS256) awk -F: -v n="$size" '$3=="hmac(sha256)"{printf "%d", $4/n}' "$work/openssl.txt" ;;
        HS384) awk -F: -v n="$size" '$3=="hmac(sha384)"{printf "%d", $4/n}' "$work/openssl.txt" ;;
        HS512) awk -F: -v n="$size" '$3=="hmac(sha512)"{printf "%d", $4/n}' "$work/openssl.txt" ;;
        RS*|PS*) awk -F: '$1=="+F2" && $3=="2048"{printf "%d", $5}' "$work/openssl.txt" ;;
        ES256) awk -F: '$1=="+F4" && $3=="256"{printf "%d", $5}' "$work/openssl.txt" ;;
        ES384) awk -F: '$1=="+F4" && $3=="384"{printf "%d", $5}' "$work/openssl.txt" ;;
        EdDSA) awk -F: '$1=="+F6"{printf "%d", $6}' "$work/openssl.txt" ;;
    esac
}
primitive() {
    case "$1" in
        HS256) echo "HMAC-SHA256, $size B" ;; HS384) echo "HMAC-SHA384, $size B" ;; HS512) echo "HMAC-SHA512, $size B" ;;
        RS*|PS*) echo "RSA-2048 verify" ;; ES256) echo "ECDSA P-256 verify" ;; ES384) echo "ECDSA P-384 verify" ;;
        EdDSA) echo "Ed25519 verify" ;;
    esac
}

echo "| alg | presignd verify/s | µs per verify | openssl speed primitive | openssl/s | presignd ÷ openssl |"
echo "| --- | ---: | ---: | --- | ---: | ---: |"
while IFS=$'\t' read -r alg rate _; do
    b=$(bound "$alg")
    awk -v a="$alg" -v r="$rate" -v b="$b" -v p="$(primitive "$alg")" \
        'BEGIN { printf "| %s | %d | %.1f | %s | %d | %.2f |\n", a, r, 1e6 / r, p, b, r / b }'
done < "$work/presignd.tsv"
