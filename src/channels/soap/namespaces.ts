// The namespaces and names of the service's SOAP contract (wsdl/invciv.wsdl).
export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/'
export const SOAP12_ENV_NS = 'http://www.w3.org/2003/05/soap-envelope'
export const SERVICE_NS = 'urn:it:inps:invciv:verifica:v1'
export const REQUEST_ELEMENT = 'VerificaGiudizioRichiesta'
export const SOAP_ACTION = `${SERVICE_NS}/VerificaGiudizio`
