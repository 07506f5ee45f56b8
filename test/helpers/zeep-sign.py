"""Signs a SOAP 1.1 request the ModI way with Python zeep's WS-Security (xmlsec underneath): an independent
implementation of what src/channels/soap/ws-security-sign.ts does. zeep signs the Body and the Timestamp; ModI's
ID_AUTH_SOAP_02 also needs wsa:To and wsa:MessageID signed, so they are added to zeep's own reference list.

usage: zeep-sign.py KEY_PEM_PATH CERT_PEM_PATH TO ACTION MESSAGE_ID < envelope.xml > signed.xml
"""
import datetime
import sys

import xmlsec
from lxml import etree
from zeep import ns
from zeep.wsse import signature as zs
from zeep.wsse.utils import WSU, get_security_header

key_path, cert_path, to, action, message_id = sys.argv[1:6]
envelope = etree.fromstring(sys.stdin.buffer.read())
soap = envelope.nsmap.get("soap") or "http://schemas.xmlsoap.org/soap/envelope/"
WSA = "http://www.w3.org/2005/08/addressing"

header = envelope.find("{%s}Header" % soap)
if header is None:
    header = etree.Element("{%s}Header" % soap)
    envelope.insert(0, header)
addressing = []
for name, value in (("To", to), ("Action", action), ("MessageID", message_id)):
    element = etree.SubElement(header, "{%s}%s" % (WSA, name))
    element.text = value
    addressing.append(element)

security = get_security_header(envelope)
security.set("{%s}mustUnderstand" % soap, "1")
now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
security.append(WSU.Timestamp(
    WSU.Created(now.strftime("%Y-%m-%dT%H:%M:%SZ")),
    WSU.Expires((now + datetime.timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")),
))

original_sign_node = zs._sign_node
def sign_node_and_addressing(ctx, signature, target, digest_method=None):
    original_sign_node(ctx, signature, target, digest_method)
    # zeep signs the Body first: the addressing headers join its references then
    if target.tag == "{%s}Body" % soap:
        for element in addressing:
            original_sign_node(ctx, signature, element, digest_method)
zs._sign_node = sign_node_and_addressing

signer = zs.BinarySignature(key_path, cert_path, signature_method=xmlsec.Transform.ECDSA_SHA256, digest_method=xmlsec.Transform.SHA256)
signer.apply(envelope, {})
sys.stdout.write(etree.tostring(envelope, encoding="unicode"))
