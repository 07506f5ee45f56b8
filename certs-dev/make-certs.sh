#!/usr/bin/env bash
# Remakes the dev PKI of certs-dev/: a dev CA, the gateway's server certificate, the partner
# (ente-a, ente-b), admin (ops, auditor) client certificates, one revoked client on the CRL, and a
# "rogue" client signed by a CA the gateway does not trust. Dev only: keys are unencrypted.
set -euo pipefail
cd "$(dirname "$0")"
DAYS=${DAYS:-3650}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

ca() { # name subject
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days "$DAYS" -subj "$2" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$1.crt"
}

leaf() { # name subject ca-name extensions
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$work/$1.csr"
  printf '%s\n' "$4" > "$work/$1.ext"
  openssl x509 -req -in "$work/$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial \
    -days "$DAYS" -sha256 -extfile "$work/$1.ext" -out "$1.crt" 2>/dev/null
}

client_ext='basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth'

ca ca "/C=IT/O=invciv-gateway dev/CN=invciv dev CA"
leaf server "/C=IT/O=invciv-gateway dev/CN=localhost" ca 'basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'
leaf ente-a "/C=IT/O=Ente A dev/OU=PDD/CN=pdd.ente-a.dev" ca "$client_ext"
leaf ente-b "/C=IT/O=Ente B dev/OU=PDD/CN=pdd.ente-b.dev" ca "$client_ext"
leaf ops "/C=IT/O=invciv-gateway dev/OU=operations/CN=ops" ca "$client_ext"
leaf auditor "/C=IT/O=invciv-gateway dev/OU=audit/CN=auditor" ca "$client_ext"
leaf revoked "/C=IT/O=Ente R dev/OU=PDD/CN=pdd.revoked.dev" ca "$client_ext"

# A CRL that lists "revoked", valid as long as the certificates (an expired CRL fails every handshake).
mkdir -p "$work/db" && : > "$work/db/index.txt" && echo 1000 > "$work/db/crlnumber"
cat > "$work/ca.cnf" <<CNF
[ca]
default_ca = dev
[dev]
database = $work/db/index.txt
crlnumber = $work/db/crlnumber
default_md = sha256
default_crl_days = $DAYS
CNF
openssl ca -config "$work/ca.cnf" -keyfile ca.key -cert ca.crt -revoke revoked.crt 2>/dev/null
openssl ca -config "$work/ca.cnf" -keyfile ca.key -cert ca.crt -gencrl -out ca.crl 2>/dev/null

# The rogue client: a well-formed certificate from a CA nobody trusts.
ca rogue-ca "/C=IT/O=Nobody/CN=untrusted CA"
leaf rogue "/C=IT/O=Rogue/CN=pdd.rogue.dev" rogue-ca "$client_ext"
rm -f rogue-ca.key *.srl

chmod 644 ./*.crt ./*.key ca.crl
echo "certs-dev remade, valid $DAYS days"
