import { AuditPage } from "../../../src/ui/views/AuditPage";

export default function Page() {
  return <AuditPage />;
}
