// A CA key and self-signed CA certificate, a server key, its certificate request
// with an IP SAN 127.0.0.1, and the server certificate signed by the CA: the
// shapes the TLS gateway needs, through the real @pulumi/tls SDK.
import * as tls from "@pulumi/tls";

const caKey = new tls.PrivateKey("ca-key", { algorithm: "ECDSA", ecdsaCurve: "P256" });
const ca = new tls.SelfSignedCert("ca", {
  privateKeyPem: caKey.privateKeyPem,
  subject: { commonName: "tls-e2e CA", organization: "logging-bootstrap" },
  isCaCertificate: true,
  validityPeriodHours: 24,
  allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
});
const serverKey = new tls.PrivateKey("server-key", { algorithm: "RSA", rsaBits: 2048 });
const csr = new tls.CertRequest("server-csr", {
  privateKeyPem: serverKey.privateKeyPem,
  subject: { commonName: "tls-e2e server" },
  ipAddresses: ["127.0.0.1"],
  dnsNames: ["localhost"],
});
const server = new tls.LocallySignedCert("server", {
  certRequestPem: csr.certRequestPem,
  caPrivateKeyPem: caKey.privateKeyPem,
  caCertPem: ca.certPem,
  validityPeriodHours: 24,
  allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
});

export const caPem = ca.certPem;
export const serverPem = server.certPem;
// Not wrapped in pulumi.secret: run.sh checks they arrive secret on their own.
export const caKeyPem = caKey.privateKeyPem;
export const serverKeyPem = serverKey.privateKeyPem;
export const serverKeyAlgorithm = csr.keyAlgorithm;
