#!/usr/bin/env bash
# Remakes the development CNS material of certs-dev/ (issue 35): an issuer standing for the CNS issuers' bundle,
# apart from the partners' CA; a card of Sara Galli, whose codice fiscale is in its subject in both forms CNS
# issuers use (CN "<codice fiscale>/<card id>.<hash>" and serialNumber "TINIT-<codice fiscale>"), also as a
# PKCS#12 (password "dev") to import in a browser; a card of Laura Bianchi on the issuer's CRL. Dev only.
set -euo pipefail
cd "$(dirname "$0")"
DAYS=${DAYS:-3650}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

card() { # name subject
  key "$1.key"
  openssl req -new -key "$1.key" -subj "$2" -out "$work/$1.csr"
  printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' 'extendedKeyUsage=clientAuth' > "$work/$1.ext"
  openssl x509 -req -in "$work/$1.csr" -CA cns-ca.crt -CAkey cns-ca.key -CAcreateserial \
    -days "$DAYS" -sha256 -extfile "$work/$1.ext" -out "$1.crt" 2>/dev/null
}

key cns-ca.key
openssl req -x509 -new -key cns-ca.key -sha256 -days "$DAYS" -subj "/C=IT/O=invciv-gateway dev/CN=invciv dev CNS issuer" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out cns-ca.crt
card cns-galli "/C=IT/O=Regione dev/serialNumber=TINIT-GLLSRA75T50A662U/SN=GALLI/GN=SARA/CN=GLLSRA75T50A662U\/7420000000000001.ABCDEFGHIJKLMNOPQRSTUVWXYZ0="
card cns-revoked "/C=IT/O=Regione dev/serialNumber=TINIT-BNCLRA85M41H501Z/SN=BIANCHI/GN=LAURA/CN=BNCLRA85M41H501Z\/7420000000000002.ABCDEFGHIJKLMNOPQRSTUVWXYZ0="
openssl pkcs12 -export -in cns-galli.crt -inkey cns-galli.key -out cns-galli.p12 -passout pass:dev -name "CNS dev Sara Galli"

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
openssl ca -config "$work/ca.cnf" -keyfile cns-ca.key -cert cns-ca.crt -revoke cns-revoked.crt 2>/dev/null
openssl ca -config "$work/ca.cnf" -keyfile cns-ca.key -cert cns-ca.crt -gencrl -out cns-ca.crl 2>/dev/null
rm -f ./*.srl
chmod 644 cns-*.crt cns-*.key cns-ca.crl cns-galli.p12
echo "certs-dev CNS material remade, valid $DAYS days"
