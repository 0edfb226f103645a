// Path validation of a leaf against trusted CA certificates.
import { parseCertificate, splitCertificatePems } from "./parse";
import { resolveNow } from "./validity";
import { x509 } from "./x509";

function validAt(certificate: x509.X509Certificate, now: Date): boolean {
  return certificate.notBefore.getTime() <= now.getTime() && now.getTime() <= certificate.notAfter.getTime();
}

/** Returns whether `child` names `parent` as issuer and its signature verifies with the parent's key. */
export async function signedBy(child: x509.X509Certificate, parent: x509.X509Certificate): Promise<boolean> {
  if (child.issuer !== parent.subject) return false;
  try {
    return await child.verify({ publicKey: parent.publicKey, signatureOnly: true });
  } catch {
    return false;
  }
}

/**
 * Returns whether the leaf is signed by one of the CA certificates in `caPems` (each entry
 * may hold several PEM blocks). Every certificate given is a trust anchor, as with
 * `openssl verify -partial_chain`, so an imported intermediate CA works on its own. The
 * leaf and its issuer must be valid at `now`, and the issuer must be CA:TRUE.
 * NOTE: the issuer's key usage and name constraints are not checked.
 */
export async function verifyChain(leafPem: string, caPems: string | string[], now?: Date): Promise<boolean> {
  const at = resolveNow(now);
  const leaf = parseCertificate(leafPem, "leafPem");
  const anchors = (Array.isArray(caPems) ? caPems : [caPems])
    .flatMap((pem) => splitCertificatePems(pem))
    .map((pem, index) => parseCertificate(pem, `caPems[${index}]`));

  if (!validAt(leaf, at)) return false;

  for (const candidate of anchors) {
    if (candidate.getExtension(x509.BasicConstraintsExtension)?.ca !== true) continue;
    if (!validAt(candidate, at)) continue;
    if (await signedBy(leaf, candidate)) return true;
  }
  return false;
}
