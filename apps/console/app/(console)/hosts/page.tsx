import { HostsPage } from "../../../src/ui/views/HostsPage";

export default function Page() {
  return <HostsPage />;
}
