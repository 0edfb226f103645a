import { CertificatesPage } from "../../../src/ui/views/CertificatesPage";

export default function Page() {
  return <CertificatesPage />;
}
