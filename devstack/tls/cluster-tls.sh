#!/usr/bin/env bash
# Makes the TLS material of an Understudy cluster with openssl: one CA, and for every name given
# (each agent's compute host name, and "controller") a key and a certificate signed by that CA,
# valid for that name and for 127.0.0.1. Agents and the controller authenticate each other with
# these (mutual TLS): anyone without a certificate from this CA is refused at the handshake.
#
#   devstack/tls/cluster-tls.sh DIR NAME...      e.g. DIR=/etc/understudy/tls compute1 compute2 controller
#
# Writes DIR/ca.crt, DIR/ca.key (keep it offline once the certificates are made) and, per NAME,
# DIR/NAME.crt and DIR/NAME.key (PKCS#8, mode 0600). Existing files are kept, so adding a host
# later signs only its own; keys are EC P-256, certificates valid for 825 days.
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 DIR NAME..." >&2
  exit 2
fi
dir=$1
shift
command -v openssl >/dev/null || { echo "cluster-tls.sh: openssl is missing (apt-get install openssl)" >&2; exit 2; }
mkdir -p "$dir"
umask 077

if [ ! -f "$dir/ca.key" ]; then
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca.key" 2>/dev/null
  openssl req -x509 -new -key "$dir/ca.key" -sha256 -days 3650 -subj "/CN=Understudy cluster CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.crt"
fi

for name in "$@"; do
  if ! [[ $name =~ ^[A-Za-z0-9][A-Za-z0-9.-]*$ ]]; then
    echo "cluster-tls.sh: '$name' is not a host name" >&2
    exit 2
  fi
  [ -f "$dir/$name.crt" ] && continue
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/$name.key" 2>/dev/null
  openssl req -new -key "$dir/$name.key" -subj "/CN=$name" -out "$dir/$name.csr"
  printf 'subjectAltName=DNS:%s,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n' \
    "$name" > "$dir/$name.ext"
  openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 825 -sha256 -extfile "$dir/$name.ext" -out "$dir/$name.crt" 2>/dev/null
  rm -f "$dir/$name.csr" "$dir/$name.ext"
done
chmod 0644 "$dir"/*.crt
