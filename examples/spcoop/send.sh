#!/bin/sh
# Sends an example busta with a fresh Identificatore and the current OraRegistrazione, as a Porta di Dominio
# would stamp them (a busta is refused when its time is off by more than INVCIV_SPCOOP_TOLLERANZA_SECONDI, or
# when its Identificatore was already received). Usage, from the project root, with `npm start` running and the
# demo convenzione switched to SPCoop (README, "SPCoop"):
#   examples/spcoop/send.sh examples/spcoop/verifica-valido.xml [https://localhost:8443]
set -eu
file=$1
url=${2:-https://localhost:8443}
now=$(TZ=Europe/Rome date +%Y-%m-%dT%H:%M:%S.000)
day=$(printf %s "$now" | cut -c1-10)
minute=$(printf %s "$now" | cut -c12-16)
counter=$(printf %07d $(( $(date +%s) % 10000000 )))
sed -e "s/_[0-9]\{7\}_[0-9-]\{10\}_[0-9:]\{5\}</_${counter}_${day}_${minute}</" \
    -e "s/tempo=\"EGOV_IT_SPC\">[^<]*</tempo=\"EGOV_IT_SPC\">${now}</" "$file" |
  curl --silent --show-error --cacert certs-dev/ca.crt --cert certs-dev/ente-a.crt --key certs-dev/ente-a.key \
    -H 'content-type: text/xml; charset=utf-8' -H 'SOAPAction: "urn:it:inps:invciv:verifica:v1/VerificaGiudizio"' \
    --data-binary @- "$url/ws/invciv"
echo
